"""Compiled snnTorch specs against models written by hand the way snnTorch's users write them.

Every target of the spec must give the hand-written model's spikes and membranes
exactly: the tutorial's Linear/Leaky loop, and the corners where snn.Leaky's own
arithmetic is unusual (an immediate subtract reset that can double-count, a
negative threshold that resets the initial membrane, zero reset without delay).
"""

from __future__ import annotations

import pytest
import torch
import torch.nn as nn

import snntorch as snn
from snntorch import surrogate
from support import reference
from support.specs import modules, spec

T, B = 25, 16
SIZES = (100, 64, 10)


class TutorialNet(nn.Module):
    """snnTorch tutorial style: one Linear and one Leaky per layer, stepped in time."""

    def __init__(self, sizes, **leaky):
        super().__init__()
        self.fc1 = nn.Linear(sizes[0], sizes[1])
        self.lif1 = snn.Leaky(**leaky)
        self.fc2 = nn.Linear(sizes[1], sizes[2])
        self.lif2 = snn.Leaky(**leaky)

    def forward(self, x):
        mem1 = self.lif1.reset_mem()
        mem2 = self.lif2.reset_mem()
        rec = {"layer_1": [], "layer_1.v": [], "layer_2": [], "layer_2.v": []}
        for step in range(x.shape[0]):
            cur1 = self.fc1(x[step])
            spk1, mem1 = self.lif1(cur1, mem1)
            cur2 = self.fc2(spk1)
            spk2, mem2 = self.lif2(cur2, mem2)
            for key, value in (("layer_1", spk1), ("layer_1.v", mem1), ("layer_2", spk2), ("layer_2.v", mem2)):
                rec[key].append(value)
        return {key: torch.stack(values) for key, values in rec.items()}


def _layer(**leaky) -> dict:
    key = "LIFNode" if leaky.get("beta", 1.0) != 1.0 else "IFNode"
    return {"type": key, **{k: v for k, v in leaky.items() if not (key == "IFNode" and k == "beta")}}


def _compare(leaky: dict, tmp_path, weights_scale: float = 3.0, quantized: bool = False):
    layer = _layer(**leaky)
    s = spec([{"type": "linear", "in_features": SIZES[0], "out_features": SIZES[1]}, layer,
              {"type": "linear", "in_features": SIZES[1], "out_features": SIZES[2]}, layer], time_steps=T)
    mods = modules(s, tmp_path)
    net = TutorialNet(SIZES, **leaky)
    from compiler.build import compile_spec
    from support.specs import save

    graph = compile_spec(save(s, tmp_path)).graph
    weights = reference.random_weights(graph, seed=11, quantized=quantized, scale=weights_scale)
    net.load_state_dict({"fc1.weight": weights["layer_1.weight"], "fc1.bias": weights["layer_1.bias"],
                         "fc2.weight": weights["layer_2.weight"], "fc2.bias": weights["layer_2.bias"]}, strict=False)
    inputs = reference.random_spikes(T, B, SIZES[0], seed=4, p=0.3)
    with torch.no_grad():
        want = net(inputs)
    assert 0 < want["layer_1"].mean() < 1 or leaky.get("threshold", 1.0) < 0
    for target, mod in mods.items():
        got = mod.run(mod.load_weights(mod.build_model(), weights), inputs, membrane=True)
        for key in want:
            assert torch.equal(got[key], want[key]), f"{target} {key}: {(got[key] == want[key]).float().mean():.3%}"


@pytest.mark.parametrize("quantized", [False, True], ids=["gaussian", "dyadic"])
def test_tutorial_loop(quantized, tmp_path, bindsnet):
    _compare({"beta": 0.95}, tmp_path, quantized=quantized)


@pytest.mark.parametrize("leaky", [
    {"beta": 0.9, "reset_mechanism": "zero"},
    {"beta": 0.9, "reset_mechanism": "none"},
    {"beta": 1.0, "reset_mechanism": "zero"},
    {"beta": 0.8, "reset_delay": False},  # subtract, immediate: Leaky's double-counted reset
    {"beta": 0.8, "reset_mechanism": "zero", "reset_delay": False, "threshold": -0.3},
    {"beta": 0.9, "threshold": -0.5},  # delayed subtract: Leaky resets its initial membrane at t=0
    {"beta": 0.7, "reset_delay": False, "threshold": -0.2},
], ids=["zero", "none", "if-zero", "subtract-immediate", "zero-immediate-negative", "subtract-negative",
        "subtract-immediate-negative"])
def test_leaky_corners_are_exact(leaky, tmp_path, bindsnet):
    _compare(leaky, tmp_path)


def test_training_steps_snn_leaky_and_equals_inference(tmp_path):
    """With autograd on the module steps snn.Leaky itself; without, its generated step: same floats."""
    layer = {"type": "LIFNode", "beta": 0.9, "surrogate_function": "fast_sigmoid"}
    s = spec([{"type": "linear", "in_features": 20, "out_features": 16}, layer,
              {"type": "linear", "in_features": 16, "out_features": 4}, layer])
    mod = modules(s, tmp_path, targets=("snntorch",))["snntorch"]
    model = mod.build_model()
    inputs = reference.random_spikes(20, 8, 20, seed=2, p=0.4)
    fast = mod.run(model, inputs, membrane=True)
    slow = mod.run(model, inputs, membrane=True, grad=True)
    for key in fast:
        assert torch.equal(fast[key], slow[key].detach()), key
    slow["layer_2"].sum().backward()
    grads = [p.grad for p in model.parameters()]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)
    assert isinstance(model.layer_1_lif, snn.Leaky)  # model.layer_1 is the layer whose key is "layer_1"
    assert model.layer_1_lif.spike_grad.__qualname__.startswith(surrogate.fast_sigmoid.__qualname__)
