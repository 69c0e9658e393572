"""Neuron families researchers train with: non-spiking readouts (NonSpikingLIFNode, NonSpikingIFNode).

Each spec is compiled for every target and run with the same weights and input: every
target must equal the independent reference (tests/support/reference.py) bit for bit,
and the model written by hand in the spec's own simulator (an snn.Leaky loop whose
readout is a Leaky that never resets, a SpikingJelly NonSpikingLIFNode readout).
A non-spiking population's value in run() is its membrane, and what reads it reads
its membrane; gradients through it are identical in snnTorch and SpikingJelly.
"""

from __future__ import annotations

import pytest
import torch

from compiler import CompileError, compile_spec
from support import reference, specs
from support.generated import assert_targets_equal
from ir.targets import names as target_names

TARGETS = target_names()
T, B = 12, 6


def _lin(i: int, o: int, **kw) -> dict:
    return {"type": "linear", "in_features": i, "out_features": o, **kw}


READOUTS = {  # case -> spec
    "snntorch-li": specs.spec([_lin(10, 8), {"type": "LIFNode", "beta": 0.9}, _lin(8, 4),
                               {"type": "NonSpikingLIFNode", "beta": 0.8, "name": "readout"}], time_steps=T),
    "snntorch-i": specs.spec([_lin(10, 8), {"type": "LIFNode", "beta": 0.9}, _lin(8, 4),
                              {"type": "NonSpikingIFNode", "name": "readout"}], time_steps=T),
    "spikingjelly-li": specs.spec([_lin(10, 8), {"type": "LIFNode", "tau": 2.0}, _lin(8, 4),
                                   {"type": "NonSpikingLIFNode", "tau": 3.0, "name": "readout"}], "SpikingJelly",
                                  time_steps=T),
    "spikingjelly-li-default-tau": specs.spec([_lin(10, 8), {"type": "IFNode"}, _lin(8, 4),
                                               {"type": "NonSpikingLIFNode", "name": "readout"}], "SpikingJelly",
                                              time_steps=T),
    "spikingjelly-i": specs.spec([_lin(10, 8), {"type": "LIFNode", "tau": 2.0}, _lin(8, 4),
                                  {"type": "NonSpikingIFNode", "name": "readout"}], "SpikingJelly", time_steps=T),
    "bindsnet-i": specs.spec([_lin(10, 8), {"type": "LIFNode", "thresh": 1.0, "rest": 0.0, "reset": 0.0,
                                            "tc_decay": 5.0, "refrac": 1}, _lin(8, 4),
                              {"type": "NonSpikingIFNode", "name": "readout"}], "BindsNET", time_steps=T),
    "bindsnet-li-in-snntorch-words": specs.spec([_lin(10, 8), {"type": "IFNode", "thresh": 1.0, "reset": 0.0},
                                                 _lin(8, 4), {"type": "NonSpikingLIFNode", "beta": 0.5,
                                                              "name": "readout"}], "BindsNET", time_steps=T),
    # a non-spiking population in the middle: what follows it reads its membrane
    "membrane-read-by-a-layer": specs.spec([_lin(10, 8), {"type": "NonSpikingLIFNode", "beta": 0.7, "name": "li"},
                                            _lin(8, 5), {"type": "LIFNode", "beta": 0.9, "name": "out"}],
                                           time_steps=T),
    "sj-membrane-read-by-a-layer": specs.spec([_lin(10, 8), {"type": "NonSpikingLIFNode", "tau": 2.5, "name": "li"},
                                               _lin(8, 5), {"type": "LIFNode", "tau": 2.0, "name": "out"}],
                                              "SpikingJelly", time_steps=T),
    # in a feedback loop (snnTorch: the fed-back term is added after the charge, as RLeaky does)
    "recurrent-readout": {**specs.spec([_lin(10, 6, name="fc"), _lin(6, 6, name="rec"),
                                        {"type": "NonSpikingLIFNode", "beta": 0.6, "name": "li"},
                                        _lin(6, 3, name="fc2"), {"type": "LIFNode", "beta": 0.9, "name": "out"}],
                                       time_steps=T),
                          "connections": [{"source": "fc", "target": "li"}, {"source": "rec", "target": "li"},
                                          {"source": "li", "target": "rec"}, {"source": "li", "target": "fc2"}]},
    "sj-recurrent-readout": {**specs.spec([_lin(10, 6, name="fc"), _lin(6, 6, name="rec"),
                                           {"type": "NonSpikingIFNode", "name": "li"},
                                           _lin(6, 3, name="fc2"), {"type": "LIFNode", "name": "out"}],
                                          "SpikingJelly", time_steps=T),
                             "connections": [{"source": "fc", "target": "li"}, {"source": "rec", "target": "li"},
                                             {"source": "li", "target": "rec"}, {"source": "li", "target": "fc2"}]},
}


@pytest.mark.parametrize("case", READOUTS)
def test_nonspiking_populations_equal_the_reference_in_every_target(case, tmp_path, bindsnet):
    s = READOUTS[case]
    graph = specs.graph(s, tmp_path)
    weights = reference.random_weights(graph, seed=5, scale=2.0)
    inputs = reference.random_spikes(T, B, 10, seed=6, p=0.4)
    want = reference.run(graph, weights, inputs)
    pops = {p.name: p for p in graph.populations()}
    for target, mod in specs.modules(s, tmp_path).items():
        got = mod.run(mod.load_weights(mod.build_model(), weights), inputs, membrane=True)
        plain = mod.run(mod.load_weights(mod.build_model(), weights), inputs)
        for key in want:
            assert torch.equal(got[key], want[key]), f"{target} {key}: {(got[key] == want[key]).float().mean():.3%}"
        for name, pop in pops.items():
            if not pop.neuron.spiking:  # its value is its membrane, with or without membrane=True
                assert torch.equal(got[name], got[name + ".v"]), (target, name)
                assert torch.equal(plain[name], got[name]), (target, name)
                assert not torch.all((got[name] == 0) | (got[name] == 1)), (target, name)
    spiking = [n for n, p in pops.items() if p.neuron.spiking]
    assert any(0 < want[n].mean() < 1 for n in spiking), "the spiking layers should fire sometimes"


def test_snntorch_loop_with_a_leaky_readout_that_never_resets(tmp_path, bindsnet):
    """snnTorch's users read out a Leaky's membrane (reset_mechanism none): the same floats."""
    import snntorch as snn
    import torch.nn as nn

    fc1, fc2 = nn.Linear(10, 8), nn.Linear(8, 4)
    lif = snn.Leaky(beta=0.9)
    out = snn.Leaky(beta=0.8, reset_mechanism="none")
    s = READOUTS["snntorch-li"]
    weights = {"layer_1.weight": fc1.weight.detach() * 2, "layer_1.bias": fc1.bias.detach(),
               "readout.weight": fc2.weight.detach() * 2, "readout.bias": fc2.bias.detach()}
    with torch.no_grad():
        fc1.weight.copy_(weights["layer_1.weight"])
        fc2.weight.copy_(weights["readout.weight"])
    inputs = reference.random_spikes(T, 16, 10, seed=8, p=0.4)
    mem1, mem2 = lif.reset_mem(), out.reset_mem()
    rec = {"layer_1": [], "layer_1.v": [], "readout": []}
    with torch.no_grad():
        for step in range(T):
            spk1, mem1 = lif(fc1(inputs[step]), mem1)
            _, mem2 = out(fc2(spk1), mem2)
            rec["layer_1"].append(spk1)
            rec["layer_1.v"].append(mem1)
            rec["readout"].append(mem2)
    want = {k: torch.stack(v) for k, v in rec.items()}
    want["readout.v"] = want["readout"]
    assert 0 < want["layer_1"].mean() < 1
    assert_targets_equal(want, specs.modules(s, tmp_path), weights, inputs)


@pytest.mark.parametrize("readout", ["li", "i"])
def test_spikingjelly_nonspiking_readout(readout, tmp_path, bindsnet):
    """SpikingJelly's own NonSpikingLIFNode / NonSpikingIFNode over the hidden layer's currents."""
    from spikingjelly.activation_based import functional, layer, neuron

    fc1, fc2 = layer.Linear(10, 8), layer.Linear(8, 4)
    lif = neuron.LIFNode(tau=2.0)
    node = neuron.NonSpikingLIFNode(tau=3.0) if readout == "li" else neuron.NonSpikingIFNode()
    s = READOUTS["spikingjelly-li" if readout == "li" else "spikingjelly-i"]
    with torch.no_grad():
        fc1.weight.mul_(3)
        fc2.weight.mul_(3)
    weights = {"layer_1.weight": fc1.weight.detach(), "layer_1.bias": fc1.bias.detach(),
               "readout.weight": fc2.weight.detach(), "readout.bias": fc2.bias.detach()}
    inputs = reference.random_spikes(T, 16, 10, seed=9, p=0.4)
    functional.reset_net(lif)
    spikes, mems, currents = [], [], []
    with torch.no_grad():
        for step in range(T):  # single-step mode, one step at a time
            spk = lif(fc1(inputs[step]))
            spikes.append(spk)
            mems.append(lif.v)
            currents.append(fc2(spk))
        v = torch.stack(node(torch.stack(currents)))
    want = {"layer_1": torch.stack(spikes), "layer_1.v": torch.stack(mems), "readout": v, "readout.v": v}
    assert 0 < want["layer_1"].mean() < 1
    assert_targets_equal(want, specs.modules(s, tmp_path), weights, inputs)


def _gradients(module, weights, x, pop):
    model = module.load_weights(module.build_model(), weights)
    out = module.run(model, x, membrane=True, grad=True)
    loss = (out[pop].sum(0) * torch.arange(1.0, 1.0 + out[pop].shape[-1])).sum() + 0.05 * out[pop].pow(2).sum()
    loss.backward()
    return {key: tensor.grad.t() if transposed else tensor.grad
            for key, (tensor, transposed) in module.weight_slots(model).items()}


@pytest.mark.parametrize("case", ["snntorch-li", "spikingjelly-li", "spikingjelly-i", "membrane-read-by-a-layer",
                                  "recurrent-readout"])
def test_gradients_through_a_readout_are_bit_identical(case, tmp_path):
    s = READOUTS[case]
    mods = specs.modules(s, tmp_path, targets=("snntorch", "spikingjelly"))
    graph = specs.graph(s, tmp_path)
    w = reference.random_weights(graph, seed=1, scale=2.0)
    x = reference.random_spikes(T, 8, 10, seed=2, p=0.4)
    pop = graph.populations()[-1].name
    a, b = (_gradients(mods[t], w, x, pop) for t in ("snntorch", "spikingjelly"))
    for key in a:
        assert torch.isfinite(a[key]).all() and a[key].abs().sum() > 0, key
        assert torch.equal(a[key], b[key]), key


def test_check_compares_membranes_and_reports_no_firing_rate(tmp_path, bindsnet, capsys):
    from compiler.tools.check import main

    path = specs.save(READOUTS["snntorch-li"], tmp_path)
    assert main([str(path), "--time-steps", "6", "--batch", "2"]) == 0
    text = capsys.readouterr().out
    assert "readout (4 neurons, non-spiking: membranes compared)" in text
    assert "layer_1 (8 neurons, firing rate" in text
    assert "all targets agree" in text


def test_the_generated_code_says_what_it_computes(tmp_path):
    path = specs.save(READOUTS["spikingjelly-li"], tmp_path)
    for target in TARGETS:
        result = compile_spec(path, target=target)
        assert "neuron.NonSpikingLIFNode(tau=3.0), outputs its membrane -> canonical" in result.source
        assert "v = v + (x - v) / 3.0" in result.source
    assert "NonSpikingNodes(" in compile_spec(path, target="bindsnet").source


BAD = {  # layer -> (pointer suffix, words of the message)
    "bindsnet-li": ({"type": "NonSpikingLIFNode"}, "", "BindsNET has no non-spiking neuron"),
    "beta-and-tau": ({"type": "NonSpikingLIFNode", "beta": 0.5, "tau": 2.0}, "/tau", "not restatements"),
    "tau-one": ({"type": "NonSpikingLIFNode", "tau": 1.0}, "/tau", "1"),
    "beta-above-one": ({"type": "NonSpikingLIFNode", "beta": 1.5}, "/beta", "1"),
    "threshold": ({"type": "NonSpikingLIFNode", "beta": 0.5, "threshold": 1.0}, "", "threshold"),
    "if-with-tau": ({"type": "NonSpikingIFNode", "tau": 2.0}, "", "tau"),
    "snntorch-li-without-beta": ({"type": "NonSpikingLIFNode"}, "", "needs beta"),
}


@pytest.mark.parametrize("case", BAD)
def test_impossible_nonspiking_layers_are_located_errors(case, tmp_path):
    layer, where, words = BAD[case]
    simulator = "BindsNET" if case == "bindsnet-li" else "snnTorch"
    s = specs.spec([_lin(4, 3, bias=False), layer], simulator, time_steps=3)
    with pytest.raises(CompileError) as exc:
        compile_spec(specs.save(s, tmp_path))
    text = str(exc.value)
    assert f"error: layers/1{where}" in text and words in text, text


def test_generated_modules_are_black_stable_ruff_clean_and_the_ir_round_trips(tmp_path):
    from support.tooling import check_generated

    check_generated(READOUTS, tmp_path)


# The equivalence matrix for the new families (as tests/test_equivalence.py's): every target equals the
# reference at 1 and 2 threads, batch 1, 4 and 32, with and without bias, with Gaussian, tie-prone dyadic
# and decimal weights.
MATRIX = {
    ("snntorch", "cuba-subtract"): {"type": "CUBALIFNode", "alpha": 0.7, "beta": 0.8},
    ("snntorch", "cuba-zero-immediate"): {"type": "CUBALIFNode", "alpha": 0.5, "beta": 0.9, "reset_mechanism": "zero",
                                          "reset_delay": False},
    ("spikingjelly", "cuba-hard"): {"type": "CUBALIFNode", "v_threshold": 1.0},
    ("spikingjelly", "cuba-soft"): {"type": "CUBALIFNode", "c_decay": 0.25, "v_decay": 0.5, "v_reset": None},
    ("bindsnet", "cuba"): {"type": "CUBALIFNode", "thresh": 1.0, "rest": 0.0, "reset": 0.0, "refrac": 2,
                           "tc_decay": 5.0, "tc_i_decay": 2.0},
    ("snntorch", "li"): {"type": "NonSpikingLIFNode", "beta": 0.75},
    ("spikingjelly", "li"): {"type": "NonSpikingLIFNode", "tau": 4.0},
    ("spikingjelly", "i"): {"type": "NonSpikingIFNode"},
}


@pytest.fixture(scope="module")
def matrix_modules(tmp_path_factory, bindsnet):
    from compiler.frontend.vocabulary import neuron_from_layer
    from ir.examples import mlp
    from support.generated import emit_and_import

    cache = {}

    def get(vocab: str, case: str, bias: bool):
        if (vocab, case, bias) not in cache:
            neuron = neuron_from_layer(MATRIX[vocab, case], vocab)
            graph = mlp((48, 32, 10), neuron, bias=bias, time_steps=20, source=vocab, name="Eq",
                        layout="in_out" if vocab == "bindsnet" else "out_in")
            tmp = tmp_path_factory.mktemp("eq")
            cache[vocab, case, bias] = graph, {t: emit_and_import(graph, t, tmp) for t in TARGETS}
        return cache[vocab, case, bias]
    return get


@pytest.mark.parametrize("kind", ("gaussian", "dyadic", "decimal"))
@pytest.mark.parametrize("vocab, case", list(MATRIX), ids=[f"{v}-{c}" for v, c in MATRIX])
def test_the_equivalence_matrix(vocab, case, kind, matrix_modules):
    threads = torch.get_num_threads()
    try:
        for bias in (True, False):
            graph, mods = matrix_modules(vocab, case, bias)
            if kind == "decimal":
                w = reference.decimal_weights(graph, seed=3, step=0.01 * (8 if vocab == "bindsnet" else 1), span=12)
            else:
                w = reference.random_weights(graph, seed=3, quantized=kind == "dyadic")
            for n_threads, batch in [(t, b) for t in (1, 2) for b in (1, 4, 32)]:
                torch.set_num_threads(n_threads)
                inputs = reference.random_spikes(20, batch, 48, seed=4 + batch, p=0.3)
                expected = reference.run(graph, w, inputs)
                for target, module in mods.items():
                    got = module.run(module.load_weights(module.build_model(), w), inputs, membrane=True)
                    for key in expected:
                        assert torch.equal(got[key], expected[key]), (target, key, bias, n_threads, batch)
                if batch == 32 and graph.populations()[0].neuron.spiking:
                    rates = [expected[p.name].mean().item() for p in graph.populations()]
                    assert any(0 < r < 0.95 for r in rates), rates
    finally:
        torch.set_num_threads(threads)


def test_a_layer_in_another_simulators_words_gets_a_warning(tmp_path):
    s = specs.spec([_lin(4, 3), {"type": "CUBALIFNode", "c_decay": 0.5}, _lin(3, 2),
                    {"type": "NonSpikingLIFNode", "tau": 3.0}, _lin(2, 2), {"type": "NonSpikingIFNode"}],
                   time_steps=3)
    said = {d.pointer: d.message for d in compile_spec(specs.save(s, tmp_path)).warnings}
    assert said["/layers/1"].startswith("written in SpikingJelly's words (c_decay)")
    assert said["/layers/3"].startswith("written in SpikingJelly's words (tau)")
    assert "/layers/5" not in said  # no words: the target_simulator's
