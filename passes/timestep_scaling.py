"""timestep-scaling: fewer time steps on an edge device (Table 2).

When: ``attrs.device_type == "edge_ai_processor"``; otherwise a no-op.
Pre: a verified graph; ``attrs.timestep_scale``, when set, is positive.
Post: ``time_steps = max(1, round(time_steps * scale))`` with
``scale = attrs.timestep_scale`` or `DEFAULT_SCALE` (0.4: 100 -> 40, as in the
paper). Python's `round` rounds ties to even (12.5 -> 12). `warnings` says when
fewer than `FEW_STEPS` remain: spikes then barely have time to cross the network.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ir.graph import Decision, Graph
from ir.ops import Loc

from .base import Pass

DEFAULT_SCALE = 0.4
FEW_STEPS = 10


@dataclass(frozen=True)
class TimestepScaling(Pass):
    name: ClassVar[str] = "timestep-scaling"
    description: ClassVar[str] = "edge_ai_processor: time_steps scaled by timestep_scale (default 0.4)"
    requires: ClassVar[tuple[str, ...]] = ()

    def run(self, graph: Graph) -> Graph:
        a = graph.attrs
        if a.device_type != "edge_ai_processor":
            return graph
        scale = DEFAULT_SCALE if a.timestep_scale is None else a.timestep_scale
        steps = max(1, round(a.time_steps * scale))
        graph.set_attrs(self.name, f"time_steps {a.time_steps} -> {steps} (scale {scale!r})", time_steps=steps)
        return graph

    def warnings(self, graph: Graph, decisions: list[Decision]) -> list[tuple[Loc, str]]:
        a = graph.attrs
        if not any(d.pass_name == self.name for d in decisions) or a.time_steps >= FEW_STEPS:
            return []
        where = "/hardware_constraints/timestep_scale" if a.timestep_scale is not None else "/time_steps"
        (decision,) = [d for d in decisions if d.pass_name == self.name]
        return [(Loc(where), f"{decision.message.split(' (')[0]} by {self.name}: only {a.time_steps} "
                             f"step{'s' if a.time_steps > 1 else ''} left, too few for spikes to cross the network")]
