"""Determinism: the same spec gives the same bytes whatever the hash seed, in fresh processes.

For every spec in specs/ (and two from tests/valid/) and every target, under PYTHONHASHSEED 0, 1, 12345 and
"random" (a fresh random seed per process), compare byte for byte:

* the generated module of `python -m compiler SPEC --target T -o OUT` (one real
  CLI process per spec, target and seed, for seeds 0 and "random");
* the same module, and the IR dumps `--emit ir`, `--emit ir-json`, `--emit dot`
  and `--dump-ir-dir` (every stage), from one fresh process per spec and seed
  that runs the CLI's `main` for each target and emit in turn (importing the
  compiler once per process keeps this under a minute; the CLI processes above
  check that the batch gives what the command line gives).

A set iterated on the way to the output, or a graph built from one, changes
with the hash seed and shows up here as a difference.
"""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from ir.targets import names as target_names

ROOT = Path(__file__).resolve().parents[1]
# The experiment specs, plus a DAG with fan-out and skips and one full of hostile strings.
SPECS = sorted((ROOT / "specs").glob("*.json")) + [ROOT / "tests" / "valid" / f"{name}.json"
                                                  for name in ("branching_named", "hostile_strings")]
TARGETS = target_names()
SEEDS = ("0", "1", "12345", "random")
CLI_SEEDS = ("0", "random")
DUMPS = {"ir": ".ir", "ir-json": ".json", "dot": ".dot"}

# Run in a fresh interpreter: argv[1] = spec, argv[2] = output directory.
_BATCH = """
import sys
from pathlib import Path
from compiler.cli import main
from ir.targets import names
spec, out = sys.argv[1], Path(sys.argv[2])
for target in names():
    jobs = [["-o", str(out / f"{target}.py"), "--dump-ir-dir", str(out / f"{target}.stages")]]
    jobs += [["--emit", emit, "-o", str(out / f"{target}{suffix}")] for emit, suffix in %r.items()]
    for job in jobs:
        status = main([spec, "--target", target, "-q", *job])
        if status != 0:
            sys.exit(f"exit {status} for {job}")
""" % (DUMPS,)


def _env(seed: str) -> dict[str, str]:
    env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)}
    env.pop("SNNC_DEBUG", None)
    return env


def _run(args: list[str], seed: str, cwd: Path) -> None:
    done = subprocess.run([sys.executable, *args], cwd=cwd, env=_env(seed), capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, f"PYTHONHASHSEED={seed} {args}: {done.stderr}"


def _tree(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def _same(trees: dict[str, dict[str, bytes]]) -> None:
    (ref_seed, ref), *others = trees.items()
    assert ref, "nothing was written"
    for seed, tree in others:
        assert sorted(tree) == sorted(ref), f"seeds {ref_seed} and {seed} wrote different files"
        differ = [name for name in ref if tree[name] != ref[name]]
        assert not differ, f"PYTHONHASHSEED={ref_seed} and {seed} give different bytes for {differ}"


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.stem)
def test_outputs_are_identical_across_hash_seeds(spec, tmp_path):
    jobs = []
    for seed in SEEDS:
        out = tmp_path / f"batch-{seed}"
        out.mkdir()
        jobs.append((["-c", _BATCH, str(spec), str(out)], seed))
    for seed in CLI_SEEDS:
        for target in TARGETS:
            out = tmp_path / f"cli-{seed}" / f"{target}.py"
            jobs.append((["-m", "compiler", str(spec), "--target", target, "-q", "-o", str(out)], seed))
    with ThreadPoolExecutor(max_workers=2) as pool:  # two processes at a time: the machine has 2 cores
        for future in [pool.submit(_run, args, seed, tmp_path) for args, seed in jobs]:
            future.result()

    batches = {seed: _tree(tmp_path / f"batch-{seed}") for seed in SEEDS}
    _same(batches)
    expected = {f"{target}{suffix}" for target in TARGETS for suffix in (".py", *DUMPS.values())}
    assert expected <= set(batches["0"]), sorted(expected - set(batches["0"]))
    assert all(any(name.startswith(f"{t}.stages/") for name in batches["0"]) for t in TARGETS)

    clis = {seed: _tree(tmp_path / f"cli-{seed}") for seed in CLI_SEEDS}
    _same(clis)
    for target in TARGETS:  # the command line gives what the batch gives
        assert clis["0"][f"{target}.py"] == batches["0"][f"{target}.py"], target
