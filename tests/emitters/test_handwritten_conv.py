"""Convolutional specs against convolutional SNNs written the way each simulator's users write them.

- snnTorch's tutorial CSNN: conv 5x5 -> max-pool 2 -> Leaky, twice, flatten -> linear -> Leaky,
  stepped in time by hand (currents are pooled);
- SpikingJelly nn.Sequential of `layer` modules in single-step mode: conv -> IFNode -> max-pool
  (spikes are pooled), with padding, stride, a non-square kernel, channels > 1, and a net with
  average-pooled spikes;
- BindsNET: Input -> Conv2dConnection -> LIFNodes in the default run mode (shifted by its delay).
Every target of each spec must give the hand-written spikes and membranes exactly.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

import snntorch as snn
from support import reference
from support.generated import assert_targets_equal
from support.specs import graph as graph_of
from support.specs import modules, spec

B = 4


class TutorialCSNN(nn.Module):
    """snnTorch tutorial 7's convolutional network, stepped in time by hand."""

    def __init__(self, beta: float):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 12, 5)
        self.lif1 = snn.Leaky(beta=beta)
        self.conv2 = nn.Conv2d(12, 64, 5)
        self.lif2 = snn.Leaky(beta=beta)
        self.fc1 = nn.Linear(64 * 4 * 4, 10)
        self.lif3 = snn.Leaky(beta=beta)

    def forward(self, x):
        mem1, mem2, mem3 = self.lif1.reset_mem(), self.lif2.reset_mem(), self.lif3.reset_mem()
        rec = {k: [] for k in ("layer_1", "layer_1.v", "layer_2", "layer_2.v", "layer_3", "layer_3.v")}
        for step in range(x.shape[0]):
            cur1 = F.max_pool2d(self.conv1(x[step]), 2)
            spk1, mem1 = self.lif1(cur1, mem1)
            cur2 = F.max_pool2d(self.conv2(spk1), 2)
            spk2, mem2 = self.lif2(cur2, mem2)
            cur3 = self.fc1(spk2.flatten(1))
            spk3, mem3 = self.lif3(cur3, mem3)
            for key, value in zip(rec, (spk1, mem1, spk2, mem2, spk3, mem3)):
                rec[key].append(value)
        return {key: torch.stack(values) for key, values in rec.items()}


def test_snntorch_tutorial_csnn(tmp_path, bindsnet):
    layer = {"type": "LIFNode", "beta": 0.5}
    s = spec([{"type": "conv2d", "in_channels": 1, "out_channels": 12, "kernel_size": 5},
              {"type": "maxpool2d", "kernel_size": 2}, layer,
              {"type": "conv2d", "in_channels": 12, "out_channels": 64, "kernel_size": 5},
              {"type": "maxpool2d", "kernel_size": 2}, layer,
              {"type": "flatten"}, {"type": "linear", "in_features": 1024, "out_features": 10}, layer],
             time_steps=10, input_shape=[1, 28, 28])
    graph = graph_of(s, tmp_path)
    assert [op.key for op in graph.parametric()] == ["layer_1", "layer_2", "layer_3"]
    weights = reference.random_weights(graph, seed=2, scale=2.0)
    net = TutorialCSNN(beta=0.5)
    net.load_state_dict({"conv1.weight": weights["layer_1.weight"], "conv1.bias": weights["layer_1.bias"],
                         "conv2.weight": weights["layer_2.weight"], "conv2.bias": weights["layer_2.bias"],
                         "fc1.weight": weights["layer_3.weight"], "fc1.bias": weights["layer_3.bias"]},
                        strict=False)
    inputs = reference.random_spikes(10, B, (1, 28, 28), seed=3, p=0.3)
    with torch.no_grad():
        want = net(inputs)
    assert all(0 < want[p].mean() < 1 for p in ("layer_1", "layer_2", "layer_3"))
    assert_targets_equal(want, modules(s, tmp_path), weights, inputs)


def _sj_net(pool: str):
    """The net as SpikingJelly's single-step users write it (one call per time step)."""
    from spikingjelly.activation_based import layer, neuron

    pool_cls = layer.MaxPool2d if pool == "max" else layer.AvgPool2d
    return nn.Sequential(
        layer.Conv2d(2, 6, (3, 5), padding=(1, 2), bias=False), neuron.IFNode(), pool_cls(2),
        layer.Conv2d(6, 8, 3, stride=2, padding=1), neuron.IFNode(v_reset=None),
        layer.Flatten(), layer.Linear(8 * 4 * 4, 10), neuron.LIFNode(tau=2.0))


@pytest.mark.parametrize("pool", ["max", "avg"])
def test_spikingjelly_sequential_with_pooled_spikes(pool, tmp_path, bindsnet):
    """Against SpikingJelly's single-step mode: its multi-step mode convolves all T*B samples at once,
    which oneDNN rounds like the per-step convolutions on some CPUs and not on others (AVX-512 Intel)."""
    from spikingjelly.activation_based import functional

    s = spec([{"type": "conv2d", "in_channels": 2, "out_channels": 6, "kernel_size": [3, 5], "padding": [1, 2],
               "bias": False}, {"type": "IFNode"}, {"type": f"{pool}pool2d", "kernel_size": 2},
              {"type": "conv2d", "in_channels": 6, "out_channels": 8, "kernel_size": 3, "stride": 2, "padding": 1},
              {"type": "IFNode", "v_reset": None}, {"type": "flatten"},
              {"type": "linear", "in_features": 128, "out_features": 10}, {"type": "LIFNode", "tau": 2.0}],
             "SpikingJelly", time_steps=8, input_shape=[2, 16, 16])
    graph = graph_of(s, tmp_path)
    weights = reference.random_weights(graph, seed=4, scale=2.0)
    net = _sj_net(pool)
    net.load_state_dict({"0.weight": weights["layer_1.weight"], "3.weight": weights["layer_2.weight"],
                         "3.bias": weights["layer_2.bias"], "6.weight": weights["layer_3.weight"],
                         "6.bias": weights["layer_3.bias"]})
    inputs = reference.random_spikes(8, B, (2, 16, 16), seed=5, p=0.4)
    record = {"layer_1": 1, "layer_2": 4, "layer_3": 7}
    want = {key: [] for pop in record for key in (pop, pop + ".v")}
    with torch.no_grad():
        functional.reset_net(net)
        for step in inputs:
            x = step
            for index, module in enumerate(net):
                x = module(x)
                for pop, at in record.items():
                    if index == at:
                        want[pop].append(x)
                        want[pop + ".v"].append(module.v.clone())
    want = {key: torch.stack(values) for key, values in want.items()}
    assert all(0 < want[p].mean() < 1 for p in record)
    assert_targets_equal(want, modules(s, tmp_path), weights, inputs)


@pytest.mark.parametrize("bias", [False, True])
def test_bindsnet_conv2d_connection_in_the_default_run_mode(bias, tmp_path, bindsnet):
    from bindsnet.network import Network
    from bindsnet.network.monitors import Monitor
    from bindsnet.network.nodes import Input, LIFNodes
    from bindsnet.network.topology import Conv2dConnection

    T = 12
    layer = {"type": "LIFNode", "thresh": 1.0, "rest": 0.0, "reset": 0.0, "refrac": 1, "tc_decay": 10.0}
    s = spec([{"type": "conv2d", "in_channels": 2, "out_channels": 4, "kernel_size": [3, 2], "stride": [1, 2],
               "padding": 1, "bias": bias}, layer], "BindsNET", time_steps=T, input_shape=[2, 8, 8])
    graph = graph_of(s, tmp_path)
    assert graph.plan[0].cls == "Conv2dConnection"
    g = torch.Generator().manual_seed(9)
    w = torch.rand(4, 2, 3, 2, generator=g) * 0.8
    b = torch.rand(4, generator=g) * 0.1 if bias else None
    net = Network(dt=1.0)
    X, H = Input(shape=(2, 8, 8)), LIFNodes(shape=(4, 8, 5), **{k: v for k, v in layer.items() if k != "type"})
    net.add_layer(X, name="X")
    net.add_layer(H, name="H")
    kwargs = {"b": b} if bias else {}
    net.add_connection(Conv2dConnection(X, H, kernel_size=(3, 2), stride=(1, 2), padding=1, w=w, **kwargs),
                       source="X", target="H")
    net.add_monitor(Monitor(H, ["s", "v"], time=T + 1), name="H")
    inputs = reference.random_spikes(T, B, (2, 8, 8), seed=6, p=0.4)
    one_step = bias  # before the input arrives the default mode adds the bias alone: compare biased nets one_step
    net.run(inputs={"X": torch.cat([inputs, torch.zeros(1, B, 2, 8, 8)])}, time=T + 1.5, one_step=one_step)
    shift = 0 if one_step else 1
    monitor = net.monitors["H"]
    want = {"layer_1": monitor.get("s").float()[shift:T + shift], "layer_1.v": monitor.get("v")[shift:T + shift]}
    assert 0 < want["layer_1"].mean() < 1
    weights = {"layer_1.weight": w, **({"layer_1.bias": b} if bias else {})}
    assert_targets_equal(want, modules(s, tmp_path), weights, inputs)
