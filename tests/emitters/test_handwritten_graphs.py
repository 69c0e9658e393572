"""Networks that are graphs, against models written by hand, compiled for all three targets.

- a snnTorch skip network: cur3 = fc3(spk2) + skip(spk1);
- a snnTorch RLeaky network: linear_features with its own recurrent nn.Linear (with bias);
- a BindsNET network with a recurrent Connection, run in its default (delayed) mode;
- a residual block (a conv path and the input summed into one population), a loop between
  two populations, and a fan-in of three connections whose sum order changes the spikes.
"""

from __future__ import annotations

import torch
import torch.nn as nn

import snntorch as snn
from support import reference
from support.generated import assert_targets_equal
from support.specs import graph as graph_of
from support.specs import modules, spec

T, B = 20, 8


def test_snntorch_skip_network(tmp_path, bindsnet):
    class SkipNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1, self.lif1 = nn.Linear(20, 16), snn.Leaky(beta=0.9)
            self.fc2, self.lif2 = nn.Linear(16, 12), snn.Leaky(beta=0.9)
            self.fc3, self.skip, self.lif3 = nn.Linear(12, 6), nn.Linear(16, 6), snn.Leaky(beta=0.9)

        def forward(self, x):
            mem1, mem2, mem3 = (lif.reset_mem() for lif in (self.lif1, self.lif2, self.lif3))
            rec = {k: [] for k in ("s1", "s2", "out", "out.v")}
            for step in range(x.shape[0]):
                spk1, mem1 = self.lif1(self.fc1(x[step]), mem1)
                spk2, mem2 = self.lif2(self.fc2(spk1), mem2)
                spk3, mem3 = self.lif3(self.fc3(spk2) + self.skip(spk1), mem3)
                for key, value in zip(rec, (spk1, spk2, spk3, mem3)):
                    rec[key].append(value)
            return {key: torch.stack(v) for key, v in rec.items()}

    lif = {"type": "LIFNode", "beta": 0.9}
    s = spec([{"type": "linear", "in_features": 20, "out_features": 16}, {**lif, "name": "s1"},
              {"type": "linear", "in_features": 16, "out_features": 12}, {**lif, "name": "s2"},
              {"type": "linear", "in_features": 12, "out_features": 6, "name": "fc3"},
              {"type": "linear", "in_features": 16, "out_features": 6, "name": "skip"}, {**lif, "name": "out"}],
             connections=[{"source": "s1", "target": "skip"}, {"source": "fc3", "target": "out"},
                          {"source": "skip", "target": "out"}], time_steps=T)
    weights = reference.random_weights(graph_of(s, tmp_path), seed=1, scale=2.0)
    net = SkipNet()
    net.load_state_dict({"fc1.weight": weights["s1.weight"], "fc1.bias": weights["s1.bias"],
                         "fc2.weight": weights["s2.weight"], "fc2.bias": weights["s2.bias"],
                         "fc3.weight": weights["fc3.weight"], "fc3.bias": weights["fc3.bias"],
                         "skip.weight": weights["skip.weight"], "skip.bias": weights["skip.bias"]}, strict=False)
    inputs = reference.random_spikes(T, B, 20, seed=2, p=0.3)
    with torch.no_grad():
        want = net(inputs)
    assert all(0 < want[k].mean() < 1 for k in ("s1", "s2", "out"))
    assert_targets_equal(want, modules(s, tmp_path), weights, inputs)


def test_snntorch_rleaky_network(tmp_path, bindsnet):
    class RNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = nn.Linear(12, 10)
            self.lif1 = snn.RLeaky(beta=0.85, linear_features=10)
            self.fc2 = nn.Linear(10, 4)
            self.lif2 = snn.Leaky(beta=0.85)

        def forward(self, x):
            spk1, mem1 = self.lif1.reset_mem()
            mem2 = self.lif2.reset_mem()
            rec = {k: [] for k in ("h", "h.v", "out", "out.v")}
            for step in range(x.shape[0]):
                spk1, mem1 = self.lif1(self.fc1(x[step]), spk1, mem1)
                spk2, mem2 = self.lif2(self.fc2(spk1), mem2)
                for key, value in zip(rec, (spk1, mem1, spk2, mem2)):
                    rec[key].append(value)
            return {key: torch.stack(v) for key, v in rec.items()}

    lif = {"type": "LIFNode", "beta": 0.85}
    # rec reads h's previous spikes (listed before h: feedback), h reads fc1 + rec: RLeaky's arithmetic
    s = spec([{"type": "linear", "in_features": 12, "out_features": 10, "name": "fc1"},
              {"type": "linear", "in_features": 10, "out_features": 10, "name": "rec"}, {**lif, "name": "h"},
              {"type": "linear", "in_features": 10, "out_features": 4, "name": "fc2"}, {**lif, "name": "out"}],
             connections=[{"source": "h", "target": "rec"}, {"source": "fc1", "target": "h"},
                          {"source": "rec", "target": "h"}, {"source": "h", "target": "fc2"}], time_steps=T)
    graph = graph_of(s, tmp_path, "snntorch")
    assert graph.op("h").impl == "snn.RLeaky" and graph.op("rec").impl == "snn.RLeaky.recurrent"
    weights = reference.random_weights(graph, seed=3, scale=2.0)
    net = RNet()
    net.load_state_dict({"fc1.weight": weights["fc1.weight"], "fc1.bias": weights["fc1.bias"],
                         "lif1.recurrent.weight": weights["rec.weight"], "lif1.recurrent.bias": weights["rec.bias"],
                         "fc2.weight": weights["fc2.weight"], "fc2.bias": weights["fc2.bias"]}, strict=False)
    inputs = reference.random_spikes(T, B, 12, seed=4, p=0.3)
    with torch.no_grad():
        want = net(inputs)
    assert 0 < want["h"].mean() < 1
    mods = modules(s, tmp_path)
    assert_targets_equal(want, mods, weights, inputs)
    model = mods["snntorch"].build_model()
    assert isinstance(model.h, snn.RLeaky) and model.h.recurrent.weight.shape == (10, 10)


def test_bindsnet_recurrent_connection_in_the_default_run_mode(tmp_path, bindsnet):
    from bindsnet.network import Network
    from bindsnet.network.monitors import Monitor
    from bindsnet.network.nodes import Input, LIFNodes
    from bindsnet.network.topology import Connection

    layer = {"thresh": 1.0, "rest": 0.0, "reset": 0.0, "refrac": 1, "tc_decay": 8.0}
    g = torch.Generator().manual_seed(5)
    w1, r, w2 = (torch.rand(*shape, generator=g) * 0.6 - 0.1 for shape in ((16, 12), (12, 12), (12, 4)))
    net = Network(dt=1.0)
    X, H, O = Input(n=16), LIFNodes(n=12, **layer), LIFNodes(n=4, **layer)
    for name, nodes in (("X", X), ("H", H), ("O", O)):
        net.add_layer(nodes, name=name)
    net.add_connection(Connection(X, H, w=w1), "X", "H")
    net.add_connection(Connection(H, H, w=r), "H", "H")  # recurrent: H's last spikes
    net.add_connection(Connection(H, O, w=w2), "H", "O")
    for name, nodes in (("H", H), ("O", O)):
        net.add_monitor(Monitor(nodes, ["s", "v"], time=T + 2), name=name)
    inputs = reference.random_spikes(T, B, 16, seed=6, p=0.3)
    net.run(inputs={"X": torch.cat([inputs, torch.zeros(2, B, 16)])}, time=T + 2.5)
    h, o = net.monitors["H"], net.monitors["O"]
    want = {"h": h.get("s").float()[1:T + 1], "h.v": h.get("v")[1:T + 1],
            "out": o.get("s").float()[2:T + 2], "out.v": o.get("v")[2:T + 2]}  # realigned: one step per connection
    assert 0 < want["h"].mean() < 1
    lif = {"type": "LIFNode", **layer}
    s = spec([{"type": "linear", "in_features": 16, "out_features": 12, "name": "fc1"}, {**lif, "name": "h"},
              {"type": "linear", "in_features": 12, "out_features": 12, "name": "rec"},
              {"type": "linear", "in_features": 12, "out_features": 4, "name": "fc2"}, {**lif, "name": "out"}],
             "BindsNET", connections=[{"source": "fc1", "target": "h"}, {"source": "rec", "target": "h"},
                                      {"source": "h", "target": "fc2"}], time_steps=T)
    graph = graph_of(s, tmp_path, "bindsnet")
    assert [link.cls for link in graph.plan] == ["Connection", "Connection", "Connection"]
    assert_targets_equal(want, modules(s, tmp_path), {"fc1.weight": w1.t(), "rec.weight": r.t(), "fc2.weight": w2.t()}, inputs)


def _referenceassert_targets_equal(s: dict, tmp_path, weights=None, inputs=None, seed: int = 7) -> dict:
    graph = graph_of(s, tmp_path)
    weights = weights or reference.random_weights(graph, seed=seed, scale=2.0)
    inputs = reference.random_spikes(T, B, graph.input().shape, seed=seed, p=0.4) if inputs is None else inputs
    want = reference.run(graph, weights, inputs)
    assert_targets_equal(want, modules(s, tmp_path), weights, inputs)
    return want


def test_residual_block_sums_a_conv_path_and_a_shortcut(tmp_path, bindsnet):
    s = spec([{"type": "conv2d", "in_channels": 2, "out_channels": 4, "kernel_size": 3, "padding": 1},
              {"type": "IFNode", "name": "a"},
              {"type": "conv2d", "in_channels": 4, "out_channels": 4, "kernel_size": 3, "padding": 1, "name": "conv2"},
              {"type": "conv2d", "in_channels": 2, "out_channels": 4, "kernel_size": 1, "name": "shortcut"},
              {"type": "IFNode", "name": "b"}],
             "SpikingJelly", connections=[{"source": "input", "target": "shortcut"}, {"source": "conv2", "target": "b"},
                                          {"source": "shortcut", "target": "b"}],
             input_shape=[2, 6, 6], time_steps=T)
    want = _referenceassert_targets_equal(s, tmp_path)
    assert 0 < want["b"].mean() < 1


def test_two_population_loop(tmp_path, bindsnet):
    s = spec([{"type": "linear", "in_features": 10, "out_features": 8, "name": "fc_in"}, {"type": "LIFNode", "name": "a"},
              {"type": "linear", "in_features": 8, "out_features": 6, "name": "ab"}, {"type": "LIFNode", "name": "b"},
              {"type": "linear", "in_features": 6, "out_features": 8, "name": "ba", "bias": True}],
             "SpikingJelly", connections=[{"source": "fc_in", "target": "a"}, {"source": "ba", "target": "a"}],
             time_steps=T)
    graph = graph_of(s, tmp_path)
    assert [(s.mode, s.ops) for s in graph.schedule] == [("layer", ("fc_in",)), ("step", ("a", "ab", "b", "ba"))]
    want = _referenceassert_targets_equal(s, tmp_path)
    assert 0 < want["a"].mean() < 1 and 0 < want["b"].mean() < 1


def test_fan_in_of_three_adds_in_the_order_listed(tmp_path, bindsnet):
    """(big + -big) + small fires; (big + small) + -big does not: float32 addition is not associative."""
    layers = [{"type": "linear", "in_features": 1, "out_features": 1, "bias": False, "name": n}
              for n in ("big", "small", "minus")] + [{"type": "IFNode", "name": "p", "v_threshold": 0.25}]
    weights = {"big.weight": torch.tensor([[2.0**25]]), "small.weight": torch.tensor([[0.5]]),
               "minus.weight": torch.tensor([[-(2.0**25)]])}
    inputs = torch.ones(3, 1, 1)
    rates = {}
    for order in (("big", "minus", "small"), ("big", "small", "minus")):
        conns = [{"source": "input", "target": n} for n in ("big", "small", "minus")]
        conns += [{"source": n, "target": "p"} for n in order]
        s = spec(layers, "SpikingJelly", connections=conns, time_steps=3, input_shape=[1])
        rates[order] = _referenceassert_targets_equal(s, tmp_path, weights, inputs)["p"].sum().item()
    assert rates[("big", "minus", "small")] > 0 and rates[("big", "small", "minus")] == 0
