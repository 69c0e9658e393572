"""The SpikingJelly emitter, executed in real SpikingJelly 2.0.0 (no mocks).

Every generated module is held bit for bit (spikes and membranes, torch.equal) to
the pure-torch reference of the canonical network (tests/support/reference.py),
for native classes (LIFNode tau_input / tau, IFNode; hard and soft reset) and for
the generated CanonicalNode (snnTorch's delayed subtract, beta leak, BindsNET's
tc leak with refractory period), with and without bias, with continuous and
tie-prone quantized weights, as a chain and as a DAG.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch

from emitters import emit_python
from emitters.toolkit import format_source
from ir.examples import dag, mlp, snntorch_lif
from ir.floats import f32
from ir.graph import Graph
from ir.neuron import Neuron, Surrogate
from support import reference
from support.generated import emit_and_import, import_source, lower_for

T, B = 20, 16
SIZES = (40, 30, 10)
SIG = Surrogate("sigmoid", 4.0)

# (id, neuron, impl that select-neuron-class must choose)
NEURONS = [
    ("lif-tau_input-hard", Neuron(kind="lif", leak="tau_input", tau=2.0, v_rest=0.0, v_threshold=1.0,
                                  reset="zero", v_reset=0.0, surrogate=Surrogate("atan", 2.0)), "neuron.LIFNode"),
    ("lif-tau-hard", Neuron(kind="lif", leak="tau", tau=5.0, v_rest=0.0, v_threshold=1.0,
                            reset="zero", v_reset=0.0, surrogate=SIG), "neuron.LIFNode"),
    ("lif-tau_input-hard-offset", Neuron(kind="lif", leak="tau_input", tau=3.0, v_rest=-0.5, v_init=-0.5,
                                         v_threshold=0.5, reset="zero", v_reset=-0.5, surrogate=SIG), "neuron.LIFNode"),
    ("lif-tau_input-soft", Neuron(kind="lif", leak="tau_input", tau=2.0, v_rest=0.0, v_threshold=1.0,
                                  reset="subtract", reset_by=1.0, surrogate=SIG), "neuron.LIFNode"),
    ("lif-tau-soft", Neuron(kind="lif", leak="tau", tau=1.5, v_rest=0.0, v_threshold=0.75,
                            reset="subtract", reset_by=0.75, surrogate=Surrogate("softsign", 2.0)), "neuron.LIFNode"),
    ("if-hard", Neuron(kind="if", leak="none", v_threshold=1.0, reset="zero", v_reset=0.0, surrogate=SIG), "neuron.IFNode"),
    ("if-soft", Neuron(kind="if", leak="none", v_threshold=1.0, reset="subtract", reset_by=1.0, surrogate=None),
     "neuron.IFNode"),
    ("canonical-snntorch-delayed-subtract", snntorch_lif(0.9), "canonical"),
    ("canonical-beta-zero", Neuron(kind="lif", leak="beta", decay=f32(0.8), v_threshold=1.0, reset="zero",
                                   surrogate=Surrogate("fast_sigmoid", 25.0)), "canonical"),
    ("canonical-bindsnet-tc-refractory", Neuron(kind="lif", leak="tc", tc_decay=100.0, v_rest=-65.0, v_init=-65.0,
                                                v_threshold=-52.0, reset="zero", v_reset=-65.0, refractory=5),
     "canonical"),
    ("canonical-if-no-reset", Neuron(kind="if", leak="none", v_threshold=1.0, reset="none"), "canonical"),
]

CASES = [
    pytest.param(neuron, impl, bias, quantized, id=f"{nid}-{'bias' if bias else 'nobias'}-{'quant' if quantized else 'cont'}")
    for nid, neuron, impl in NEURONS
    for bias in (False, True)
    for quantized in (False, True)
]


def assert_same(out: dict, ref: dict, graph: Graph) -> None:
    for pop in graph.populations():
        for key in (pop.name, pop.name + ".v"):
            got, want = out[key], ref[key]
            assert got.dtype == torch.float32 and got.shape == want.shape, key
            diff = (got != want).sum().item()
            assert torch.equal(got, want), f"{key}: {diff} of {want.numel()} values differ"


@pytest.mark.parametrize("neuron, impl, bias, quantized", CASES)
def test_bit_exact_against_reference(neuron, impl, bias, quantized, tmp_path):
    graph = mlp(SIZES, neuron, bias=bias, time_steps=T, target="spikingjelly", source="spikingjelly", name="Sj")
    lowered, _ = lower_for(graph, "spikingjelly")
    assert {p.impl for p in lowered.populations()} == {impl}
    weights = reference.random_weights(graph, seed=5, quantized=quantized)
    # decay_input scales the input by 1/tau: scale the drive back up so every layer fires
    gain = neuron.tau if neuron.leak == "tau_input" else 1.0
    weights = {k: v * gain for k, v in weights.items()}
    inputs = reference.random_spikes(T, B, SIZES[0], seed=7, p=0.3)
    mod = emit_and_import(graph, "spikingjelly", tmp_path)
    model = mod.load_weights(mod.build_model(), weights)
    out = mod.run(model, inputs, membrane=True)
    ref = reference.run(graph, weights, inputs)
    assert_same(out, ref, graph)
    rates = [out[p.name].mean().item() for p in graph.populations()]
    assert all(r > 0 for r in rates), f"a population never fires, the test is vacuous: {rates}"
    # run() resets the state: a second run gives the same result
    again = mod.run(model, inputs, membrane=True)
    assert_same(again, ref, graph)


def dag_graph() -> Graph:
    """input -> a; a -> b; a -> c (fan-out); input -> d (skip past a)."""
    lif = NEURONS[0][1]
    layout = [("a", "input", 24, lif, True), ("b", "a", 12, snntorch_lif(0.9), False),
              ("c", "a", 10, NEURONS[3][1], True), ("d", "input", 8, NEURONS[5][1], False)]
    return dag(40, layout, time_steps=T, target="spikingjelly", source="spikingjelly")


@pytest.mark.parametrize("quantized", [False, True])
def test_dag_bit_exact(quantized, tmp_path):
    graph = dag_graph()
    weights = reference.random_weights(graph, seed=11, quantized=quantized)
    inputs = reference.random_spikes(T, B, 40, seed=12, p=0.3)
    mod = emit_and_import(graph, "spikingjelly", tmp_path)
    model = mod.build_model()
    assert isinstance(model, mod.Network)
    mod.load_weights(model, weights)
    out = mod.run(model, inputs, membrane=True)
    assert list(out)[:4] == ["a", "b", "c", "d"]
    assert_same(out, reference.run(graph, weights, inputs), graph)


# -- contract ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    graph = mlp(SIZES, snntorch_lif(0.9), bias=True, time_steps=T, target="spikingjelly", name="Contract")
    lowered, pipeline = lower_for(graph, "spikingjelly")
    src = emit_python(lowered, pipeline=pipeline)
    path = tmp_path_factory.mktemp("sj")
    return graph, src, import_source(src, path, "contract"), path


def test_source_is_black_stable_and_compiles(compiled):
    _, src, _, _ = compiled
    assert format_source(src) == src
    compile(src, "generated.py", "exec")
    assert "backend" not in src


def test_contract_constants(compiled):
    _, _, mod, _ = compiled
    assert (mod.MODEL_NAME, mod.TARGET, mod.TIME_STEPS, mod.INPUT_SIZE, mod.PRECISION) == (
        "Contract", "spikingjelly", T, 40, "fp32")
    assert mod.POPULATIONS == {"layer_1": 30, "layer_2": 10}


def test_shapes_and_binary_spikes_any_T(compiled):
    _, _, mod, _ = compiled
    model = mod.build_model()
    for steps in (T, 7):
        out = mod.run(model, reference.random_spikes(steps, 3, 40, seed=2, p=0.5))
        assert list(out) == ["layer_1", "layer_2"]
        for pop, n in mod.POPULATIONS.items():
            s = out[pop]
            assert s.shape == (steps, 3, n) and s.dtype == torch.float32
            assert set(s.unique().tolist()) <= {0.0, 1.0}


def test_weights_round_trip_exactly(compiled):
    graph, _, mod, _ = compiled
    weights = reference.random_weights(graph, seed=1)
    model = mod.build_model()
    for form in (weights, {k: v.numpy() for k, v in weights.items()}, {k: v.tolist() for k, v in weights.items()}):
        exported = mod.export_weights(mod.load_weights(model, form))
        assert set(exported) == set(weights)
        for key, value in weights.items():
            e = exported[key]
            assert e.dtype == torch.float32 and e.device.type == "cpu" and e.is_contiguous()
            assert torch.equal(e, value), key
    # float64 input is converted to float32
    w64 = {k: v.double().numpy() for k, v in weights.items()}
    assert all(torch.equal(mod.export_weights(mod.load_weights(model, w64))[k], weights[k]) for k in weights)


@pytest.mark.parametrize("change, key", [
    (lambda w: w.pop("layer_2.bias"), "layer_2.bias"),
    (lambda w: w.__setitem__("layer_3.weight", torch.zeros(1)), "layer_3.weight"),
    (lambda w: w.__setitem__("layer_1.weight", torch.zeros(30, 41)), "layer_1.weight"),
    (lambda w: w.__setitem__("layer_1.bias", np.zeros((29,))), "layer_1.bias"),
])
def test_load_weights_rejects_bad_keys_and_shapes(compiled, change, key):
    graph, _, mod, _ = compiled
    weights = reference.random_weights(graph, seed=1)
    change(weights)
    with pytest.raises(ValueError, match=key.replace(".", r"\.")):
        mod.load_weights(mod.build_model(), weights)


def test_main_smoke_run(compiled):
    _, src, _, path = compiled
    script = path / "generated.py"
    script.write_text(src, encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "layer_1 firing rate" in done.stdout and "layer_2 firing rate" in done.stdout


def test_fast_sigmoid_rendered_as_softsign_with_comment(tmp_path):
    n = Neuron(kind="if", leak="none", v_threshold=1.0, reset="zero", surrogate=Surrogate("fast_sigmoid", 25.0))
    graph, pipeline = lower_for(mlp(SIZES, n, target="spikingjelly"), "spikingjelly")
    src = emit_python(graph, pipeline=pipeline)
    assert "surrogate.SoftSign(alpha=25.0)" in src
    assert "# surrogate: SpikingJelly has no exact fast-sigmoid" in src
    mod = import_source(src, tmp_path)
    assert type(mod.build_model()[1].surrogate_function).__name__ == "SoftSign"


def test_note_is_a_comment_and_names_are_safe(tmp_path):
    n = NEURONS[0][1]
    graph = mlp(SIZES, n, target="spikingjelly")
    pop = graph.populations()[0]
    graph.replace_op(pop.replace(note='evil"""\nimport os  # fmt: off'), "test")
    lowered, pipeline = lower_for(graph, "spikingjelly")
    src = emit_python(lowered, pipeline=pipeline)
    assert "\nimport os" not in src
    assert "# note: evil" in src
    import_source(src, tmp_path)


def test_unknown_impl_raises():
    from emitters.spikingjelly import emit_module

    graph, _ = lower_for(mlp(SIZES, NEURONS[0][1], target="spikingjelly"), "spikingjelly")
    pop = graph.populations()[0]
    graph.replace_op(pop.replace(impl="neuron.PLIFNode"), "test")
    with pytest.raises(ValueError, match="PLIFNode"):
        emit_module(graph, [])


# -- the idiomatic hand-written SpikingJelly network ------------------------------------


def test_matches_handwritten_idiomatic_spikingjelly(tmp_path):
    import torch.nn as nn
    from spikingjelly.activation_based import functional, layer, neuron, surrogate

    sizes = (784, 256, 10)
    net = nn.Sequential(
        layer.Linear(784, 256, bias=False),
        neuron.LIFNode(tau=2.0, surrogate_function=surrogate.ATan()),
        layer.Linear(256, 10, bias=False),
        neuron.LIFNode(tau=2.0, surrogate_function=surrogate.ATan()),
    )
    functional.set_step_mode(net, "m")
    n = Neuron(kind="lif", leak="tau_input", tau=2.0, v_rest=0.0, v_init=0.0, v_threshold=1.0,
               reset="zero", v_reset=0.0, surrogate=Surrogate("atan", 2.0))
    graph = mlp(sizes, n, bias=False, time_steps=T, target="spikingjelly", name="Hand")
    weights = reference.random_weights(graph, seed=21, scale=2.0)
    with torch.no_grad():
        net[0].weight.copy_(weights["layer_1.weight"])
        net[2].weight.copy_(weights["layer_2.weight"])
    inputs = reference.random_spikes(T, B, 784, seed=22, p=0.2)
    functional.reset_net(net)
    with torch.no_grad():
        hidden = net[1](net[0](inputs))
        output = net[3](net[2](hidden))
    mod = emit_and_import(graph, "spikingjelly", tmp_path)
    out = mod.run(mod.load_weights(mod.build_model(), weights), inputs)
    assert hidden.sum() > 0 and output.sum() > 0
    assert torch.equal(out["layer_1"], hidden)
    assert torch.equal(out["layer_2"], output)


@pytest.mark.parametrize("nid", ["lif-tau_input-hard", "lif-tau-soft", "if-hard", "if-soft", "lif-tau_input-hard-offset"])
def test_native_fire_at_exact_threshold_ties(nid, tmp_path):
    """SpikingJelly 2.0.0 fires on `(h - v_threshold) >= 0` (_ops/surrogate.py), the canonical
    form on `h >= v_threshold`: equal in IEEE float32 with subnormals. Currents on and one
    ulp around the threshold hit exact ties at every step."""
    neuron = dict((i, n) for i, n, _ in NEURONS)[nid]
    graph = mlp((8, 8), neuron, bias=True, time_steps=T, target="spikingjelly", name="Ties")
    th = torch.tensor(neuron.v_threshold)
    rest = neuron.v_rest if neuron.v_rest is not None else neuron.v_init
    gap = th - rest
    choices = torch.stack([gap, torch.nextafter(gap, gap + 1), torch.nextafter(gap, gap - 1), gap / 2,
                           gap / 4, torch.tensor(0.0)])
    if neuron.leak == "tau_input":
        choices = choices * neuron.tau  # exact for tau in {2, 3}: ties stay ties after the division
    g = torch.Generator().manual_seed(4)
    current = choices[torch.randint(0, len(choices), (T, B, 8), generator=g)]
    # identity weights, the current enters through the bias-free path: x @ I
    weights = {"layer_1.weight": torch.eye(8), "layer_1.bias": torch.zeros(8)}
    mod = emit_and_import(graph, "spikingjelly", tmp_path)
    out = mod.run(mod.load_weights(mod.build_model(), weights), current, membrane=True)
    ref = reference.run(graph, weights, current)
    assert_same(out, ref, graph)
    assert out["layer_1"].sum() > 0
