"""bindsnet-ordering: fix the order in which BindsNET objects are emitted.

When: ``attrs.target == "bindsnet"``; otherwise a no-op.
Pre: a verified (hence acyclic) graph.
Post: ``attrs.emit_order`` holds every op name in the graph's deterministic
topological order; the BindsNET emitter adds layers, then connections, then
monitors, each group in this order, so every object refers only to layers
that already exist.
"""

from __future__ import annotations

from dataclasses import dataclass

from ir.graph import Graph


@dataclass(frozen=True)
class BindsnetOrdering:
    name: str = "bindsnet-ordering"
    description: str = "bindsnet: topological emit order of layers, connections, monitors"

    def run(self, graph: Graph) -> Graph:
        if graph.attrs.target != "bindsnet":
            return graph
        order = tuple(graph.order())
        graph.set_attrs(self.name, "emit order: " + ", ".join(order), emit_order=order)
        return graph
