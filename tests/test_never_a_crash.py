"""Regression tests for the broken promises an adversarial probe found: one test per case.

A spec that compiles runs in every target; no valid graph is an internal error; no side
output replaces an input; `check` answers every argument with a result or one line;
`load_weights` raises only ValueError; the API raises CompileError for a bad spec;
NIR export warns truthfully about loops that readers cut differently.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from compiler import CompileError, compile_spec
from ir.targets import names as target_names
from support import reference, specs
from support.generated import import_source
from support.timelimit import time_limit

TARGETS = target_names()

ROOT = Path(__file__).resolve().parents[1]


def _snnc(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("SNNC_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "compiler", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600)


def _agree_in_every_target(spec: dict, tmp_path: Path, batch: int = 3) -> None:
    """Compiles for every target, runs, and equals the reference interpreter bit for bit."""
    graph = specs.graph(spec, tmp_path)
    weights = reference.random_weights(graph, seed=1)
    inputs = reference.random_spikes(spec["time_steps"], batch, graph.input().shape, seed=2, p=0.4)
    want = reference.run(graph, weights, inputs)
    assert any(want[p.name].any() for p in graph.populations()), "nothing fires: the test would prove little"
    for target, module in specs.modules(spec, tmp_path).items():
        got = module.run(module.load_weights(module.build_model(), weights), inputs, membrane=True)
        for key, value in want.items():
            assert torch.equal(got[key], value), f"{target} {key}"


def _recurrent(vocab: str, neuron: dict, bias: bool) -> dict:
    """snn.RLeaky's shape: fc1 -> h, and h fed back through `rec` (listed before h)."""
    return specs.spec([
        {"type": "linear", "in_features": 5, "out_features": 4, "name": "fc1"},
        {"type": "linear", "in_features": 4, "out_features": 4, "name": "rec", "bias": bias},
        {**neuron, "name": "h"},
    ], vocab, time_steps=12, connections=[{"source": "fc1", "target": "h"}, {"source": "rec", "target": "h"},
                                         {"source": "h", "target": "rec"}])


RECURRENCES = [
    ("snnTorch", {"type": "LIFNode", "beta": 0.9, "threshold": 0.5}),
    ("snnTorch", {"type": "IFNode", "threshold": 0.5, "reset_mechanism": "zero"}),
    ("SpikingJelly", {"type": "LIFNode", "tau": 2.0, "v_threshold": 0.5}),
    ("BindsNET", {"type": "LIFNode", "thresh": 0.5, "rest": 0.0, "reset": 0.0, "refrac": 1, "tc_decay": 20.0}),
]


@pytest.mark.parametrize("bias", [False, True], ids=["bias-free", "biased"])
@pytest.mark.parametrize("vocab, neuron", RECURRENCES, ids=[f"{v}-{n['type']}" for v, n in RECURRENCES])
def test_a_recurrence_that_compiles_for_bindsnet_runs_there(vocab, neuron, bias, tmp_path, bindsnet):
    """A bias-free feedback into a snnTorch-family population was lowered to BindsNET's native
    Connection, which never hands the step its late term: IndexError in run()."""
    spec = _recurrent(vocab, neuron, bias)
    graph = specs.graph(spec, tmp_path, target="bindsnet")
    if vocab == "snnTorch":
        (late,) = [link for link in graph.plan if link.target == "h" and link.index == 1]
        assert late.cls == "generated"
    _agree_in_every_target(spec, tmp_path)


@pytest.mark.parametrize("kind", ["scale", "linear"])
def test_feedback_into_a_stateless_sum_compiles_for_bindsnet(kind, tmp_path, bindsnet):
    """`mid` sums fc1 and, one step late, `rec` (a stateless layer listed after it): BindsNET's
    compute function read `rec` before computing it (internal error KeyError: 'rec')."""
    mid = {"type": "scale", "scale": 0.5} if kind == "scale" else \
        {"type": "linear", "in_features": 4, "out_features": 4, "bias": True}
    spec = specs.spec([
        {"type": "linear", "in_features": 5, "out_features": 4, "name": "fc1"},
        {**mid, "name": "mid"},
        {"type": "LIFNode", "beta": 0.9, "threshold": 0.25, "name": "h"},
        {"type": "linear", "in_features": 4, "out_features": 4, "name": "rec"},
    ], time_steps=12, connections=[{"source": "fc1", "target": "mid"}, {"source": "rec", "target": "mid"},
                                   {"source": "mid", "target": "h"}, {"source": "h", "target": "rec"}])
    _agree_in_every_target(spec, tmp_path)


def _wide(n: int) -> dict:
    layers = [{"type": "linear", "in_features": 3, "out_features": 2, "name": f"fc{i}", "bias": False}
              for i in range(n)]
    layers.append({"type": "LIFNode", "beta": 0.9, "name": "h"})
    return specs.spec(layers, time_steps=4, connections=[{"source": "input", "target": f"fc{i}"} for i in range(n)]
                      + [{"source": f"fc{i}", "target": "h"} for i in range(n)])


def test_a_population_summing_500_connections_compiles_and_runs(tmp_path, bindsnet):
    """The sum was one nested expression: RecursionError in every tool that walks it."""
    spec = _wide(500)
    with time_limit(300, "compiling a 500-term fan-in"):
        for target in TARGETS:
            source = compile_spec(spec, target=target).source
            assert "sum(" in source or target == "bindsnet"
    _agree_in_every_target(_wide(40), tmp_path)  # the flat sum adds in the listed order, as `a + b + ...`


def test_dumps_never_replace_the_spec_and_are_written_only_on_success(tmp_path):
    spec = tmp_path / "00_frontend.ir"
    text = (ROOT / "specs" / "C1.json").read_text()
    spec.write_text(text)
    done = _snnc(str(spec), "--dump-ir-dir", str(tmp_path), "-o", str(tmp_path / "out.py"))
    assert done.returncode == 2 and "refusing to write the IR dump 00_frontend.ir over the input spec" in done.stderr
    assert spec.read_text() == text and not (tmp_path / "out.py").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["00_frontend.ir"]
    # C1 cannot be said in NIR (subtract reset): the export fails after every pass has run
    torch.save(reference.random_weights(specs.graph(json.loads(text), tmp_path)), tmp_path / "w.pt")
    done = _snnc(str(ROOT / "specs" / "C1.json"), "--emit", "nir", "--weights", str(tmp_path / "w.pt"),
                 "--dump-ir-dir", str(tmp_path / "dumps"), "-o", str(tmp_path / "c1.nir"))
    assert done.returncode == 1 and "subtract" in done.stderr
    assert not (tmp_path / "dumps").exists() and not (tmp_path / "c1.nir").exists()
    done = _snnc(str(spec.rename(tmp_path / "c1.json")), "--dump-ir-dir", str(tmp_path / "dumps"), "-o",
                 str(tmp_path / "dumps" / "01_neuron-substitution.ir"))
    assert done.returncode == 2 and "same file" in done.stderr and not (tmp_path / "dumps").exists()


def test_check_never_plots_over_its_inputs(tmp_path):
    spec = tmp_path / "spec.png"  # a spec may have any name
    spec.write_text((ROOT / "specs" / "C1.json").read_text())
    done = _snnc("check", str(spec), "--plot", str(spec), "--time-steps", "2")
    assert done.returncode == 2 and "refusing to write the --plot picture over the spec" in done.stderr
    assert spec.read_text() == (ROOT / "specs" / "C1.json").read_text()


@pytest.mark.parametrize("args, message", [
    (("--time-steps", "1000000000", "--batch", "1000000"), "GiB"),
    (("--seed", "100000000000000000000000"), "--seed must be between"),
    (("--seed", "-1"), "--seed must be between"),
    (("--threads", "100000"), "--threads 100000: at most"),
    (("--rate", "nan"), "--rate nan"),
    (("--rate", "-1"), "--rate -1.0"),
    (("--rate", "2"), "--rate 2.0"),
])
def test_check_answers_every_argument_in_one_line(args, message):
    done = _snnc("check", "specs/C1.json", *args)
    assert done.returncode in (1, 2), done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_check_reports_a_module_that_raises_in_one_line(tmp_path, monkeypatch, capsys):
    """Whatever a generated module raises is one line (exit 3: the generated code is the compiler's)."""
    from compiler.tools import check, runs

    def broken(*_args):
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(runs, "load_module", broken)
    assert check.main([str(ROOT / "specs" / "C1.json"), "--time-steps", "2", "--targets", "snntorch"]) == 3
    err = capsys.readouterr().err
    assert "internal error: the generated snntorch module raised RuntimeError: boom" in err
    assert "second line" not in err and "Traceback" not in err


@pytest.mark.parametrize("target", TARGETS)
def test_load_weights_raises_only_value_error(target, tmp_path, bindsnet):
    module = import_source(compile_spec(ROOT / "specs" / "C1.json", target=target).source, tmp_path, "c1")
    model = module.build_model()
    good = module.export_weights(model)
    bad_cases = [
        {**good, 1: 0.0, "zz": 0.0},  # unknown keys of mixed types
        {**good, "layer_1.bias": good["layer_1.bias"].to(torch.complex64)},
        {**good, "layer_1.bias": [[1, "a"]]},
        list(good.values()),
    ]
    for bad in bad_cases:
        with pytest.raises(ValueError):
            module.load_weights(model, bad)
    assert all(torch.equal(v, module.export_weights(model)[k]) for k, v in good.items())  # left unchanged


def test_the_api_raises_compile_error_for_any_bad_spec():
    spec = json.loads((ROOT / "specs" / "C1.json").read_text())
    deep: dict = {}
    cursor = deep
    for _ in range(5000):
        cursor["a"] = {}
        cursor = cursor["a"]
    looped = dict(spec)
    looped["note"] = looped
    for bad in ({**spec, "note": deep}, {**spec, "dt": math.nan}, {**spec, "dt": math.inf}, looped):
        with pytest.raises(CompileError) as caught:
            compile_spec(bad)
        assert all(d.severity == "error" for d in caught.value.diagnostics)
    with pytest.raises(CompileError, match=r"<spec>:\d+:\d+: error: NaN is not allowed"):
        compile_spec({**spec, "dt": math.nan})


def test_a_huge_picture_is_refused_quickly(tmp_path):
    layers = []
    for _ in range(400):
        layers += [{"type": "linear", "in_features": 2, "out_features": 2}, {"type": "LIFNode", "beta": 0.5}]
    spec = tmp_path / "deep.json"
    spec.write_text(json.dumps(specs.spec(layers)))
    from compiler.tools.picture import PictureTooLarge, draw

    graph = compile_spec(spec).graph
    with time_limit(60, "refusing a picture"), pytest.raises(PictureTooLarge, match="would be unreadable"):
        draw(graph, "png")
    done = _snnc(str(spec), "--emit", "png", "-o", str(tmp_path / "p.png"))
    if done.returncode == 1:  # without Graphviz: refused in one line
        assert "would be unreadable" in done.stderr and not (tmp_path / "p.png").exists()
    else:  # Graphviz draws large graphs itself
        assert done.returncode == 0, done.stderr


def test_nir_export_warns_truthfully_about_a_loop_of_two_populations(tmp_path):
    """Readers delay both edges out of the loop's neurons where snnc delays one: the models differ at
    every step, and the warning says so (it used to blame a layer with a bias that is not there)."""
    pytest.importorskip("nir")
    lif = {"type": "LIFNode", "beta": 0.9, "reset_mechanism": "zero", "reset_delay": False}
    spec = specs.spec([
        {"type": "linear", "in_features": 4, "out_features": 3, "name": "fc_in", "bias": False},
        {**lif, "name": "a"}, {"type": "linear", "in_features": 3, "out_features": 3, "name": "ab", "bias": False},
        {**lif, "name": "b"}, {"type": "linear", "in_features": 3, "out_features": 3, "name": "ba", "bias": False},
    ], connections=[{"source": "fc_in", "target": "a"}, {"source": "a", "target": "ab"},
                    {"source": "ab", "target": "b"}, {"source": "b", "target": "ba"}, {"source": "ba", "target": "a"}])
    path = specs.save(spec, tmp_path)
    graph = specs.graph(spec, tmp_path)
    torch.save(reference.random_weights(graph), tmp_path / "w.pt")
    done = _snnc(str(path), "--emit", "nir", "--weights", str(tmp_path / "w.pt"), "-o", str(tmp_path / "m.nir"))
    assert done.returncode == 0, done.stderr
    assert "differ from snnc's at every step" in done.stderr and "bias" not in done.stderr
