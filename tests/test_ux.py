"""What a new user meets first: CLI habits, the Python API, warnings for silent changes,
pictures without Graphviz, a quiet install."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from compiler.cli import main as snnc
from support import specs

ROOT = Path(__file__).resolve().parents[1]
C1 = ROOT / "specs" / "C1.json"


def test_version(capsys):
    with pytest.raises(SystemExit) as done:
        snnc(["--version"])
    assert done.value.code == 0
    from compiler import __version__

    assert capsys.readouterr().out.strip() == f"snnc {__version__}"


def test_targets_are_accepted_as_the_spec_writes_them(tmp_path, capsys):
    for spelling in ("SpikingJelly", "spikingjelly", "SPIKINGJELLY"):
        assert snnc([str(C1), "--target", spelling, "-o", str(tmp_path / f"{spelling}.py"), "-q"]) == 0
    sources = {(tmp_path / f"{s}.py").read_bytes() for s in ("SpikingJelly", "spikingjelly", "SPIKINGJELLY")}
    assert len(sources) == 1


def test_a_mistyped_command_gets_a_suggestion(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert snnc(["chek", str(C1)]) == 2
    assert "did you mean 'check'" in capsys.readouterr().err
    assert snnc(["import-nri", "x.nir"]) == 2
    assert "did you mean 'import-nir'" in capsys.readouterr().err


def test_output_into_a_new_folder_says_so(tmp_path, capsys):
    out = tmp_path / "new" / "deeper" / "model.py"
    assert snnc([str(C1), "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert out.exists() and f"created the folder {str(tmp_path / 'new')!r}" in err
    assert snnc([str(C1), "-o", str(out)]) == 0
    assert "created" not in capsys.readouterr().err


def test_the_console_script_is_installed():
    script = Path(sys.executable).with_name("snnc")
    done = subprocess.run([str(script), "--version"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.startswith("snnc ")


# --- the Python API ---------------------------------------------------------------------------------------------


def test_compile_spec_takes_a_path_a_json_string_or_a_dict():
    from compiler import compile_spec

    text = C1.read_text(encoding="utf-8")
    by_path = compile_spec(C1, target="BindsNET")
    by_text = compile_spec(text, target="bindsnet")
    by_dict = compile_spec(json.loads(text), target="bindsnet")
    assert by_path.target == by_text.target == by_dict.target == "bindsnet"
    strip = lambda source: "\n".join(line for line in source.splitlines() if "sha256" not in line)  # noqa: E731
    assert strip(by_path.source) == strip(by_text.source)
    assert by_path.ir.startswith("// model:") and "population" in by_path.ir
    assert by_path.graph.populations()[0].name == "layer_1"


def test_compile_spec_raises_the_clis_diagnostics():
    from compiler import CompileError, compile_spec

    spec = specs.spec([{"type": "linear", "in_features": 4, "out_features": 3}, {"type": "LIFNode", "beta": 1.5}])
    with pytest.raises(CompileError) as caught:
        compile_spec(spec)
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.pointer == "/layers/1/beta" and diagnostic.line > 0
    with pytest.raises(ValueError):
        compile_spec(spec, target="nest")
    with pytest.raises(ValueError):
        compile_spec(C1, passes="bogus")


def test_load_imports_the_generated_module_without_writing_it(tmp_path, monkeypatch):
    import torch

    from compiler import compile_spec

    monkeypatch.chdir(tmp_path)
    result = compile_spec(C1, target="spikingjelly")
    first, second = result.load(), result.load()
    assert first is not second and first.TARGET == "spikingjelly" and list(tmp_path.iterdir()) == []
    out = first.run(first.build_model(), torch.zeros(2, 1, 784))
    assert set(out) == set(first.POPULATIONS)
    with pytest.raises(ValueError) as caught:  # a traceback through generated code shows its lines
        first.run(first.build_model(), torch.zeros(2, 1, 5))
    import traceback

    text = "".join(traceback.format_tb(caught.value.__traceback__))
    assert "<snnc spikingjelly module of C1.json>" in text and "raise ValueError(" in text


def test_the_api_imports_no_torch():
    code = "import sys, compiler; compiler.compile_spec(sys.argv[1]); print('torch' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code, str(C1)], capture_output=True, text=True, cwd=ROOT,
                          timeout=120)
    assert done.stdout.strip() == "False", done.stderr


# --- warnings for what would change silently ------------------------------------------------------------------


def _warnings(spec: dict) -> list[str]:
    from compiler import compile_spec

    return [w.headline() for w in compile_spec(spec).warnings if w.severity == "warning"]


def test_a_layer_in_another_vocabulary_is_named():
    spec = specs.spec([{"type": "linear", "in_features": 4, "out_features": 3}, {"type": "LIFNode", "tau": 2.0}])
    (warning,) = _warnings(spec)
    assert "layers/1: written in SpikingJelly's words (tau), not snnTorch's" in warning


def test_backend_and_step_mode_that_are_not_honoured_are_named():
    spec = specs.spec([{"type": "linear", "in_features": 4, "out_features": 3}, {"type": "LIFNode", "beta": 0.9}],
                      backend="cupy", step_mode="single_step")
    warnings = _warnings(spec)
    assert any("backend 'cupy' is recorded but not used" in w for w in warnings)
    assert any("step_mode 'single_step' is recorded but not used" in w for w in warnings)
    assert not _warnings({**spec, "backend": "torch", "step_mode": "multi_step"})


def test_timestep_scaling_to_very_few_steps_is_named():
    spec = specs.spec([{"type": "linear", "in_features": 4, "out_features": 3}, {"type": "LIFNode", "beta": 0.9}],
                      time_steps=7, hardware_constraints={"device_type": "edge_ai_processor", "timestep_scale": 0.1})
    assert any("time_steps 7 -> 1" in w for w in _warnings(spec))


def test_snntorchs_sigmoid_surrogate_warns_of_its_nan_gradients():
    spec = specs.spec([{"type": "linear", "in_features": 4, "out_features": 3},
                       {"type": "LIFNode", "beta": 0.9, "surrogate_function": "sigmoid"}])
    (warning,) = _warnings(spec)
    assert "NaN gradients" in warning and "layers/1/surrogate_function" in warning
    sj = specs.spec([{"type": "linear", "in_features": 4, "out_features": 3},
                     {"type": "LIFNode", "tau": 2.0, "surrogate_function": "sigmoid"}], "SpikingJelly")
    assert not _warnings(sj)


def _chain(n: int, neuron: dict, simulator: str = "snnTorch", **top) -> dict:
    layers = []
    for _ in range(n):
        layers += [{"type": "linear", "in_features": 4, "out_features": 4}, dict(neuron, type="LIFNode")]
    return specs.spec(layers, simulator, **top)


def test_the_same_warning_for_many_layers_is_said_once_naming_them(tmp_path, capsys):
    path = specs.save(_chain(100, {"tau": 2.0}), tmp_path)
    assert snnc([str(path), "-o", str(tmp_path / "m.py")]) == 0
    lines = [line for line in capsys.readouterr().err.splitlines() if ": warning: " in line]
    one = (f"{path}:11:5: warning: layers/1: written in SpikingJelly's words (tau), not snnTorch's (the "
           "target_simulator): this layer computes SpikingJelly's LIFNode arithmetic (the same for 100 layers: "
           "layer_1..layer_100)")
    assert lines == [one]
    # every other layer: named compactly, the rest counted
    mixed = _chain(7, {"tau": 2.0})
    for k in (3, 7, 11):
        mixed["layers"][k] = {"type": "LIFNode", "beta": 0.5}
    (warning,) = _warnings(mixed)
    assert warning.endswith("(the same for 4 layers: layer_1, layer_3 and 2 more)"), warning


def test_a_bindsnet_spec_for_another_target_warns_once_per_dropped_key():
    spec = _chain(30, {"thresh": -52.0, "rest": -65.0, "tc_decay": 100.0}, "BindsNET", power_mode="low_energy")
    from compiler import compile_spec

    warnings = [w.headline() for w in compile_spec(spec, target="snntorch").warnings]
    assert len(warnings) == 2, warnings
    assert warnings[0].endswith("layers/1/rest: rest dropped by neuron-substitution: IF neurons have no resting "
                                "potential to decay towards (the same for 30 layers: layer_1..layer_30)")
    assert "layers/1/tc_decay: tc_decay dropped" in warnings[1] and "layer_1..layer_30" in warnings[1]


def test_a_population_that_feeds_nothing_before_the_last_layer_is_named():
    forgotten = specs.spec([
        {"type": "linear", "in_features": 4, "out_features": 4, "name": "fc1"},
        {"type": "LIFNode", "beta": 0.9, "name": "h"},
        {"type": "linear", "in_features": 4, "out_features": 2, "name": "fc2"},
        {"type": "LIFNode", "beta": 0.9, "name": "out"},
    ], connections=[{"source": "input", "target": "fc2"}])  # meant: h -> fc2
    (warning,) = _warnings(forgotten)  # out, the last layer, feeds nothing by nature
    assert warning.endswith(": warning: layers/1: population h feeds no other layer; its spikes are still "
                            "returned by run(), but is a connection missing?"), warning
    from compiler import compile_spec

    assert 'POPULATIONS = {"h": (4,), "out": (2,)}' in compile_spec(forgotten).source  # still returned
    assert not _warnings({**forgotten, "connections": [{"source": "h", "target": "fc2"}]})


def test_a_biased_layer_fed_back_into_a_population_is_named():
    """fc_in, hidden, fc_rec with the feedback fc_rec -> hidden delays fc_rec's output, bias included: hidden gets
    the bias one step late (none at the first step). fc_in, fc_rec, hidden with hidden -> fc_rec delays the spikes
    instead, and the bias enters at every step, as snn.RLeaky computes. The warning is at the connection."""
    from compiler.frontend import load_spec

    root = Path(__file__).resolve().parent / "valid"
    (warning,) = [w for w in load_spec(root / "recurrent_feedback_after_the_layer.json").warnings
                  if "feedback connection" in w.message]
    assert warning.headline().endswith(
        "recurrent_feedback_after_the_layer.json:40:5: warning: connections/1: the feedback connection rec -> h "
        "carries rec's output one step late, bias included: h gets the bias one step late (none at the first step); "
        "list rec before h and connect h -> rec to have it at every step, as snn.RLeaky computes"), warning.headline()
    assert not [w for w in load_spec(root / "recurrent_rleaky.json").warnings if "feedback connection" in w.message]
    spec = json.loads((root / "recurrent_feedback_after_the_layer.json").read_text())
    spec["layers"][2]["bias"] = False  # no bias, nothing arrives late
    assert not [w for w in _warnings(spec) if "feedback connection" in w]


def test_no_shipped_spec_feeds_a_bias_back_by_accident():
    from compiler.frontend import load_spec

    root = Path(__file__).resolve().parents[1]
    paths = sorted((root / "specs").glob("*.json")) + sorted((root / "tests" / "valid").glob("*.json"))
    flagged = {p.name for p in paths if any("feedback connection" in w.message for w in load_spec(p).warnings)}
    assert flagged == {"recurrent_feedback_after_the_layer.json"}  # on purpose: the other order


def test_no_shipped_spec_has_a_population_that_feeds_nothing():
    from compiler.frontend import load_spec

    root = Path(__file__).resolve().parents[1]
    paths = sorted((root / "specs").glob("*.json")) + sorted((root / "tests" / "valid").glob("*.json"))
    flagged = {p.name for p in paths if any("feeds no other layer" in w.message for w in load_spec(p).warnings)}
    assert flagged == {"branching_named.json"}  # two outputs on purpose: readout and side


# --- pictures without Graphviz; a quiet install --------------------------------------------------------------


@pytest.mark.parametrize("kind, magic", (("svg", b"<?xml"), ("png", b"\x89PNG")))
def test_pictures_are_drawn_without_graphviz(kind, magic, tmp_path, monkeypatch):
    import compiler.driver as driver

    monkeypatch.setattr(driver.shutil, "which", lambda _name: None)
    spec = ROOT / "tests" / "valid" / "recurrent_rleaky.json"
    outs = []
    for k in range(2):
        out = tmp_path / f"g{k}.{kind}"
        assert snnc([str(spec), "--emit", kind, "-o", str(out), "-q"]) == 0
        outs.append(out.read_bytes())
    assert outs[0].startswith(magic) and len(outs[0]) > 5000
    assert outs[0] == outs[1]  # deterministic


@pytest.mark.slow
def test_building_the_package_prints_no_warnings(tmp_path):
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(tmp_path), str(ROOT)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    text = done.stdout + done.stderr
    assert "Warning" not in text and "deprecated" not in text.lower(), text[-3000:]
