"""lower-to-target: choose how the target renders every op, and record every choice.

When: always, last (code generation needs it; it must see the final neurons).
Pre: a verified graph with a schedule.
Post: every op but the input has `impl`: a native class of the target whose
arithmetic is provably the op's (its pattern in `emitters.<target>.patterns`
matches) or "canonical", the generated code of `emitters.neurons`; the reason for
each is a decision. `attrs.container` names the model's class; `graph.plan` holds what
else the target planned (BindsNET: its connections). Nothing is approximated: a graph the target
cannot run exactly is a `Refusal`, reported at the op concerned.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ir import targets
from ir.graph import Graph

from .base import Pass


@dataclass(frozen=True)
class LowerToTarget(Pass):
    name: ClassVar[str] = "lower-to-target"
    description: ClassVar[str] = "pick the target's native class where it is bit-exact, else generated canonical code"
    requires: ClassVar[tuple[str, ...]] = ("schedule",)
    guarantees: ClassVar[tuple[str, ...]] = ("lowered",)
    final: ClassVar[bool] = True

    def run(self, graph: Graph) -> Graph:
        targets.get(graph.attrs.target).patterns().lower(graph, self.name)
        return graph
