"""The command line end to end, in subprocesses, on the real frontend and the C1-C6 specs."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ir.parser import parse
from passes import DEFAULT_PIPELINE

ROOT = Path(__file__).resolve().parents[1]
SPECS = ROOT / "specs"


def python(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("SNNC_DEBUG", None)
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def snnc(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return python("-m", "compiler", *args, cwd=cwd)


@pytest.fixture
def work(tmp_path):
    """A working directory holding copies of the experiment specs."""
    for spec in sorted(SPECS.glob("C*.json")):
        shutil.copy(spec, tmp_path / spec.name)
    return tmp_path


def test_help_and_usage_errors(work):
    done = snnc("--help", cwd=work)
    assert done.returncode == 0 and "--print-ir-after-all" in done.stdout
    for args in [(), ("C1.json", "--target", "nest"), ("C1.json", "--no-such-flag"),
                 ("C1.json", "--passes", "surrogate-swap,bogus"), ("C1.json", "--print-ir-after", "bogus")]:
        done = snnc(*args, cwd=work)
        assert done.returncode == 2, (args, done.stderr)
        assert "Traceback" not in done.stderr
    assert not (work / "build").exists()


def test_the_demo_answers_under_its_earlier_name_too(work):
    """Job scripts run `torchrun ... -m compiler.demo`: the alias reaches the demo in compiler.tools."""
    for module in ("compiler.demo", "compiler.tools.demo"):
        done = python("-m", module, "--help", cwd=work)
        assert done.returncode == 0 and "--train-in" in done.stdout, (module, done.stderr)


def test_help_imports_nothing_heavy(work):
    code = ("import sys, compiler.cli\n"
            "try:\n    compiler.cli.main(['--help'])\nexcept SystemExit:\n    pass\n"
            "heavy = {'networkx', 'libcst', 'black', 'jsonschema', 'torch', 'numpy'}\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy), file=sys.stderr)")
    done = python("-c", code, cwd=work)
    assert done.stderr.strip() == "[]"


def test_compiles_to_the_default_path_without_torch(work):
    done = python("-X", "importtime", "-m", "compiler", "C1.json", cwd=work)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "build/SnnTorchStandardModel_snntorch.py\n"
    imported = re.findall(r"^import time:\s+\d+ \|\s+\d+ \|\s+(\S+)", done.stderr, re.M)
    assert "ir.graph" in imported and not [m for m in imported if m.split(".")[0] in ("torch", "numpy")]
    source = (work / "build" / "SnnTorchStandardModel_snntorch.py").read_text()
    compile(source, "generated", "exec")


def test_low_energy_warns_at_each_dropped_key(work):
    done = snnc("C2.json", "-o", "c2.py", cwd=work)
    assert done.returncode == 0, done.stderr
    lines = (work / "C2.json").read_text().split("\n")
    row = next(i for i, line in enumerate(lines) if '"beta"' in line) + 1
    assert re.search(rf"^C2\.json:{row}:\d+: warning: .*beta dropped by neuron-substitution: IF neurons have no decay",
                     done.stderr, re.M), done.stderr


def test_spec_error_exits_1_and_writes_nothing(work):
    (work / "bad.json").write_text('{"model_name": "Bad",\n "time_steps": }\n')
    (work / "out.py").write_text("old\n")
    done = snnc("bad.json", "-o", "out.py", "--dump-ir-dir", "dumps", cwd=work)
    assert done.returncode == 1
    assert re.match(r"bad\.json:2:\d+: error: ", done.stderr), done.stderr
    assert "Traceback" not in done.stderr
    assert (work / "out.py").read_text() == "old\n"
    assert not (work / "build").exists() and not (work / "dumps").exists()


def test_refuses_to_write_over_the_spec(work):
    before = (work / "C3.json").read_text()
    done = snnc("C3.json", "-o", "./C3.json", cwd=work)
    assert done.returncode == 2 and "refusing to write the output over the input spec" in done.stderr
    assert (work / "C3.json").read_text() == before


def test_dump_ir_dir_has_one_file_per_stage(work):
    done = snnc("C6.json", "--dump-ir-dir", "dumps", "-o", "c6.py", "-q", cwd=work)
    assert done.returncode == 0, done.stderr
    names = sorted(p.name for p in (work / "dumps").iterdir())
    assert names == ["00_frontend.ir"] + [f"{i:02d}_{name}.ir" for i, name in enumerate(DEFAULT_PIPELINE, start=1)]
    last = parse((work / "dumps" / names[-1]).read_text())
    assert last.pipeline == list(DEFAULT_PIPELINE) and last.plan is not None and last.attrs.container == "Network"
    assert all(pop.neuron.kind == "if" for pop in last.populations())


def test_print_ir_goes_to_stdout(work):
    done = snnc("C4.json", "--emit", "ir", "--print-ir-after", "neuron-substitution", "-q", cwd=work)
    assert done.returncode == 0, done.stderr
    first, final = done.stdout.split("// ----- IR after neuron-substitution ----- //\n")[1].split("\n// model:", 1)
    assert parse(first).pipeline == ["neuron-substitution"]
    assert parse("// model:" + final).pipeline == list(DEFAULT_PIPELINE)


def test_outputs_do_not_depend_on_the_hash_seed(work):
    runs = []
    for seed in ("0", "4242"):
        env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": seed}
        runs.append([subprocess.run([sys.executable, "-m", "compiler", "C5.json", "--emit", kind, "-q"], cwd=work,
                                    env=env, capture_output=True, text=True, timeout=120).stdout
                     for kind in ("ir", "ir-json", "dot")])
    assert runs[0] == runs[1] and all(runs[0])


def test_every_short_pass_pipeline_runs_or_is_a_usage_error(tmp_path, capsys):
    """Every ordered subset of up to two passes, the empty string, an unknown name and the
    default list reversed, on C4 and C6 for every target: exit 0, 1 or 2, never 3."""
    import itertools

    from compiler.cli import main as cli_main
    from passes import PASSES

    names = list(PASSES)
    pipelines = ["", "no-such-pass", ",".join(reversed(names))]
    pipelines += [",".join(p) for k in (1, 2) for p in itertools.permutations(names, k)]
    seen = {}
    for config in ("C4", "C6"):
        for target in ("snntorch", "spikingjelly", "bindsnet"):
            for pipeline in pipelines:
                status = cli_main([str(SPECS / f"{config}.json"), "--target", target, "--passes", pipeline,
                                   "-o", str(tmp_path / "out.py"), "-q"])
                err = capsys.readouterr().err
                assert status in (0, 1, 2), (config, target, pipeline, err)
                assert "internal compiler error" not in err and "Traceback" not in err
                if status == 2:
                    assert "error:" in err, (pipeline, err)
                seen[status] = seen.get(status, 0) + 1
    assert seen.get(0) and seen.get(2)
