"""The BindsNET emitter, executed in real BindsNET 0.3.4 (no mocks).

Every generated module is held bit for bit (spikes and membranes, torch.equal) to the
pure-torch reference of the canonical network (tests/support/reference.py): native
LIFNodes (leak 'tc', and leak 'beta' through the decay override), IFNodes, and the
generated CanonicalNodes (snnTorch's delayed subtract, SpikingJelly's tau_input,
immediate subtract, tc leak off rest, refractory), with and without bias, with
continuous and tie-prone quantized weights, as a chain and as a DAG. A hand-written,
idiomatic BindsNET network run in its default (delayed) mode gives the same spikes
once the one-step delay per connection is accounted for.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from emitters import emit_python
from emitters.toolkit import format_source
from ir.examples import mlp, snntorch_lif
from ir.floats import f32, next_up
from ir.graph import Graph, ModelAttrs, projection_name
from ir.neuron import Neuron, Surrogate
from ir.ops import DenseOp, InputOp, Loc, PopulationOp
from support import reference
from support.generated import import_source, lower_for

T, B = 20, 16
SIZES = (40, 30, 10)

# name -> (neuron, impl the select-neuron-class pass must choose for bindsnet)
NEURONS = {
    # BindsNET's LIFNodes() defaults: tc_decay 100, rest -65, thresh -52, reset -65, refrac 5
    "bindsnet-lif-defaults": (Neuron(kind="lif", leak="tc", tc_decay=100.0, v_rest=-65.0, v_threshold=-52.0,
                                     reset="zero", v_reset=-65.0, refractory=5, v_init=-65.0), "nodes.LIFNodes"),
    "bindsnet-lif-refrac0": (Neuron(kind="lif", leak="tc", tc_decay=20.0, v_rest=-65.0, v_threshold=-52.0,
                                    reset="zero", v_reset=-70.0, refractory=0, v_init=-65.0), "nodes.LIFNodes"),
    "bindsnet-if-refrac2": (Neuron(kind="if", leak="none", v_threshold=-52.0, reset="zero", v_reset=-65.0,
                                   refractory=2, v_init=-65.0), "nodes.IFNodes"),
    "if-refrac0": (Neuron(kind="if", leak="none", v_threshold=1.0, reset="zero", v_reset=0.0), "nodes.IFNodes"),
    # snn.Leaky(beta=0.9, reset_mechanism="zero"): LIFNodes(rest=0) + decay buffer = beta
    "snntorch-beta-zero": (Neuron(kind="lif", leak="beta", decay=f32(0.9), v_threshold=next_up(1.0), reset="zero",
                                  surrogate=Surrogate("atan", 2.0)), "nodes.LIFNodes"),
    # snn.Leaky(beta=0.95): delayed subtract reset -> canonical
    "snntorch-subtract-delayed": (snntorch_lif(), "canonical"),
    # SpikingJelly LIFNode(tau=2.0) hard reset -> canonical
    "spikingjelly-tau_input": (Neuron(kind="lif", leak="tau_input", tau=2.0, v_rest=0.0, v_threshold=1.0,
                                      reset="zero", surrogate=Surrogate("sigmoid", 4.0)), "canonical"),
    # immediate subtract with a refractory period -> canonical
    "subtract-immediate-refrac": (Neuron(kind="lif", leak="beta", decay=f32(0.8), v_threshold=1.0,
                                         reset="subtract", reset_by=1.0, refractory=2), "canonical"),
    # leak 'tc' starting off rest -> canonical (uses BindsNET's own decay computation)
    "tc-off-rest": (Neuron(kind="lif", leak="tc", tc_decay=50.0, v_rest=-65.0, v_threshold=-52.0, reset="zero",
                           v_reset=-60.0, refractory=3, v_init=-60.0), "canonical"),
}

_modules: dict = {}


def compiled(key, graph: Graph, tmp_path_factory):
    """Emit, format and import once per (key) for the session; returns (lowered graph, source, module)."""
    if key not in _modules:
        lowered, pipeline = lower_for(graph, "bindsnet")
        source = emit_python(lowered, pipeline=pipeline)
        module = import_source(source, tmp_path_factory.mktemp("bindsnet"), f"{graph.attrs.model_name}_bindsnet")
        _modules[key] = (lowered, source, module)
    return _modules[key]


def assert_exact(module, graph: Graph, weights, inputs, membrane=True):
    model = module.load_weights(module.build_model(), weights)
    got = module.run(model, inputs, membrane=membrane)
    want = reference.run(graph, weights, inputs)
    for pop in graph.populations():
        keys = [pop.name, pop.name + ".v"] if membrane else [pop.name]
        for key in keys:
            assert got[key].dtype == torch.float32, key
            assert got[key].shape == want[key].shape, key
            if not torch.equal(got[key], want[key]):
                diff = (got[key] != want[key]).sum().item()
                pytest.fail(f"{key}: {diff} of {want[key].numel()} values differ")
    return got


@pytest.mark.parametrize("quantized", [False, True], ids=["cont", "quant"])
@pytest.mark.parametrize("bias", [False, True], ids=["nobias", "bias"])
@pytest.mark.parametrize("neuron_id", list(NEURONS))
def test_bit_exact_against_reference(neuron_id, bias, quantized, tmp_path_factory, bindsnet):
    neuron, impl = NEURONS[neuron_id]
    graph = mlp(SIZES, neuron, bias=bias, time_steps=T, target="bindsnet", name="Bn")
    lowered, _, module = compiled((neuron_id, bias), graph, tmp_path_factory)
    assert {p.impl for p in lowered.populations()} == {impl}
    weights = reference.random_weights(graph, seed=3, quantized=quantized)
    inputs = reference.random_spikes(T, B, SIZES[0], seed=4)
    got = assert_exact(module, graph, weights, inputs)
    total = sum(got[p.name].sum().item() for p in graph.populations())
    assert total > 0, "no spikes at all: the comparison would be vacuous"


def test_real_valued_inputs_pass_through_exactly(tmp_path_factory, bindsnet):
    """Inputs are currents, not only spikes: BindsNET's Input sets s = x unchanged."""
    neuron, _ = NEURONS["snntorch-beta-zero"]
    graph = mlp(SIZES, neuron, bias=True, time_steps=T, target="bindsnet", name="Bn")
    _, _, module = compiled(("snntorch-beta-zero", True), graph, tmp_path_factory)
    weights = reference.random_weights(graph, seed=5)
    inputs = torch.randn(T, B, SIZES[0], generator=torch.Generator().manual_seed(6))
    assert_exact(module, graph, weights, inputs)


def dag_graph(neuron: Neuron) -> Graph:
    """input -> a -> b; a -> c (fan-out); input -> d (skip from the input); mixed bias."""
    g = Graph(ModelAttrs(model_name="Dag", source_simulator="bindsnet", target="bindsnet", time_steps=T))
    g.add_op(InputOp("input", 24, Loc("/input")))
    spec = [("a", "input", 24, 20, True), ("b", "a", 20, 12, False), ("c", "a", 20, 8, True), ("d", "input", 24, 6, False)]
    for k, (pop, src, n_in, n_out, bias) in enumerate(spec):
        fc = projection_name(pop)
        g.add_op(DenseOp(fc, n_in, n_out, bias, Loc(f"/layers/{2 * k}")))
        g.add_op(PopulationOp(pop, n_out, neuron, Loc(f"/layers/{2 * k + 1}")))
        g.add_edge(src, fc)
        g.add_edge(fc, pop)
    return g


@pytest.mark.parametrize("neuron_id", ["bindsnet-lif-defaults", "snntorch-beta-zero", "snntorch-subtract-delayed"])
def test_dag_fan_out_and_skip(neuron_id, tmp_path_factory, bindsnet):
    graph = dag_graph(NEURONS[neuron_id][0])
    _, _, module = compiled(("dag", neuron_id), graph, tmp_path_factory)
    for quantized in (False, True):
        weights = reference.random_weights(graph, seed=7, quantized=quantized)
        assert_exact(module, graph, weights, reference.random_spikes(T, B, 24, seed=8))


# -- contract ------------------------------------------------------------------


@pytest.fixture(scope="module")
def mixed(tmp_path_factory, bindsnet):
    """A chain mixing LIFNodes (tc), LIFNodes (beta), IFNodes and CanonicalNodes."""
    g = Graph(ModelAttrs(model_name="Mixed", source_simulator="bindsnet", target="bindsnet", time_steps=T))
    g.add_op(InputOp("input", 40, Loc("/input")))
    chain = [("hidden", 30, NEURONS["bindsnet-lif-defaults"][0], True), ("beta", 20, NEURONS["snntorch-beta-zero"][0], False),
             ("integ", 16, NEURONS["if-refrac0"][0], True), ("out", 10, snntorch_lif(), False)]
    prev, n_prev = "input", 40
    for k, (pop, n, neuron, bias) in enumerate(chain):
        fc = projection_name(pop)
        g.add_op(DenseOp(fc, n_prev, n, bias, Loc(f"/layers/{2 * k}")))
        g.add_op(PopulationOp(pop, n, neuron, Loc(f"/layers/{2 * k + 1}"), note="a note\nwith # two lines"))
        g.add_edge(prev, fc)
        g.add_edge(fc, pop)
        prev, n_prev = pop, n
    return g, compiled(("mixed",), g, tmp_path_factory)


def test_mixed_chain_exact_and_shapes(mixed):
    graph, (lowered, source, module) = mixed
    assert [p.impl for p in lowered.populations()] == ["nodes.LIFNodes", "nodes.LIFNodes", "nodes.IFNodes", "canonical"]
    weights = reference.random_weights(graph, seed=9)
    got = assert_exact(module, graph, weights, reference.random_spikes(T, B, 40, seed=10))
    assert set(got) == {k for p in graph.populations() for k in (p.name, p.name + ".v")}
    for pop in graph.populations():
        assert got[pop.name].shape == (T, B, pop.size)
        assert set(got[pop.name].unique().tolist()) <= {0.0, 1.0}
    model = module.load_weights(module.build_model(), weights)
    assert set(module.run(model, reference.random_spikes(T, B, 40))) == {p.name for p in graph.populations()}


def test_contract_constants(mixed):
    graph, (_, _, module) = mixed
    assert module.MODEL_NAME == "Mixed" and module.TARGET == "bindsnet"
    assert module.TIME_STEPS == T and module.INPUT_SIZE == 40 and module.PRECISION == "fp32"
    assert module.POPULATIONS == {"hidden": 30, "beta": 20, "integ": 16, "out": 10}


def test_state_reset_and_batch_size_changes(mixed):
    """Repeated runs give the same result; a batch-size change and back re-initialises cleanly."""
    graph, (_, _, module) = mixed
    weights = reference.random_weights(graph, seed=11)
    model = module.load_weights(module.build_model(), weights)
    for batch in (16, 20, 16, 16):
        inputs = reference.random_spikes(T, batch, 40, seed=batch)
        got = module.run(model, inputs, membrane=True)
        want = reference.run(graph, weights, inputs)
        for key in want:
            assert torch.equal(got[key], want[key]), (batch, key)
        assert got["out"].shape[1] == batch


def test_weights_round_trip_bit_exact(mixed):
    graph, (_, _, module) = mixed
    weights = reference.random_weights(graph, seed=12)
    model = module.load_weights(module.build_model(), weights)
    exported = module.export_weights(model)
    assert set(exported) == set(weights)
    for key, value in weights.items():
        assert exported[key].dtype == torch.float32 and exported[key].device.type == "cpu"
        assert exported[key].is_contiguous()
        assert torch.equal(exported[key], value), key
    # exported tensors are copies, not views of the model
    exported["hidden.weight"].zero_()
    assert torch.equal(module.export_weights(model)["hidden.weight"], weights["hidden.weight"])
    # BindsNET layout: w is [in, out], the transposed view of the [out, in] weight
    connection = model.connections[("input", "hidden")]
    assert connection.w.shape == (40, 30) and not connection.w.is_contiguous()
    assert torch.equal(connection.b, weights["hidden.bias"])


def test_load_weights_accepts_arrays_and_lists(mixed):
    graph, (_, _, module) = mixed
    weights = reference.random_weights(graph, seed=13)
    as_numpy = {k: v.numpy() for k, v in weights.items()}
    as_numpy["hidden.weight"] = weights["hidden.weight"].tolist()
    as_numpy["beta.weight"] = weights["beta.weight"].double().numpy()  # float64 values that are float32
    model = module.load_weights(module.build_model(), as_numpy)
    for key, value in module.export_weights(model).items():
        assert torch.equal(value, weights[key]), key


@pytest.mark.parametrize("change, key", [
    (lambda w: w.pop("beta.weight"), "beta.weight"),
    (lambda w: w.pop("hidden.bias"), "hidden.bias"),
    (lambda w: w.__setitem__("beta.bias", torch.zeros(20)), "beta.bias"),
    (lambda w: w.__setitem__("nope.weight", torch.zeros(1)), "nope.weight"),
    (lambda w: w.__setitem__("integ.weight", torch.zeros(20, 16)), "integ.weight"),
    (lambda w: w.__setitem__("hidden.bias", torch.zeros(1, 30)), "hidden.bias"),
])
def test_load_weights_rejects_bad_keys(mixed, change, key):
    graph, (_, _, module) = mixed
    weights = reference.random_weights(graph, seed=14)
    model = module.build_model()
    before = module.export_weights(model)
    change(weights)
    with pytest.raises(ValueError, match=key.replace(".", r"\.")):
        module.load_weights(model, weights)
    after = module.export_weights(model)
    assert all(torch.equal(before[k], after[k]) for k in before), "a failed load must change nothing"


def test_source_is_black_stable_and_compiles(mixed):
    _, (_, source, _) = mixed
    assert format_source(source) == source
    compile(source, "generated.py", "exec")
    assert "# note: a note" in source and "with ♯ two lines" in source
    assert "surrogate gradients" in source  # BindsNET has none: said in the output


def test_unknown_impl_is_refused(mixed):
    graph, (lowered, _, _) = mixed
    g = lowered.copy()
    pop = g.op("beta")
    g.replace_op(pop.replace(impl="snn.Leaky"), "test")
    with pytest.raises(ValueError, match="impl"):
        emit_python(g, pipeline=[])


def test_main_smoke_run(mixed, tmp_path):
    _, (_, source, _) = mixed
    path = tmp_path / "generated.py"
    path.write_text(source, encoding="utf-8")
    proc = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=300,
                          env={"OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, proc.stderr
    for pop in ("hidden", "beta", "integ", "out"):
        assert f"{pop} firing rate" in proc.stdout


# -- hand-written, idiomatic BindsNET --------------------------------------------


def test_matches_handwritten_default_mode_with_delay(tmp_path_factory, bindsnet):
    """The idiomatic script (all defaults, default run mode) delays each connection by one
    step: input at t reaches the hidden layer at t+1 and the output at t+2. Padded with
    two zero steps, it gives exactly the generated module's spikes shifted by 1 and 2."""
    from bindsnet.network import Network
    from bindsnet.network.monitors import Monitor
    from bindsnet.network.nodes import Input, LIFNodes
    from bindsnet.network.topology import Connection

    neuron, _ = NEURONS["bindsnet-lif-defaults"]
    graph = mlp(SIZES, neuron, bias=False, time_steps=T, target="bindsnet", source="bindsnet", name="Bn")
    _, _, module = compiled(("bindsnet-lif-defaults", False), graph, tmp_path_factory)
    weights = reference.random_weights(graph, seed=15)
    inputs = reference.random_spikes(T, B, SIZES[0], seed=16, p=0.3)
    W1, W2 = weights["layer_1.weight"], weights["layer_2.weight"]

    net = Network(dt=1.0)
    X, H, O = Input(n=SIZES[0]), LIFNodes(n=SIZES[1]), LIFNodes(n=SIZES[2])
    net.add_layer(X, name="X")
    net.add_layer(H, name="H")
    net.add_layer(O, name="O")
    net.add_connection(Connection(source=X, target=H, w=W1.t()), source="X", target="H")
    net.add_connection(Connection(source=H, target=O, w=W2.t()), source="H", target="O")
    net.add_monitor(Monitor(H, ["s"], time=T + 2), name="H")
    net.add_monitor(Monitor(O, ["s"], time=T + 2), name="O")
    padded = torch.cat([inputs, torch.zeros(2, B, SIZES[0])])
    net.run(inputs={"X": padded}, time=T + 2)
    hidden, output = net.monitors["H"].get("s").float(), net.monitors["O"].get("s").float()

    got = module.run(module.load_weights(module.build_model(), weights), inputs)
    assert got["layer_1"].sum() > 0 and got["layer_2"].sum() > 0
    assert not hidden[0].any() and not output[:2].any()
    assert torch.equal(hidden[1:T + 1], got["layer_1"])
    assert torch.equal(output[2:T + 2], got["layer_2"])
    # unshifted, they differ: the delay is real
    assert not torch.equal(hidden[:T], got["layer_1"])
