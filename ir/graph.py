"""The graph IR: ops in spec order, a networkx view of their operands, and what passes decided.

Ops are kept in insertion order, which the frontend makes the spec's layer
order (input first); every operand without delay points backwards in that
order, so it is a topological order of the same-step edges. Structure lives in
the ops' operand lists only: names are identifiers, never parsed.

Besides ops the graph holds the model attributes (`ModelAttrs`), the schedule
(`Stage`s, set by the schedule pass), the target's plan (records a target's lowering
sets and its package defines, such as BindsNET's connections) and the decisions
every pass recorded. Every change goes through `replace_op` / `insert_op` /
`erase_op` / `replace_all_uses` / `set_attrs` / `set_schedule` / `set_plan` /
`note`, which record the pass that made it, so dumps say which pass last changed what.
"""

from __future__ import annotations

import copy
import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterator

from .ops import InputOp, Op, PopulationOp, Refusal  # noqa: F401 (passes and targets raise Refusal from here)

if TYPE_CHECKING:
    import networkx as nx


# How projections are computed (the spec's "numerics", --numerics; docs/spec.md): exact, the default, or batched.
NUMERICS = ("exact", "batched")


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
    spec_file: str = ""
    container: str | None = None  # set by target lowering: the generated model's class
    # exact: every projection one time step at a time (bit-identical in every target); batched: the
    # projections of layer stages over all T*B rows at once where the target runs layer by layer
    numerics: str = "exact"

    def replace(self, **changes) -> "ModelAttrs":
        return dataclasses.replace(self, **changes)

    def batched(self) -> bool:
        """Whether this model's target computes the projections of its layer stages over all T*B rows at
        once (numerics "batched" on a target that runs layer by layer; BindsNET steps the whole graph)."""
        from .targets import get

        return self.numerics == "batched" and not get(self.target).whole_graph_steps


@dataclass(frozen=True)
class Decision:
    """One recorded decision of a pass (shown in dumps, headers and pictures)."""

    pass_name: str
    subject: str  # op name, or "model"
    message: str


@dataclass(frozen=True)
class Stage:
    """A group of ops the generated code evaluates together.

    ``layer``: one op over the whole [T, B, ...] sequence before the next stage runs
    (exact for an op outside every feedback cycle). ``step``: the ops of a feedback
    cycle, evaluated in this order within one loop over time."""

    mode: str  # "layer" | "step"
    ops: tuple[str, ...]


class Graph:
    def __init__(self, attrs: ModelAttrs):
        self.attrs = attrs
        self._ops: dict[str, Op] = {}
        self._nx: nx.DiGraph | None = None
        self._users: dict[str, list[str]] | None = None  # src -> the ops reading it, in graph order
        self.schedule: tuple[Stage, ...] | None = None
        # what target lowering planned beyond the ops, as records its target package defines (frozen
        # dataclasses with a `name` and a class-level RECORD word; see ir.targets.plan_records)
        self.plan: tuple | None = None
        self.decisions: list[Decision] = []
        self.changed_by: dict[str, str] = {}  # op name (or "model") -> last pass that changed it
        self.pipeline: list[str] = []  # passes run so far, in order (appended by the pass manager)

    # -- construction -----------------------------------------------------
    def add_op(self, op: Op) -> None:
        if op.name in self._ops:
            raise ValueError(f"duplicate op name {op.name!r}")
        self._ops[op.name] = op
        self._changed()

    def _changed(self) -> None:
        self._nx = None
        self._users = None

    # -- edits by passes --------------------------------------------------
    def replace_op(self, new: Op, pass_name: str, message: str | None = None) -> None:
        old = self.op(new.name)
        if type(old) is not type(new):
            raise TypeError(f"cannot replace {old.kind} op {new.name!r} with a {new.kind} op")
        if old == new:
            return
        self._ops[new.name] = new
        self._changed()
        self.changed_by[new.name] = pass_name
        if message:
            self.decisions.append(Decision(pass_name, new.name, message))

    def insert_op(self, op: Op, pass_name: str, message: str | None = None, *, after: str) -> None:
        """Add `op` right after op `after` in graph order (its operands must come before it)."""
        if op.name in self._ops:
            raise ValueError(f"duplicate op name {op.name!r}")
        items = list(self._ops.items())
        at = [name for name, _ in items].index(after) + 1
        self._ops = dict(items[:at] + [(op.name, op)] + items[at:])
        self._changed()
        self.changed_by[op.name] = pass_name
        if message:
            self.decisions.append(Decision(pass_name, op.name, message))

    def erase_op(self, name: str, pass_name: str, message: str | None = None) -> None:
        """Remove op `name`, which nothing may read any more (see `replace_all_uses`)."""
        readers = [op.name for op in self.users(name)]
        if readers:
            raise ValueError(f"cannot erase {name!r}: {', '.join(readers)} still read it")
        del self._ops[name]
        self._changed()
        self.changed_by.pop(name, None)
        if message:
            self.decisions.append(Decision(pass_name, name, message))

    def replace_all_uses(self, old: str, new: str, pass_name: str) -> None:
        """Every operand reading `old` reads `new` instead (same delay), in every op."""
        for user in self.users(old):
            operands = tuple(o if o.src != old else dataclasses.replace(o, src=new) for o in user.operands)
            self.replace_op(user.replace(operands=operands), pass_name)

    def set_attrs(self, pass_name: str, message: str | None = None, **changes) -> None:
        new = self.attrs.replace(**changes)
        if new == self.attrs:
            return
        self.attrs = new
        self.changed_by["model"] = pass_name
        if message:
            self.decisions.append(Decision(pass_name, "model", message))

    def set_schedule(self, pass_name: str, stages: tuple[Stage, ...]) -> None:
        if stages != self.schedule:
            self.schedule = stages
            self.changed_by["model"] = pass_name

    def set_plan(self, pass_name: str, records: tuple) -> None:
        if records != self.plan:
            self.plan = records
            self.changed_by["model"] = pass_name

    def note(self, pass_name: str, subject: str, message: str) -> None:
        """Record a decision that changed nothing in the IR (e.g. a documented choice)."""
        self.decisions.append(Decision(pass_name, subject, message))

    # -- queries ----------------------------------------------------------
    @property
    def nx(self) -> nx.DiGraph:
        """Edges src -> op for every operand (attribute `delay`); read-only by convention."""
        if self._nx is None:
            import networkx as nx  # loaded on first use: `import ir` stays light for the command line

            g = nx.DiGraph()
            g.add_nodes_from(self._ops)
            for op in self._ops.values():
                for operand in op.operands:
                    if operand.src in self._ops:
                        g.add_edge(operand.src, op.name, delay=operand.delay)
            self._nx = g
        return self._nx

    def op(self, name: str) -> Op:
        return self._ops[name]

    def __contains__(self, name: str) -> bool:
        return name in self._ops

    def __len__(self) -> int:
        return len(self._ops)

    def order(self) -> list[str]:
        """Op names in spec order (input first): a topological order of the same-step edges."""
        return list(self._ops)

    def ops(self) -> Iterator[Op]:
        return iter(list(self._ops.values()))

    def users(self, name: str) -> list[Op]:
        """The ops that read `name`, in graph order (from an index kept until the graph changes)."""
        if self._users is None:
            index: dict[str, list[str]] = {}
            for op in self._ops.values():
                for src in dict.fromkeys(o.src for o in op.operands):
                    index.setdefault(src, []).append(op.name)
            self._users = index
        return [self._ops[n] for n in self._users.get(name, ())]

    def inputs(self) -> list[InputOp]:
        return [op for op in self._ops.values() if isinstance(op, InputOp)]

    def input(self) -> InputOp:
        (op,) = self.inputs()
        return op

    def populations(self) -> list[PopulationOp]:
        return [op for op in self._ops.values() if isinstance(op, PopulationOp)]

    def parametric(self) -> list[Op]:
        return [op for op in self._ops.values() if op.parametric]

    def weight_shapes(self) -> dict[str, tuple[int, ...]]:
        """Every weight of the model under its contract key ("<key>.weight"), in graph order."""
        out = {key: slot.shape for op in self.parametric() for key, slot in op.weight_slots().items()}
        for pop in self.populations():  # learned neuron parameters (snn.Leaky's learn_beta, ...), 0-d, after them
            out.update({f"{pop.name}.{key}": () for key in pop.neuron.learned()})
        return out

    def copy(self) -> "Graph":
        return copy.deepcopy(self)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Graph):
            return NotImplemented
        return (self.attrs == other.attrs and list(self._ops.items()) == list(other._ops.items())
                and self.schedule == other.schedule and self.plan == other.plan)

    __hash__ = None  # mutable
