"""SpikingJelly's ParametricLIFNode (PLIF): a LIF neuron whose 1/tau = sigmoid(w) is learned.

Its w is a 0-d weight of the module contract ("<population>.w"), starting at
float32(-log(init_tau - 1)) as ParametricLIFNode.__init__ computes it. Every target runs the
generated step (_ops/plif/reference.py's charge, LIFNode's fire and reset): the snnTorch and
SpikingJelly modules train w with bit-identical gradients, the BindsNET module loads it for
inference, and all three give the reference's and a hand-written SpikingJelly net's spikes and
membranes bit for bit.
"""

from __future__ import annotations

import math

import pytest
import torch
from support import reference, specs
from support.generated import assert_targets_equal

from compiler import CompileError, compile_spec
from ir.targets import names as target_names

TARGETS = target_names()
T = 12
KEYS = ("layer_1.weight", "layer_1.bias", "layer_1.w", "layer_2.weight", "layer_2.bias", "layer_2.w")


def _spec(first: dict, second: dict) -> dict:
    return specs.spec([{"type": "linear", "in_features": 10, "out_features": 8},
                       {"type": "ParametricLIFNode", **first},
                       {"type": "linear", "in_features": 8, "out_features": 4},
                       {"type": "ParametricLIFNode", **second}], "SpikingJelly", time_steps=T)


CASES = {  # spec keys of the two populations
    "decay-input-hard": ({"init_tau": 3.0}, {}),
    "no-decay-input-hard": ({"init_tau": 1.5, "decay_input": False}, {"decay_input": False, "init_tau": 4.0}),
    "decay-input-soft": ({"init_tau": 2.5, "v_reset": None}, {"v_reset": None, "v_threshold": 0.5}),
    "no-decay-input-soft": ({"decay_input": False, "v_reset": None}, {"decay_input": False, "v_reset": None}),
    "reset-minus-half": ({"init_tau": 3.0, "v_reset": -0.5}, {"v_reset": -0.5, "decay_input": False}),
    "detach-atan": ({"init_tau": 1.7, "detach_reset": True, "surrogate_function": "atan"},
                    {"detach_reset": True, "v_reset": None, "surrogate_function": {"name": "atan", "alpha": 3.0}}),
}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("batch", [1, 4])
def test_every_target_equals_the_reference_with_a_loaded_w(case, batch, tmp_path, bindsnet):
    s = _spec(*CASES[case])
    graph = specs.graph(s, tmp_path)
    weights = reference.random_weights(graph, seed=3, scale=2.0)
    assert set(weights) == set(KEYS) and weights["layer_1.w"].shape == ()
    weights["layer_1.w"] = torch.tensor(0.75)  # a value a training run would leave
    weights["layer_2.w"] = torch.tensor(-1.25)
    inputs = reference.random_spikes(T, batch, 10, seed=5, p=0.4)
    want = reference.run(graph, weights, inputs)
    assert 0 < want["layer_1"].mean() < 1
    for target, mod in specs.modules(s, tmp_path).items():
        assert set(mod.WEIGHTS) == set(KEYS) and mod.WEIGHTS["layer_2.w"] == (), target
        model = mod.load_weights(mod.build_model(), weights)
        exported = mod.export_weights(model)
        assert all(torch.equal(exported[k], weights[k]) for k in KEYS), target
        got = mod.run(model, inputs, membrane=True)
        for key in want:
            assert torch.equal(got[key], want[key]), f"{target} {key}: {(got[key] == want[key]).float().mean():.3%}"


@pytest.mark.parametrize("init_tau", [2.0, 3.0, 1.7, 1.0001, 50.0])
def test_w_starts_where_parametric_lif_node_starts_it(init_tau, tmp_path):
    from spikingjelly.activation_based import neuron

    s = _spec({"init_tau": init_tau}, {})
    mod = specs.module(s, "spikingjelly", tmp_path)
    got = mod.export_weights(mod.build_model())["layer_1.w"]
    want = neuron.ParametricLIFNode(init_tau=init_tau).w.detach()
    assert got.shape == () and torch.equal(got, want) and want.item() == pytest.approx(-math.log(init_tau - 1))
    assert specs.graph(s, tmp_path).populations()[0].neuron.learned() == {"w": want.item()}


class PlifNet(torch.nn.Module):
    """Hand-written: layer.Linear -> neuron.ParametricLIFNode -> layer.Linear -> ParametricLIFNode."""

    def __init__(self, first: dict, second: dict, step_mode: str):
        from spikingjelly.activation_based import layer, neuron, surrogate

        super().__init__()

        def node(keys: dict):
            keys = dict(keys)
            sg = keys.pop("surrogate_function", None)
            if sg is not None:
                alpha = sg["alpha"] if isinstance(sg, dict) else 2.0
                keys["surrogate_function"] = surrogate.ATan(alpha=alpha)
            return neuron.ParametricLIFNode(**keys, step_mode=step_mode, store_v_seq=True)

        self.step_mode = step_mode
        self.fc1, self.fc2 = layer.Linear(10, 8), layer.Linear(8, 4)
        self.lif1, self.lif2 = node(first), node(second)

    def forward(self, x):
        from spikingjelly.activation_based import functional

        functional.reset_net(self)
        if self.step_mode == "m":
            s1 = self.lif1(torch.stack([self.fc1(x_t) for x_t in x]))
            s2 = self.lif2(torch.stack([self.fc2(s_t) for s_t in s1]))
            return {"layer_1": s1, "layer_1.v": self.lif1.v_seq, "layer_2": s2, "layer_2.v": self.lif2.v_seq}
        rec = {"layer_1": [], "layer_1.v": [], "layer_2": [], "layer_2.v": []}
        for x_t in x:
            s1 = self.lif1(self.fc1(x_t))
            rec["layer_1"].append(s1)
            rec["layer_1.v"].append(self.lif1.v)
            s2 = self.lif2(self.fc2(s1))
            rec["layer_2"].append(s2)
            rec["layer_2.v"].append(self.lif2.v)
        return {key: torch.stack(values) for key, values in rec.items()}


def _net_setup(case: str, step_mode: str, tmp_path, targets=TARGETS):
    first, second = CASES[case]
    torch.manual_seed(2)
    net = PlifNet(first, second, step_mode)
    with torch.no_grad():
        net.fc1.weight.mul_(3)
        net.fc2.weight.mul_(6)
        net.fc2.bias.add_(0.25)
        net.lif1.w.fill_(0.5)  # a trained w
    weights = {"layer_1.weight": net.fc1.weight, "layer_1.bias": net.fc1.bias, "layer_1.w": net.lif1.w,
               "layer_2.weight": net.fc2.weight, "layer_2.bias": net.fc2.bias, "layer_2.w": net.lif2.w}
    weights = {k: v.detach().clone() for k, v in weights.items()}
    mods = specs.modules(_spec(first, second), tmp_path, targets)
    return net, weights, mods, reference.random_spikes(T, 4, 10, seed=4, p=0.4)


def _loss(out: dict) -> torch.Tensor:
    return (out["layer_2"].sum(0) * torch.arange(1.0, 5.0)).sum() + 0.05 * out["layer_2.v"].pow(2).sum() \
        + 0.01 * out["layer_1.v"].pow(2).sum()


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("step_mode", ["s", "m"])
def test_every_target_gives_the_hand_written_parametric_lif_net_exactly(case, step_mode, tmp_path, bindsnet):
    net, weights, mods, inputs = _net_setup(case, step_mode, tmp_path)
    with torch.no_grad():
        want = net(inputs)
    assert 0 < want["layer_1"].mean() < 1 and 0 < want["layer_2"].mean() < 1
    assert_targets_equal(want, mods, weights, inputs)


# Gradients against SpikingJelly's own ParametricLIFNode (on CPU its fused sj_plif op): in single-step
# mode (one op call per step) bit-identical on every tensor, measured over CASES. In multi-step mode its
# backward sums the gradient of w over time before one multiplication by q*(1-q), where autograd
# multiplies at every step: the layers' weights and biases stay bit-identical, w differs by float32
# rounding -- measured max abs difference 1.91e-06 (relative to its largest gradient 1.14e-07, cases
# decay-input-hard and decay-input-soft; 0 in the others).
NATIVE_W_BOUND = 1e-6  # multi-step mode, w only: relative to the gradient's magnitude


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("step_mode", ["s", "m"])
def test_gradients_agree_between_targets_exactly_and_with_parametric_lif_node_closely(case, step_mode, tmp_path):
    net, weights, mods, inputs = _net_setup(case, step_mode, tmp_path, ("snntorch", "spikingjelly"))
    _loss(net(inputs)).backward()
    native = {"layer_1.weight": net.fc1.weight.grad, "layer_1.bias": net.fc1.bias.grad, "layer_1.w": net.lif1.w.grad,
              "layer_2.weight": net.fc2.weight.grad, "layer_2.bias": net.fc2.bias.grad, "layer_2.w": net.lif2.w.grad}
    grads = {}
    for target, mod in mods.items():
        model = mod.load_weights(mod.build_model(), weights)
        _loss(mod.run(model, inputs, membrane=True, grad=True)).backward()
        slots = mod.weight_slots(model)
        assert set(slots) == set(KEYS), target
        grads[target] = {key: tensor.grad for key, (tensor, _) in slots.items()}
    for key in KEYS:
        a, b = grads["snntorch"][key], grads["spikingjelly"][key]
        assert a is not None and a.abs().sum() > 0 and torch.equal(a, b), key
        if step_mode == "m" and key.endswith(".w"):
            assert (a - native[key]).abs().max() <= NATIVE_W_BOUND * native[key].abs().max(), (key, a, native[key])
        else:
            assert torch.equal(a, native[key]), (key, a, native[key])


BAD = {
    "init-tau-one": ({"init_tau": 1.0}, "/init_tau", "must be greater than 1"),
    "init-tau-below-one": ({"init_tau": 0.5}, "/init_tau", "must be greater than 1"),
    "init-tau-rounds-to-one": ({"init_tau": 1.00000001}, "/init_tau", "rounds to 1.0 in float32"),
    "init-tau-string": ({"init_tau": "2"}, "/init_tau", "number"),
    "decay-input-not-boolean": ({"decay_input": 1}, "/decay_input", "true or false"),
    "v-reset-string": ({"v_reset": "none"}, "/v_reset", "v_reset"),
    "tau-is-not-its-word": ({"tau": 2.0}, "", "tau"),
    "learn-beta-is-not-its-word": ({"learn_beta": True}, "", "learn_beta"),
}


@pytest.mark.parametrize("case", BAD)
def test_impossible_parametric_lif_is_a_located_error(case, tmp_path):
    keys, where, words = BAD[case]
    s = specs.spec([{"type": "linear", "in_features": 4, "out_features": 3}, {"type": "ParametricLIFNode", **keys}],
                   "SpikingJelly", time_steps=3)
    with pytest.raises(CompileError) as exc:
        compile_spec(specs.save(s, tmp_path))
    text = str(exc.value)
    assert f"error: layers/1{where}" in text and words in text, text


def test_generated_modules_are_black_stable_ruff_clean_and_the_ir_round_trips(tmp_path):
    from support.tooling import check_generated

    loop = {**specs.spec([{"type": "linear", "in_features": 10, "out_features": 6, "name": "fc"},
                          {"type": "linear", "in_features": 6, "out_features": 6, "name": "rec", "bias": False},
                          {"type": "ParametricLIFNode", "init_tau": 3.0, "name": "h"},
                          {"type": "linear", "in_features": 6, "out_features": 4, "name": "fc2"},
                          {"type": "ParametricLIFNode", "v_reset": None, "name": "out"}], "SpikingJelly", time_steps=T),
            "connections": [{"source": "fc", "target": "h"}, {"source": "rec", "target": "h"},
                            {"source": "h", "target": "rec"}, {"source": "h", "target": "fc2"}]}
    cases = [_spec(*keys) for keys in CASES.values()] + [loop]
    check_generated({f"plif_{k}": s for k, s in enumerate(cases)}, tmp_path)


def test_a_feedback_loop_equals_the_reference_in_every_target_and_trains_alike(tmp_path, bindsnet):
    s = {**specs.spec([{"type": "linear", "in_features": 10, "out_features": 6, "name": "fc"},
                       {"type": "linear", "in_features": 6, "out_features": 6, "name": "rec", "bias": False},
                       {"type": "ParametricLIFNode", "init_tau": 3.0, "decay_input": False, "name": "h"},
                       {"type": "linear", "in_features": 6, "out_features": 4, "name": "fc2"},
                       {"type": "ParametricLIFNode", "v_reset": -0.5, "name": "out"}], "SpikingJelly", time_steps=T),
         "connections": [{"source": "fc", "target": "h"}, {"source": "rec", "target": "h"},
                         {"source": "h", "target": "rec"}, {"source": "h", "target": "fc2"}]}
    graph = specs.graph(s, tmp_path)
    weights = reference.random_weights(graph, seed=3, scale=2.0)
    weights["h.w"], weights["out.w"] = torch.tensor(0.3), torch.tensor(-0.6)
    inputs = reference.random_spikes(T, 4, 10, seed=5, p=0.4)
    want = reference.run(graph, weights, inputs)
    mods = specs.modules(s, tmp_path)
    assert_targets_equal(want, mods, weights, inputs)
    grads = []
    for target in ("snntorch", "spikingjelly"):
        model = mods[target].load_weights(mods[target].build_model(), weights)
        out = mods[target].run(model, inputs, membrane=True, grad=True)
        (out["out"].sum() + 0.05 * out["out.v"].pow(2).sum()).backward()
        grads.append({k: t.grad for k, (t, _) in mods[target].weight_slots(model).items()})
    assert set(grads[0]) == set(weights) and grads[0]["h.w"].abs() > 0
    for key in grads[0]:
        assert torch.equal(grads[0][key], grads[1][key]), key


def test_low_energy_makes_it_an_if_node_without_w_and_says_so(tmp_path):
    from compiler.frontend import load_spec
    from passes.manager import parse_pipeline, run_pipeline

    s = {**_spec({"init_tau": 3.0}, {}), "power_mode": "low_energy"}
    front = load_spec(str(specs.save(s, tmp_path)))
    result = run_pipeline(front.graph, parse_pipeline(None), out=lambda _text: None)
    pops = result.graph.populations()
    assert [p.neuron.kind for p in pops] == ["if", "if"] and all(not p.neuron.learned() for p in pops)
    assert "layer_1.w" not in result.graph.weight_shapes()
    mod = specs.module(s, "spikingjelly", tmp_path)
    assert set(mod.WEIGHTS) == {"layer_1.weight", "layer_1.bias", "layer_2.weight", "layer_2.bias"}


@pytest.mark.parametrize("simulator", ["snnTorch", "BindsNET"])
def test_it_is_spikingjelly_s_class_whatever_the_target_simulator(simulator, tmp_path):
    """ParametricLIFNode has one vocabulary: a spec for another simulator means the same neuron,
    and the frontend says whose arithmetic the layer computes where it writes that class's keys."""
    from compiler.frontend import load_spec

    first, second = CASES["detach-atan"]
    want = specs.graph(_spec(first, second), tmp_path).populations()
    s = {**_spec(first, second), "target_simulator": simulator}
    front = load_spec(str(specs.save(s, tmp_path)))
    got = front.graph.populations()
    assert [p.neuron for p in got] == [p.neuron for p in want]
    assert any("SpikingJelly's ParametricLIFNode arithmetic" in d.message for d in front.warnings)
