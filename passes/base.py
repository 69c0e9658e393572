"""The base every pass declares itself with: its name, options, what it requires and what it guarantees.

A pass is a frozen dataclass subclassing `Pass`: the class attributes say what it
is (`name`, kebab-case; a one-line `description`), which passes must run before it
(`requires`), which facts hold after it (`guarantees`, names of `GUARANTEES`, which
the pass manager checks after it runs) and whether it must be last (`final`); its
dataclass fields, if any, are its options. `run(graph)` edits the graph only
through `ir.Graph`'s recording methods (provenance); `warnings(graph, decisions)`
turns the decisions of its last run into warnings for the spec's author.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Callable, ClassVar

from ir.graph import Decision, Graph
from ir.ops import Loc

# What a pass may promise, each with the check the pass manager runs after it.
GUARANTEES: dict[str, Callable[[Graph], bool]] = {
    "scheduled": lambda g: g.schedule is not None,
    "lowered": lambda g: g.attrs.container is not None,
    "no-batchnorm": lambda g: not any(op.kind.startswith("batchnorm") for op in g.ops()),
}


@dataclass(frozen=True)
class Pass:
    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    requires: ClassVar[tuple[str, ...]] = ()
    guarantees: ClassVar[tuple[str, ...]] = ()
    final: ClassVar[bool] = False

    def run(self, graph: Graph) -> Graph:
        raise NotImplementedError(f"pass {self.name!r} has no run")

    def warnings(self, graph: Graph, decisions: list[Decision]) -> list[tuple[Loc, str]]:
        """Warnings for the decisions of this pass's last run (`decisions`); none by default."""
        return []

    def options(self) -> dict[str, object]:
        """The pass's options (its dataclass fields) and their values."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def broken_guarantees(self, graph: Graph) -> list[str]:
        return [g for g in self.guarantees if not GUARANTEES[g](graph)]
