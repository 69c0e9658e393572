"""Native-class patterns: when a simulator's own class computes exactly what an op means.

A `Pattern` names an implementation (`impl`, e.g. "snn.Leaky"), the op kinds it
can implement, `mismatch(graph, op)`: None when the class is exact for that
op (same float32 operations in the same order, same gradient), else why not,
and its `renderer`: the object that writes the code of the ops it implements
(each target's `renderers.py` defines them, its `render.py` calls them).
Each simulator's home lists its patterns in preference order (`patterns.py`);
`select` picks the first exact one, or the generated canonical implementation,
and records why; `recheck` is what the verifier runs after target lowering, so a
wrong choice cannot reach code. The impls no pattern selects (`canonical`, and
snnTorch's `snn.RLeaky.recurrent`) are `Implementation`s, with a renderer too:
`renderers` makes the one table from impl to renderer that render code looks
every op up in (`renderer_of`), so no renderer compares impl strings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ir.graph import Graph
from ir.ops import Op, PopulationOp

CANONICAL = "canonical"
NOT_ITS_KIND = ""  # a mismatch that `select` leaves out of its reasons (see `kind_only`)


@dataclass(frozen=True)
class Pattern:
    impl: str
    kinds: tuple[str, ...]
    mismatch: Callable[[Graph, Op], str | None]
    why: str  # why it is exact, for the record
    renderer: object  # writes the ops it implements; what it offers is its target's (`<target>/renderers.py`)


@dataclass(frozen=True)
class Implementation:
    """An impl no pattern selects (the generated `canonical` code, a layer a native class absorbs), and
    its renderer."""

    impl: str
    renderer: object


def renderers(*impls: Pattern | Implementation) -> dict[str, object]:
    """impl -> renderer, for a target's patterns and other implementations; patterns that share an
    impl (one class for two op kinds) share its renderer."""
    table: dict[str, object] = {}
    for entry in impls:
        if table.setdefault(entry.impl, entry.renderer) is not entry.renderer:
            raise ValueError(f"two renderers for {entry.impl!r}")
    return table


def renderer_of(table: dict[str, object], op: Op):
    """The renderer of `op`'s impl in a target's `table`; an impl it lacks is an internal error."""
    try:
        return table[op.impl]
    except KeyError:
        raise LookupError(f"internal error: {op.name} has impl {op.impl!r}, which this target does not "
                          f"render") from None


def select(patterns: list[Pattern], graph: Graph, op: Op) -> tuple[str, str]:
    """(impl, reason) for `op`: the first exact pattern, else the canonical code and why."""
    reasons: dict[str, list[str]] = {}  # why not -> the classes it rules out
    for pattern in patterns:
        if op.kind not in pattern.kinds:
            continue
        why_not = pattern.mismatch(graph, op)
        if why_not is None:
            return pattern.impl, pattern.why
        if why_not == NOT_ITS_KIND:  # a class for another kind of neuron: nothing to say
            continue
        reasons.setdefault(why_not, []).append(pattern.impl)
    return CANONICAL, "; ".join(f"not {' or '.join(impls)}: {why}" for why, impls in reasons.items()) or \
        "no native class"


def recheck(patterns: list[Pattern], graph: Graph, op: Op) -> str | None:
    """Why `op.impl` is not a valid choice for `op`, or None."""
    if op.impl == CANONICAL:
        return None
    for pattern in patterns:
        if pattern.impl == op.impl and op.kind in pattern.kinds:
            why_not = pattern.mismatch(graph, op)
            return None if why_not is None else f"{op.impl} is not exact here: {why_not}"
    return f"{op.impl!r} is not a pattern of this target for a {op.kind} op"


def always(_graph: Graph, _op: Op) -> str | None:
    return None


def kind_only(kind: str, mismatch: Callable[[Graph, PopulationOp], str | None]
              ) -> Callable[[Graph, PopulationOp], str | None]:
    """`mismatch`, for a population of neuron kind `kind` only: for any other it is NOT_ITS_KIND, which
    select leaves out of its reasons (a CUBALIFNode class is no candidate for a LIF neuron)."""

    def check(graph: Graph, op: PopulationOp) -> str | None:
        return mismatch(graph, op) if op.neuron.kind == kind else NOT_ITS_KIND
    return check


def own_neuron(family: str, simulator: str, classes: str, kind: str) -> Callable[[Graph, PopulationOp], str | None]:
    """The mismatch of a simulator's own neuron class of `kind` ("lif", "if"): exact only for a
    neuron of its own family and kind."""

    def mismatch(graph: Graph, op: PopulationOp) -> str | None:
        n = op.neuron
        if n.family != family:
            return f"{simulator}'s {classes} compute {simulator}'s arithmetic, this is a {n.family} neuron"
        if n.kind != kind:
            return f"it is the {kind.upper()} neuron"
        return None
    return mismatch
