"""Op kinds of the graph IR: the closed set of nodes a network is made of.

Ops are frozen dataclasses, so a pass changes the IR only by replacing an op
through `ir.Graph.replace_op`, which records which pass did it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from .neuron import Neuron


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
class InputOp:
    """The external input: `size` channels per time step."""

    name: str
    size: int
    loc: Loc = NO_LOC
    kind = "input"

    @property
    def out_size(self) -> int:
        return self.size

    def replace(self, **changes) -> "InputOp":
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class DenseOp:
    """A fully connected projection `y = x W^T (+ b)` feeding one population."""

    name: str
    in_features: int
    out_features: int
    bias: bool = True
    loc: Loc = NO_LOC
    kind = "dense"

    @property
    def out_size(self) -> int:
        return self.out_features

    def replace(self, **changes) -> "DenseOp":
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class PopulationOp:
    """A population of `size` spiking neurons, all with the same `neuron` model."""

    name: str
    size: int
    neuron: Neuron
    loc: Loc = NO_LOC
    note: str | None = None  # free text from the spec; only ever emitted as a comment
    impl: str | None = None  # target class chosen by the select-neuron-class pass, or "canonical"
    # The neuron parameters as the spec wrote them: (spec key, location of its value),
    # so that a pass dropping one can point a warning at it.
    written: tuple[tuple[str, Loc], ...] = ()
    kind = "population"

    @property
    def out_size(self) -> int:
        return self.size

    def replace(self, **changes) -> "PopulationOp":
        return dataclasses.replace(self, **changes)


Op = InputOp | DenseOp | PopulationOp
