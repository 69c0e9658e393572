"""Hand-written 784-H-10 models, written the way each simulator's own tutorials write them.

They are the baselines of `bench.py`: each one is built from the same weights as a
generated module (``{"layer_1.weight": [H, 784], "layer_1.bias": [H], "layer_2.weight":
[10, H], "layer_2.bias": [10]}``, tensors or nested lists; a missing bias means none)
and returns ``{"layer_1": spikes [T, B, H], "layer_2": spikes [T, B, 10]}``.

- snnTorch: the tutorial's time loop, one step at a time (`fc1 = nn.Linear`,
  `lif1 = snn.Leaky(beta=0.95)`, `cur1 = fc1(x[t]); spk1, mem1 = lif1(cur1, mem1)`).
  `SnnTorchLayerByLayer` is the same network driven layer by layer (each Linear over
  the whole [T, B, n] sequence at once, then the neuron's time loop).
- SpikingJelly: multi-step `nn.Sequential(layer.Linear, neuron.LIFNode(tau=2.0), ...)`
  with `functional.set_step_mode(net, 'm')` and `functional.reset_net(net)`.
- BindsNET: `Network` + `Input` + `LIFNodes()` + `Connection(w=W.t())` + `Monitor`s +
  `net.run(inputs, time=T)`, in BindsNET's default mode, which delays every
  connection by one step: `run_bindsnet` pads the input with two zero steps and
  shifts the records back (hidden by 1, output by 2) so that they are time aligned.

The batch-norm CSNN (specs/digits_bn.json: conv -> BatchNorm2d -> IF -> max-pool, twice, flatten ->
linear -> IF -> linear -> IF, SpikingJelly's conv_fashion_mnist shape on 8x8 images), keyed as its
generated modules ("conv1", "bn1", "conv2", "bn2", "fc1", "fc2"; populations "sn1", "sn2", "sn3", "out"):

- SpikingJelly: `nn.Sequential(layer.Conv2d, layer.BatchNorm2d, neuron.IFNode(surrogate_function=
  surrogate.ATan()), layer.MaxPool2d, ...)` with `functional.set_step_mode(net, 'm')`: every layer
  over the whole [T*B] sequence at once, batch norm with the statistics of the sequence.
- snnTorch: `nn.Conv2d`, `nn.BatchNorm2d`, `snn.Leaky(beta=1.0)` (snnTorch's IF neuron), `nn.Linear`,
  one time step at a time as the tutorials loop, except that each `nn.BatchNorm2d` is applied once to
  the flattened [T*B] sequence of its conv's outputs, so that training normalises with the statistics
  of the whole sequence as SpikingJelly's multi-step layer does (applied per step inside the time loop,
  training mode would normalise each step by its own B samples and update the running statistics T
  times per batch); then each neuron layer's time loop.

Imports of the simulators are local, so importing this file costs nothing.
"""

from __future__ import annotations

import torch
from torch import nn


def _t(value) -> torch.Tensor:
    return value.detach().clone().float() if isinstance(value, torch.Tensor) else torch.tensor(value, dtype=torch.float32)


def _copy_linear(fc: nn.Linear, weights: dict, pop: str) -> None:
    with torch.no_grad():
        fc.weight.copy_(_t(weights[f"{pop}.weight"]))
        if fc.bias is not None:
            fc.bias.copy_(_t(weights[f"{pop}.bias"]))


def _sizes(weights: dict) -> tuple[int, int, int, bool]:
    w1, w2 = _t(weights["layer_1.weight"]), _t(weights["layer_2.weight"])
    return w1.shape[1], w1.shape[0], w2.shape[0], "layer_1.bias" in weights


# -- snnTorch -------------------------------------------------------------------


class SnnTorchNet(nn.Module):
    """snnTorch tutorial 5 style: Linear -> Leaky -> Linear -> Leaky, looped over time."""

    def __init__(self, num_inputs: int, num_hidden: int, num_outputs: int, beta: float = 0.95, bias: bool = True):
        super().__init__()
        import snntorch as snn

        self.fc1 = nn.Linear(num_inputs, num_hidden, bias=bias)
        self.lif1 = snn.Leaky(beta=beta)
        self.fc2 = nn.Linear(num_hidden, num_outputs, bias=bias)
        self.lif2 = snn.Leaky(beta=beta)

    def forward(self, x: torch.Tensor):
        mem1 = self.lif1.init_leaky()
        mem2 = self.lif2.init_leaky()
        spk1_rec, spk2_rec = [], []
        for step in range(x.shape[0]):
            cur1 = self.fc1(x[step])
            spk1, mem1 = self.lif1(cur1, mem1)
            cur2 = self.fc2(spk1)
            spk2, mem2 = self.lif2(cur2, mem2)
            spk1_rec.append(spk1)
            spk2_rec.append(spk2)
        return torch.stack(spk1_rec), torch.stack(spk2_rec)


class SnnTorchLayerByLayer(SnnTorchNet):
    """The same modules, driven layer by layer: one Linear call over all T steps per layer."""

    def forward(self, x: torch.Tensor):
        cur1 = self.fc1(x)
        mem1 = self.lif1.init_leaky()
        spk1 = []
        for step in range(x.shape[0]):
            s, mem1 = self.lif1(cur1[step], mem1)
            spk1.append(s)
        spk1 = torch.stack(spk1)
        cur2 = self.fc2(spk1)
        mem2 = self.lif2.init_leaky()
        spk2 = []
        for step in range(x.shape[0]):
            s, mem2 = self.lif2(cur2[step], mem2)
            spk2.append(s)
        return spk1, torch.stack(spk2)


def build_snntorch(weights: dict, beta: float = 0.95, layer_by_layer: bool = False) -> SnnTorchNet:
    n_in, n_hid, n_out, bias = _sizes(weights)
    cls = SnnTorchLayerByLayer if layer_by_layer else SnnTorchNet
    net = cls(n_in, n_hid, n_out, beta=beta, bias=bias)
    _copy_linear(net.fc1, weights, "layer_1")
    _copy_linear(net.fc2, weights, "layer_2")
    return net.eval()


@torch.no_grad()
def run_snntorch(net: SnnTorchNet, inputs: torch.Tensor) -> dict:
    spk1, spk2 = net(inputs)
    return {"layer_1": spk1, "layer_2": spk2}


# -- SpikingJelly ---------------------------------------------------------------


def build_spikingjelly(weights: dict, tau: float = 2.0, if_neurons: bool = False) -> nn.Sequential:
    """`nn.Sequential(layer.Linear, neuron.LIFNode(tau=2.0), layer.Linear, neuron.LIFNode(tau=2.0))`, step mode 'm'."""
    from spikingjelly.activation_based import functional, layer, neuron, surrogate

    n_in, n_hid, n_out, bias = _sizes(weights)

    def node():
        if if_neurons:
            return neuron.IFNode(v_threshold=1.0, v_reset=0.0, surrogate_function=surrogate.ATan())
        return neuron.LIFNode(tau=tau, v_threshold=1.0, v_reset=0.0, surrogate_function=surrogate.ATan())

    net = nn.Sequential(
        layer.Linear(n_in, n_hid, bias=bias),
        node(),
        layer.Linear(n_hid, n_out, bias=bias),
        node(),
    )
    functional.set_step_mode(net, "m")
    _copy_linear(net[0], weights, "layer_1")
    _copy_linear(net[2], weights, "layer_2")
    return net.eval()


@torch.no_grad()
def forward_spikingjelly(net: nn.Sequential, inputs: torch.Tensor) -> torch.Tensor:
    """What a SpikingJelly user times: reset, one multi-step forward, output spikes [T, B, n]."""
    from spikingjelly.activation_based import functional

    functional.reset_net(net)
    return net(inputs)


@torch.no_grad()
def run_spikingjelly(net: nn.Sequential, inputs: torch.Tensor) -> dict:
    """Both populations: the hidden spikes are read with a forward hook on the first neuron."""
    from spikingjelly.activation_based import functional

    seen = {}
    handle = net[1].register_forward_hook(lambda m, i, o: seen.__setitem__("layer_1", o.detach().clone()))
    try:
        functional.reset_net(net)
        out = net(inputs)
    finally:
        handle.remove()
    return {"layer_1": seen["layer_1"], "layer_2": out}


# -- BindsNET -------------------------------------------------------------------

BIOLOGICAL = dict(thresh=-52.0, rest=-65.0, reset=-65.0, refrac=5, tc_decay=100.0)


def build_bindsnet(weights: dict, batch_size: int, time: int, neuron_params: dict | None = None):
    """Network with Input -> LIFNodes -> LIFNodes, Connection(w=W.t()), spike monitors.

    `time` is the number of steps that `run_bindsnet` will run (T + 2, for the delay)."""
    from bindsnet.network import Network
    from bindsnet.network.monitors import Monitor
    from bindsnet.network.nodes import Input, LIFNodes
    from bindsnet.network.topology import Connection

    params = dict(BIOLOGICAL if neuron_params is None else neuron_params)
    n_in, n_hid, n_out, bias = _sizes(weights)
    net = Network(dt=1.0, batch_size=batch_size, learning=False)
    inp = Input(n=n_in)
    hid = LIFNodes(n=n_hid, **params)
    out = LIFNodes(n=n_out, **params)
    net.add_layer(inp, name="input")
    net.add_layer(hid, name="layer_1")
    net.add_layer(out, name="layer_2")
    b1 = _t(weights["layer_1.bias"]) if bias else None
    b2 = _t(weights["layer_2.bias"]) if bias else None
    net.add_connection(Connection(source=inp, target=hid, w=_t(weights["layer_1.weight"]).t().contiguous(), b=b1),
                       source="input", target="layer_1")
    net.add_connection(Connection(source=hid, target=out, w=_t(weights["layer_2.weight"]).t().contiguous(), b=b2),
                       source="layer_1", target="layer_2")
    net.add_monitor(Monitor(hid, state_vars=("s",), time=time), name="layer_1_spikes")
    net.add_monitor(Monitor(out, state_vars=("s",), time=time), name="layer_2_spikes")
    return net


@torch.no_grad()
def run_bindsnet(net, inputs: torch.Tensor, align: bool = True) -> dict:
    """`net.run({"input": x}, time=T+2)` in default mode; records shifted back to be time aligned."""
    T = inputs.shape[0]
    pad = torch.zeros((2,) + tuple(inputs.shape[1:]), dtype=inputs.dtype)
    x = torch.cat([inputs, pad]) if align else inputs.clone()
    net.reset_state_variables()
    net.run(inputs={"input": x.clone()}, time=x.shape[0])
    s1 = net.monitors["layer_1_spikes"].get("s").float()
    s2 = net.monitors["layer_2_spikes"].get("s").float()
    if align:
        return {"layer_1": s1[1:T + 1], "layer_2": s2[2:T + 2]}
    return {"layer_1": s1, "layer_2": s2}


@torch.no_grad()
def _copy(module: nn.Module, weights: dict, key: str) -> None:
    module.weight.copy_(_t(weights[f"{key}.weight"]))
    if module.bias is not None:
        module.bias.copy_(_t(weights[f"{key}.bias"]))


def forward_spikingjelly_grad(net: nn.Sequential, inputs: torch.Tensor) -> torch.Tensor:
    """A SpikingJelly training forward: reset, then one multi-step call (autograd on)."""
    from spikingjelly.activation_based import functional

    functional.reset_net(net)
    return net(inputs)


# -- convolutional nets -----------------------------------------------------------


class TutorialCSNN(nn.Module):
    """snnTorch tutorial 7: conv 5x5 -> maxpool -> Leaky, twice, flatten -> linear -> Leaky, stepped in time."""

    def __init__(self, beta: float):
        super().__init__()
        import snntorch as snn

        self.conv1, self.lif1 = nn.Conv2d(1, 12, 5), snn.Leaky(beta=beta)
        self.conv2, self.lif2 = nn.Conv2d(12, 64, 5), snn.Leaky(beta=beta)
        self.fc1, self.lif3 = nn.Linear(64 * 4 * 4, 10), snn.Leaky(beta=beta)

    def forward(self, x):
        import torch.nn.functional as F

        mem1, mem2, mem3 = self.lif1.init_leaky(), self.lif2.init_leaky(), self.lif3.init_leaky()
        rec = {"layer_1": [], "layer_2": [], "layer_3": []}
        for step in range(x.shape[0]):
            spk1, mem1 = self.lif1(F.max_pool2d(self.conv1(x[step]), 2), mem1)
            spk2, mem2 = self.lif2(F.max_pool2d(self.conv2(spk1), 2), mem2)
            spk3, mem3 = self.lif3(self.fc1(spk2.flatten(1)), mem3)
            for key, value in zip(rec, (spk1, spk2, spk3)):
                rec[key].append(value)
        return {key: torch.stack(values) for key, values in rec.items()}


def build_csnn(weights: dict, beta: float = 0.5) -> TutorialCSNN:
    net = TutorialCSNN(beta)
    for module, key in ((net.conv1, "layer_1"), (net.conv2, "layer_2"), (net.fc1, "layer_3")):
        _copy(module, weights, key)
    return net.eval()


@torch.no_grad()
def run_csnn(net: TutorialCSNN, inputs: torch.Tensor) -> dict:
    return net(inputs)


SJ_CONV_SPEC = {
    "model_name": "SJConv", "target_simulator": "SpikingJelly", "time_steps": 25, "input_shape": [1, 28, 28],
    "layers": [
        {"type": "conv2d", "in_channels": 1, "out_channels": 8, "kernel_size": 3, "padding": 1},
        {"type": "IFNode"},
        {"type": "maxpool2d", "kernel_size": 2},
        {"type": "conv2d", "in_channels": 8, "out_channels": 16, "kernel_size": 3, "padding": 1},
        {"type": "IFNode"},
        {"type": "maxpool2d", "kernel_size": 2},
        {"type": "flatten"},
        {"type": "linear", "in_features": 784, "out_features": 10},
        {"type": "IFNode"},
    ],
}


def build_sj_conv(weights: dict) -> nn.Sequential:
    """SpikingJelly's example style: multi-step Sequential of layer.* and IFNode, max-pooled spikes."""
    from spikingjelly.activation_based import functional, layer, neuron

    net = nn.Sequential(
        layer.Conv2d(1, 8, 3, padding=1), neuron.IFNode(), layer.MaxPool2d(2),
        layer.Conv2d(8, 16, 3, padding=1), neuron.IFNode(), layer.MaxPool2d(2),
        layer.Flatten(), layer.Linear(784, 10), neuron.IFNode(),
    )
    functional.set_step_mode(net, "m")
    for index, key in ((0, "layer_1"), (3, "layer_2"), (7, "layer_3")):
        _copy(net[index], weights, key)
    return net.eval()


@torch.no_grad()
def run_sj_conv(net: nn.Sequential, inputs: torch.Tensor) -> dict:
    from spikingjelly.activation_based import functional

    seen = {}
    hooks = [net[i].register_forward_hook(lambda m, a, o, k=k: seen.__setitem__(k, o))
             for i, k in ((1, "layer_1"), (4, "layer_2"))]
    try:
        functional.reset_net(net)
        seen["layer_3"] = net(inputs)
    finally:
        for hook in hooks:
            hook.remove()
    return seen


# -- recurrent ------------------------------------------------------------------


def rleaky_spec(n_in: int, hidden: int, time_steps: int) -> dict:
    return {
        "model_name": "RLeakyNet", "target_simulator": "snnTorch", "time_steps": time_steps,
        "layers": [
            {"type": "linear", "in_features": n_in, "out_features": hidden, "name": "fc1"},
            {"type": "linear", "in_features": hidden, "out_features": hidden, "name": "rec"},
            {"type": "LIFNode", "beta": 0.9, "name": "h"},
            {"type": "linear", "in_features": hidden, "out_features": 10, "name": "fc2"},
            {"type": "LIFNode", "beta": 0.9, "name": "out"},
        ],
        "connections": [{"source": "fc1", "target": "h"}, {"source": "rec", "target": "h"},
                        {"source": "h", "target": "rec"}, {"source": "h", "target": "fc2"}],
    }


class RLeakyNet(nn.Module):
    """snnTorch's RLeaky tutorial style: Linear -> RLeaky(linear_features) -> Linear -> Leaky, stepped in time."""

    def __init__(self, n_in: int, hidden: int):
        super().__init__()
        import snntorch as snn

        self.fc1, self.rlif = nn.Linear(n_in, hidden), snn.RLeaky(beta=0.9, linear_features=hidden)
        self.fc2, self.lif = nn.Linear(hidden, 10), snn.Leaky(beta=0.9)

    def forward(self, x):
        spk1, mem1 = self.rlif.init_rleaky()
        mem2 = self.lif.init_leaky()
        rec = {"h": [], "out": []}
        for step in range(x.shape[0]):
            spk1, mem1 = self.rlif(self.fc1(x[step]), spk1, mem1)
            spk2, mem2 = self.lif(self.fc2(spk1), mem2)
            rec["h"].append(spk1)
            rec["out"].append(spk2)
        return {key: torch.stack(values) for key, values in rec.items()}


def build_rleaky(weights: dict, n_in: int, hidden: int) -> RLeakyNet:
    net = RLeakyNet(n_in, hidden)
    for module, key in ((net.fc1, "fc1"), (net.rlif.recurrent, "rec"), (net.fc2, "fc2")):
        _copy(module, weights, key)
    return net.eval()


@torch.no_grad()
def run_rleaky(net: RLeakyNet, inputs: torch.Tensor) -> dict:
    return net(inputs)


# -- the batch-norm CSNN (specs/digits_bn.json) -------------------------------------------------------------

BN_KEYS = ("conv1", "bn1", "conv2", "bn2", "fc1", "fc2")


def _bn_sizes(weights: dict) -> tuple[int, int]:
    """(channels, hidden neurons) of the batch-norm CSNN's weights."""
    return _t(weights["conv1.weight"]).shape[0], _t(weights["fc1.weight"]).shape[0]


@torch.no_grad()
def _copy_bn_csnn(modules: dict, weights: dict) -> None:
    """Weights, batch-norm affine parameters and running statistics into {key: module}."""
    for key, module in modules.items():
        for attr in ("weight", "bias", "running_mean", "running_var"):
            if f"{key}.{attr}" in weights:
                getattr(module, attr).copy_(_t(weights[f"{key}.{attr}"]))


def build_sj_bn_csnn(weights: dict) -> nn.Sequential:
    """SpikingJelly's conv_fashion_mnist CSNN for 8x8 images, multi-step (see the top)."""
    from spikingjelly.activation_based import functional, layer, neuron, surrogate

    c, hidden = _bn_sizes(weights)
    net = nn.Sequential(
        layer.Conv2d(1, c, kernel_size=3, padding=1, bias=False), layer.BatchNorm2d(c),
        neuron.IFNode(surrogate_function=surrogate.ATan()), layer.MaxPool2d(2, 2),
        layer.Conv2d(c, c, kernel_size=3, padding=1, bias=False), layer.BatchNorm2d(c),
        neuron.IFNode(surrogate_function=surrogate.ATan()), layer.MaxPool2d(2, 2),
        layer.Flatten(),
        layer.Linear(c * 2 * 2, hidden, bias=False), neuron.IFNode(surrogate_function=surrogate.ATan()),
        layer.Linear(hidden, 10, bias=False), neuron.IFNode(surrogate_function=surrogate.ATan()),
    )
    functional.set_step_mode(net, "m")
    _copy_bn_csnn(bn_csnn_modules(net), weights)
    return net


SJ_BN_POPULATIONS = {2: "sn1", 6: "sn2", 10: "sn3"}


def run_sj_bn_csnn(net: nn.Sequential, inputs: torch.Tensor) -> dict:
    """Reset, one multi-step forward (autograd as the caller has it); every population's spikes."""
    from spikingjelly.activation_based import functional

    seen = {}
    hooks = [net[i].register_forward_hook(lambda m, a, o, k=k: seen.__setitem__(k, o))
             for i, k in SJ_BN_POPULATIONS.items()]
    try:
        functional.reset_net(net)
        seen["out"] = net(inputs)
    finally:
        for hook in hooks:
            hook.remove()
    return seen


class SnnTorchBatchNormCSNN(nn.Module):
    """The batch-norm CSNN in snnTorch's idiom: its modules stepped in time, batch norm over the
    flattened [T*B] sequence (see the top)."""

    def __init__(self, channels: int, hidden: int):
        super().__init__()
        import snntorch as snn

        c = channels
        self.conv1, self.bn1 = nn.Conv2d(1, c, 3, padding=1, bias=False), nn.BatchNorm2d(c)
        self.lif1 = snn.Leaky(beta=1.0)
        self.conv2, self.bn2 = nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c)
        self.lif2 = snn.Leaky(beta=1.0)
        self.fc1, self.lif3 = nn.Linear(c * 2 * 2, hidden, bias=False), snn.Leaky(beta=1.0)
        self.fc2, self.lif4 = nn.Linear(hidden, 10, bias=False), snn.Leaky(beta=1.0)

    @staticmethod
    def _normalised(bn: nn.BatchNorm2d, cur: list) -> torch.Tensor:
        """bn over the [T*B] sequence of per-step currents, back to [T, B, ...]."""
        seq = torch.stack(cur)
        return bn(seq.flatten(0, 1)).view(seq.shape)

    @staticmethod
    def _leaky(lif, cur: torch.Tensor) -> list:
        mem, spikes = lif.init_leaky(), []
        for step in range(cur.shape[0]):
            spk, mem = lif(cur[step], mem)
            spikes.append(spk)
        return spikes

    def forward(self, x):
        import torch.nn.functional as F

        spk1 = self._leaky(self.lif1, self._normalised(self.bn1, [self.conv1(x[t]) for t in range(x.shape[0])]))
        spk2 = self._leaky(self.lif2, self._normalised(self.bn2, [self.conv2(F.max_pool2d(s, 2)) for s in spk1]))
        spk3 = self._leaky(self.lif3, torch.stack([self.fc1(F.max_pool2d(s, 2).flatten(1)) for s in spk2]))
        spk4 = self._leaky(self.lif4, torch.stack([self.fc2(s) for s in spk3]))
        return {key: torch.stack(values) for key, values in zip(("sn1", "sn2", "sn3", "out"), (spk1, spk2, spk3, spk4))}


def build_snntorch_bn_csnn(weights: dict) -> SnnTorchBatchNormCSNN:
    net = SnnTorchBatchNormCSNN(*_bn_sizes(weights))
    _copy_bn_csnn(bn_csnn_modules(net), weights)
    return net


def run_snntorch_bn_csnn(net: SnnTorchBatchNormCSNN, inputs: torch.Tensor) -> dict:
    """One forward over inputs [T, B, 1, 8, 8] (autograd as the caller has it); every population's spikes."""
    return net(inputs)


def bn_csnn_modules(net: nn.Module) -> dict:
    """{key: module} of a hand-written batch-norm CSNN (either simulator's), keyed as the weights."""
    if isinstance(net, nn.Sequential):
        return dict(zip(BN_KEYS, (net[0], net[1], net[4], net[5], net[9], net[11])))
    return {key: getattr(net, key) for key in BN_KEYS}
