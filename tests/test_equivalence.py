"""One model, three simulators, identical spikes and membranes, in any condition.

The matrix: neurons written in each simulator's vocabulary x {LIF, IF} x each reset
that vocabulary has x {bias, no bias}, compiled for every target, run with
Gaussian, tie-prone dyadic and decimal (multiples of 0.01) weights, at 1 and 2
torch threads and batch 1, 4 and 32. Every target must equal the independent
reference (tests/support/reference.py) bit for bit in spikes and membranes, so
every pair of targets agrees on 100.000 % of spikes.
"""

from __future__ import annotations

import itertools

import pytest
import torch

from compiler.frontend.vocabulary import neuron_from_layer
from ir.examples import mlp
from support import reference
from support.generated import emit_and_import
from ir.targets import names as target_names

TARGETS = target_names()
T = 20
SIZES = (48, 32, 10)

LAYERS = {  # (vocabulary, case) -> a neuron layer as that simulator's users write it
    ("snntorch", "lif-subtract"): {"type": "LIFNode", "beta": 0.8},
    ("snntorch", "lif-zero"): {"type": "LIFNode", "beta": 0.8, "reset_mechanism": "zero"},
    ("snntorch", "if-subtract"): {"type": "IFNode"},
    ("snntorch", "if-zero"): {"type": "IFNode", "reset_mechanism": "zero"},
    ("snntorch", "lif-subtract-immediate"): {"type": "LIFNode", "beta": 0.7, "reset_delay": False},
    ("snntorch", "if-zero-negative-threshold"): {"type": "IFNode", "reset_mechanism": "zero", "threshold": -0.5,
                                                 "reset_delay": False},
    ("snntorch", "lif-subtract-negative-threshold"): {"type": "LIFNode", "beta": 0.9, "threshold": -0.25},
    ("spikingjelly", "lif-hard"): {"type": "LIFNode", "tau": 2.0},
    ("spikingjelly", "lif-soft"): {"type": "LIFNode", "tau": 3.0, "v_reset": None},
    ("spikingjelly", "lif-hard-no-decay-input"): {"type": "LIFNode", "tau": 4.0, "decay_input": False},
    ("spikingjelly", "if-hard"): {"type": "IFNode"},
    ("spikingjelly", "if-soft"): {"type": "IFNode", "v_reset": None},
    ("bindsnet", "lif"): {"type": "LIFNode"},
    ("bindsnet", "if"): {"type": "IFNode"},
    ("bindsnet", "lif-unit-refrac-2"): {"type": "LIFNode", "thresh": 1.0, "rest": 0.0, "reset": 0.0, "refrac": 2,
                                        "tc_decay": 5.0},
}
WEIGHTS = ("gaussian", "dyadic", "decimal")
CONDITIONS = [(threads, batch) for threads in (1, 2) for batch in (1, 4, 32)]


@pytest.fixture(scope="module")
def modules(tmp_path_factory, bindsnet):
    cache = {}

    def get(vocab: str, case: str, bias: bool):
        key = (vocab, case, bias)
        if key not in cache:
            neuron = neuron_from_layer(LAYERS[vocab, case], vocab)
            graph = mlp(SIZES, neuron, bias=bias, time_steps=T, source=vocab, name="Eq",
                        layout="in_out" if vocab == "bindsnet" else "out_in")
            tmp = tmp_path_factory.mktemp("eq")
            cache[key] = graph, {t: emit_and_import(graph, t, tmp) for t in TARGETS}
        return cache[key]
    return get


def weights_of(graph, kind: str):
    if kind == "decimal":
        return reference.decimal_weights(graph, seed=3, step=0.01 * _gap(graph), span=12)
    return reference.random_weights(graph, seed=3, quantized=kind == "dyadic")


def _gap(graph) -> float:
    from compiler.tools.runs import drive_of

    drive, gain = drive_of(graph.populations()[0].neuron)
    return float(2.0 ** round(torch.log2(torch.tensor(drive / gain)).item()))


@pytest.mark.parametrize("weights", WEIGHTS)
@pytest.mark.parametrize("bias", (True, False), ids=("bias", "nobias"))
@pytest.mark.parametrize("vocab, case", list(LAYERS), ids=[f"{v}-{c}" for v, c in LAYERS])
def test_all_targets_equal_the_reference(vocab, case, bias, weights, modules):
    graph, mods = modules(vocab, case, bias)
    w = weights_of(graph, weights)
    threads = torch.get_num_threads()
    try:
        for n_threads, batch in CONDITIONS:
            torch.set_num_threads(n_threads)
            inputs = reference.random_spikes(T, batch, SIZES[0], seed=4 + batch, p=0.3)
            expected = reference.run(graph, w, inputs)
            for target, module in mods.items():
                got = module.run(module.load_weights(module.build_model(), w), inputs, membrane=True)
                for pop in graph.populations():
                    s, e = got[pop.name], expected[pop.name]
                    where = f"{target} {pop.name} threads={n_threads} batch={batch}"
                    assert torch.equal(s, e), f"{where}: {(s == e).float().mean().item():.3%} spike agreement"
                    assert torch.equal(got[pop.name + ".v"], expected[pop.name + ".v"]), f"{where}: membranes differ"
    finally:
        torch.set_num_threads(threads)


def test_the_matrix_is_not_degenerate(modules):
    """Every neuron case fires, and not everywhere, with each kind of weights (a test that cannot fail is a defect)."""
    for (vocab, case), bias, kind in itertools.product(LAYERS, (True,), WEIGHTS):
        graph, _ = modules(vocab, case, bias)
        out = reference.run(graph, weights_of(graph, kind), reference.random_spikes(T, 8, SIZES[0], seed=5, p=0.3))
        rates = [out[p.name].mean().item() for p in graph.populations()]
        saturated = case.endswith("negative-threshold")  # a neuron at rest is above its threshold
        assert saturated or any(0.0 < rate < 0.95 for rate in rates), (vocab, case, kind, rates)
        assert all(out[p.name + ".v"].std() > 0 for p in graph.populations()), (vocab, case, kind)


@pytest.mark.parametrize("source", TARGETS)
def test_weights_are_portable(source, modules):
    """Weights exported from one target's module load into the others and give identical spikes."""
    graph, mods = modules("spikingjelly", "lif-hard", True)
    origin = mods[source].load_weights(mods[source].build_model(), reference.random_weights(graph, seed=9))
    exported = mods[source].export_weights(origin)
    inputs = reference.random_spikes(T, 8, SIZES[0], seed=5)
    runs = {}
    for target, module in mods.items():
        model = module.load_weights(module.build_model(), exported)
        for key, value in module.export_weights(model).items():
            assert torch.equal(value, exported[key]), f"{target} does not round-trip {key}"
        runs[target] = module.run(model, inputs)
    for target in TARGETS:
        for pop in graph.populations():
            assert torch.equal(runs[target][pop.name], runs[source][pop.name]), (target, pop.name)


@pytest.mark.parametrize("layout", ("out_in", "in_out"))
def test_full_size_with_bias_and_decimal_weights_at_two_threads(layout, tmp_path, bindsnet):
    """784-256-10 IF at threshold 1.0 with bias and decimal weights: the case BLAS rounding breaks."""
    neuron = neuron_from_layer({"type": "IFNode", "v_threshold": 1.0}, "spikingjelly")
    graph = mlp((784, 256, 10), neuron, bias=True, time_steps=25, source="spikingjelly", name="Big", layout=layout)
    w = reference.decimal_weights(graph, seed=1, step=0.01, span=10)
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        for batch in (1, 4):
            inputs = reference.random_spikes(25, batch, 784, seed=2)
            expected = reference.run(graph, w, inputs)
            assert 0 < expected["layer_1"].mean() < 0.9
            for target in TARGETS:
                module = emit_and_import(graph, target, tmp_path)
                got = module.run(module.load_weights(module.build_model(), w), inputs, membrane=True)
                for pop in graph.populations():
                    assert torch.equal(got[pop.name], expected[pop.name]), (target, pop.name, batch)
                    assert torch.equal(got[pop.name + ".v"], expected[pop.name + ".v"]), (target, pop.name, batch)
    finally:
        torch.set_num_threads(threads)


CONV_CASES = [("snntorch", "lif-subtract"), ("spikingjelly", "if-soft"), ("bindsnet", "lif-unit-refrac-2")]


@pytest.mark.parametrize("pool_spikes", (False, True), ids=("pooled-currents", "pooled-spikes"))
@pytest.mark.parametrize("vocab, case", CONV_CASES, ids=[f"{v}-{c}" for v, c in CONV_CASES])
def test_conv_nets_equal_the_reference(vocab, case, pool_spikes, tmp_path, bindsnet):
    """conv 3x3 -> max-pool -> neurons (pooled currents) or conv -> neurons -> max-pool (pooled
    spikes), flatten, linear: every target, any thread count and batch, dyadic and Gaussian weights."""
    from ir.examples import csnn

    neuron = neuron_from_layer(LAYERS[vocab, case], vocab)
    graph = csnn(neuron, pool_spikes=pool_spikes, time_steps=12, source=vocab)
    mods = {t: emit_and_import(graph, t, tmp_path) for t in TARGETS}
    threads = torch.get_num_threads()
    try:
        for quantized in (False, True):
            w = reference.random_weights(graph, seed=7, quantized=quantized, scale=2)
            for n_threads, batch in ((1, 1), (2, 3), (2, 16)):
                torch.set_num_threads(n_threads)
                inputs = reference.random_spikes(12, batch, (1, 12, 12), seed=batch, p=0.4)
                expected = reference.run(graph, w, inputs)
                assert 0 < expected["hidden"].mean() < 1
                for target, module in mods.items():
                    got = module.run(module.load_weights(module.build_model(), w), inputs, membrane=True)
                    for key in expected:
                        assert torch.equal(got[key], expected[key]), (target, key, n_threads, batch, quantized)
    finally:
        torch.set_num_threads(threads)


def test_sum_pooling_and_scale_equal_the_reference(tmp_path, bindsnet):
    """NIR's SumPool2d and Scale (what NIR files bring in): conv -> sum-pool -> scale -> LIF,
    flatten, linear -> IF; every target equals the reference at 1 and 2 threads."""
    from support import specs

    spec = specs.spec([
        {"type": "conv2d", "in_channels": 2, "out_channels": 4, "kernel_size": 3, "padding": 1},
        {"type": "sumpool2d", "kernel_size": 2},
        {"type": "scale", "scale": 0.25},
        {"type": "LIFNode", "beta": 0.75},
        {"type": "flatten"},
        {"type": "linear", "in_features": 64, "out_features": 5},
        {"type": "scale", "scale": -1.5},
        {"type": "IFNode", "reset_mechanism": "zero"},
    ], input_shape=[2, 8, 8], time_steps=10)
    graph = specs.graph(spec, tmp_path)
    assert {op.kind for op in graph.ops()} >= {"sumpool2d", "scale"}
    mods = specs.modules(spec, tmp_path)
    threads = torch.get_num_threads()
    try:
        for n_threads, batch in ((1, 1), (2, 5)):
            torch.set_num_threads(n_threads)
            w = reference.random_weights(graph, seed=3, scale=2)
            inputs = reference.random_spikes(10, batch, (2, 8, 8), seed=batch, p=0.4)
            expected = reference.run(graph, w, inputs)
            assert 0 < expected[graph.populations()[0].name].mean() < 1, list(expected)
            for target, module in mods.items():
                got = module.run(module.load_weights(module.build_model(), w), inputs, membrane=True)
                for key in expected:
                    assert torch.equal(got[key], expected[key]), (target, key, n_threads, batch)
    finally:
        torch.set_num_threads(threads)
