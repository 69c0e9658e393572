"""The graph IR: a networkx DiGraph behind a small class that owns every edit.

Node ids are op names. Data flows input -> dense -> population -> dense -> ...;
each population has exactly one incoming dense op (its projection), named
``<population>.fc``. Graph-level facts live in the frozen `ModelAttrs`.
Every change made by a pass goes through `replace_op` / `set_attrs`, which
record the pass name, so dumps can say which pass last changed each op.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass
from typing import Iterator

import networkx as nx

from .ops import DenseOp, InputOp, Op, PopulationOp


@dataclass(frozen=True)
class ModelAttrs:
    model_name: str
    source_simulator: str  # vocabulary the spec was written in: snntorch | spikingjelly | bindsnet
    target: str  # simulator the code is generated for
    time_steps: int
    dt: float = 1.0
    power_mode: str = "normal"  # normal | low_energy
    device_type: str | None = None
    precision: str = "fp32"  # fp32 | fp16-cuda (FP16 when CUDA is present, decided at run time)
    timestep_scale: float | None = None  # edge devices: factor applied to time_steps
    backend: str | None = None
    step_mode: str | None = None
    spec_hash: str = ""
    emit_order: tuple[str, ...] | None = None  # explicit op order, set by the bindsnet-ordering pass
    spec_file: str = ""

    def replace(self, **changes) -> "ModelAttrs":
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class Decision:
    """One recorded decision of a pass (shown in dumps, headers and pictures)."""

    pass_name: str
    subject: str  # op name, or "model"
    message: str


def projection_name(population: str) -> str:
    return f"{population}.fc"


class Graph:
    def __init__(self, attrs: ModelAttrs):
        self._g = nx.DiGraph()
        self.attrs = attrs
        self.decisions: list[Decision] = []
        self.changed_by: dict[str, str] = {}  # op name -> last pass that changed it
        self.pipeline: list[str] = []  # passes run so far, in order (appended by the pass manager)

    # -- construction -----------------------------------------------------
    def add_op(self, op: Op) -> None:
        if op.name in self._g:
            raise ValueError(f"duplicate op name {op.name!r}")
        self._g.add_node(op.name, op=op)

    def add_edge(self, src: str, dst: str) -> None:
        for name in (src, dst):
            if name not in self._g:
                raise KeyError(f"no op named {name!r}")
        self._g.add_edge(src, dst)

    # -- edits by passes --------------------------------------------------
    def replace_op(self, new: Op, pass_name: str, message: str | None = None) -> None:
        old = self.op(new.name)
        if type(old) is not type(new):
            raise TypeError(f"cannot replace {old.kind} op {new.name!r} with a {new.kind} op")
        if old == new:
            return
        self._g.nodes[new.name]["op"] = new
        self.changed_by[new.name] = pass_name
        if message:
            self.decisions.append(Decision(pass_name, new.name, message))

    def set_attrs(self, pass_name: str, message: str | None = None, **changes) -> None:
        new = self.attrs.replace(**changes)
        if new == self.attrs:
            return
        self.attrs = new
        self.changed_by["model"] = pass_name
        if message:
            self.decisions.append(Decision(pass_name, "model", message))

    def note(self, pass_name: str, subject: str, message: str) -> None:
        """Record a decision that changed nothing in the IR (e.g. a documented choice)."""
        self.decisions.append(Decision(pass_name, subject, message))

    # -- queries ----------------------------------------------------------
    @property
    def nx(self) -> nx.DiGraph:
        """The underlying graph, read-only by convention."""
        return self._g

    def op(self, name: str) -> Op:
        return self._g.nodes[name]["op"]

    def __contains__(self, name: str) -> bool:
        return name in self._g

    def __len__(self) -> int:
        return len(self._g)

    def predecessors(self, name: str) -> list[str]:
        return sorted(self._g.predecessors(name))

    def successors(self, name: str) -> list[str]:
        return sorted(self._g.successors(name))

    def order(self) -> list[str]:
        """Op names in a deterministic topological order (spec order breaks ties)."""
        rank = {name: (data["op"].loc.pointer, name) for name, data in self._g.nodes(data=True)}
        return list(nx.lexicographical_topological_sort(self._g, key=lambda n: _natural(rank[n])))

    def ops(self) -> Iterator[Op]:
        for name in self.order():
            yield self.op(name)

    def inputs(self) -> list[InputOp]:
        return [op for op in self.ops() if isinstance(op, InputOp)]

    def populations(self) -> list[PopulationOp]:
        return [op for op in self.ops() if isinstance(op, PopulationOp)]

    def projection(self, population: str) -> DenseOp:
        (name,) = self.predecessors(population)
        return self.op(name)

    def source_of(self, dense: str) -> Op:
        (name,) = self.predecessors(dense)
        return self.op(name)

    def copy(self) -> "Graph":
        return copy.deepcopy(self)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Graph):
            return NotImplemented
        return (
            self.attrs == other.attrs
            and sorted(self._g.edges) == sorted(other._g.edges)
            and {n: self.op(n) for n in self._g} == {n: other.op(n) for n in other._g}
        )

    __hash__ = None  # mutable


def _natural(key: tuple[str, str]) -> tuple:
    """Sort "/layers/10" after "/layers/9"."""
    pointer, name = key
    parts = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pointer.split("/"))
    return parts, name
