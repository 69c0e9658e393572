"""CUBALIFNode: a current-based LIF population (a decaying synaptic current feeds a leaky membrane),
in each simulator's words: snnTorch's snn.Synaptic, SpikingJelly's neuron.CUBALIFNode, BindsNET's
nodes.CurrentLIFNodes, each family's exact float32 arithmetic in every target.

Every target equals the independent reference (tests/support/reference.py) and the model written by
hand in the simulator's own idiom (an snn.Synaptic loop, a SpikingJelly CUBALIFNode net, a BindsNET
Network of CurrentLIFNodes) spike for spike and membrane for membrane; gradients of the snnTorch and
SpikingJelly modules equal each other and those of the hand-written snn.Synaptic model.
"""

from __future__ import annotations

import pytest
import torch

from compiler import CompileError, compile_spec
from support import reference, specs
from support.generated import assert_targets_equal
from support.snntorch_nets import SynapticNet
from ir.targets import names as target_names

TARGETS = target_names()
T, B = 15, 8


def _lin(i: int, o: int, **kw) -> dict:
    return {"type": "linear", "in_features": i, "out_features": o, **kw}


def _chain(layer: dict, simulator: str, second: dict | None = None, bias: bool = True) -> dict:
    return specs.spec([_lin(10, 8, bias=bias), layer, _lin(8, 4, bias=bias), second or dict(layer)], simulator,
                      time_steps=T)


CASES = {
    "snntorch-subtract": _chain({"type": "CUBALIFNode", "alpha": 0.7, "beta": 0.8}, "snnTorch"),
    "snntorch-zero": _chain({"type": "CUBALIFNode", "alpha": 0.6, "beta": 0.9, "reset_mechanism": "zero"},
                            "snnTorch"),
    "snntorch-immediate": _chain({"type": "CUBALIFNode", "alpha": 0.6, "beta": 0.9, "reset_delay": False,
                                  "threshold": 0.5},
                                 "snnTorch", {"type": "CUBALIFNode", "alpha": 0.5, "beta": 0.7,
                                              "reset_mechanism": "zero", "reset_delay": False}),
    "snntorch-none": _chain({"type": "CUBALIFNode", "alpha": 0.9, "beta": 0.5, "reset_mechanism": "none"},
                            "snnTorch"),
    "spikingjelly-defaults": _chain({"type": "CUBALIFNode"}, "SpikingJelly"),
    "spikingjelly-soft": _chain({"type": "CUBALIFNode", "c_decay": 0.3, "v_decay": 0.6, "v_reset": None,
                                 "v_threshold": 1.0, "surrogate_function": "atan"}, "SpikingJelly"),
    "bindsnet": _chain({"type": "CUBALIFNode", "thresh": 1.0, "rest": 0.0, "reset": 0.0, "refrac": 2,
                        "tc_decay": 5.0, "tc_i_decay": 3.0}, "BindsNET", bias=False),
    "bindsnet-defaults-dt": {**_chain({"type": "CUBALIFNode"}, "BindsNET", bias=False), "dt": 0.5},
    # feedback: snnTorch adds the fed-back term to the current after its decay (snn.RSynaptic's order)
    "snntorch-recurrent": {**specs.spec([_lin(10, 6, name="fc"), _lin(6, 6, name="rec"),
                                         {"type": "CUBALIFNode", "alpha": 0.7, "beta": 0.8, "name": "h"},
                                         _lin(6, 3, name="fc2"),
                                         {"type": "CUBALIFNode", "alpha": 0.7, "beta": 0.8, "name": "out"}],
                                        time_steps=T),
                           "connections": [{"source": "fc", "target": "h"}, {"source": "rec", "target": "h"},
                                           {"source": "h", "target": "rec"}, {"source": "h", "target": "fc2"}]},
    # a loop through two populations: `out` runs step by step without late terms (native snn.Synaptic)
    "snntorch-loop": {**specs.spec([_lin(10, 6, name="fc"), {"type": "CUBALIFNode", "alpha": 0.7, "beta": 0.8,
                                                              "name": "h"},
                                    _lin(6, 6, name="fc2"), {"type": "CUBALIFNode", "alpha": 0.6, "beta": 0.9,
                                                             "reset_mechanism": "zero", "name": "out"},
                                    _lin(6, 6, name="rec")], time_steps=T),
                      "connections": [{"source": "fc", "target": "h"}, {"source": "rec", "target": "h"},
                                      {"source": "h", "target": "fc2"}, {"source": "out", "target": "rec"}]},
    "spikingjelly-recurrent": {**specs.spec([_lin(10, 6, name="fc"), _lin(6, 6, name="rec"),
                                             {"type": "CUBALIFNode", "name": "h", "surrogate_function": "fast_sigmoid"},
                                             _lin(6, 3, name="fc2"), {"type": "CUBALIFNode", "name": "out"}],
                                            "SpikingJelly", time_steps=T),
                               "connections": [{"source": "fc", "target": "h"}, {"source": "rec", "target": "h"},
                                               {"source": "h", "target": "rec"}, {"source": "h", "target": "fc2"}]},
}


def _scale(case: str) -> float:
    return 40.0 if case == "bindsnet-defaults-dt" else 2.0


@pytest.mark.parametrize("case", CASES)
def test_cuba_equals_the_reference_in_every_target(case, tmp_path, bindsnet):
    s = CASES[case]
    graph = specs.graph(s, tmp_path)
    weights = reference.random_weights(graph, seed=5, scale=_scale(case))
    inputs = reference.random_spikes(T, B, 10, seed=6, p=0.4)
    want = reference.run(graph, weights, inputs)
    assert all(0 < want[p.name].mean() < 1 for p in graph.populations()), {
        p.name: want[p.name].mean().item() for p in graph.populations()}
    assert_targets_equal(want, specs.modules(s, tmp_path), weights, inputs)


SYNAPTIC = {
    "subtract": {"alpha": 0.7, "beta": 0.8},
    "zero": {"alpha": 0.6, "beta": 0.9, "reset_mechanism": "zero"},
    "zero-immediate": {"alpha": 0.6, "beta": 0.9, "reset_mechanism": "zero", "reset_delay": False},
    "subtract-immediate": {"alpha": 0.6, "beta": 0.9, "reset_delay": False, "threshold": 0.5},
    "none": {"alpha": 0.9, "beta": 0.5, "reset_mechanism": "none"},
}


def _synaptic_setup(case, tmp_path, targets=TARGETS):
    torch.manual_seed(3)
    keys = SYNAPTIC[case]
    net = SynapticNet(**keys)
    with torch.no_grad():
        net.fc1.weight.mul_(3)
        net.fc2.weight.mul_(3)
    weights = {"layer_1.weight": net.fc1.weight, "layer_1.bias": net.fc1.bias, "layer_2.weight": net.fc2.weight,
               "layer_2.bias": net.fc2.bias}
    weights = {k: v.detach().clone() for k, v in weights.items()}
    mods = specs.modules(_chain({"type": "CUBALIFNode", **keys}, "snnTorch"), tmp_path, targets)
    return net, weights, mods, reference.random_spikes(T, 16, 10, seed=4, p=0.4)


@pytest.mark.parametrize("case", SYNAPTIC)
def test_snntorch_synaptic_loop(case, tmp_path, bindsnet):
    net, weights, mods, inputs = _synaptic_setup(case, tmp_path)
    with torch.no_grad():
        want = net(inputs)
    assert 0 < want["layer_1"].mean() < 1 and 0 < want["layer_2"].mean() < 1
    assert_targets_equal(want, mods, weights, inputs)


def _loss(out: dict) -> torch.Tensor:
    return (out["layer_2"].sum(0) * torch.arange(1.0, 5.0)).sum() + 0.05 * out["layer_2.v"].pow(2).sum()


@pytest.mark.parametrize("case", SYNAPTIC)
def test_snntorch_synaptic_gradients_equal_the_generated_modules(case, tmp_path):
    """The hand-written snn.Synaptic model's weight gradients are the generated modules' (snnTorch
    and SpikingJelly), bit for bit."""
    net, weights, mods, inputs = _synaptic_setup(case, tmp_path, ("snntorch", "spikingjelly"))
    _loss(net(inputs)).backward()
    want = {"layer_1.weight": net.fc1.weight.grad, "layer_1.bias": net.fc1.bias.grad,
            "layer_2.weight": net.fc2.weight.grad, "layer_2.bias": net.fc2.bias.grad}
    for target, mod in mods.items():
        model = mod.load_weights(mod.build_model(), weights)
        _loss(mod.run(model, inputs, membrane=True, grad=True)).backward()
        for key, (tensor, transposed) in mod.weight_slots(model).items():
            grad = tensor.grad.t() if transposed else tensor.grad
            assert want[key].abs().sum() > 0, key
            assert torch.equal(grad, want[key]), (target, key, (grad - want[key]).abs().max().item())


@pytest.mark.parametrize("keys", [{}, {"c_decay": 0.3, "v_decay": 0.6, "v_reset": None, "v_threshold": 1.0}],
                         ids=["defaults", "soft"])
def test_spikingjelly_cubalif_net(keys, tmp_path, bindsnet):
    """SpikingJelly's own CUBALIFNode, single-step, one Linear per layer."""
    from spikingjelly.activation_based import functional, layer, neuron, surrogate

    torch.manual_seed(5)
    fc1, fc2 = layer.Linear(10, 8), layer.Linear(8, 4)
    kw = {k: v for k, v in keys.items()}
    n1 = neuron.CUBALIFNode(**kw, surrogate_function=surrogate.Sigmoid(alpha=4.0))
    n2 = neuron.CUBALIFNode(**kw, surrogate_function=surrogate.Sigmoid(alpha=4.0))
    with torch.no_grad():
        fc1.weight.mul_(2)
        fc2.weight.mul_(2)
    weights = {"layer_1.weight": fc1.weight.detach(), "layer_1.bias": fc1.bias.detach(),
               "layer_2.weight": fc2.weight.detach(), "layer_2.bias": fc2.bias.detach()}
    inputs = reference.random_spikes(T, 16, 10, seed=9, p=0.4)
    functional.reset_net(n1)
    functional.reset_net(n2)
    rec = {"layer_1": [], "layer_1.v": [], "layer_2": [], "layer_2.v": []}
    with torch.no_grad():
        for step in range(T):
            s1 = n1(fc1(inputs[step]))
            s2 = n2(fc2(s1))
            for key, value in (("layer_1", s1), ("layer_1.v", n1.v), ("layer_2", s2), ("layer_2.v", n2.v)):
                rec[key].append(value)
    want = {key: torch.stack(values) for key, values in rec.items()}
    assert 0 < want["layer_1"].mean() < 1 and 0 < want["layer_2"].mean() < 1
    mods = specs.modules(_chain({"type": "CUBALIFNode", **keys}, "SpikingJelly"), tmp_path)
    assert_targets_equal(want, mods, weights, inputs)


@pytest.mark.parametrize("dt, keys", [
    (1.0, {"thresh": 1.0, "rest": 0.0, "reset": 0.0, "refrac": 2, "tc_decay": 5.0, "tc_i_decay": 3.0}),
    (0.5, {"thresh": 0.7, "rest": -0.1, "reset": -0.2, "refrac": 0.3, "tc_decay": 4.0, "tc_i_decay": 1.5}),
], ids=["dt1", "dt0.5"])
def test_bindsnet_network_of_current_lif_nodes(dt, keys, tmp_path, bindsnet):
    """A BindsNET Network of CurrentLIFNodes in its default run mode (each connection delays by one step,
    so the layers are compared shifted by their delay)."""
    from bindsnet.network import Network
    from bindsnet.network.monitors import Monitor
    from bindsnet.network.nodes import CurrentLIFNodes, Input
    from bindsnet.network.topology import Connection

    g = torch.Generator().manual_seed(7)
    w1, w2 = torch.randn(10, 8, generator=g) * 0.8, torch.randn(8, 4, generator=g) * 1.5
    net = Network(dt=dt)
    X, H, O = Input(n=10), CurrentLIFNodes(n=8, **keys), CurrentLIFNodes(n=4, **keys)
    for name, nodes in (("X", X), ("H", H), ("O", O)):
        net.add_layer(nodes, name=name)
    net.add_connection(Connection(source=X, target=H, w=w1), source="X", target="H")
    net.add_connection(Connection(source=H, target=O, w=w2), source="H", target="O")
    for name, nodes in (("H", H), ("O", O)):
        net.add_monitor(Monitor(nodes, ["s", "v"], time=T + 2), name=name)
    inputs = reference.random_spikes(T, B, 10, seed=16, p=0.4)
    net.run(inputs={"X": torch.cat([inputs, torch.zeros(2, B, 10)])}, time=(T + 2.5) * dt)
    h, o = net.monitors["H"], net.monitors["O"]
    want = {"layer_1": h.get("s").float()[1:T + 1], "layer_1.v": h.get("v")[1:T + 1],
            "layer_2": o.get("s").float()[2:T + 2], "layer_2.v": o.get("v")[2:T + 2]}
    assert 0 < want["layer_1"].mean() < 1 and 0 < want["layer_2"].mean() < 1
    s = {**_chain({"type": "CUBALIFNode", **keys}, "BindsNET", bias=False), "dt": dt}
    weights = {"layer_1.weight": w1.t(), "layer_2.weight": w2.t()}
    assert_targets_equal(want, specs.modules(s, tmp_path), weights, inputs)


def test_generated_modules_are_black_stable_ruff_clean_and_the_ir_round_trips(tmp_path):
    from support.tooling import check_generated

    check_generated(CASES, tmp_path)


BAD = {  # simulator, layer -> (pointer suffix, words of the message)
    "alpha-above-one": ("snnTorch", {"type": "CUBALIFNode", "alpha": 1.5, "beta": 0.5}, "/alpha", "1"),
    "beta-missing": ("snnTorch", {"type": "CUBALIFNode", "alpha": 0.5}, "", "needs beta"),
    "both-missing": ("snnTorch", {"type": "CUBALIFNode"}, "", "needs alpha and beta"),
    "c-decay-negative": ("SpikingJelly", {"type": "CUBALIFNode", "c_decay": -0.1}, "/c_decay", "0"),
    "v-decay-above-one": ("SpikingJelly", {"type": "CUBALIFNode", "v_decay": 1.01}, "/v_decay", "1"),
    "tc-i-decay-zero": ("BindsNET", {"type": "CUBALIFNode", "tc_i_decay": 0}, "/tc_i_decay", "0"),
    "tc-i-decay-underflows": ("BindsNET", {"type": "CUBALIFNode", "tc_i_decay": 1e-50}, "/tc_i_decay",
                              "rounds to 0.0"),
    "mixed-words": ("snnTorch", {"type": "CUBALIFNode", "alpha": 0.5, "beta": 0.5, "v_decay": 0.5}, "/v_decay",
                    "one simulator's words"),
    "tau": ("SpikingJelly", {"type": "CUBALIFNode", "tau": 2.0}, "", "tau"),
}


@pytest.mark.parametrize("case", BAD)
def test_impossible_cuba_layers_are_located_errors(case, tmp_path):
    simulator, layer, where, words = BAD[case]
    s = specs.spec([_lin(4, 3, bias=False), layer], simulator, time_steps=3)
    with pytest.raises(CompileError) as exc:
        compile_spec(specs.save(s, tmp_path))
    text = str(exc.value)
    assert f"error: layers/1{where}" in text and words in text, text


@pytest.mark.parametrize("case", [c for c in CASES if c != "bindsnet-defaults-dt"])
def test_snntorch_and_spikingjelly_gradients_are_bit_identical(case, tmp_path):
    """The snnTorch and SpikingJelly modules of one spec (native snn/SpikingJelly classes where exact,
    generated steps elsewhere) give the same weight gradients."""
    s = CASES[case]
    mods = specs.modules(s, tmp_path, targets=("snntorch", "spikingjelly"))
    graph = specs.graph(s, tmp_path)
    weights = reference.random_weights(graph, seed=1, scale=_scale(case))
    inputs = reference.random_spikes(T, B, 10, seed=2, p=0.4)
    pop = graph.populations()[-1].name
    grads = []
    for target in ("snntorch", "spikingjelly"):
        mod = mods[target]
        model = mod.load_weights(mod.build_model(), weights)
        out = mod.run(model, inputs, membrane=True, grad=True)
        ((out[pop].sum(0) * torch.arange(1.0, 1.0 + out[pop].shape[-1])).sum()
         + 0.05 * out[pop + ".v"].pow(2).sum()).backward()
        grads.append({k: t.grad.t() if tr else t.grad for k, (t, tr) in mod.weight_slots(model).items()})
    a, b = grads
    for key in a:
        assert torch.isfinite(a[key]).all() and a[key].abs().sum() > 0, key
        assert torch.equal(a[key], b[key]), (key, (a[key] - b[key]).abs().max().item())


@pytest.mark.parametrize("surrogate_name", ["sigmoid", "atan", "softsign"])
def test_spikingjelly_cubalif_gradients_equal_the_generated_modules(surrogate_name, tmp_path):
    """SpikingJelly's CUBALIFNode calls its surrogate module (surrogate.py's order of operations, not
    the _ops order its LIFNode uses): the generated modules train with exactly those gradients."""
    from spikingjelly.activation_based import functional, layer, neuron, surrogate

    torch.manual_seed(6)
    fc1, fc2 = layer.Linear(10, 8), layer.Linear(8, 4)
    make = {"sigmoid": lambda: surrogate.Sigmoid(alpha=4.0), "atan": lambda: surrogate.ATan(alpha=2.0),
            "softsign": lambda: surrogate.SoftSign(alpha=2.0)}[surrogate_name]
    n1, n2 = (neuron.CUBALIFNode(v_reset=None, surrogate_function=make()) for _ in range(2))
    with torch.no_grad():
        fc1.weight.mul_(2)
        fc2.weight.mul_(2)
    weights = {k: v.detach().clone() for k, v in (("layer_1.weight", fc1.weight), ("layer_1.bias", fc1.bias),
                                                   ("layer_2.weight", fc2.weight), ("layer_2.bias", fc2.bias))}
    inputs = reference.random_spikes(T, 16, 10, seed=9, p=0.4)
    functional.reset_net(n1)
    functional.reset_net(n2)
    spikes, mems = [], []
    for step in range(T):
        spikes.append(n2(fc2(n1(fc1(inputs[step])))))
        mems.append(n2.v)
    out = {"layer_2": torch.stack(spikes), "layer_2.v": torch.stack(mems)}
    assert 0 < out["layer_2"].mean() < 1
    _loss(out).backward()
    want = {"layer_1.weight": fc1.weight.grad, "layer_1.bias": fc1.bias.grad,
            "layer_2.weight": fc2.weight.grad, "layer_2.bias": fc2.bias.grad}
    s = _chain({"type": "CUBALIFNode", "v_reset": None, "surrogate_function": surrogate_name}, "SpikingJelly")
    for target, mod in specs.modules(s, tmp_path, ("snntorch", "spikingjelly")).items():
        model = mod.load_weights(mod.build_model(), weights)
        _loss(mod.run(model, inputs, membrane=True, grad=True)).backward()
        for key, (tensor, transposed) in mod.weight_slots(model).items():
            assert want[key].abs().sum() > 0, key
            assert torch.equal(tensor.grad, want[key]), (target, key, (tensor.grad - want[key]).abs().max().item())
