"""Op kinds of the graph IR: the nodes a network is made of, one class per kind, in a registry.

Every op is a frozen dataclass with a name, ordered ``operands`` and the
``shape`` of what it outputs per sample (without time and batch). Operands are
`Operand` records: the name of the op read and its ``delay`` (0: the value of
the same time step; 1: a feedback edge, the value of the previous step, zeros
at the first). Several operands of a stateless op are summed, in operand order;
those of a population are combined as its neuron says (`ir.neuron`).

Each kind owns its own rules: `attrs` (what the text form prints and parses),
`infer_shape` (the output shape from the operand shape, or why there is none),
`keeps_zero` (stated by every kind: no default), `lag` (steps its output lags its
input), `per_step` (whether it computes each time step on its own, or needs the
whole [T, B, ...] sequence), its spec layer (`schema`, `from_spec`,
`spec_problems`, `reads`), for parametric kinds `slots` (the weight tensors in
torch layout, with how `check` draws random values for each and where the module
holds them), `module` (the torch class computing it, as plain values the emitters
render) and `nir_node`. `OP_CLASSES` registers every kind (`register` adds one);
an unknown kind is an error wherever it is looked up (`op_class`).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import ClassVar

from .floats import is_f32
from .neuron import Neuron

Shape = tuple[int, ...]
Pair = tuple[int, int]


class Refusal(Exception):
    """What cannot be made exact for this spec (a pass, a target, NIR): a located error for the user, not a bug."""

    def __init__(self, subject: str, message: str):
        self.subject, self.message = subject, message
        super().__init__(f"{subject}: {message}")


@dataclass(frozen=True)
class Slot:
    """One weight tensor of a parametric op: its key suffix, shape (torch layout), how `check`
    draws a random value for it ("fan_in", "bias", "scale", "shift", "mean", "variance"), the key
    it is under where not the op's own (a folded batch norm's), and where the op's torch module
    (`Op.module`) holds it: the attribute, and whether it is stored transposed."""

    suffix: str
    shape: Shape
    draw: str
    key: str | None = None
    attr: str | None = None  # default: the suffix
    transposed: bool = False

    @property
    def held_by(self) -> str:
        return self.attr or self.suffix


@dataclass(frozen=True)
class ModuleCall:
    """The torch module computing an op: `cls` (a name under the target's torch prefix, e.g. "Conv2d",
    or a class the generated module defines: `generated`), positional and keyword arguments as plain
    values (or ModuleCalls). A generated class is one the emitters know (emitters.layers.GENERATED), or
    `source`: its definition, written by the op kind (using only `torch`)."""

    cls: str
    args: tuple = ()
    kwargs: tuple[tuple[str, object], ...] = ()
    generated: bool = False
    source: str = ""


@dataclass(frozen=True)
class Loc:
    """Where an op came from in the spec text."""

    pointer: str  # JSON pointer, e.g. "/layers/1"
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        if self.line:
            return f"{self.line}:{self.col} #{self.pointer}"
        return f"#{self.pointer}"


NO_LOC = Loc("")


@dataclass(frozen=True)
class Operand:
    """One input of an op: the op it reads and how many steps late (0, or 1 for feedback)."""

    src: str
    delay: int = 0


def operands(*names: str) -> tuple[Operand, ...]:
    return tuple(Operand(n) for n in names)


@dataclass(frozen=True, kw_only=True)
class Op:
    name: str
    operands: tuple[Operand, ...] = ()
    shape: Shape = ()
    loc: Loc = NO_LOC
    note: str | None = None  # free text from the spec; only ever emitted as a comment
    impl: str | None = None  # set by the target-lowering pass: how the target renders it

    kind: ClassVar[str] = ""
    parametric: ClassVar[bool] = False
    stateful: ClassVar[bool] = False
    per_step: ClassVar[bool] = True  # False: computes over the whole [T, B, ...] sequence (statistics, time shifts)

    def replace(self, **changes) -> "Op":
        return dataclasses.replace(self, **changes)

    def attrs(self) -> dict[str, object]:
        """The kind's own fields, in print order (parsed back by `ir.parser`); an optional field
        (`OPTIONAL`) only where it is set."""
        own = {f.name for f in dataclasses.fields(Op)}
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in own
                and not (f.metadata.get("optional") and getattr(self, f.name) == f.default)}

    def infer_shape(self, shape: Shape) -> Shape | str:
        """The output shape for an operand (sum) of `shape`, or a message saying why none."""
        return shape

    def weights(self) -> dict[str, Shape]:
        """The op's own weight tensors by suffix ("weight", "bias"), in torch layout."""
        return {slot.suffix: slot.shape for slot in self.slots() if slot.key is None}

    def weight_slots(self) -> dict[str, Slot]:
        """Every weight tensor of the op under its contract key ("<key>.<suffix>"), in order."""
        return {f"{slot.key or getattr(self, 'key', '')}.{slot.suffix}": slot for slot in self.slots()}

    def slots(self) -> tuple[Slot, ...]:
        """The weight tensors, in key order."""
        return ()

    def keeps_zero(self) -> bool:
        """Whether zeros in give exactly zeros out (a feedback edge's first-step zeros pass through).
        Every kind says it: an offset without a `bias` field must not pass for zero-preserving."""
        raise NotImplementedError(f"op kind {self.kind!r} does not say whether it keeps zeros")

    def lag(self) -> int:
        """Steps by which the output lags the input (a delay line's length; 0 for everything else)."""
        return 0

    def module(self) -> ModuleCall:
        """The torch module computing this op (one step at a time, or a sequence if not `per_step`)."""
        raise NotImplementedError(f"op kind {self.kind!r} has no module")

    @classmethod
    def from_spec(cls, kind: str, spec: dict, bindsnet: bool) -> "Op":
        """The op (without name, operands, shape) a schema-valid spec layer of `kind` describes;
        `bindsnet`: the spec is in BindsNET's vocabulary (its connections have no bias)."""
        raise NotImplementedError(f"op kind {kind!r} is not a spec layer")

    # The spec layer: its JSON Schema definition's name in the spec schema's $defs (shared by the kinds
    # of one class), or "" for an op no spec layer writes (the input, populations).
    SCHEMA_DEF: ClassVar[str] = ""

    @classmethod
    def schema(cls) -> dict:
        """The JSON Schema of the spec layer (see `layer_schema`)."""
        raise NotImplementedError(f"{cls.__name__} is not a spec layer")

    @classmethod
    def spec_problems(cls, kind: str, spec: dict) -> list[tuple[str, str]]:
        """(key, message) for values of a schema-valid spec layer the schema cannot bound."""
        return []

    @classmethod
    def reads(cls, kind: str) -> tuple[str, str, tuple[int, ...]] | None:
        """(spec key, noun, input ranks) where the spec layer states the size of its input's first
        dimension, so that a mismatch is reported at that key ("in_features", "features", (1,))."""
        return None

    @classmethod
    def input_from_spec(cls, kind: str, spec: dict) -> Shape | None:
        """The input shape a spec layer reading the input implies (a linear layer's in_features), if any."""
        return None

    def problems(self) -> list[str]:
        """What is wrong with this op's own attributes (the verifier checks shapes and wiring)."""
        return []

    def nir_node(self, weights: dict, in_shape: Shape, dt: float):
        """The NIR node of this op (`nir` and numpy imported here, only by the NIR commands), given the
        float32 weights by contract key, the shape it reads and dt; a Refusal where NIR cannot say it."""
        raise Refusal(self.name, f"a {self.kind} op has no NIR node")


@dataclass(frozen=True, kw_only=True)
class InputOp(Op):
    """The external input: a tensor of `shape` per sample and time step."""

    kind: ClassVar[str] = "input"

    def keeps_zero(self) -> bool:
        return True

    def nir_node(self, weights: dict, in_shape: Shape, dt: float):
        import nir
        import numpy as np

        return nir.Input(input_type={"input": np.array(self.shape)})


def _pair(value) -> Pair:
    return (value, value) if isinstance(value, int) else (value[0], value[1])


def _kv(**kwargs) -> tuple[tuple[str, object], ...]:
    return tuple(kwargs.items())


OPTIONAL = {"optional": True}  # field metadata: printed in the text form only where set
FEATURES, WINDOW, PADDING = {"$ref": "#/$defs/features"}, {"$ref": "#/$defs/window"}, {"$ref": "#/$defs/padding"}
SIZE2, PAD2 = {"$ref": "#/$defs/size2"}, {"$ref": "#/$defs/pad2"}


def layer_schema(title: str, properties: dict, required: tuple[str, ...] = (), description: str = "") -> dict:
    """The JSON Schema of one kind's spec layer: its own keys, plus `type`, `name` and `note`, nothing else
    (the shared definitions it refers to, such as #/$defs/features, are in compiler/frontend/schema/spec.schema.json)."""
    out: dict = {"title": title}
    if description:
        out["description"] = description
    if required:
        out["required"] = list(required)
    out["properties"] = {"type": True, **properties, "name": {"$ref": "#/$defs/name"}, "note": {"type": "string"}}
    out["additionalProperties"] = False
    return out


def _bias_key(bindsnet_note: str = "") -> dict:
    return {"description": f"Default: true, or false in a BindsNET spec{bindsnet_note}.", "type": "boolean"}


def _bias_slots(out: int, bias: bool) -> tuple[Slot, ...]:
    return (Slot("bias", (out,), "bias"),) if bias else ()


@dataclass(frozen=True, kw_only=True)
class Projection(Op):
    """A linear layer or convolution: its weight sums over inputs. `fold_key` names a batch norm
    folded into it (by the fold-batchnorm pass) whose weights keep their keys ("<fold_key>.weight",
    ...): the module holds the unfolded values and computes the folded weight and bias from them
    when loaded, w * s and (b - mean) * s + beta with s = gamma / sqrt(var + eps) (see Folded)."""

    fold_key: str = dataclasses.field(default="", metadata=OPTIONAL)
    fold_eps: float = dataclasses.field(default=0.0, metadata=OPTIONAL)
    fold_affine: bool = dataclasses.field(default=False, metadata=OPTIONAL)

    parametric: ClassVar[bool] = True

    def own_slots(self) -> tuple[Slot, ...]:
        raise NotImplementedError

    def slots(self) -> tuple[Slot, ...]:
        own = self.own_slots()
        if not self.fold_key:
            return own
        c = (own[0].shape[0],)
        # folded: the module (Folded) keeps the unfolded values as buffers, in torch's layout
        own = tuple(Slot(s.suffix, s.shape, s.draw) for s in own)
        norm = (Slot("weight", c, "scale", self.fold_key, "bn_weight"),
                Slot("bias", c, "shift", self.fold_key, "bn_bias")) if self.fold_affine else ()
        return (*own, *norm, Slot("running_mean", c, "mean", self.fold_key),
                Slot("running_var", c, "variance", self.fold_key))

    def keeps_zero(self) -> bool:
        return not self.bias and not self.fold_key

    def base_module(self, bias: bool) -> ModuleCall:
        raise NotImplementedError

    def module(self) -> ModuleCall:
        if not self.fold_key:
            return self.base_module(self.bias)
        base = self.base_module(True)
        in_out = _kv(in_out=True) if base.cls == "InOutLinear" else ()
        return ModuleCall("Folded", (base, self.fold_eps), in_out, generated=True)

    def problems(self) -> list[str]:
        if self.fold_key and not (isinstance(self.fold_eps, float) and 0 < self.fold_eps < math.inf):
            return [f"fold_eps {self.fold_eps!r} must be a positive number"]
        return []


@dataclass(frozen=True, kw_only=True)
class LinearOp(Projection):
    """y = x W^T + b. `layout` and `bias_add` record the float32 semantics: BindsNET users
    store w as a contiguous [in, out] matrix and add the bias after the product ("in_out",
    "after"); torch's nn.Linear keeps W [out, in] and fuses the bias ("out_in", "fused").
    BLAS rounds the two differently, so every target computes the one recorded here."""

    in_features: int
    out_features: int
    bias: bool = True
    key: str = ""  # weight keys are "<key>.weight" and "<key>.bias"
    layout: str = "out_in"
    bias_add: str = "fused"

    kind: ClassVar[str] = "linear"
    SCHEMA_DEF: ClassVar[str] = "linear"

    @classmethod
    def schema(cls) -> dict:
        return layer_schema("linear layer", {"in_features": FEATURES, "out_features": FEATURES,
                                             "bias": _bias_key(" (BindsNET's Connection has no bias)")},
                            ("in_features", "out_features"))

    @classmethod
    def reads(cls, kind: str) -> tuple[str, str, tuple[int, ...]] | None:
        return ("in_features", "features", (1,))

    @classmethod
    def input_from_spec(cls, kind: str, spec: dict) -> Shape | None:
        return (spec["in_features"],)

    @classmethod
    def from_spec(cls, kind: str, spec: dict, bindsnet: bool) -> Op:
        extra = dict(layout="in_out", bias_add="after") if bindsnet else {}
        return cls(name="", in_features=spec["in_features"], out_features=spec["out_features"],
                   bias=spec.get("bias", not bindsnet), **extra)

    def infer_shape(self, shape: Shape) -> Shape | str:
        if len(shape) != 1:
            return (f"a linear layer needs a flat input, got shape {list(shape)}; "
                    "put a flatten layer before it")
        if shape[0] != self.in_features:
            return f"in_features {self.in_features} does not match the {shape[0]} features it reads"
        return (self.out_features,)

    def own_slots(self) -> tuple[Slot, ...]:
        if self.layout == "in_out":  # InOutLinear: w [in, out], b
            return (Slot("weight", (self.out_features, self.in_features), "fan_in", attr="w", transposed=True),
                    *((Slot("bias", (self.out_features,), "bias", attr="b"),) if self.bias else ()))
        return (Slot("weight", (self.out_features, self.in_features), "fan_in"),
                *_bias_slots(self.out_features, self.bias))

    def base_module(self, bias: bool) -> ModuleCall:
        if self.layout == "in_out":
            return ModuleCall("InOutLinear", (self.in_features, self.out_features, bias), generated=True)
        return ModuleCall("Linear", (self.in_features, self.out_features), _kv(bias=bias))

    def nir_node(self, weights: dict, in_shape: Shape, dt: float):
        import nir

        w = weights[f"{self.key}.weight"]
        if self.bias:
            return nir.Affine(weight=w, bias=weights[f"{self.key}.bias"])
        return nir.Linear(weight=w)


def conv_out(size: int, kernel: int, stride: int, padding: int) -> int:
    """Output length of a convolution or pooling window (dilation 1, floor mode)."""
    return (size + 2 * padding - kernel) // stride + 1


@dataclass(frozen=True, kw_only=True)
class Conv2dOp(Projection):
    """torch.nn.functional.conv2d over [C, H, W] (dilation 1, one group)."""

    in_channels: int
    out_channels: int
    kernel_size: Pair
    stride: Pair = (1, 1)
    padding: Pair = (0, 0)
    bias: bool = True
    key: str = ""

    kind: ClassVar[str] = "conv2d"
    SCHEMA_DEF: ClassVar[str] = "conv2d"

    @classmethod
    def schema(cls) -> dict:
        return layer_schema("conv2d layer", {"in_channels": FEATURES, "out_channels": FEATURES, "kernel_size": SIZE2,
                                             "stride": SIZE2, "padding": PAD2, "bias": _bias_key()},
                            ("in_channels", "out_channels", "kernel_size"))

    @classmethod
    def reads(cls, kind: str) -> tuple[str, str, tuple[int, ...]] | None:
        return ("in_channels", "channels", (3,))

    @classmethod
    def from_spec(cls, kind: str, spec: dict, bindsnet: bool) -> Op:
        return cls(name="", in_channels=spec["in_channels"], out_channels=spec["out_channels"],
                   kernel_size=_pair(spec["kernel_size"]), stride=_pair(spec.get("stride", 1)),
                   padding=_pair(spec.get("padding", 0)), bias=spec.get("bias", not bindsnet))

    def infer_shape(self, shape: Shape) -> Shape | str:
        if len(shape) != 3:
            return f"conv2d needs a [C, H, W] input, got shape {list(shape)}"
        if shape[0] != self.in_channels:
            return f"in_channels {self.in_channels} does not match the {shape[0]} channels it reads"
        hw = _window(shape[1:], self.kernel_size, self.stride, self.padding, "kernel")
        return hw if isinstance(hw, str) else (self.out_channels, *hw)

    def own_slots(self) -> tuple[Slot, ...]:
        return (Slot("weight", (self.out_channels, self.in_channels, *self.kernel_size), "fan_in"),
                *_bias_slots(self.out_channels, self.bias))

    def base_module(self, bias: bool) -> ModuleCall:
        return ModuleCall("Conv2d", (self.in_channels, self.out_channels, self.kernel_size),
                          _kv(stride=self.stride, padding=self.padding, bias=bias))

    def nir_node(self, weights: dict, in_shape: Shape, dt: float):
        import nir
        import numpy as np

        w = weights[f"{self.key}.weight"]
        bias = weights[f"{self.key}.bias"] if self.bias else np.zeros(w.shape[0], dtype=np.float32)
        return nir.Conv2d(input_shape=tuple(in_shape[1:]), weight=w, stride=np.array(self.stride),
                          padding=np.array(self.padding), dilation=np.array((1, 1)), groups=1, bias=bias)


@dataclass(frozen=True, kw_only=True)
class Conv1dOp(Projection):
    """torch.nn.functional.conv1d over [C, L] (dilation 1, one group)."""

    in_channels: int
    out_channels: int
    kernel_size: int
    stride: int = 1
    padding: int = 0
    bias: bool = True
    key: str = ""

    kind: ClassVar[str] = "conv1d"
    SCHEMA_DEF: ClassVar[str] = "conv1d"

    @classmethod
    def schema(cls) -> dict:
        return layer_schema("conv1d layer", {"in_channels": FEATURES, "out_channels": FEATURES, "kernel_size": WINDOW,
                                             "stride": WINDOW, "padding": PADDING, "bias": _bias_key()},
                            ("in_channels", "out_channels", "kernel_size"))

    @classmethod
    def reads(cls, kind: str) -> tuple[str, str, tuple[int, ...]] | None:
        return ("in_channels", "channels", (2,))

    @classmethod
    def from_spec(cls, kind: str, spec: dict, bindsnet: bool) -> Op:
        return cls(name="", in_channels=spec["in_channels"], out_channels=spec["out_channels"],
                   kernel_size=spec["kernel_size"], stride=spec.get("stride", 1), padding=spec.get("padding", 0),
                   bias=spec.get("bias", not bindsnet))

    def infer_shape(self, shape: Shape) -> Shape | str:
        if len(shape) != 2:
            return f"conv1d needs a [C, L] input, got shape {list(shape)}"
        if shape[0] != self.in_channels:
            return f"in_channels {self.in_channels} does not match the {shape[0]} channels it reads"
        length = _window(shape[1:], (self.kernel_size,), (self.stride,), (self.padding,), "kernel")
        return length if isinstance(length, str) else (self.out_channels, *length)

    def own_slots(self) -> tuple[Slot, ...]:
        return (Slot("weight", (self.out_channels, self.in_channels, self.kernel_size), "fan_in"),
                *_bias_slots(self.out_channels, self.bias))

    def base_module(self, bias: bool) -> ModuleCall:
        return ModuleCall("Conv1d", (self.in_channels, self.out_channels, self.kernel_size),
                          _kv(stride=self.stride, padding=self.padding, bias=bias))

    def nir_node(self, weights: dict, in_shape: Shape, dt: float):
        import nir
        import numpy as np

        w = weights[f"{self.key}.weight"]
        bias = weights[f"{self.key}.bias"] if self.bias else np.zeros(w.shape[0], dtype=np.float32)
        return nir.Conv1d(input_shape=in_shape[1], weight=w, stride=self.stride, padding=self.padding, dilation=1,
                          groups=1, bias=bias)


def _window(sizes: Shape, kernel: tuple, stride: tuple, padding: tuple, what: str) -> Shape | str:
    out = tuple(conv_out(n, k, s, p) for n, k, s, p in zip(sizes, kernel, stride, padding))
    if min(out) < 1:
        shown = list(kernel) if len(kernel) > 1 else kernel[0]
        pad = list(padding) if len(padding) > 1 else padding[0]
        return (f"the {what} {shown} (padding {pad}) is larger than the "
                f"{list(sizes)} input: nothing is left")
    return out


@dataclass(frozen=True, kw_only=True)
class Pool2dOp(Op):
    """Max, average or sum pooling over [C, H, W] (floor mode; average counts the padding, as torch
    does; sum is torch's average pooling with divisor 1, NIR's SumPool2d)."""

    mode: str  # "max" | "avg" | "sum"
    kernel_size: Pair
    stride: Pair
    padding: Pair = (0, 0)

    KINDS: ClassVar[tuple[str, ...]] = ("maxpool2d", "avgpool2d", "sumpool2d")
    SCHEMA_DEF: ClassVar[str] = "pool"

    @classmethod
    def schema(cls) -> dict:
        return layer_schema("pooling layer", {"kernel_size": SIZE2, "stride": {"description": "Default: kernel_size.",
                                                                              **SIZE2}, "padding": PAD2},
                            ("kernel_size",))

    @property
    def kind(self) -> str:  # type: ignore[override]
        return f"{self.mode}pool2d"

    @classmethod
    def from_spec(cls, kind: str, spec: dict, bindsnet: bool) -> Op:
        kernel = _pair(spec["kernel_size"])
        return cls(name="", mode=kind[:3], kernel_size=kernel, stride=_pair(spec.get("stride", kernel)),
                   padding=_pair(spec.get("padding", 0)))

    def infer_shape(self, shape: Shape) -> Shape | str:
        if len(shape) != 3:
            return f"{self.kind} needs a [C, H, W] input, got shape {list(shape)}"
        if any(2 * p > k for p, k in zip(self.padding, self.kernel_size)):
            return f"padding {list(self.padding)} must be at most half the kernel {list(self.kernel_size)}"
        hw = _window(shape[1:], self.kernel_size, self.stride, self.padding, "pooling window")
        return hw if isinstance(hw, str) else (shape[0], *hw)

    def keeps_zero(self) -> bool:
        return True

    def module(self) -> ModuleCall:
        extra = _kv(divisor_override=1) if self.mode == "sum" else ()
        return ModuleCall("MaxPool2d" if self.mode == "max" else "AvgPool2d", (self.kernel_size,),
                          _kv(stride=self.stride, padding=self.padding) + extra)

    def problems(self) -> list[str]:
        return [] if self.mode in ("max", "avg", "sum") else [f"unknown pooling mode {self.mode!r}"]

    def nir_node(self, weights: dict, in_shape: Shape, dt: float):
        import nir
        import numpy as np

        if self.mode == "max":
            raise Refusal(self.name, "NIR has no max pooling (only SumPool2d and AvgPool2d); use avgpool2d to export")
        cls = nir.SumPool2d if self.mode == "sum" else nir.AvgPool2d
        return cls(kernel_size=np.array(self.kernel_size), stride=np.array(self.stride),
                   padding=np.array(self.padding))


@dataclass(frozen=True, kw_only=True)
class Pool1dOp(Op):
    """Max or average pooling over [C, L] (floor mode; average counts the padding, as torch does)."""

    mode: str  # "max" | "avg"
    kernel_size: int
    stride: int
    padding: int = 0

    KINDS: ClassVar[tuple[str, ...]] = ("maxpool1d", "avgpool1d")
    SCHEMA_DEF: ClassVar[str] = "pool1d"

    @classmethod
    def schema(cls) -> dict:
        return layer_schema("1-D pooling layer", {"kernel_size": WINDOW, "stride": {"description": "Default: kernel_size.",
                                                                                  **WINDOW}, "padding": PADDING},
                            ("kernel_size",))

    @property
    def kind(self) -> str:  # type: ignore[override]
        return f"{self.mode}pool1d"

    @classmethod
    def from_spec(cls, kind: str, spec: dict, bindsnet: bool) -> Op:
        kernel = spec["kernel_size"]
        return cls(name="", mode=kind[:3], kernel_size=kernel, stride=spec.get("stride", kernel),
                   padding=spec.get("padding", 0))

    def infer_shape(self, shape: Shape) -> Shape | str:
        if len(shape) != 2:
            return f"{self.kind} needs a [C, L] input, got shape {list(shape)}"
        if 2 * self.padding > self.kernel_size:
            return f"padding {self.padding} must be at most half the kernel {self.kernel_size}"
        length = _window(shape[1:], (self.kernel_size,), (self.stride,), (self.padding,), "pooling window")
        return length if isinstance(length, str) else (shape[0], *length)

    def keeps_zero(self) -> bool:
        return True

    def module(self) -> ModuleCall:
        return ModuleCall("MaxPool1d" if self.mode == "max" else "AvgPool1d", (self.kernel_size,),
                          _kv(stride=self.stride, padding=self.padding))

    def problems(self) -> list[str]:
        return [] if self.mode in ("max", "avg") else [f"unknown pooling mode {self.mode!r}"]

    def nir_node(self, weights: dict, in_shape: Shape, dt: float):
        raise Refusal(self.name, "NIR has no 1-d pooling")


@dataclass(frozen=True, kw_only=True)
class BatchNormOp(Op):
    """Batch normalisation over the channels (dim 0 of [C], [C, L] or [C, H, W]), as torch's
    BatchNorm1d/2d on the whole [T*B, ...] sequence: in training mode with the sequence's statistics
    (updating the running ones once per run, as SpikingJelly's multi-step layer.BatchNorm2d), in eval
    mode with the running statistics (then elementwise, the same for any time and batch split)."""

    dims: int  # 1 or 2
    num_features: int
    eps: float = 1e-5
    momentum: float = 0.1
    affine: bool = True
    key: str = ""

    KINDS: ClassVar[tuple[str, ...]] = ("batchnorm1d", "batchnorm2d")
    SCHEMA_DEF: ClassVar[str] = "batchnorm"

    @classmethod
    def schema(cls) -> dict:
        return layer_schema("batch norm layer", {
            "num_features": FEATURES,
            "eps": {"description": "Default: 1e-05.", "type": "number", "exclusiveMinimum": 0, "maximum": 1},
            "momentum": {"description": "Default: 0.1.", "type": "number", "minimum": 0, "maximum": 1},
            "affine": {"description": "Default: true (a learned weight and bias per channel).", "type": "boolean"},
        }, ("num_features",), "Normalises each channel: with the statistics of the whole [T*B, ...] sequence in "
           "training mode (updating the running statistics once per run), with the running statistics in eval "
           "mode and in BindsNET.")
    parametric: ClassVar[bool] = True
    per_step: ClassVar[bool] = False

    @property
    def kind(self) -> str:  # type: ignore[override]
        return f"batchnorm{self.dims}d"

    @classmethod
    def reads(cls, kind: str) -> tuple[str, str, tuple[int, ...]] | None:
        return ("num_features", "channels", (1, 2) if kind == "batchnorm1d" else (3,))

    @classmethod
    def from_spec(cls, kind: str, spec: dict, bindsnet: bool) -> Op:
        # eps and momentum stay the spec's numbers: torch's batch norm takes them as Python floats
        return cls(name="", dims=int(kind[-2]), num_features=spec["num_features"],
                   eps=float(spec.get("eps", 1e-5)), momentum=float(spec.get("momentum", 0.1)),
                   affine=spec.get("affine", True))

    def infer_shape(self, shape: Shape) -> Shape | str:
        ranks = (1, 2) if self.dims == 1 else (3,)
        if len(shape) not in ranks:
            need = "a [C] or [C, L]" if self.dims == 1 else "a [C, H, W]"
            return f"{self.kind} needs {need} input, got shape {list(shape)}"
        if shape[0] != self.num_features:
            return f"num_features {self.num_features} does not match the {shape[0]} channels it reads"
        return shape

    def slots(self) -> tuple[Slot, ...]:
        c = (self.num_features,)
        affine = (Slot("weight", c, "scale"), Slot("bias", c, "shift")) if self.affine else ()
        return (*affine, Slot("running_mean", c, "mean"), Slot("running_var", c, "variance"))

    def keeps_zero(self) -> bool:
        return False  # (0 - mean) / sqrt(var + eps) * weight + bias

    def module(self) -> ModuleCall:
        return ModuleCall(f"BatchNorm{self.dims}d", (self.num_features,),
                          _kv(eps=self.eps, momentum=self.momentum, affine=self.affine))

    def problems(self) -> list[str]:
        out = [] if self.dims in (1, 2) else [f"dims {self.dims!r} must be 1 or 2"]
        if not (isinstance(self.eps, float) and 0 < self.eps < math.inf):
            out.append(f"eps {self.eps!r} must be a positive number")
        if not (isinstance(self.momentum, float) and 0 <= self.momentum <= 1):
            out.append(f"momentum {self.momentum!r} must be in [0, 1]")
        return out

    def nir_node(self, weights: dict, in_shape: Shape, dt: float):
        raise Refusal(self.name, "NIR has no batch norm: export folds each into the linear layer or convolution "
                                 "before it, and this one is not after one")


@dataclass(frozen=True, kw_only=True)
class DropoutOp(Op):
    """Training mode: x times one mask per run, shared by every time step, drawn when the op is first
    reached as SpikingJelly's multi-step layer.Dropout draws it (F.dropout of ones shaped like one step,
    from torch's default generator). Eval mode, and BindsNET (inference only): the identity."""

    p: float

    kind: ClassVar[str] = "dropout"
    SCHEMA_DEF: ClassVar[str] = "dropout"

    @classmethod
    def schema(cls) -> dict:
        return layer_schema("dropout layer", {"p": {"description": "The probability of dropping an element, in [0, 1).",
                                                    "type": "number", "minimum": 0, "exclusiveMaximum": 1}},
                            ("p",), "Training mode: one mask per run, shared by every time step. Eval mode and "
                                    "BindsNET: the identity.")
    per_step: ClassVar[bool] = False

    @classmethod
    def from_spec(cls, kind: str, spec: dict, bindsnet: bool) -> Op:
        return cls(name="", p=float(spec["p"]))

    def keeps_zero(self) -> bool:
        return True

    def module(self) -> ModuleCall:
        return ModuleCall("Dropout", (self.p,))

    def problems(self) -> list[str]:
        ok = isinstance(self.p, float) and 0.0 <= self.p < 1.0
        return [] if ok else [f"p {self.p!r} must be in [0, 1)"]

    def nir_node(self, weights: dict, in_shape: Shape, dt: float):
        raise Refusal(self.name, "NIR has no dropout: export writes the eval-mode graph, without it")


@dataclass(frozen=True, kw_only=True)
class DelayOp(Op):
    """The input `steps` time steps late, zeros before (SpikingJelly's layer.Delay)."""

    steps: int

    kind: ClassVar[str] = "delay"
    SCHEMA_DEF: ClassVar[str] = "delay"

    @classmethod
    def schema(cls) -> dict:
        return layer_schema("delay layer", {"steps": {"type": "integer", "minimum": 1, "maximum": 100000}},
                            ("steps",), "The input `steps` time steps late, zeros before.")
    per_step: ClassVar[bool] = False

    @classmethod
    def from_spec(cls, kind: str, spec: dict, bindsnet: bool) -> Op:
        return cls(name="", steps=spec["steps"])

    def keeps_zero(self) -> bool:
        return True

    def lag(self) -> int:
        return self.steps

    def module(self) -> ModuleCall:
        return ModuleCall("Delay", (self.steps,))

    def problems(self) -> list[str]:
        ok = isinstance(self.steps, int) and not isinstance(self.steps, bool) and self.steps >= 1
        return [] if ok else [f"steps {self.steps!r} must be an integer >= 1"]

    def nir_node(self, weights: dict, in_shape: Shape, dt: float):
        import nir
        import numpy as np

        return nir.Delay(delay=np.full(in_shape, self.steps * dt, dtype=np.float32))


@dataclass(frozen=True, kw_only=True)
class ScaleOp(Op):
    """y = x * factor, elementwise (NIR's Scale with one factor for every element)."""

    factor: float

    kind: ClassVar[str] = "scale"
    SCHEMA_DEF: ClassVar[str] = "scale"

    @classmethod
    def schema(cls) -> dict:
        return layer_schema("scale layer", {"scale": {"description": "The factor every element is multiplied by "
                                                                    "(NIR's Scale).", "type": "number"}}, ("scale",))

    @classmethod
    def spec_problems(cls, kind: str, spec: dict) -> list[tuple[str, str]]:
        from .floats import f32

        try:
            f32(float(spec["scale"]))
        except OverflowError:
            return [("scale", f"{spec['scale']!r} is outside the float32 range")]
        return []

    @classmethod
    def from_spec(cls, kind: str, spec: dict, bindsnet: bool) -> Op:
        from .floats import f32

        return cls(name="", factor=f32(float(spec["scale"])))

    def keeps_zero(self) -> bool:
        return True

    def module(self) -> ModuleCall:
        return ModuleCall("Scale", (self.factor,), generated=True)

    def problems(self) -> list[str]:
        ok = isinstance(self.factor, float) and is_f32(self.factor)
        return [] if ok else [f"factor {self.factor!r} is not a finite float32 value"]

    def nir_node(self, weights: dict, in_shape: Shape, dt: float):
        import nir
        import numpy as np

        return nir.Scale(scale=np.full(self.shape, self.factor, dtype=np.float32))


@dataclass(frozen=True, kw_only=True)
class FlattenOp(Op):
    """[C, H, W] (or any shape) -> [C*H*W], in row-major order as torch.flatten."""

    kind: ClassVar[str] = "flatten"
    SCHEMA_DEF: ClassVar[str] = "flatten"

    @classmethod
    def schema(cls) -> dict:
        return layer_schema("flatten layer", {})

    @classmethod
    def from_spec(cls, kind: str, spec: dict, bindsnet: bool) -> Op:
        return cls(name="")

    def infer_shape(self, shape: Shape) -> Shape | str:
        return (math.prod(shape),)

    def keeps_zero(self) -> bool:
        return True

    def module(self) -> ModuleCall:
        return ModuleCall("Flatten")

    def nir_node(self, weights: dict, in_shape: Shape, dt: float):
        import nir
        import numpy as np

        return nir.Flatten(input_type={"input": np.array(in_shape)}, start_dim=0, end_dim=-1)


@dataclass(frozen=True, kw_only=True)
class PopulationOp(Op):
    """Spiking neurons of the operand's shape, all with the same canonical `neuron`."""

    neuron: Neuron
    # The neuron parameters as the spec wrote them: (spec key, location of its value),
    # so that a pass dropping one can point a warning at it.
    written: tuple[tuple[str, Loc], ...] = ()

    kind: ClassVar[str] = "population"
    stateful: ClassVar[bool] = True

    def keeps_zero(self) -> bool:
        return False  # a population is a source of its own: links never pass zeros through it


# In the order of the spec schema's layer types (and so of its messages).
OP_KINDS: tuple[type[Op], ...] = (InputOp, LinearOp, Conv2dOp, Pool2dOp, ScaleOp, FlattenOp, Conv1dOp, Pool1dOp,
                                  BatchNormOp, DropoutOp, DelayOp, PopulationOp)


def _kinds_of(cls: type[Op]) -> tuple[str, ...]:
    return getattr(cls, "KINDS", None) or (cls.kind,)


OP_CLASSES: dict[str, type[Op]] = {kind: cls for cls in OP_KINDS for kind in _kinds_of(cls)}
"""Every op kind by name: the registry the frontend, the parser and the emitters read."""


def spec_kinds() -> dict[str, type[Op]]:
    """The op kinds a spec layer can be (every registered kind with a schema), in schema order."""
    return {kind: cls for kind, cls in OP_CLASSES.items() if cls.SCHEMA_DEF}


def op_class(kind: str) -> type[Op]:
    """The class of op kind `kind`; an unknown kind is an internal error naming it, never a fallback."""
    try:
        return OP_CLASSES[kind]
    except KeyError:
        raise KeyError(f"unknown op kind {kind!r}") from None


def register(cls: type[Op]) -> type[Op]:
    """Add an op kind (a class with `kind` or `KINDS`) to the registry; returns the class."""
    for kind in _kinds_of(cls):
        if kind in OP_CLASSES and OP_CLASSES[kind] is not cls:
            raise ValueError(f"op kind {kind!r} is already registered")
        OP_CLASSES[kind] = cls
    return cls


def unregister(cls: type[Op]) -> None:
    for kind in _kinds_of(cls):
        if OP_CLASSES.get(kind) is cls:
            del OP_CLASSES[kind]
