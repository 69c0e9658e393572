"""One NIR node -> one snnc layer (import): shapes, parameters and weights.

Each reader takes the node and the shape that flows into it ([n] or [C, H, W],
without time and batch) and returns a `Layer`: the spec's layer object (without
its name), the weights by suffix, and the shape it gives. The neuron readers
mirror snnTorch's importer operation for operation (numpy in the file's dtype,
then float32), see the package docstring.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import NirError
from .graphfile import describe

Shape = tuple[int, ...]


@dataclass
class Layer:
    spec: dict  # the layer object of the spec, without "name"
    out_shape: Shape
    weights: dict = field(default_factory=dict)  # suffix -> float32 numpy array (torch layout)
    neuron: bool = False
    warnings: list[str] = field(default_factory=list)


NEURONS = ("LIF", "IF", "CubaLIF", "LI", "I")
_NO_LAYER = {
    "CubaLI": "a current-based leaky integrator without spikes has no snnc layer",
    "Threshold": "a threshold without a membrane has no snnc layer",
    "SumPool1d": "1-d pooling has no snnc layer",
    "AvgPool1d": "1-d pooling has no snnc layer",
}


def read_layer(name: str, node, shape: Shape, dt: float) -> Layer:
    kind = type(node).__name__
    reader = _READERS.get(kind)
    if reader is None:
        why = _NO_LAYER.get(kind, "snnc knows no layer for it")
        raise NirError(f"{describe(name, node)}: {why}; refusing rather than approximating")
    return reader(name, node, shape, dt)


def _np():
    import numpy

    return numpy


def _array(name: str, node, attr: str):
    np = _np()
    value = getattr(node, attr, None)
    if value is None:
        raise NirError(f"{describe(name, node)} has no {attr}")
    arr = np.asarray(value)
    if arr.dtype.kind not in "fiu" or arr.size == 0:
        raise NirError(f"{describe(name, node)}: {attr} must be a non-empty array of numbers")
    if not np.all(np.isfinite(arr)):
        raise NirError(f"{describe(name, node)}: {attr} has a non-finite value (nan or inf)")
    return arr


def _uniform(name: str, node, attr: str, arr, shape: Shape) -> float:
    """The one value of a per-neuron parameter array; NirError if the values differ or the shape is wrong."""
    np = _np()
    if arr.size != 1 and tuple(arr.shape) != shape:
        raise NirError(f"{describe(name, node)}: {attr} has shape {list(arr.shape)} but the layer's shape is "
                       f"{list(shape)}")
    values = np.unique(arr)
    if values.size != 1:
        raise NirError(f"{describe(name, node)}: {attr} differs across neurons (from {float(values.min())!r} to "
                       f"{float(values.max())!r}); snnc's neuron layers take one value per layer")
    return float(values[0])


def _f32(value, name: str = "", node=None, what: str = "a value") -> float:
    np = _np()
    with np.errstate(over="ignore"):
        out = float(np.float32(value))
    if not np.isfinite(out):
        where = f"{describe(name, node)}: " if node is not None else ""
        raise NirError(f"{where}{what} {float(value)!r} is outside the float32 range")
    return out


def _weight(name: str, node, attr: str, shape: tuple[int, ...] | None = None):
    np = _np()
    arr = _array(name, node, attr)
    if shape is not None and tuple(arr.shape) != shape:
        raise NirError(f"{describe(name, node)}: {attr} has shape {list(arr.shape)}, expected {list(shape)}")
    with np.errstate(over="ignore"):
        out = arr.astype(np.float32)
    if not np.all(np.isfinite(out)):
        raise NirError(f"{describe(name, node)}: {attr} has values outside the float32 range")
    warn = []
    if arr.dtype != np.float32 and not np.array_equal(out.astype(arr.dtype), arr):
        warn.append(f"{describe(name, node)}: {attr} is {arr.dtype}; rounded to float32 (as every importer does)")
    return np.ascontiguousarray(out), warn


def _needs(name: str, node, shape: Shape, dims: int, what: str) -> None:
    if len(shape) != dims:
        raise NirError(f"{describe(name, node)} expects {what} but receives shape {list(shape)}")


def _affine(name: str, node, shape: Shape, dt: float) -> Layer:
    np = _np()
    weight = _array(name, node, "weight")
    if weight.ndim != 2:
        raise NirError(f"{describe(name, node)}: weight must be a matrix [out, in], not shape {list(weight.shape)}")
    out_f, in_f = (int(n) for n in weight.shape)
    if shape != (in_f,):
        raise NirError(f"{describe(name, node)}: its weight takes [{in_f}] but it receives {list(shape)}"
                       + (" (flatten first)" if len(shape) > 1 and int(np.prod(shape)) == in_f else ""))
    w, warn = _weight(name, node, "weight")
    weights = {"weight": w}
    has_bias = type(node).__name__ == "Affine"
    if has_bias:
        weights["bias"], more = _weight(name, node, "bias", (out_f,))
        warn += more
    return Layer({"type": "linear", "in_features": in_f, "out_features": out_f, "bias": has_bias}, (out_f,),
                 weights, warnings=warn)


def _ints(name: str, node, attr: str, sizes: tuple[int, ...], what: str) -> list[int] | None:
    """The integers of an attribute (None where the node has none), `sizes` of them."""
    np = _np()
    value = getattr(node, attr, None)
    if value is None:
        return None
    arr = np.asarray(value).ravel()
    if arr.dtype.kind not in "iuf" or arr.size not in sizes or not np.all(arr == np.round(arr)):
        raise NirError(f"{describe(name, node)}: {attr} must be {what}, not {value!r}")
    return [int(v) for v in arr]


def _pair(name: str, node, attr: str, default=None) -> tuple[int, int]:
    values = _ints(name, node, attr, (1, 2), "one or two integers")
    if values is None:
        if default is None:
            raise NirError(f"{describe(name, node)} has no {attr}")
        return default
    return (values[0], values[-1])


def _spec_size(pair: tuple[int, int]) -> int | list[int]:
    return pair[0] if pair[0] == pair[1] else list(pair)


def _window(name: str, node, hw: tuple[int, int], k, s, p) -> tuple[int, int]:
    if min(k) < 1 or min(s) < 1 or min(p) < 0:
        raise NirError(f"{describe(name, node)}: kernel {list(k)}, stride {list(s)}, padding {list(p)} "
                       "must be positive (padding non-negative)")
    out = tuple((hw[i] + 2 * p[i] - k[i]) // s[i] + 1 for i in range(2))
    if min(out) < 1:
        raise NirError(f"{describe(name, node)}: a {list(k)} window does not fit the {list(hw)} input "
                       f"(padding {list(p)})")
    return out  # type: ignore[return-value]


def _conv2d(name: str, node, shape: Shape, dt: float) -> Layer:
    np = _np()
    weight = _array(name, node, "weight")
    if weight.ndim != 4:
        raise NirError(f"{describe(name, node)}: weight must be [out, in, kh, kw], not shape {list(weight.shape)}")
    _needs(name, node, shape, 3, "[C, H, W]")
    c_out, c_in, kh, kw = (int(n) for n in weight.shape)
    if shape[0] != c_in:
        raise NirError(f"{describe(name, node)}: its weight takes {c_in} channels but it receives {shape[0]}")
    groups = np.asarray(getattr(node, "groups", 1)).ravel()
    if groups.size != 1 or groups.dtype.kind not in "iuf" or groups[0] != round(float(groups[0])):
        raise NirError(f"{describe(name, node)}: groups must be one integer, not {node.groups!r}")
    if int(groups[0]) != 1:
        raise NirError(f"{describe(name, node)}: grouped convolution (groups={int(groups[0])}) has no snnc layer")
    if _pair(name, node, "dilation", (1, 1)) != (1, 1):
        raise NirError(f"{describe(name, node)}: dilated convolution (dilation={node.dilation!r}) has no snnc layer")
    stride = _pair(name, node, "stride", (1, 1))
    padding = _padding(name, node, (kh, kw), stride)
    hw = _window(name, node, shape[1:], (kh, kw), stride, padding)
    w, warn = _weight(name, node, "weight")
    b, more = _weight(name, node, "bias", (c_out,))
    layer = {"type": "conv2d", "in_channels": c_in, "out_channels": c_out, "kernel_size": _spec_size((kh, kw)),
             "stride": _spec_size(stride), "padding": _spec_size(padding), "bias": True}
    return Layer(layer, (c_out, *hw), {"weight": w, "bias": b}, warnings=warn + more)


def _int(name: str, node, attr: str, default: int | None = None) -> int:
    """One integer attribute (a 1-d window's kernel, stride, padding or dilation)."""
    values = _ints(name, node, attr, (1,), "one integer")
    if values is None:
        if default is None:
            raise NirError(f"{describe(name, node)} has no {attr}")
        return default
    return values[0]


def _conv1d(name: str, node, shape: Shape, dt: float) -> Layer:
    weight = _array(name, node, "weight")
    if weight.ndim != 3:
        raise NirError(f"{describe(name, node)}: weight must be [out, in, k], not shape {list(weight.shape)}")
    _needs(name, node, shape, 2, "[C, L]")
    c_out, c_in, k = (int(n) for n in weight.shape)
    if shape[0] != c_in:
        raise NirError(f"{describe(name, node)}: its weight takes {c_in} channels but it receives {shape[0]}")
    if _int(name, node, "groups", 1) != 1:
        raise NirError(f"{describe(name, node)}: grouped convolution (groups={node.groups!r}) has no snnc layer")
    if _int(name, node, "dilation", 1) != 1:
        raise NirError(f"{describe(name, node)}: dilated convolution (dilation={node.dilation!r}) has no snnc layer")
    stride = _int(name, node, "stride", 1)
    value = getattr(node, "padding", 0)
    if isinstance(value, str) and value in ("valid", "same"):
        if value == "same" and not (stride == 1 and k % 2):
            raise NirError(f"{describe(name, node)}: padding 'same' with kernel {k} and stride {stride} has no "
                           "symmetric equivalent")
        padding = 0 if value == "valid" else (k - 1) // 2
    else:
        padding = _int(name, node, "padding", 0)
    if k < 1 or stride < 1 or padding < 0:
        raise NirError(f"{describe(name, node)}: kernel {k}, stride {stride}, padding {padding} must be positive "
                       "(padding non-negative)")
    length = (shape[1] + 2 * padding - k) // stride + 1
    if length < 1:
        raise NirError(f"{describe(name, node)}: a kernel of {k} does not fit the length {shape[1]} (padding {padding})")
    w, warn = _weight(name, node, "weight")
    b, more = _weight(name, node, "bias", (c_out,))
    layer = {"type": "conv1d", "in_channels": c_in, "out_channels": c_out, "kernel_size": k, "stride": stride,
             "padding": padding, "bias": True}
    return Layer(layer, (c_out, length), {"weight": w, "bias": b}, warnings=warn + more)


def _delay(name: str, node, shape: Shape, dt: float) -> Layer:
    """NIR's delay (in time units, per element) as whole steps of dt, the same for every element."""
    np = _np()
    delay = _array(name, node, "delay")
    value = _uniform(name, node, "delay", delay, shape)
    steps = value / dt
    if not (steps >= 0.5 and np.isclose(steps, round(steps), rtol=0, atol=1e-6 * max(1.0, steps))):
        raise NirError(f"{describe(name, node)}: a delay of {value!r} is not a positive whole number of time steps "
                       f"of dt={dt!r}; snnc's delay layer shifts by whole steps")
    return Layer({"type": "delay", "steps": int(round(steps))}, shape)


def _padding(name: str, node, kernel: tuple[int, int], stride: tuple[int, int]) -> tuple[int, int]:
    value = getattr(node, "padding", 0)
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if hasattr(value, "item") and getattr(value, "dtype", None) is not None and value.dtype.kind in "SUO":
        value = value.item()
        value = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
    if isinstance(value, str):
        if value == "valid":
            return (0, 0)
        if value == "same" and stride == (1, 1) and kernel[0] % 2 and kernel[1] % 2:
            return ((kernel[0] - 1) // 2, (kernel[1] - 1) // 2)
        raise NirError(f"{describe(name, node)}: padding {value!r} with kernel {list(kernel)} and stride "
                       f"{list(stride)} has no symmetric equivalent")
    return _pair(name, node, "padding")


def _pool(kind: str):
    def read(name: str, node, shape: Shape, dt: float) -> Layer:
        _needs(name, node, shape, 3, "[C, H, W]")
        k = _pair(name, node, "kernel_size")
        s = _pair(name, node, "stride", k)
        p = _pair(name, node, "padding", (0, 0))
        if p[0] > k[0] // 2 or p[1] > k[1] // 2:
            raise NirError(f"{describe(name, node)}: padding {list(p)} is more than half the {list(k)} window "
                           "(torch's pooling, and so every simulator, refuses it)")
        hw = _window(name, node, shape[1:], k, s, p)
        layer = {"type": kind, "kernel_size": _spec_size(k), "stride": _spec_size(s), "padding": _spec_size(p)}
        return Layer(layer, (shape[0], *hw))

    return read


def _scale(name: str, node, shape: Shape, dt: float) -> Layer:
    factor = _uniform(name, node, "scale", _array(name, node, "scale"), shape)
    return Layer({"type": "scale", "scale": _f32(factor, name, node, "scale")}, shape)


def _flatten(name: str, node, shape: Shape, dt: float) -> Layer:
    np = _np()
    ndim = len(shape)
    start, end = int(getattr(node, "start_dim", 0)), int(getattr(node, "end_dim", -1))
    declared = (getattr(node, "input_type", None) or {}).get("input")
    declared = None if declared is None else tuple(int(n) for n in np.asarray(declared).ravel())
    if declared is not None and len(declared) == ndim + 1 and declared[0] == 1 and declared[1:] == shape:
        start, end = start - 1 if start > 0 else start, end - 1 if end > 0 else end  # a leaked batch axis
    start, end = start % ndim if -ndim <= start < ndim else None, end % ndim if -ndim <= end < ndim else None
    if ndim > 1 and (start, end) != (0, ndim - 1):
        raise NirError(f"{describe(name, node)}: flattening dims {node.start_dim}..{node.end_dim} of "
                       f"{list(shape)} (not all of them) has no snnc layer")
    return Layer({"type": "flatten"}, (int(np.prod(shape)),))


def _zero(name: str, node, attr: str, shape: Shape, why: str) -> None:
    value = getattr(node, attr, None)
    if value is None:
        return
    v = _uniform(name, node, attr, _array(name, node, attr), shape)
    if v != 0.0:
        raise NirError(f"{describe(name, node)}: {attr}={v!r}; {why}")


def _lif(name: str, node, shape: Shape, dt: float) -> Layer:
    np = _np()
    tau, r, vthr = (_array(name, node, a) for a in ("tau", "r", "v_threshold"))
    for attr, arr in (("tau", tau), ("r", r), ("v_threshold", vthr)):
        _uniform(name, node, attr, arr, shape)
    _zero(name, node, "v_leak", shape, "snnc's LIF neurons leak towards 0 (snnTorch's importer refuses it too)")
    _zero(name, node, "v_reset", shape, "snnc reads NIR resets as snnTorch's zero reset, to 0")
    if float(np.unique(tau)[0]) <= 0.0:
        raise NirError(f"{describe(name, node)}: tau={float(np.unique(tau)[0])!r} must be positive")
    with np.errstate(all="ignore"):
        beta = 1 - (dt / tau)  # snnTorch's import_nir, operation for operation
        w_scale = r * dt / tau
        scaled = not np.allclose(w_scale, 1.0)
        if scaled:
            vthr = vthr / np.unique(w_scale)[0]
    if not float(np.unique(w_scale)[0]) > 0.0:
        raise NirError(f"{describe(name, node)}: r={float(np.unique(r)[0])!r} makes the input weight r*dt/tau "
                       "non-positive; snnc reads the input scale into the threshold, which needs it positive")
    beta_v = _f32(_uniform(name, node, "1 - dt/tau", beta, shape), name, node, "the decay")
    thr = _f32(_uniform(name, node, "threshold", vthr, shape), name, node, "the threshold v_threshold/(r*dt/tau)")
    if scaled:
        _uniform(name, node, "r*dt/tau", w_scale, shape)
    if not 0.0 <= beta_v <= 1.0:
        raise NirError(f"{describe(name, node)}: tau={float(np.unique(tau)[0])!r} is shorter than dt={dt!r}, so the "
                       f"decay 1 - dt/tau = {beta_v!r} is negative; give the exporter's time step with --dt")
    if not np.isfinite(thr):
        raise NirError(f"{describe(name, node)}: the threshold v_threshold/(r*dt/tau) is not finite (r is 0?)")
    layer = {"type": "LIFNode", "beta": beta_v, "threshold": thr, "reset_mechanism": "zero", "reset_delay": False}
    return Layer(layer, shape, neuron=True)


def _if(name: str, node, shape: Shape, dt: float) -> Layer:
    np = _np()
    r, vthr = _array(name, node, "r"), _array(name, node, "v_threshold")
    for attr, arr in (("r", r), ("v_threshold", vthr)):
        _uniform(name, node, attr, arr, shape)
    _zero(name, node, "v_reset", shape, "snnc reads NIR resets as snnTorch's zero reset, to 0")
    with np.errstate(all="ignore"):
        w = r * dt
        if not float(np.unique(w)[0]) > 0.0:
            raise NirError(f"{describe(name, node)}: r={float(np.unique(r)[0])!r} makes the input weight r*dt "
                           "non-positive; snnc reads the input scale into the threshold, which needs it positive")
        if not np.allclose(w, 1.0):
            vthr = vthr / np.unique(w)[0]
    thr = _f32(_uniform(name, node, "threshold", vthr, shape), name, node, "the threshold v_threshold/(r*dt)")
    if not np.isfinite(thr):
        raise NirError(f"{describe(name, node)}: the threshold v_threshold/(r*dt) is not finite (r is 0?)")
    layer = {"type": "IFNode", "threshold": thr, "reset_mechanism": "zero", "reset_delay": False}
    return Layer(layer, shape, neuron=True)


def _cuba_lif(name: str, node, shape: Shape, dt: float) -> Layer:
    """As snnTorch's importer reads it (snn.Synaptic): alpha = 1 - dt/tau_syn, beta = 1 - dt/tau_mem, the input
    weight w_in*dt/tau_syn (times r*dt/tau_mem) read into the threshold, a zero reset."""
    np = _np()
    tau_syn, tau_mem, r, vthr = (_array(name, node, a) for a in ("tau_syn", "tau_mem", "r", "v_threshold"))
    w_in = np.asarray(getattr(node, "w_in", 1.0), dtype=np.float64)
    for attr, arr in (("tau_syn", tau_syn), ("tau_mem", tau_mem), ("r", r), ("v_threshold", vthr)):
        _uniform(name, node, attr, arr, shape)
    _zero(name, node, "v_leak", shape, "snnc's LIF neurons leak towards 0 (snnTorch's importer refuses it too)")
    _zero(name, node, "v_reset", shape, "snnc reads NIR resets as snnTorch's zero reset, to 0")
    if min(float(np.unique(tau_syn)[0]), float(np.unique(tau_mem)[0])) <= 0.0:
        raise NirError(f"{describe(name, node)}: tau_syn and tau_mem must be positive")
    with np.errstate(all="ignore"):
        alpha = 1 - (dt / tau_syn)  # snnTorch's import_nir, operation for operation
        beta = 1 - (dt / tau_mem)
        w_scale = w_in * (dt / tau_syn) * (r * dt / tau_mem)
        if not np.allclose(w_scale, 1.0):
            vthr = vthr / np.unique(w_scale)[0]
    if not float(np.unique(w_scale)[0]) > 0.0:
        raise NirError(f"{describe(name, node)}: w_in and r make the input weight non-positive; snnc reads the input "
                       "scale into the threshold, which needs it positive")
    alpha_v = _f32(_uniform(name, node, "1 - dt/tau_syn", alpha, shape), name, node, "the current decay")
    beta_v = _f32(_uniform(name, node, "1 - dt/tau_mem", beta, shape), name, node, "the membrane decay")
    thr = _f32(_uniform(name, node, "threshold", vthr, shape), name, node, "the threshold")
    if not (0.0 <= alpha_v <= 1.0 and 0.0 <= beta_v <= 1.0):
        raise NirError(f"{describe(name, node)}: tau_syn or tau_mem is shorter than dt={dt!r}, so a decay is negative; "
                       "give the exporter's time step with --dt")
    if not np.isfinite(thr):
        raise NirError(f"{describe(name, node)}: the threshold is not finite")
    layer = {"type": "CUBALIFNode", "alpha": alpha_v, "beta": beta_v, "threshold": thr, "reset_mechanism": "zero",
             "reset_delay": False}
    return Layer(layer, shape, neuron=True)


def _li(name: str, node, shape: Shape, dt: float) -> Layer:
    """A leaky integrator (a readout): beta = 1 - dt/tau, as the LIF reading; its input weight r*dt/tau must be 1
    (a readout has no threshold to read a scale into)."""
    np = _np()
    tau, r = _array(name, node, "tau"), _array(name, node, "r")
    for attr, arr in (("tau", tau), ("r", r)):
        _uniform(name, node, attr, arr, shape)
    _zero(name, node, "v_leak", shape, "snnc's leaky integrators leak towards 0")
    if float(np.unique(tau)[0]) <= 0.0:
        raise NirError(f"{describe(name, node)}: tau={float(np.unique(tau)[0])!r} must be positive")
    with np.errstate(all="ignore"):
        beta = 1 - (dt / tau)
        w_scale = r * dt / tau
    if not np.allclose(w_scale, 1.0):
        raise NirError(f"{describe(name, node)}: its input weight r*dt/tau is {float(np.unique(w_scale)[0])!r}, not 1 "
                       "(r = tau/dt, as snnTorch's exporter writes); a readout has no threshold to absorb it")
    beta_v = _f32(_uniform(name, node, "1 - dt/tau", beta, shape), name, node, "the decay")
    if not 0.0 <= beta_v <= 1.0:
        raise NirError(f"{describe(name, node)}: tau is shorter than dt={dt!r}; give the exporter's time step with --dt")
    return Layer({"type": "NonSpikingLIFNode", "beta": beta_v}, shape, neuron=True)


def _i(name: str, node, shape: Shape, dt: float) -> Layer:
    """An integrator (a readout): v = v + r*dt*x, with r*dt = 1."""
    np = _np()
    r = _array(name, node, "r")
    _uniform(name, node, "r", r, shape)
    if not np.allclose(r * dt, 1.0):
        raise NirError(f"{describe(name, node)}: its input weight r*dt is {float(np.unique(r * dt)[0])!r}, not 1 "
                       "(r = 1/dt); a readout has no threshold to absorb it")
    return Layer({"type": "NonSpikingIFNode"}, shape, neuron=True)


_READERS = {
    "Affine": _affine, "Linear": _affine, "Conv2d": _conv2d, "SumPool2d": _pool("sumpool2d"),
    "AvgPool2d": _pool("avgpool2d"), "Scale": _scale, "Flatten": _flatten, "LIF": _lif, "IF": _if,
    "Conv1d": _conv1d, "Delay": _delay, "CubaLIF": _cuba_lif, "LI": _li, "I": _i,
}
