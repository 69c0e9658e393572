"""One model, three simulators, identical spikes.

The matrix {LIF, IF} x {zero reset, subtract reset} x {bias, no bias} x
{continuous, tie-prone quantized weights}, for neurons written in each simulator's
vocabulary, is compiled for every target; every target pair must agree on 100.000%
of spikes (and bit for bit on membranes) in hidden and output populations.
Weights exported from one target load into the others and give the same spikes.
"""

from __future__ import annotations

import itertools

import pytest
import torch

from ir.examples import mlp
from ir.floats import f32, next_up
from ir.neuron import Neuron, Surrogate
from support import reference
from support.generated import emit_and_import

TARGETS = ("snntorch", "spikingjelly", "bindsnet")
T, B = 20, 16
SIZES = (48, 32, 10)


def vocab_neuron(vocab: str, kind: str, reset: str) -> Neuron:
    """The canonical neuron a spec in `vocab` means by (kind, reset)."""
    if vocab == "snntorch":  # snn.Leaky(beta=0.8, threshold=1.0, reset_mechanism=reset)
        base = dict(v_threshold=next_up(1.0), reset_by=1.0, surrogate=Surrogate("atan", 2.0))
        leak = dict(kind="lif", leak="beta", decay=f32(0.8)) if kind == "lif" else dict(kind="if", leak="none")
        if reset == "zero":
            return Neuron(**leak, **base, reset="zero")
        return Neuron(**leak, **base, reset="subtract", reset_delay=True)
    if vocab == "spikingjelly":  # neuron.LIFNode(tau=2.0) / IFNode, v_reset=0.0 or None
        leak = dict(kind="lif", leak="tau_input", tau=2.0, v_rest=0.0) if kind == "lif" else dict(kind="if", leak="none")
        if reset == "zero":
            return Neuron(**leak, v_threshold=1.0, reset="zero", surrogate=Surrogate("sigmoid", 4.0))
        return Neuron(**leak, v_threshold=1.0, reset="subtract", reset_by=1.0, surrogate=Surrogate("sigmoid", 4.0))
    # bindsnet: LIFNodes()/IFNodes() with their biological defaults; subtract is not in its vocabulary
    if kind == "lif":
        return Neuron(kind="lif", leak="tc", tc_decay=100.0, v_rest=-65.0, v_threshold=-52.0, reset=reset,
                      v_reset=-65.0 if reset == "zero" else 0.0, reset_by=13.0, refractory=5, v_init=-65.0)
    return Neuron(kind="if", leak="none", v_threshold=-52.0, reset=reset, v_reset=-65.0 if reset == "zero" else 0.0,
                  reset_by=13.0, refractory=5, v_init=-65.0)


CASES = [
    pytest.param(vocab, kind, reset, bias, quantized, id=f"{vocab}-{kind}-{reset}-{'bias' if bias else 'nobias'}-{'quant' if quantized else 'cont'}")
    for vocab, kind, reset, bias, quantized in itertools.product(
        ("snntorch", "spikingjelly", "bindsnet"), ("lif", "if"), ("zero", "subtract"), (True, False), (False, True)
    )
]


@pytest.mark.parametrize("vocab, kind, reset, bias, quantized", CASES)
def test_all_targets_agree(vocab, kind, reset, bias, quantized, tmp_path, bindsnet):
    graph = mlp(SIZES, vocab_neuron(vocab, kind, reset), bias=bias, time_steps=T, source=vocab, name="Eq")
    weights = reference.random_weights(graph, seed=3, quantized=quantized)
    inputs = reference.random_spikes(T, B, SIZES[0], seed=4, p=0.3)
    expected = reference.run(graph, weights, inputs)
    counts = {p.name: int(expected[p.name].sum()) for p in graph.populations()}
    assert all(5 <= c < 0.95 * expected[p].numel() for p, c in counts.items()), f"degenerate test activity {counts}"
    for target in TARGETS:
        module = emit_and_import(graph, target, tmp_path)
        model = module.load_weights(module.build_model(), weights)
        got = module.run(model, inputs, membrane=True)
        for pop in graph.populations():
            s, e = got[pop.name], expected[pop.name]
            agreement = (s == e).float().mean().item()
            assert torch.equal(s, e), f"{target} {pop.name}: {agreement:.3%} spike agreement"
            assert torch.equal(got[pop.name + ".v"], expected[pop.name + ".v"]), f"{target} {pop.name}.v differs"


@pytest.mark.parametrize("source", TARGETS)
def test_weights_are_portable(source, tmp_path, bindsnet):
    """Weights exported from one target's module load into the others and give identical spikes."""
    graph = mlp(SIZES, vocab_neuron("spikingjelly", "lif", "zero"), bias=True, time_steps=T, source="spikingjelly", name="Port")
    modules = {t: emit_and_import(graph, t, tmp_path) for t in TARGETS}
    origin = modules[source].build_model()
    torch.manual_seed(7)
    modules[source].load_weights(origin, reference.random_weights(graph, seed=9))
    exported = modules[source].export_weights(origin)
    inputs = reference.random_spikes(T, B, SIZES[0], seed=5)
    runs = {}
    for target, module in modules.items():
        model = module.load_weights(module.build_model(), exported)
        for key, value in module.export_weights(model).items():
            assert torch.equal(value, exported[key]), f"{target} does not round-trip {key}"
        runs[target] = module.run(model, inputs)
    for target in TARGETS:
        for pop in graph.populations():
            assert torch.equal(runs[target][pop.name], runs[source][pop.name]), (target, pop.name)


@pytest.mark.parametrize("quantized", (False, True), ids=("cont", "quant"))
def test_full_size_with_bias_is_exact(quantized, tmp_path, bindsnet):
    """784-256-10 with bias: BLAS rounds s @ w + b differently from the fused addmm of
    nn.Linear for large fan-in, so every target must add the bias inside the product."""
    neuron = vocab_neuron("spikingjelly", "lif", "zero")
    graph = mlp((784, 256, 10), neuron, bias=True, time_steps=25, source="spikingjelly", name="Big")
    weights = reference.random_weights(graph, seed=1, quantized=quantized)
    inputs = reference.random_spikes(25, 16, 784, seed=2)
    expected = reference.run(graph, weights, inputs)
    for target in TARGETS:
        module = emit_and_import(graph, target, tmp_path)
        got = module.run(module.load_weights(module.build_model(), weights), inputs, membrane=True)
        for pop in graph.populations():
            assert torch.equal(got[pop.name], expected[pop.name]), (target, pop.name)
            assert torch.equal(got[pop.name + ".v"], expected[pop.name + ".v"]), (target, pop.name)
