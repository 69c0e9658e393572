"""Op kinds of the graph IR: the closed set of nodes a network is made of.

Every op is a frozen dataclass with a name, ordered ``operands`` and the
``shape`` of what it outputs per sample (without time and batch). Operands are
`Operand` records: the name of the op read and its ``delay`` (0: the value of
the same time step; 1: a feedback edge, the value of the previous step, zeros
at the first). Several operands of a stateless op are summed, in operand order;
those of a population are combined as its neuron says (`ir.neuron`).

Each kind owns its own rules: `attrs` (what the text form prints and parses),
`infer_shape` (the output shape from the operand shape, or why there is none)
and, for parametric kinds, `weights` (the weight tensors in torch layout).
A new op kind is one class here plus its rendering in each simulator's home.
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

    def replace(self, **changes) -> "Op":
        return dataclasses.replace(self, **changes)

    def attrs(self) -> dict[str, object]:
        """The kind's own fields, in print order (parsed back by `ir.parser`)."""
        own = {f.name for f in dataclasses.fields(Op)}
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in own}

    def infer_shape(self, shape: Shape) -> Shape | str:
        """The output shape for an operand (sum) of `shape`, or a message saying why none."""
        return shape

    def weights(self) -> dict[str, Shape]:
        """Weight tensors by suffix ("weight", "bias"), in torch layout."""
        return {}

    def keeps_zero(self) -> bool:
        """Whether zeros in give exactly zeros out (a feedback edge's first-step zeros pass through)."""
        return not getattr(self, "bias", False)

    def problems(self) -> list[str]:
        """What is wrong with this op's own attributes (the verifier checks shapes and wiring)."""
        return []


@dataclass(frozen=True, kw_only=True)
class InputOp(Op):
    """The external input: a tensor of `shape` per sample and time step."""

    kind: ClassVar[str] = "input"


@dataclass(frozen=True, kw_only=True)
class LinearOp(Op):
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
    parametric: ClassVar[bool] = True

    def infer_shape(self, shape: Shape) -> Shape | str:
        if len(shape) != 1:
            return (f"a linear layer needs a flat input, got shape {list(shape)}; "
                    "put a flatten layer before it")
        if shape[0] != self.in_features:
            return f"in_features {self.in_features} does not match the {shape[0]} features it reads"
        return (self.out_features,)

    def weights(self) -> dict[str, Shape]:
        out = {"weight": (self.out_features, self.in_features)}
        if self.bias:
            out["bias"] = (self.out_features,)
        return out


def conv_out(size: int, kernel: int, stride: int, padding: int) -> int:
    """Output length of a convolution or pooling window (dilation 1, floor mode)."""
    return (size + 2 * padding - kernel) // stride + 1


@dataclass(frozen=True, kw_only=True)
class Conv2dOp(Op):
    """torch.nn.functional.conv2d over [C, H, W] (dilation 1, one group)."""

    in_channels: int
    out_channels: int
    kernel_size: Pair
    stride: Pair = (1, 1)
    padding: Pair = (0, 0)
    bias: bool = True
    key: str = ""

    kind: ClassVar[str] = "conv2d"
    parametric: ClassVar[bool] = True

    def infer_shape(self, shape: Shape) -> Shape | str:
        if len(shape) != 3:
            return f"conv2d needs a [C, H, W] input, got shape {list(shape)}"
        if shape[0] != self.in_channels:
            return f"in_channels {self.in_channels} does not match the {shape[0]} channels it reads"
        hw = _window(shape[1:], self.kernel_size, self.stride, self.padding, "kernel")
        return hw if isinstance(hw, str) else (self.out_channels, *hw)

    def weights(self) -> dict[str, Shape]:
        out = {"weight": (self.out_channels, self.in_channels, *self.kernel_size)}
        if self.bias:
            out["bias"] = (self.out_channels,)
        return out


def _window(hw: Shape, kernel: Pair, stride: Pair, padding: Pair, what: str) -> Shape | str:
    out = tuple(conv_out(n, k, s, p) for n, k, s, p in zip(hw, kernel, stride, padding))
    if min(out) < 1:
        return (f"the {what} {list(kernel)} (padding {list(padding)}) is larger than the "
                f"{list(hw)} input: nothing is left")
    return out


@dataclass(frozen=True, kw_only=True)
class Pool2dOp(Op):
    """Max, average or sum pooling over [C, H, W] (floor mode; average counts the padding, as torch
    does; sum is torch's average pooling with divisor 1, NIR's SumPool2d)."""

    mode: str  # "max" | "avg" | "sum"
    kernel_size: Pair
    stride: Pair
    padding: Pair = (0, 0)

    parametric: ClassVar[bool] = False

    @property
    def kind(self) -> str:  # type: ignore[override]
        return f"{self.mode}pool2d"

    def infer_shape(self, shape: Shape) -> Shape | str:
        if len(shape) != 3:
            return f"{self.kind} needs a [C, H, W] input, got shape {list(shape)}"
        if any(2 * p > k for p, k in zip(self.padding, self.kernel_size)):
            return f"padding {list(self.padding)} must be at most half the kernel {list(self.kernel_size)}"
        hw = _window(shape[1:], self.kernel_size, self.stride, self.padding, "pooling window")
        return hw if isinstance(hw, str) else (shape[0], *hw)

    def problems(self) -> list[str]:
        return [] if self.mode in ("max", "avg", "sum") else [f"unknown pooling mode {self.mode!r}"]


@dataclass(frozen=True, kw_only=True)
class ScaleOp(Op):
    """y = x * factor, elementwise (NIR's Scale with one factor for every element)."""

    factor: float

    kind: ClassVar[str] = "scale"

    def keeps_zero(self) -> bool:
        return True

    def problems(self) -> list[str]:
        ok = isinstance(self.factor, float) and is_f32(self.factor)
        return [] if ok else [f"factor {self.factor!r} is not a finite float32 value"]


@dataclass(frozen=True, kw_only=True)
class FlattenOp(Op):
    """[C, H, W] (or any shape) -> [C*H*W], in row-major order as torch.flatten."""

    kind: ClassVar[str] = "flatten"

    def infer_shape(self, shape: Shape) -> Shape | str:
        return (math.prod(shape),)


@dataclass(frozen=True, kw_only=True)
class PopulationOp(Op):
    """Spiking neurons of the operand's shape, all with the same canonical `neuron`."""

    neuron: Neuron
    # The neuron parameters as the spec wrote them: (spec key, location of its value),
    # so that a pass dropping one can point a warning at it.
    written: tuple[tuple[str, Loc], ...] = ()

    kind: ClassVar[str] = "population"
    stateful: ClassVar[bool] = True


OP_CLASSES: dict[str, type[Op]] = {
    "input": InputOp, "linear": LinearOp, "conv2d": Conv2dOp, "maxpool2d": Pool2dOp,
    "avgpool2d": Pool2dOp, "sumpool2d": Pool2dOp, "scale": ScaleOp, "flatten": FlattenOp, "population": PopulationOp,
}
