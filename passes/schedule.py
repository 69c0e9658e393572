"""schedule: decide how the generated code walks the graph through time.

When: always (code generation needs it).
Pre: a verified graph.
Post: ``graph.schedule`` holds stages covering every op but the input, in an order
that respects every same-step edge:

- an op outside every feedback cycle is a ``layer`` stage: it is evaluated over
  the whole [T, B, ...] sequence before the next stage. That is exact: its
  operands are complete sequences by then (a feedback operand is the source's
  sequence shifted by one step, zeros first);
- the ops of one feedback cycle (a strongly connected component) form one
  ``step`` stage, evaluated together inside one loop over time, in graph order.

A target whose simulator updates every layer once per time step in graph order
(`Target.whole_graph_steps`: BindsNET's Network.run) gets the whole graph as one
step stage (populations read earlier ones in the same step, later ones one step late).
Stateless ops compute one time step at a time on [B, ...] in every target (see
lower-to-target), so the stages differ only in loop structure, never in arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import networkx as nx

from ir import targets
from ir.graph import Graph, Stage
from ir.ops import InputOp

from .base import Pass


@dataclass(frozen=True)
class Schedule(Pass):
    name: ClassVar[str] = "schedule"
    description: ClassVar[str] = "layer-by-layer stages where the graph allows, step-by-step stages for feedback cycles"
    requires: ClassVar[tuple[str, ...]] = ()
    guarantees: ClassVar[tuple[str, ...]] = ("scheduled",)

    def run(self, graph: Graph) -> Graph:
        names = [op.name for op in graph.ops() if not isinstance(op, InputOp)]
        why = targets.get(graph.attrs.target).whole_graph_steps
        if why:
            graph.set_schedule(self.name, (Stage("step", tuple(names)),))
            graph.note(self.name, "model", f"{graph.attrs.target}: one step stage; {why}")
            return graph
        stages = stages_of(graph)
        graph.set_schedule(self.name, stages)
        stepped = [s for s in stages if s.mode == "step"]
        if stepped:
            graph.note(self.name, "model", "step-by-step for feedback cycles: "
                       + "; ".join(", ".join(s.ops) for s in stepped) + "; layer-by-layer elsewhere")
        return graph


def stages_of(graph: Graph) -> tuple[Stage, ...]:
    """Feedback cycles as step stages, every other op a layer stage, in graph order."""
    position = {name: i for i, name in enumerate(graph.order())}
    g = graph.nx
    components = [sorted(c, key=position.__getitem__) for c in nx.strongly_connected_components(g)]
    condensed = nx.condensation(g, scc=[set(c) for c in components])
    members = {node: sorted(data["members"], key=position.__getitem__) for node, data in condensed.nodes(data=True)}
    order = nx.lexicographical_topological_sort(condensed, key=lambda node: position[members[node][0]])
    stages = []
    for node in order:
        ops = members[node]
        if isinstance(graph.op(ops[0]), InputOp):
            continue
        cyclic = len(ops) > 1 or g.has_edge(ops[0], ops[0])
        stages.append(Stage("step" if cyclic else "layer", tuple(ops)))
    return tuple(stages)
