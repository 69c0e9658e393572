"""surrogate-swap: use the cheaper fast-sigmoid surrogate gradient (Table 2).

When: ``attrs.power_mode == "low_energy"``; otherwise a no-op.
Pre: a verified graph.
Post: every population whose surrogate was ``atan`` has
``Surrogate("fast_sigmoid", 25.0, "snntorch")`` (snnTorch's formula and default
slope); other surrogates are unchanged. SpikingJelly has no fast sigmoid: its
modules get a generated surrogate that computes this formula exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ir.graph import Graph
from ir.neuron import Surrogate

from .base import Pass

FAST_SIGMOID = Surrogate("fast_sigmoid", 25.0, "snntorch")


@dataclass(frozen=True)
class SurrogateSwap(Pass):
    name: ClassVar[str] = "surrogate-swap"
    description: ClassVar[str] = "low_energy: atan surrogate gradient becomes fast_sigmoid(25.0)"
    requires: ClassVar[tuple[str, ...]] = ()

    def run(self, graph: Graph) -> Graph:
        if graph.attrs.power_mode != "low_energy":
            return graph
        for pop in graph.populations():
            old = pop.neuron.surrogate
            if old is None or old.name != "atan":
                continue
            neuron = pop.neuron.replace(surrogate=FAST_SIGMOID)
            graph.replace_op(pop.replace(neuron=neuron), self.name, f"surrogate {old} -> {FAST_SIGMOID}")
        return graph
