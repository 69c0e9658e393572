"""The frontend end to end: specs in tests/valid/ lowered to exact IR, model attributes,
locations, warnings, and clean errors for every kind of bad input."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from compiler.diagnostics import CompileError, Diagnostic
from compiler.frontend import MAX_SPEC_BYTES, load_spec, load_text
from ir import BindsnetNeuron, InputOp, LinearOp, Loc, SnnTorchNeuron, SpikingJellyNeuron, Surrogate, operands
from ir.examples import snntorch_lif
from ir.floats import f32

VALID = Path(__file__).parent / "valid"
SMALL = {"model_name": "M", "target_simulator": "snnTorch", "time_steps": 5,
         "layers": [{"type": "linear", "in_features": 3, "out_features": 2}, {"type": "LIFNode", "beta": 0.5}]}


def text_of(**changes) -> str:
    spec = json.loads(json.dumps(SMALL))
    spec.update(changes)
    return json.dumps(spec, indent=2)


def errors_of(text: str) -> list[Diagnostic]:
    with pytest.raises(CompileError) as caught:
        load_text(text, "spec.json")
    return caught.value.diagnostics


# -- the three vocabularies, as their users write them -------------------------------
def test_snntorch_spec_with_only_beta():
    result = load_spec(VALID / "snntorch_beta_only.json")
    layer_1, layer_2 = result.graph.populations()
    assert layer_1.neuron == snntorch_lif(beta=0.9)
    assert layer_2.neuron == SnnTorchNeuron(kind="lif", beta=f32(0.8), threshold=1.0, reset="subtract",
                                            reset_delay=True, surrogate=Surrogate("atan", 2.0, "snntorch"))
    assert result.graph.op("linear_2") == LinearOp(
        name="linear_2", operands=operands("layer_1"), shape=(10,), loc=Loc("/layers/2", 8, 5), in_features=100,
        out_features=10, bias=False, key="layer_2")
    assert result.graph.attrs.source_simulator == result.graph.attrs.target == "snntorch"


def test_spikingjelly_spec_with_only_tau():
    result = load_spec(VALID / "spikingjelly_tau_only.json")
    lif, if_ = result.graph.populations()
    assert lif.neuron == SpikingJellyNeuron(kind="lif", tau=4.0, decay_input=True, v_threshold=1.0, v_reset=0.0,
                                            surrogate=Surrogate("sigmoid", 4.0, "spikingjelly"))
    assert if_.neuron == SpikingJellyNeuron(kind="if", v_threshold=1.0, v_reset=0.0,
                                            surrogate=Surrogate("sigmoid", 4.0, "spikingjelly"))
    assert result.graph.attrs.step_mode == "m"


def test_bindsnet_spec_with_no_parameters():
    result = load_spec(VALID / "bindsnet_no_parameters.json")
    lif, if_ = result.graph.populations()
    atan = Surrogate("atan", 2.0, "snntorch")  # BindsNET has none: what the other targets train with
    assert lif.neuron == BindsnetNeuron(kind="lif", thresh=-52.0, reset=-65.0, rest=-65.0, tc_decay=100.0,
                                        refrac=5.0, dt=0.5, surrogate=atan)
    assert if_.neuron == BindsnetNeuron(kind="if", thresh=-52.0, reset=-65.0, refrac=5.0, dt=0.5, surrogate=atan)
    assert lif.written == () and lif.note is None
    assert result.graph.attrs.dt == 0.5
    linear = result.graph.op("linear_0")
    assert linear.loc.pointer == "/layer/0"  # the paper's "layer" key
    # BindsNET's own Connection: no bias unless asked for, w [in, out], s @ w + b
    assert (linear.bias, linear.layout, linear.bias_add) == (False, "in_out", "after")


def test_target_override_keeps_the_model():
    base = load_spec(VALID / "bindsnet_no_parameters.json")
    for target in ("snntorch", "SpikingJelly"):
        other = load_spec(VALID / "bindsnet_no_parameters.json", target=target)
        assert other.graph.attrs.target == target.lower()
        assert other.graph.attrs.source_simulator == "bindsnet"
        assert [p.neuron for p in other.graph.populations()] == [p.neuron for p in base.graph.populations()]


def test_unknown_target_override_is_a_usage_error():
    with pytest.raises(ValueError, match="unknown target 'nest'"):
        load_text(text_of(), "spec.json", target="nest")


# -- graph shape, names, locations -------------------------------------------------------
def test_connections_with_names_and_a_branch():
    result = load_spec(VALID / "branching_named.json")
    g = result.graph
    assert g.order() == ["input", "linear_0", "hidden", "linear_2", "readout", "linear_4", "side"]
    assert sorted(g.nx.edges) == sorted([("input", "linear_0"), ("linear_0", "hidden"),
                                         ("hidden", "linear_2"), ("linear_2", "readout"),
                                         ("input", "linear_4"), ("linear_4", "side")])
    assert g.op("input") == InputOp(name="input", shape=(12,), loc=Loc("/layers/0/in_features", 9, 39))
    hidden, readout, side = g.op("hidden"), g.op("readout"), g.op("side")
    assert hidden.neuron == SnnTorchNeuron(kind="lif", beta=0.5, threshold=0.75, reset="zero", reset_delay=True,
                                           surrogate=Surrogate("atan", 2.0, "snntorch"))
    assert readout.neuron == SnnTorchNeuron(kind="if", threshold=1.0, reset="none",
                                            surrogate=Surrogate("fast_sigmoid", 10.0, "snntorch"))
    assert side.neuron.beta == f32(0.8)  # tau=5 restates beta=0.8
    assert [key for key, _ in side.written] == ["tau", "beta"]
    assert side.written[1][1] == Loc("/layers/5/beta", 14, 61)
    assert hidden.loc == Loc("/layers/1", 10, 5)
    assert [op.key for op in g.parametric()] == ["hidden", "readout", "side"]


def test_model_attributes():
    path = VALID / "branching_named.json"
    a = load_spec(path).graph.attrs
    assert a.model_name == "Branching" and a.time_steps == 10 and a.dt == 1.0
    assert (a.power_mode, a.device_type, a.timestep_scale) == ("low_energy", "edge_ai_processor", 0.25)
    assert (a.backend, a.step_mode) == ("torch", None)
    assert a.spec_hash == hashlib.sha256(path.read_bytes()).hexdigest()
    assert a.spec_file == "branching_named.json"
    b = load_text(text_of(), "dir/spec.json").graph.attrs
    assert (b.power_mode, b.device_type, b.timestep_scale, b.backend) == ("normal", None, None, None)
    assert b.spec_file == "spec.json"
    assert b.spec_hash == hashlib.sha256(text_of().encode()).hexdigest()


def test_hostile_strings_are_kept_as_data():
    result = load_spec(VALID / "hostile_strings.json")
    spec = json.loads((VALID / "hostile_strings.json").read_text("utf-8"))
    assert result.graph.attrs.model_name == spec["model_name"]
    assert result.graph.op("layer_1").note == spec["layers"][1]["note"]
    assert "\u2028" in result.graph.op("layer_1").note


def test_default_names_count_neuron_layers_and_explicit_names_are_used():
    layers = [{"type": "linear", "in_features": 3, "out_features": 2}, {"type": "IFNode", "name": "first"},
              {"type": "linear", "in_features": 2, "out_features": 2}, {"type": "IFNode"}]
    g = load_text(text_of(layers=layers), "spec.json").graph
    assert [p.name for p in g.populations()] == ["first", "layer_2"]


def test_ten_million_features_is_allowed_but_not_more():
    big = [{"type": "linear", "in_features": 10_000_000, "out_features": 1}, {"type": "IFNode"}]
    assert load_text(text_of(layers=big), "spec.json").graph.op("input").shape == (10_000_000,)
    big[0]["in_features"] += 1
    assert "must be at most 10000000" in errors_of(text_of(layers=big))[0].message


def test_too_many_layers_is_refused_quickly():
    layers = [{"type": "linear", "in_features": 1, "out_features": 1}, {"type": "IFNode"}] * 5001
    start = time.perf_counter()
    (error,) = errors_of(text_of(layers=layers))
    assert time.perf_counter() - start < 10
    assert error.headline() == "spec.json:5:13: error: layers: has 10002 items; at most 10000 are allowed"


def test_the_largest_network_allowed_builds():
    layers = [{"type": "linear", "in_features": 1, "out_features": 1}, {"type": "IFNode"}] * 5000
    assert len(load_text(text_of(layers=layers), "spec.json").graph.populations()) == 5000


# -- all problems at once -----------------------------------------------------------------
def test_every_schema_error_is_reported_at_once():
    text = text_of(time_steps=0, power_mode="low-energy", extra=1,
                   layers=[{"type": "linear", "in_features": 3}, {"type": "LIFNode", "bta": 1}])
    found = [(d.pointer, d.message) for d in errors_of(text)]
    assert found == [
        ("/time_steps", "must be at least 1, got 0"),
        ("/layers/0", "missing required key 'out_features'"),
        ("/layers/1", "unknown key 'bta' in a LIFNode layer; did you mean 'beta'?"),
        ("/power_mode", "'low-energy' is not one of 'normal', 'low_energy'; did you mean 'low_energy'?"),
        ("", "unknown key 'extra'"),
    ]


def test_every_semantic_error_is_reported_at_once():
    layers = [{"type": "linear", "in_features": 3, "out_features": 2}, {"type": "LIFNode", "name": "max"},
              {"type": "linear", "in_features": 3, "out_features": 2}, {"type": "LIFNode", "beta": 0.5, "tau": 3.0}]
    messages = [d.message for d in errors_of(text_of(layers=layers))]
    assert messages == [
        "snnTorch's Leaky needs beta: add \"beta\" (the membrane decay per step, e.g. 0.95)",
        "'max' is a Python builtin; choose another name",
        "beta=0.5 and tau=3.0 disagree (tau=3.0 means beta=0.666667)",
    ]


def test_size_errors_are_found_when_only_a_neuron_is_wrong():
    layers = [{"type": "linear", "in_features": 3, "out_features": 2}, {"type": "LIFNode"},
              {"type": "linear", "in_features": 5, "out_features": 2}, {"type": "LIFNode", "beta": 0.5}]
    pointers = [d.pointer for d in errors_of(text_of(layers=layers))]
    assert pointers == ["/layers/1", "/layers/2/in_features"]


# -- positions ----------------------------------------------------------------------------------
def test_required_points_at_the_object_and_unknown_keys_at_the_key():
    text = '{"model_name": "M", "target_simulator": "snnTorch",\n "time_steps": 1, "layers": [\n' \
           '  {"type": "linear", "in_features": 3},\n  {"type": "IFNode", "thershold": 1}]}'
    missing, unknown = errors_of(text)
    assert (missing.line, missing.col, missing.pointer) == (3, 3, "/layers/0")
    assert (unknown.line, unknown.col, unknown.pointer) == (4, 22, "/layers/1")
    assert unknown.message == "unknown key 'thershold' in an IFNode layer; did you mean 'threshold'?"
    assert missing.source_line == '  {"type": "linear", "in_features": 3},'


def test_a_utf8_bom_is_accepted_and_not_counted_as_a_column(tmp_path):
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + text_of(time_steps=0).encode())
    with pytest.raises(CompileError) as caught:
        load_spec(path)
    assert (caught.value.diagnostics[0].line, caught.value.diagnostics[0].col) == (4, 17)
    path.write_bytes(b"\xef\xbb\xbf" + text_of().encode())
    assert load_spec(path).graph.attrs.spec_hash == hashlib.sha256(path.read_bytes()).hexdigest()
    assert load_text("\ufeff" + text_of(), "spec.json").graph.attrs.model_name == "M"


def test_locate_and_diagnostic_helpers():
    result = load_spec(VALID / "branching_named.json")
    assert result.locate("/layers/1/beta") == (10, 51)
    assert result.locate("/layers/1/no_such_key") == (10, 5)  # nearest ancestor
    warning = result.diagnostic("/layers/1/beta", "beta dropped by neuron-substitution", "warning")
    line = '    {"type": "LIFNode", "name": "hidden", "beta": 0.5, "threshold": 0.75, "reset_mechanism": "zero"},'
    assert warning.source_line == line
    assert warning.render() == "\n".join([
        f"{VALID / 'branching_named.json'}:10:51: warning: layers/1/beta: beta dropped by neuron-substitution",
        "    " + line[:100] + "...",  # cut to 100 columns
        " " * 54 + "^"])
    op = result.graph.op("side")
    from_loc = result.diagnostic(op.loc, "here")
    assert (from_loc.line, from_loc.col, from_loc.pointer, from_loc.severity) == (14, 5, "/layers/5", "error")
    assert result.diagnostic(Loc("/layers/3"), "x").line == 12


# -- warnings -------------------------------------------------------------------------------------
def test_a_near_miss_device_type_warns_and_is_kept():
    result = load_text(text_of(hardware_constraints={"device_type": "edge_ai_procesor"}), "spec.json")
    (warning,) = result.warnings
    assert warning.severity == "warning" and warning.pointer == "/hardware_constraints/device_type"
    assert warning.message.startswith("unknown device_type 'edge_ai_procesor'; did you mean 'edge_ai_processor'?")
    assert result.graph.attrs.device_type == "edge_ai_procesor"
    assert load_text(text_of(hardware_constraints={"device_type": "tpu_v5"}), "spec.json").warnings == []


def test_timestep_scale_without_an_edge_device_warns():
    result = load_text(text_of(hardware_constraints={"device_type": "cpu", "timestep_scale": 0.5}), "spec.json")
    assert [w.pointer for w in result.warnings] == ["/hardware_constraints/timestep_scale"]
    assert result.graph.attrs.timestep_scale == 0.5


# -- files that are not specs ---------------------------------------------------------------------------
def test_missing_file_and_directory_are_one_line_errors(tmp_path):
    for path, reason in ((tmp_path / "nope.json", "No such file or directory"), (tmp_path, "Is a directory")):
        with pytest.raises(CompileError) as caught:
            load_spec(path)
        (d,) = caught.value.diagnostics
        assert d.render() == f"{path}: error: cannot read the spec: {reason}"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_unreadable_file(tmp_path):
    path = tmp_path / "secret.json"
    path.write_text(text_of())
    path.chmod(0)
    with pytest.raises(CompileError, match="Permission denied"):
        load_spec(path)


def test_oversized_file_is_refused_without_reading_it_all(tmp_path):
    path = tmp_path / "big.json"
    with open(path, "wb") as f:
        f.truncate(MAX_SPEC_BYTES + 10)
    with pytest.raises(CompileError) as caught:
        load_spec(path)
    assert caught.value.diagnostics[0].message == "the spec is larger than 16 MiB"


def test_invalid_utf8_points_at_the_byte(tmp_path):
    path = tmp_path / "bad.json"
    path.write_bytes(b'{\n  "model_name": "a\xff"}')
    with pytest.raises(CompileError) as caught:
        load_spec(path)
    (d,) = caught.value.diagnostics
    assert (d.line, d.col, d.message) == (2, 19, "the spec is not valid UTF-8 (byte 0xff)")


def test_the_frontend_never_imports_torch_or_numpy():
    code = ("import sys; from compiler.frontend import load_spec; "
            f"load_spec({str(VALID / 'snntorch_beta_only.json')!r}); "
            "print(sorted(m for m in ('torch', 'numpy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).parent.parent)
    assert out.stdout.strip() == "[]"


def test_importing_compiler_loads_nothing_else():
    code = "import sys, compiler; print(sorted(m for m in sys.modules if m.startswith(('compiler.', 'ir', 'jsonschema'))))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).parent.parent)
    assert out.stdout.strip() == "[]"


# -- the schema ----------------------------------------------------------------------------------------
# Keywords that only apply or group subschemas, and never fail by themselves.
_STRUCTURAL = {"$schema", "$defs", "$ref", "title", "description", "properties", "items", "allOf",
               "if", "then", "const", "dependentSchemas"}


def _keywords(schema, found: set[str]) -> set[str]:
    if isinstance(schema, dict):
        for key, sub in schema.items():
            found.add(key)
            if key in ("properties", "$defs", "dependentSchemas"):
                for value in sub.values():
                    _keywords(value, found)
            elif key not in ("enum", "const", "required"):
                _keywords(sub, found)
    elif isinstance(schema, list):
        for sub in schema:
            _keywords(sub, found)
    return found


def test_schema_is_draft_2020_12_and_every_failing_keyword_has_a_message():
    from jsonschema import Draft202012Validator

    from compiler.frontend.validate import MESSAGES_FOR, schema

    Draft202012Validator.check_schema(schema())
    assert schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    used = _keywords(schema(), set())
    assert "oneOf" not in _keywords(schema()["$defs"]["layerOfAnyType"], set())  # kinds dispatch with if/then
    assert used - _STRUCTURAL == set(MESSAGES_FOR)


def test_did_you_mean_for_unknown_populations_is_bounded():
    layers = [{"type": "linear", "in_features": 1, "out_features": 1}, {"type": "IFNode"}] * 100
    connections = [{"source": "input", "target": f"layer_{k}x"} for k in range(1, 51)]
    found = errors_of(text_of(layers=layers, connections=connections))
    assert len(found) == 50
    assert sum("did you mean" in d.message for d in found) == 20
    assert found[0].message == "unknown layer 'layer_1x'; did you mean 'layer_1'?"
