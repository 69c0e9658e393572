"""Learned neuron parameters: snnTorch's learn_beta and learn_threshold (snn.Leaky's).

The learned values are weights of the module contract ("<population>.beta",
"<population>.threshold", 0-d): load_weights sets them, export_weights returns them. The
snnTorch module trains them with snn.Leaky(learn_beta=True, learn_threshold=True) itself,
the SpikingJelly module with a generated LearnedNeuron; both give the hand-written
snn.Leaky model's gradients bit for bit, on the layers' weights and on beta and threshold,
and the BindsNET module loads the learned values for inference.
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
T, B = 15, 16


def _spec(second: dict | None = None) -> dict:
    return specs.spec([{"type": "linear", "in_features": 10, "out_features": 8},
                       {"type": "LIFNode", "beta": 0.9, "learn_beta": True, "learn_threshold": True},
                       {"type": "linear", "in_features": 8, "out_features": 4},
                       second or {"type": "LIFNode", "beta": 0.8, "learn_beta": True}], time_steps=T)


class LearnedNet(torch.nn.Module):
    def __init__(self, second: dict):
        import snntorch as snn

        super().__init__()
        self.fc1, self.fc2 = torch.nn.Linear(10, 8), torch.nn.Linear(8, 4)
        self.lif1 = snn.Leaky(beta=0.9, learn_beta=True, learn_threshold=True)
        self.lif2 = snn.Leaky(**second)

    def forward(self, x):
        mem1, mem2 = self.lif1.reset_mem(), self.lif2.reset_mem()
        rec = {"layer_1": [], "layer_1.v": [], "layer_2": [], "layer_2.v": []}
        for step in range(x.shape[0]):
            spk1, mem1 = self.lif1(self.fc1(x[step]), mem1)
            spk2, mem2 = self.lif2(self.fc2(spk1), mem2)
            for key, value in (("layer_1", spk1), ("layer_1.v", mem1), ("layer_2", spk2), ("layer_2.v", mem2)):
                rec[key].append(value)
        return {key: torch.stack(values) for key, values in rec.items()}


SECOND = {  # the second layer: spec keys, snn.Leaky's arguments
    "beta": ({"type": "LIFNode", "beta": 0.8, "learn_beta": True}, {"beta": 0.8, "learn_beta": True}),
    "threshold-zero": ({"type": "LIFNode", "beta": 0.8, "learn_threshold": True, "reset_mechanism": "zero"},
                       {"beta": 0.8, "learn_threshold": True, "reset_mechanism": "zero"}),
    "if-threshold": ({"type": "IFNode", "learn_threshold": True}, {"beta": 1.0, "learn_threshold": True}),
}


def _setup(case: str, tmp_path, targets=TARGETS):
    keys, leaky = SECOND[case]
    torch.manual_seed(2)
    net = LearnedNet(leaky)
    with torch.no_grad():
        net.fc1.weight.mul_(3)
        net.fc2.weight.mul_(3)
    weights = {"layer_1.weight": net.fc1.weight, "layer_1.bias": net.fc1.bias, "layer_2.weight": net.fc2.weight,
               "layer_2.bias": net.fc2.bias, "layer_1.beta": net.lif1.beta, "layer_1.threshold": net.lif1.threshold}
    if "learn_beta" in leaky:
        weights["layer_2.beta"] = net.lif2.beta
    if "learn_threshold" in leaky:
        weights["layer_2.threshold"] = net.lif2.threshold
    weights = {k: v.detach().clone() for k, v in weights.items()}
    return net, weights, specs.modules(_spec(keys), tmp_path, targets), reference.random_spikes(T, B, 10, seed=4, p=0.4)


def _loss(out: dict) -> torch.Tensor:
    return (out["layer_2"].sum(0) * torch.arange(1.0, 5.0)).sum() + 0.05 * out["layer_2.v"].pow(2).sum()


@pytest.mark.parametrize("case", SECOND)
def test_learned_parameters_are_weights_of_the_contract(case, tmp_path, bindsnet):
    net, weights, mods, inputs = _setup(case, tmp_path)
    for target, mod in mods.items():
        assert set(mod.WEIGHTS) == set(weights) and mod.WEIGHTS["layer_1.beta"] == (), target
        model = mod.load_weights(mod.build_model(), weights)
        exported = mod.export_weights(model)
        assert set(exported) == set(weights) and all(torch.equal(exported[k], weights[k]) for k in weights), target


@pytest.mark.parametrize("case", SECOND)
def test_changed_learned_values_give_the_hand_written_spikes_in_every_target(case, tmp_path, bindsnet):
    """Values a training run would leave (beta 0.75, threshold 0.6): every target, BindsNET included, runs
    with them, as snn.Leaky does."""
    net, weights, mods, inputs = _setup(case, tmp_path)
    with torch.no_grad():
        net.lif1.beta.fill_(0.75)
        net.lif1.threshold.fill_(0.6)
        weights["layer_1.beta"] = torch.tensor(0.75)
        weights["layer_1.threshold"] = torch.tensor(0.6)
        want = net(inputs)
    assert 0 < want["layer_1"].mean() < 1 and 0 < want["layer_2"].mean() < 1
    graph = specs.graph(_spec(SECOND[case][0]), tmp_path)
    ref = reference.run(graph, weights, inputs)
    for target, mod in mods.items():
        got = mod.run(mod.load_weights(mod.build_model(), weights), inputs, membrane=True)
        for key in want:
            assert torch.equal(got[key], want[key]), f"{target} {key}: {(got[key] == want[key]).float().mean():.3%}"
            assert torch.equal(ref[key], want[key]), key


@pytest.mark.parametrize("case", SECOND)
def test_gradients_equal_snn_leaky_with_learned_beta_and_threshold(case, tmp_path):
    net, weights, mods, inputs = _setup(case, tmp_path, ("snntorch", "spikingjelly"))
    _loss(net(inputs)).backward()
    want = {"layer_1.weight": net.fc1.weight.grad, "layer_1.bias": net.fc1.bias.grad,
            "layer_2.weight": net.fc2.weight.grad, "layer_2.bias": net.fc2.bias.grad,
            "layer_1.beta": net.lif1.beta.grad, "layer_1.threshold": net.lif1.threshold.grad,
            "layer_2.beta": net.lif2.beta.grad, "layer_2.threshold": net.lif2.threshold.grad}
    for target, mod in mods.items():
        model = mod.load_weights(mod.build_model(), weights)
        _loss(mod.run(model, inputs, membrane=True, grad=True)).backward()
        slots = mod.weight_slots(model)
        assert set(slots) == set(weights)
        for key, (tensor, transposed) in slots.items():
            assert want[key] is not None and want[key].abs().sum() > 0, key
            assert torch.equal(tensor.grad, want[key]), (target, key, tensor.grad, want[key])


BAD = {
    "learn-beta-on-if": ({"type": "IFNode", "learn_beta": True}, "snnTorch", "/learn_beta", "IFNode"),
    "learn-in-spikingjelly-words": ({"type": "LIFNode", "tau": 2.0, "learn_threshold": True}, "snnTorch",
                                    "/learn_threshold", "snnTorch's word"),
    "learn-not-boolean": ({"type": "LIFNode", "beta": 0.5, "learn_beta": 1}, "snnTorch", "/learn_beta",
                          "true or false"),
}


@pytest.mark.parametrize("case", BAD)
def test_impossible_learning_is_a_located_error(case, tmp_path):
    layer, simulator, where, words = BAD[case]
    s = specs.spec([{"type": "linear", "in_features": 4, "out_features": 3}, layer], simulator, time_steps=3)
    with pytest.raises(CompileError) as exc:
        compile_spec(specs.save(s, tmp_path))
    text = str(exc.value)
    assert f"error: layers/1{where}" in text and words in text, text


LOOP = {**specs.spec([{"type": "linear", "in_features": 10, "out_features": 6, "name": "fc"},
                      {"type": "linear", "in_features": 6, "out_features": 6, "name": "rec", "bias": False},
                      {"type": "LIFNode", "beta": 0.9, "learn_beta": True, "learn_threshold": True, "name": "h"},
                      {"type": "linear", "in_features": 6, "out_features": 4, "name": "fc2"},
                      {"type": "IFNode", "learn_threshold": True, "reset_mechanism": "zero", "name": "out"}],
                     time_steps=T),
        "connections": [{"source": "fc", "target": "h"}, {"source": "rec", "target": "h"},
                        {"source": "h", "target": "rec"}, {"source": "h", "target": "fc2"}]}
LOW = {**_spec(), "power_mode": "low_energy"}
CUBA_LOOP = {**LOOP, "layers": [dict(layer) for layer in LOOP["layers"]]}
CUBA_LOOP["layers"][2] = {"type": "CUBALIFNode", "alpha": 0.7, "beta": 0.9, "learn_alpha": True, "learn_beta": True,
                          "learn_threshold": True, "name": "h"}
CUBA_LOOP["layers"][4] = {"type": "CUBALIFNode", "alpha": 0.5, "beta": 0.8, "reset_mechanism": "zero",
                          "learn_alpha": True, "name": "out"}


@pytest.mark.parametrize("s", [LOOP, LOW, CUBA_LOOP], ids=["feedback", "low-energy", "cuba-feedback"])
def test_every_target_equals_the_reference_and_snntorch_and_spikingjelly_gradients_agree(s, tmp_path, bindsnet):
    graph = specs.graph(s, tmp_path)
    weights = reference.random_weights(graph, seed=3, scale=2.0)
    for pop in graph.populations():  # values a training run would leave
        for key in pop.neuron.learned():
            weights[f"{pop.name}.{key}"] = weights[f"{pop.name}.{key}"] * 0.875
    inputs = reference.random_spikes(T, 8, 10, seed=5, p=0.4)
    want = reference.run(graph, weights, inputs)
    mods = specs.modules(s, tmp_path)
    assert_targets_equal(want, mods, weights, inputs)
    grads = []
    for target in ("snntorch", "spikingjelly"):
        mod = mods[target]
        model = mod.load_weights(mod.build_model(), weights)
        out = mod.run(model, inputs, membrane=True, grad=True)
        pop = graph.populations()[-1].name
        (out[pop].sum() + 0.05 * out[pop + ".v"].pow(2).sum()).backward()
        grads.append({k: t.grad for k, (t, _) in mod.weight_slots(model).items()})
    for key in grads[0]:
        assert torch.equal(grads[0][key], grads[1][key]), key
    assert any(k.endswith(".threshold") or k.endswith(".alpha") for k in grads[0])


def test_generated_modules_are_black_stable_ruff_clean_and_the_ir_round_trips(tmp_path):
    from support.tooling import check_generated

    cuba = [specs.spec([{"type": "linear", "in_features": 10, "out_features": 8}, {"type": "CUBALIFNode", **keys}],
                       time_steps=T) for keys in SYNAPTIC.values()]
    cases = [_spec(keys) for keys, _ in SECOND.values()] + [LOOP, LOW, CUBA_LOOP] + cuba
    check_generated({f"learned_{k}": s for k, s in enumerate(cases)}, tmp_path)


SYNAPTIC = {
    "all-subtract": {"alpha": 0.7, "beta": 0.8, "learn_alpha": True, "learn_beta": True, "learn_threshold": True},
    "all-zero": {"alpha": 0.6, "beta": 0.9, "reset_mechanism": "zero", "learn_alpha": True, "learn_beta": True,
                 "learn_threshold": True},
    "alpha-immediate": {"alpha": 0.6, "beta": 0.9, "reset_delay": False, "learn_alpha": True},
}


def _synaptic_setup(case: str, tmp_path, targets=TARGETS):
    keys = SYNAPTIC[case]
    torch.manual_seed(8)
    net = SynapticNet(**keys)
    with torch.no_grad():
        net.fc1.weight.mul_(3)
        net.fc2.weight.mul_(3)
    weights = {"layer_1.weight": net.fc1.weight, "layer_1.bias": net.fc1.bias, "layer_2.weight": net.fc2.weight,
               "layer_2.bias": net.fc2.bias}
    for i, lif in ((1, net.lif1), (2, net.lif2)):
        for key in ("alpha", "beta", "threshold"):
            if keys.get(f"learn_{key}"):
                weights[f"layer_{i}.{key}"] = getattr(lif, key)
    weights = {k: v.detach().clone() for k, v in weights.items()}
    s = specs.spec([{"type": "linear", "in_features": 10, "out_features": 8}, {"type": "CUBALIFNode", **keys},
                    {"type": "linear", "in_features": 8, "out_features": 4}, {"type": "CUBALIFNode", **keys}],
                   time_steps=T)
    return net, weights, specs.modules(s, tmp_path, targets), reference.random_spikes(T, B, 10, seed=4, p=0.4), s


@pytest.mark.parametrize("case", SYNAPTIC)
def test_snn_synaptic_learned_values_run_in_every_target(case, tmp_path, bindsnet):
    net, weights, mods, inputs, s = _synaptic_setup(case, tmp_path)
    with torch.no_grad():  # values a training run would leave
        for key in ("alpha", "beta", "threshold"):
            if f"layer_1.{key}" in weights:
                getattr(net.lif1, key).mul_(0.875)
                weights[f"layer_1.{key}"] = getattr(net.lif1, key).detach().clone()
        want = net(inputs)
    assert 0 < want["layer_1"].mean() < 1 and 0 < want["layer_2"].mean() < 1
    ref = reference.run(specs.graph(s, tmp_path), weights, inputs)
    for target, mod in mods.items():
        assert set(mod.WEIGHTS) == set(weights), target
        got = mod.run(mod.load_weights(mod.build_model(), weights), inputs, membrane=True)
        for key in want:
            assert torch.equal(got[key], want[key]), f"{target} {key}: {(got[key] == want[key]).float().mean():.3%}"
            assert torch.equal(ref[key], want[key]), key


@pytest.mark.parametrize("case", SYNAPTIC)
def test_gradients_equal_snn_synaptic_with_learned_parameters(case, tmp_path):
    net, weights, mods, inputs, _ = _synaptic_setup(case, tmp_path, ("snntorch", "spikingjelly"))
    _loss(net(inputs)).backward()
    want = {"layer_1.weight": net.fc1.weight.grad, "layer_1.bias": net.fc1.bias.grad,
            "layer_2.weight": net.fc2.weight.grad, "layer_2.bias": net.fc2.bias.grad}
    for i, lif in ((1, net.lif1), (2, net.lif2)):
        for key in ("alpha", "beta", "threshold"):
            want[f"layer_{i}.{key}"] = getattr(lif, key).grad
    for target, mod in mods.items():
        model = mod.load_weights(mod.build_model(), weights)
        _loss(mod.run(model, inputs, membrane=True, grad=True)).backward()
        slots = mod.weight_slots(model)
        assert set(slots) == set(weights)
        for key, (tensor, _) in slots.items():
            assert want[key] is not None and want[key].abs().sum() > 0, key
            assert torch.equal(tensor.grad, want[key]), (target, key, tensor.grad, want[key])


@pytest.mark.parametrize("suffix", [".pt", ".npz"])
def test_check_takes_learned_values_from_a_weights_file(suffix, tmp_path, bindsnet, capsys):
    """0-d weights survive a weights file (.pt or .npz) and every target runs with them."""
    import numpy as np

    from compiler.tools.check import main

    path = specs.save(_spec(), tmp_path)
    mod = specs.module(_spec(), "snntorch", tmp_path)
    weights = mod.export_weights(mod.build_model())
    weights["layer_1.beta"] = torch.tensor(0.5)
    weights["layer_1.threshold"] = torch.tensor(0.25)
    out = tmp_path / f"w{suffix}"
    if suffix == ".pt":
        torch.save(weights, out)
    else:
        np.savez(out, **{k: v.numpy() for k, v in weights.items()})
    assert main([str(path), "--weights", str(out), "--time-steps", "6", "--batch", "2"]) == 0
    assert "all targets agree" in capsys.readouterr().out
