"""lower-to-target: choose how the target renders every op, and record every choice.

When: always, last (code generation needs it; it must see the final neurons).
Pre: a verified graph with a schedule.
Post: every op but the input has `impl`: a native class of the target whose
arithmetic is provably the op's (its pattern in `emitters.<target>.patterns`
matches) or "canonical", the generated code of `emitters.neurons`; the reason for
each is a decision. `attrs.container` names the model's class; for BindsNET,
`graph.links` holds its connections. Nothing is approximated: a graph the target
cannot run exactly is a `Refusal`, reported at the op concerned.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from ir.graph import Graph


def home(target: str):
    return importlib.import_module(f"emitters.{target}.patterns")


@dataclass(frozen=True)
class LowerToTarget:
    name: str = "lower-to-target"
    description: str = "pick the target's native class where it is bit-exact, else generated canonical code"
    requires: tuple[str, ...] = ("schedule",)
    final: bool = True

    def run(self, graph: Graph) -> Graph:
        home(graph.attrs.target).lower(graph, self.name)
        return graph
