"""Compiled SpikingJelly specs against models written the way SpikingJelly's users write them.

A multi-step nn.Sequential of layer.Linear and LIFNode/IFNode, reset with
functional.reset_net. SpikingJelly's multi-step Linear folds T*B rows into one
product; the generated modules compute one step at a time (exact against BindsNET's
per-step product). The two agree where MKL rounds both alike (here: one thread,
batch 16, as measured); the cross-target promise never depends on it.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn as nn
from spikingjelly.activation_based import functional, layer, neuron, surrogate

from support import reference
from support.specs import graph as graph_of
from support.specs import modules, spec

T, B = 25, 16
SIZES = (100, 64, 10)

CASES = {
    "lif-hard": ({"type": "LIFNode", "tau": 2.0}, lambda: neuron.LIFNode(tau=2.0)),
    "lif-soft-no-decay-input": ({"type": "LIFNode", "tau": 3.0, "v_reset": None, "decay_input": False},
                                lambda: neuron.LIFNode(tau=3.0, v_reset=None, decay_input=False)),
    "if-hard": ({"type": "IFNode"}, lambda: neuron.IFNode()),
    "if-soft-detach-atan": ({"type": "IFNode", "v_reset": None, "detach_reset": True, "surrogate_function": "ATan"},
                            lambda: neuron.IFNode(v_reset=None, detach_reset=True, surrogate_function=surrogate.ATan())),
}


@pytest.mark.parametrize("case", list(CASES))
def test_multi_step_sequential(case, tmp_path, bindsnet):
    layer_spec, node = CASES[case]
    s = spec([{"type": "linear", "in_features": SIZES[0], "out_features": SIZES[1]}, layer_spec,
              {"type": "linear", "in_features": SIZES[1], "out_features": SIZES[2]}, layer_spec],
             "SpikingJelly", time_steps=T)
    net = nn.Sequential(layer.Linear(SIZES[0], SIZES[1]), node(), layer.Linear(SIZES[1], SIZES[2]), node())
    functional.set_step_mode(net, "m")
    for module in (net[1], net[3]):
        module.store_v_seq = True
    graph = graph_of(s, tmp_path)
    weights = reference.random_weights(graph, seed=6, scale=2.0)
    net.load_state_dict({"0.weight": weights["layer_1.weight"], "0.bias": weights["layer_1.bias"],
                         "2.weight": weights["layer_2.weight"], "2.bias": weights["layer_2.bias"]})
    inputs = reference.random_spikes(T, B, SIZES[0], seed=3, p=0.3)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with torch.no_grad():
            functional.reset_net(net)
            hidden = net[1](net[0](inputs))
            out = net[3](net[2](hidden))
        want = {"layer_1": hidden, "layer_1.v": net[1].v_seq, "layer_2": out, "layer_2.v": net[3].v_seq}
        assert 0 < hidden.mean() < 1 and 0 < out.mean() < 1
        for target, mod in modules(s, tmp_path).items():
            got = mod.run(mod.load_weights(mod.build_model(), weights), inputs, membrane=True)
            for key in want:
                assert torch.equal(got[key], want[key]), f"{target} {key}"
    finally:
        torch.set_num_threads(threads)


def test_the_generated_module_is_a_named_multi_step_sequential(tmp_path):
    s = spec([{"type": "linear", "in_features": 8, "out_features": 6}, {"type": "LIFNode", "name": "hidden"},
              {"type": "linear", "in_features": 6, "out_features": 2}, {"type": "IFNode"}], "SpikingJelly")
    mod = modules(s, tmp_path, targets=("spikingjelly",))["spikingjelly"]
    model = mod.build_model()
    assert isinstance(model, nn.Sequential)
    # a layer is named after its weight key, the population after itself (<name>_<kind> if the key has it)
    assert isinstance(model.hidden_lif, neuron.LIFNode) and model.hidden_lif.step_mode == "m"
    assert isinstance(model.layer_2_if, neuron.IFNode)
    assert model.hidden.layer.weight is mod.weight_slots(model)["hidden.weight"][0]
    # names, not positions: inserting a layer keeps the weights where they were
    model.add_module("dropout", nn.Dropout(0.0))
    assert set(mod.export_weights(model)) == {"hidden.weight", "hidden.bias", "layer_2.weight", "layer_2.bias"}
