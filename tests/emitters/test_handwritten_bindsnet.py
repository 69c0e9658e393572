"""Compiled BindsNET specs against networks written the way BindsNET's users write them.

The hand-written networks use BindsNET's defaults: Network.run in its default mode
(each connection delays by one step: input at t reaches the hidden layer at t+1
and the output at t+2, so they are compared shifted), contiguous [in, out] weights,
Connection's own `s @ w + b` biases, and any dt with refractory periods counted in
float32. Every target of the spec must give the hand-written spikes and membranes.
"""

from __future__ import annotations

import pytest
import torch

from support import reference
from support.specs import modules, spec

T, B = 30, 8


def handwritten(sizes, layer: dict, dt: float, w1, w2, b1=None, b2=None, kind="LIFNodes"):
    """Input -> Connection -> nodes -> Connection -> nodes, as BindsNET's examples build it."""
    from bindsnet.network import Network
    from bindsnet.network.monitors import Monitor
    from bindsnet.network.nodes import IFNodes, Input, LIFNodes
    from bindsnet.network.topology import Connection

    cls = LIFNodes if kind == "LIFNodes" else IFNodes
    net = Network(dt=dt)
    X, H, O = Input(n=sizes[0]), cls(n=sizes[1], **layer), cls(n=sizes[2], **layer)
    for name, nodes in (("X", X), ("H", H), ("O", O)):
        net.add_layer(nodes, name=name)
    net.add_connection(Connection(source=X, target=H, w=w1, b=b1), source="X", target="H")
    net.add_connection(Connection(source=H, target=O, w=w2, b=b2), source="H", target="O")
    for name, nodes in (("H", H), ("O", O)):
        net.add_monitor(Monitor(nodes, ["s", "v"], time=T + 2), name=name)
    return net


def run_default_mode(net, inputs, dt, one_step=False):
    """BindsNET's run; returns hidden and output spikes and membranes aligned to the spec's time.
    The default mode delivers input at t to the hidden layer at t+1 and to the output at t+2,
    so it is realigned by that shift (exact without biases: before the input arrives, a
    connection adds s @ w = 0; with a bias it would add b, so biased networks run one_step)."""
    padded = torch.cat([inputs, torch.zeros(2, *inputs.shape[1:])])
    net.run(inputs={"X": padded}, time=(T + 2.5) * dt, one_step=one_step)
    h, o = net.monitors["H"], net.monitors["O"]
    hs, hv, os_, ov = h.get("s").float(), h.get("v"), o.get("s").float(), o.get("v")
    shift = 0 if one_step else 1
    return {"layer_1": hs[shift:T + shift], "layer_1.v": hv[shift:T + shift],
            "layer_2": os_[2 * shift:T + 2 * shift], "layer_2.v": ov[2 * shift:T + 2 * shift]}


def bindsnet_spec(sizes, layer: dict, dt: float, bias: bool = False, kind: str = "LIFNode") -> dict:
    return spec([{"type": "linear", "in_features": sizes[0], "out_features": sizes[1], "bias": bias},
                 {"type": kind, **layer},
                 {"type": "linear", "in_features": sizes[1], "out_features": sizes[2], "bias": bias},
                 {"type": kind, **layer}], "BindsNET", time_steps=T, dt=dt)


def _compare(sizes, layer, dt, w1, w2, tmp_path, b1=None, b2=None, kind="LIFNode", inputs=None):
    net = handwritten(sizes, layer, dt, w1, w2, b1, b2, kind + "s")
    inputs = reference.random_spikes(T, B, sizes[0], seed=16, p=0.3) if inputs is None else inputs
    want = run_default_mode(net, inputs, dt, one_step=b1 is not None)
    weights = {"layer_1.weight": w1.t(), "layer_2.weight": w2.t()}
    if b1 is not None:
        weights.update({"layer_1.bias": b1, "layer_2.bias": b2})
    for target, mod in modules(bindsnet_spec(sizes, layer, dt, b1 is not None, kind), tmp_path).items():
        got = mod.run(mod.load_weights(mod.build_model(), weights), inputs, membrane=True)
        for key in want:
            assert torch.equal(got[key], want[key]), f"{target} {key}: {(got[key] == want[key]).float().mean():.3%}"
    return want


def test_defaults_in_the_default_run_mode(tmp_path, bindsnet):
    g = torch.Generator().manual_seed(15)
    sizes = (40, 30, 10)
    w1 = torch.randn(sizes[0], sizes[1], generator=g) * 6.0  # contiguous [in, out], as BindsNET users write
    w2 = torch.randn(sizes[1], sizes[2], generator=g) * 8.0
    want = _compare(sizes, {}, 1.0, w1, w2, tmp_path)
    assert want["layer_1"].sum() > 0 and want["layer_2"].sum() > 0


@pytest.mark.parametrize("dt", [0.1, 0.2, 0.5])
@pytest.mark.parametrize("refrac", [0.3, 1, 2.5, 5])
def test_refractory_periods_are_counted_in_float32_steps_of_dt(dt, refrac, tmp_path, bindsnet):
    """BindsNET counts refractory time down by dt in float32: 24 of 70 common (refrac, dt)
    pairs block one step more than ceil(refrac / dt)."""
    g = torch.Generator().manual_seed(int(dt * 10) + int(refrac * 10))
    sizes = (30, 20, 6)
    layer = {"thresh": 1.0, "rest": 0.0, "reset": 0.0, "refrac": refrac, "tc_decay": 20.0}
    w1 = torch.rand(sizes[0], sizes[1], generator=g) * 0.6
    w2 = torch.rand(sizes[1], sizes[2], generator=g) * 0.8
    want = _compare(sizes, layer, dt, w1, w2, tmp_path)
    assert want["layer_1"].sum() > 0


def test_if_nodes_and_tie_prone_weights(tmp_path, bindsnet):
    g = torch.Generator().manual_seed(3)
    sizes = (50, 30, 10)
    w1 = torch.randint(-2, 5, (sizes[0], sizes[1]), generator=g).float() * 0.25
    w2 = torch.randint(-2, 5, (sizes[1], sizes[2]), generator=g).float() * 0.25
    layer = {"thresh": 2.0, "reset": 0.0, "refrac": 2}
    want = _compare(sizes, layer, 1.0, w1, w2, tmp_path, kind="IFNode")
    assert (want["layer_1.v"] == 0.0).any() and want["layer_1"].sum() > 0


def test_biases_as_connection_adds_them_with_a_threshold_on_a_current(tmp_path, bindsnet):
    """Connection computes s @ w + b; a threshold placed exactly on one such current must fire
    there in every target (torch's fused addmm rounds this sum differently)."""
    g = torch.Generator().manual_seed(21)
    sizes = (784, 64, 10)
    w1 = torch.randint(-10, 11, (sizes[0], sizes[1]), generator=g).float() * 0.01
    w2 = torch.randint(-10, 11, (sizes[1], sizes[2]), generator=g).float() * 0.1
    b1 = torch.randint(-10, 11, (sizes[1],), generator=g).float() * 0.01
    b2 = torch.randint(-10, 11, (sizes[2],), generator=g).float() * 0.01
    inputs = reference.random_spikes(T, B, sizes[0], seed=5, p=0.2)
    first = inputs[0] @ w1 + b1  # BindsNET's arithmetic for the first step
    fused = torch.addmm(b1, inputs[0], w1)
    differ = (first != fused).nonzero()
    index = tuple(differ[0]) if len(differ) else (0, 0)
    thresh = float(first[index])
    layer = {"thresh": thresh, "rest": 0.0, "reset": -1.0, "refrac": 0, "tc_decay": 10.0}
    want = _compare(sizes, layer, 1.0, w1, w2, tmp_path, b1, b2, inputs=inputs)
    assert want["layer_1"][0][index] == 1.0  # the tie fires


def test_the_network_is_bindsnets_own(tmp_path):
    from bindsnet.network import Network
    from bindsnet.network.nodes import LIFNodes
    from bindsnet.network.topology import Connection

    mod = modules(bindsnet_spec((6, 5, 4), {}, 1.0), tmp_path, targets=("bindsnet",))["bindsnet"]
    net = mod.build_model()
    assert isinstance(net, Network)
    assert isinstance(net.layers["layer_1"], LIFNodes)
    conn = net.connections[("input", "layer_1")]
    assert type(conn) is Connection and conn.w.shape == (6, 5) and conn.w.is_contiguous() and conn.b is None
