"""Batch normalisation, dropout, 1-d convolutions and delays against SpikingJelly nets written by hand.

Every net is an nn.Sequential of SpikingJelly `layer` and `neuron` modules in multi-step mode
(`functional.set_step_mode(net, "m")`), reset with `functional.reset_net`, as SpikingJelly's users
write them; its spikes and membranes are the reference for the generated modules of every target:

- SpikingJelly's conv_fashion_mnist CSNN (conv -> BatchNorm2d -> IFNode(ATan) -> max-pool, twice,
  flatten -> linear -> IFNode, twice) on 8x8 images: in eval mode in all three targets; in
  training mode (batch statistics of the whole [T*B] sequence, running statistics updated once
  per run, surrogate gradients) in the snnTorch and SpikingJelly modules;
- layer.Dropout in training mode: one mask per run, drawn from torch's default generator when the
  layer is first reached (same seed, same mask); the identity in eval mode;
- an SHD-style 1-d convolutional net (Conv1d -> [BatchNorm1d ->] LIFNode -> MaxPool1d -> Conv1d ->
  IFNode -> AvgPool1d -> flatten -> linear -> LIFNode);
- layer.Delay between two populations.

Rounding: SpikingJelly's multi-step Conv/Linear compute all T*B samples in one product, the
generated modules one time step at a time; oneDNN and BLAS may round the two differently. The
CSNN's projections carry continuous values (images, normalised currents), so they are written per
step as SpikingJelly allows (`layer.MultiStepContainer` runs its single-step layer once per time
step; `set_step_mode` leaves what it wraps alone); batch normalisation stays multi-step, its
statistics are over the whole sequence. The other nets use dyadic weights on spike inputs: every
sum is exact in float32 in any order, so the multi-step products are exact too (and checked equal
to per-step products when this file was written).
"""

from __future__ import annotations

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from spikingjelly.activation_based import functional, layer, neuron, surrogate

from support import reference
from support.generated import assert_targets_equal
from support.specs import modules, spec

GRADIENT_TARGETS = ("snntorch", "spikingjelly")


def _record(net: nn.Sequential, x: torch.Tensor, populations: dict[int, str]) -> dict[str, torch.Tensor]:
    """Run the multi-step `net` on x [T, B, ...] (state reset first); the spikes and membranes
    (v_seq) of the neuron modules at the positions in `populations`, under their names."""
    functional.reset_net(net)
    out = {}
    for index, module in enumerate(net):
        x = module(x)
        if index in populations:
            out[populations[index]] = x
            out[populations[index] + ".v"] = module.v_seq
    return out


def _dyadic(shape, g: torch.Generator, span: int = 8, step: float = 0.125) -> torch.Tensor:
    """Multiples of `step` in [-span*step, span*step]: their sums over spikes are exact in float32."""
    return torch.randint(-span, span + 1, tuple(shape), generator=g).float() * step


def _batchnorm_weights(prefix: str, channels: int, g: torch.Generator) -> dict[str, torch.Tensor]:
    """Non-trivial affine parameters and running statistics of one batch-norm layer."""
    return {f"{prefix}.weight": torch.rand(channels, generator=g) + 0.5,
            f"{prefix}.bias": torch.rand(channels, generator=g) * 0.5,
            f"{prefix}.running_mean": torch.randn(channels, generator=g) * 0.2,
            f"{prefix}.running_var": torch.rand(channels, generator=g) + 0.5}


def _tensor(net: nn.Module, path: str) -> torch.Tensor:
    """The parameter or buffer at a dotted path of the net ("1.running_mean", "0.0.weight")."""
    module_path, attr = path.rsplit(".", 1)
    return getattr(net.get_submodule(module_path), attr)


def _load(net: nn.Sequential, positions: dict[str, str], weights: dict[str, torch.Tensor]) -> None:
    """Copy weights[key] into the net's tensor at `positions[key]`."""
    assert sorted(positions) == sorted(weights)
    with torch.no_grad():
        for key, path in positions.items():
            _tensor(net, path).copy_(weights[key])


def _active(out: dict[str, torch.Tensor], populations) -> None:
    """Every population spikes, and not always: a comparison of these spikes can fail."""
    for pop in populations:
        rate = out[pop].float().mean().item()
        assert 0 < rate < 1, f"{pop} fires at rate {rate}"


def _assert_targets(want: dict, mods: dict, weights: dict, inputs: torch.Tensor, *, train: bool,
                    seed: int | None = None, grad: bool = False) -> dict:
    """Every module in `mods`, loaded with `weights`, in training (`train`) or eval mode, run on
    `inputs` (after torch.manual_seed(seed) if given) gives exactly `want`; returns the models."""
    models = {}
    for target, mod in mods.items():
        model = mod.load_weights(mod.build_model(), weights)
        model.train(train)
        if seed is not None:
            torch.manual_seed(seed)
        got = mod.run(model, inputs, membrane=True, grad=grad)
        for key in want:
            assert torch.equal(got[key].detach(), want[key]), (
                f"{target} {key}: {(got[key] == want[key]).float().mean():.3%} equal")
        models[target] = model
    return models


# --- 1. SpikingJelly's conv_fashion_mnist CSNN, with batch normalisation -----------------------------

T_CSNN, CHANNELS = 8, 4
CSNN_POPULATIONS = {2: "sn1", 6: "sn2", 10: "sn3", 12: "sn4"}
# bn2 has other eps and momentum than torch's defaults, so that the spec's keys are tested too
BN2 = {"eps": 1e-3, "momentum": 0.2}


def _csnn_spec() -> dict:
    c = CHANNELS

    def conv(name, cin):
        return {"type": "conv2d", "in_channels": cin, "out_channels": c, "kernel_size": 3, "padding": 1,
                "bias": False, "name": name}

    def sn(name):
        return {"type": "IFNode", "surrogate_function": "ATan", "name": name}

    return spec([conv("conv1", 1), {"type": "batchnorm2d", "num_features": c, "name": "bn1"}, sn("sn1"),
                 {"type": "maxpool2d", "kernel_size": 2, "stride": 2, "name": "pool1"},
                 conv("conv2", c), {"type": "batchnorm2d", "num_features": c, "affine": True, **BN2, "name": "bn2"},
                 sn("sn2"), {"type": "maxpool2d", "kernel_size": 2, "stride": 2, "name": "pool2"},
                 {"type": "flatten", "name": "flatten"},
                 {"type": "linear", "in_features": c * 2 * 2, "out_features": c * 4, "bias": False, "name": "fc1"},
                 sn("sn3"),
                 {"type": "linear", "in_features": c * 4, "out_features": 10, "bias": False, "name": "fc2"},
                 sn("sn4")],
                "SpikingJelly", time_steps=T_CSNN, input_shape=[1, 8, 8])


def _csnn() -> nn.Sequential:
    """conv_fashion_mnist.py's CSNN.conv_fc for 8x8 images and `CHANNELS` channels (8 -> 4 -> 2 after
    the pools), its projections in MultiStepContainer (one product per time step, see the top). The
    neurons are the example's IFNode(surrogate_function=surrogate.ATan()): detach_reset is the default,
    False."""
    c = CHANNELS
    net = nn.Sequential(
        layer.MultiStepContainer(layer.Conv2d(1, c, kernel_size=3, padding=1, bias=False)),
        layer.BatchNorm2d(c),
        neuron.IFNode(surrogate_function=surrogate.ATan()),
        layer.MaxPool2d(2, 2),  # 4 * 4
        layer.MultiStepContainer(layer.Conv2d(c, c, kernel_size=3, padding=1, bias=False)),
        layer.BatchNorm2d(c, **BN2),
        neuron.IFNode(surrogate_function=surrogate.ATan()),
        layer.MaxPool2d(2, 2),  # 2 * 2
        layer.Flatten(),
        layer.MultiStepContainer(layer.Linear(c * 2 * 2, c * 4, bias=False)),
        neuron.IFNode(surrogate_function=surrogate.ATan()),
        layer.MultiStepContainer(layer.Linear(c * 4, 10, bias=False)),
        neuron.IFNode(surrogate_function=surrogate.ATan()),
    )
    functional.set_step_mode(net, step_mode="m")
    for index in CSNN_POPULATIONS:
        net[index].store_v_seq = True
    return net


CSNN_POSITIONS = {"conv1.weight": "0.0.weight", "conv2.weight": "4.0.weight",
                  "fc1.weight": "9.0.weight", "fc2.weight": "11.0.weight",
                  **{f"bn{k}.{attr}": f"{at}.{attr}" for k, at in ((1, 1), (2, 5))
                     for attr in ("weight", "bias", "running_mean", "running_var")}}


def _csnn_weights(seed: int = 11) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    c = CHANNELS
    return {"conv1.weight": torch.randn(c, 1, 3, 3, generator=g) * 0.5,
            "conv2.weight": torch.randn(c, c, 3, 3, generator=g) * 0.3,
            "fc1.weight": torch.randn(c * 4, c * 2 * 2, generator=g) * 0.8,
            "fc2.weight": torch.randn(10, c * 4, generator=g) * 0.8,
            **_batchnorm_weights("bn1", c, g), **_batchnorm_weights("bn2", c, g)}


def _csnn_inputs(B: int, seed: int = 12) -> torch.Tensor:
    """Frames in [0, 1], a different one at every step. (The example repeats one image T times; then
    every step of bn1's input is the same, and per-step statistics would pass for the sequence's.)"""
    return torch.rand(T_CSNN, B, 1, 8, 8, generator=torch.Generator().manual_seed(seed))


def _csnn_loss(spikes: torch.Tensor, B: int) -> torch.Tensor:
    """The example's loss: MSE of the output firing rates against one-hot labels."""
    labels = torch.arange(B) % 10
    return F.mse_loss(spikes.mean(0), F.one_hot(labels, 10).float())


def _gradients(mod, model) -> dict[str, torch.Tensor]:
    """The gradient of every weight key that has one, in torch's layout (weight_slots: the generated
    module's map from weight keys to the model's tensors, which load_weights fills)."""
    out = {}
    for key, (tensor, transposed) in mod.weight_slots(model).items():
        if tensor.grad is not None:
            out[key] = tensor.grad.t() if transposed else tensor.grad
    return out


@pytest.mark.parametrize("B", [1, 3])
def test_fashion_mnist_csnn_with_batchnorm_in_eval_mode(B, tmp_path, bindsnet):
    weights, inputs = _csnn_weights(), _csnn_inputs(B)
    net = _csnn()
    _load(net, CSNN_POSITIONS, weights)
    net.eval()
    with torch.no_grad():
        want = _record(net, inputs, CSNN_POPULATIONS)
    _active(want, CSNN_POPULATIONS.values())
    mods = modules(_csnn_spec(), tmp_path)
    models = _assert_targets(want, mods, weights, inputs, train=False)
    # eval mode normalises with the running statistics, and leaves them as they were loaded
    for target, model in models.items():
        exported = mods[target].export_weights(model)
        for key in CSNN_POSITIONS:
            assert torch.equal(exported[key], weights[key]), f"{target} {key}"


@pytest.mark.parametrize("B", [1, 3])
def test_fashion_mnist_csnn_with_batchnorm_in_training_mode(B, tmp_path):
    weights, inputs = _csnn_weights(), _csnn_inputs(B)
    net = _csnn()
    _load(net, CSNN_POSITIONS, weights)
    net.train()
    want = _record(net, inputs, CSNN_POPULATIONS)
    _active(want, CSNN_POPULATIONS.values())
    _csnn_loss(want["sn4"], B).backward()
    hand_grads = {key: _tensor(net, path).grad for key, path in CSNN_POSITIONS.items() if "running" not in key}
    assert all(grad is not None and grad.abs().sum() > 0 for grad in hand_grads.values())
    hand_stats = {key: _tensor(net, path) for key, path in CSNN_POSITIONS.items() if "running" in key}
    # training mode normalised with the batch statistics and moved the running ones (once)
    assert not any(torch.equal(hand_stats[key], weights[key]) for key in hand_stats)
    with torch.no_grad():
        net.eval()
        assert not torch.equal(_record(net, inputs, CSNN_POPULATIONS)["sn1.v"], want["sn1.v"])

    want = {key: value.detach() for key, value in want.items()}
    grads, stats = {}, {}
    for target, mod in modules(_csnn_spec(), tmp_path, targets=GRADIENT_TARGETS).items():
        model = mod.load_weights(mod.build_model(), weights)
        model.train()
        got = mod.run(model, inputs, membrane=True, grad=True)
        for key in want:
            assert torch.equal(got[key].detach(), want[key]), (
                f"{target} {key}: {(got[key] == want[key]).float().mean():.3%} equal")
        _csnn_loss(got["sn4"], B).backward()
        grads[target] = _gradients(mod, model)
        assert sorted(grads[target]) == sorted(hand_grads), target
        exported = mod.export_weights(model)
        stats[target] = {key: exported[key] for key in hand_stats}
        for key in hand_stats:  # one update per run, from the statistics of the whole sequence
            assert torch.equal(stats[target][key], hand_stats[key]), f"{target} {key}"
    # Bit-identical to the hand net's too: with the projections one step at a time in both, the
    # products are the same kernels on the same operands. Measured before batchnorm2d landed, with the
    # compiler's modules of this spec without the bn layers and a multi-step BatchNorm2d put in front
    # of sn1 and sn2 (SpikingJelly's Sequential; a module running BatchNorm2d on the flattened sequence
    # in snnTorch's): max |difference| 0.0 for every weight and B = 1, 3, 5 (Intel Xeon, one thread).
    for key in hand_grads:
        assert torch.equal(grads["snntorch"][key], grads["spikingjelly"][key]), key
        assert torch.equal(grads["spikingjelly"][key], hand_grads[key]), (
            f"{key}: max |difference| {(grads['spikingjelly'][key] - hand_grads[key]).abs().max()}")


# --- 2. layer.Dropout -------------------------------------------------------------------------------

T_DROP, DROP_SIZES = 8, (32, 32, 10)
DROP_POPULATIONS = {1: "sn1", 4: "sn2"}


def _dropout_net(p: float) -> nn.Sequential:
    net = nn.Sequential(layer.Linear(DROP_SIZES[0], DROP_SIZES[1]), neuron.IFNode(), layer.Dropout(p),
                        layer.Linear(DROP_SIZES[1], DROP_SIZES[2]), neuron.IFNode())
    functional.set_step_mode(net, "m")
    for index in DROP_POPULATIONS:
        net[index].store_v_seq = True
    return net


@pytest.mark.parametrize("B", [1, 3])
def test_dropout_one_mask_per_run(B, tmp_path, bindsnet):
    p, seed = 0.5, 21
    s = spec([{"type": "linear", "in_features": DROP_SIZES[0], "out_features": DROP_SIZES[1], "name": "fc1"},
              {"type": "IFNode", "name": "sn1"}, {"type": "dropout", "p": p, "name": "drop"},
              {"type": "linear", "in_features": DROP_SIZES[1], "out_features": DROP_SIZES[2], "name": "fc2"},
              {"type": "IFNode", "name": "sn2"}], "SpikingJelly", time_steps=T_DROP)
    g = torch.Generator().manual_seed(22)
    weights = {"fc1.weight": _dyadic((DROP_SIZES[1], DROP_SIZES[0]), g),
               "fc1.bias": _dyadic((DROP_SIZES[1],), g, span=4),
               "fc2.weight": _dyadic((DROP_SIZES[2], DROP_SIZES[1]), g, span=4),
               "fc2.bias": _dyadic((DROP_SIZES[2],), g, span=2)}
    net = _dropout_net(p)
    _load(net, {"fc1.weight": "0.weight", "fc1.bias": "0.bias", "fc2.weight": "3.weight", "fc2.bias": "3.bias"},
          weights)
    inputs = reference.random_spikes(T_DROP, B, DROP_SIZES[0], seed=23, p=0.3)
    with torch.no_grad():
        net.train()
        torch.manual_seed(seed)
        want_train = _record(net, inputs, DROP_POPULATIONS)
        mask = net[2].mask
        net.eval()
        want_eval = _record(net, inputs, DROP_POPULATIONS)
    _active(want_train, DROP_POPULATIONS.values())
    _active(want_eval, DROP_POPULATIONS.values())
    # one mask of one step's shape, zeros and 1/(1-p), applied at every step
    assert mask.shape == (B, DROP_SIZES[1]) and set(mask.unique().tolist()) == {0.0, 1 / (1 - p)}
    assert not torch.equal(want_train["sn2.v"], want_eval["sn2.v"])  # the mask matters
    mods = modules(s, tmp_path)
    for grad in (False, True):  # the same mask with autograd on, as in training
        _assert_targets(want_train, {t: mods[t] for t in GRADIENT_TARGETS}, weights, inputs, train=True, seed=seed,
                        grad=grad)
    _assert_targets(want_eval, mods, weights, inputs, train=False)


# --- 3. SHD-style 1-d convolutions --------------------------------------------------------------------

T_SHD, SHD_INPUT = 8, (2, 32)


def _shd_spec(bn: bool) -> dict:
    layers = [{"type": "conv1d", "in_channels": 2, "out_channels": 4, "kernel_size": 5, "padding": 2,
               "name": "conv1"},
              *([{"type": "batchnorm1d", "num_features": 4, "name": "bn1"}] if bn else []),
              {"type": "LIFNode", "tau": 2.0, "name": "sn1"},
              {"type": "maxpool1d", "kernel_size": 3, "stride": 2, "padding": 1, "name": "pool1"},  # 32 -> 16
              {"type": "conv1d", "in_channels": 4, "out_channels": 8, "kernel_size": 3, "stride": 2, "padding": 1,
               "bias": False, "name": "conv2"},  # 16 -> 8
              {"type": "IFNode", "name": "sn2"},
              {"type": "avgpool1d", "kernel_size": 2, "name": "pool2"},  # 8 -> 4
              {"type": "flatten", "name": "flatten"},
              {"type": "linear", "in_features": 8 * 4, "out_features": 10, "name": "fc"},
              {"type": "LIFNode", "tau": 2.0, "decay_input": False, "name": "sn3"}]
    return spec(layers, "SpikingJelly", time_steps=T_SHD, input_shape=list(SHD_INPUT))


def _shd_net(bn: bool) -> tuple[nn.Sequential, dict[int, str], dict[str, str]]:
    """The net, its populations by position, and the paths of its weights."""
    layers = [layer.Conv1d(2, 4, 5, padding=2), *([layer.BatchNorm1d(4)] if bn else []),
                neuron.LIFNode(tau=2.0), layer.MaxPool1d(3, stride=2, padding=1),
                layer.Conv1d(4, 8, 3, stride=2, padding=1, bias=False), neuron.IFNode(), layer.AvgPool1d(2),
                layer.Flatten(), layer.Linear(8 * 4, 10), neuron.LIFNode(tau=2.0, decay_input=False)]
    net = nn.Sequential(*layers)
    functional.set_step_mode(net, "m")
    k = int(bn)
    populations = {1 + k: "sn1", 4 + k: "sn2", 8 + k: "sn3"}
    for index in populations:
        net[index].store_v_seq = True
    positions = {"conv1.weight": "0.weight", "conv1.bias": "0.bias", "conv2.weight": f"{3 + k}.weight",
                 "fc.weight": f"{7 + k}.weight", "fc.bias": f"{7 + k}.bias"}
    if bn:
        positions.update({f"bn1.{attr}": f"1.{attr}" for attr in ("weight", "bias", "running_mean", "running_var")})
    return net, populations, positions


@pytest.mark.parametrize("bn", [False, True])
@pytest.mark.parametrize("B", [1, 3])
def test_shd_style_conv1d_net(B, bn, tmp_path, bindsnet):
    g = torch.Generator().manual_seed(31)
    weights = {"conv1.weight": _dyadic((4, 2, 5), g, step=0.25), "conv1.bias": _dyadic((4,), g, span=4),
               "conv2.weight": _dyadic((8, 4, 3), g), "fc.weight": _dyadic((10, 8 * 4), g, span=4),
               "fc.bias": _dyadic((10,), g, span=2)}
    if bn:
        weights.update(_batchnorm_weights("bn1", 4, g))
    net, populations, positions = _shd_net(bn)
    _load(net, positions, weights)
    inputs = reference.random_spikes(T_SHD, B, SHD_INPUT, seed=32, p=0.3)
    with torch.no_grad():
        net.eval()
        want = _record(net, inputs, populations)
    _active(want, populations.values())
    mods = modules(_shd_spec(bn), tmp_path)
    _assert_targets(want, mods, weights, inputs, train=False)
    if bn:  # BatchNorm1d on [T*B, C, L] in training mode, and its running statistics after the run
        with torch.no_grad():
            net.train()
            want = _record(net, inputs, populations)
        _active(want, populations.values())
        models = _assert_targets(want, {t: mods[t] for t in GRADIENT_TARGETS}, weights, inputs, train=True)
        for target, model in models.items():
            exported = mods[target].export_weights(model)
            for attr in ("running_mean", "running_var"):
                assert torch.equal(exported[f"bn1.{attr}"], getattr(net[1], attr)), f"{target} bn1.{attr}"
                assert not torch.equal(exported[f"bn1.{attr}"], weights[f"bn1.{attr}"])


# --- 4. layer.Delay -----------------------------------------------------------------------------------

T_DELAY, DELAY_SIZES = 10, (32, 16, 10)
DELAY_POPULATIONS = {1: "sn1", 4: "sn2"}


def _delay_net(steps: int) -> nn.Sequential:
    net = nn.Sequential(layer.Linear(DELAY_SIZES[0], DELAY_SIZES[1]), neuron.LIFNode(tau=2.0),
                        layer.Delay(steps), layer.Linear(DELAY_SIZES[1], DELAY_SIZES[2]), neuron.LIFNode(tau=2.0))
    functional.set_step_mode(net, "m")
    for index in DELAY_POPULATIONS:
        net[index].store_v_seq = True
    return net


@pytest.mark.parametrize("steps", [1, 3])
@pytest.mark.parametrize("B", [1, 3])
def test_delay_between_populations(B, steps, tmp_path, bindsnet):
    s = spec([{"type": "linear", "in_features": DELAY_SIZES[0], "out_features": DELAY_SIZES[1], "name": "fc1"},
              {"type": "LIFNode", "tau": 2.0, "name": "sn1"}, {"type": "delay", "steps": steps, "name": "delay"},
              {"type": "linear", "in_features": DELAY_SIZES[1], "out_features": DELAY_SIZES[2], "name": "fc2"},
              {"type": "LIFNode", "tau": 2.0, "name": "sn2"}], "SpikingJelly", time_steps=T_DELAY)
    g = torch.Generator().manual_seed(41)
    weights = {"fc1.weight": _dyadic((DELAY_SIZES[1], DELAY_SIZES[0]), g),
               "fc1.bias": _dyadic((DELAY_SIZES[1],), g, span=4),
               "fc2.weight": _dyadic((DELAY_SIZES[2], DELAY_SIZES[1]), g) + 0.5,
               "fc2.bias": _dyadic((DELAY_SIZES[2],), g, span=2)}
    positions = {"fc1.weight": "0.weight", "fc1.bias": "0.bias", "fc2.weight": "3.weight", "fc2.bias": "3.bias"}
    net, undelayed = _delay_net(steps), _delay_net(0)
    _load(net, positions, weights)
    _load(undelayed, positions, weights)
    inputs = reference.random_spikes(T_DELAY, B, DELAY_SIZES[0], seed=42, p=0.3)
    with torch.no_grad():
        want = _record(net, inputs, DELAY_POPULATIONS)
        plain = _record(undelayed, inputs, DELAY_POPULATIONS)
    _active(want, DELAY_POPULATIONS.values())
    # y[t] = x[t - steps], zeros before: the delay changes what the second population sees
    assert torch.equal(want["sn1"], plain["sn1"]) and not torch.equal(want["sn2"], plain["sn2"])
    assert_targets_equal(want, modules(s, tmp_path), weights, inputs)
