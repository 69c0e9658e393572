"""neuron-substitution: replace every LIF population by an IF population (Table 2).

When: ``attrs.power_mode == "low_energy"``; otherwise a no-op.
Pre: a verified graph.
Post: every population is the IF neuron of its own family (`Neuron.as_if`): the
family's leak parameters are gone (snnTorch beta -> snn.Leaky(beta=1.0),
SpikingJelly tau and decay_input -> IFNode, BindsNET rest and tc_decay ->
IFNodes, which starts at its reset value); threshold, reset, refractory period
and surrogate are kept. ``PopulationOp.written`` is left as the spec wrote it;
one decision is recorded per substituted population, and `warnings` turns each
dropped decay key the spec wrote (beta, tau, init_tau, decay_input, tc_decay, rest) into a
warning at that key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ir.graph import Decision, Graph
from ir.ops import Loc, PopulationOp

from .base import Pass

# Spec keys that only make sense for a leaky neuron, and why IF drops them.
DROPPED_KEYS: dict[str, str] = {
    "beta": "IF neurons have no decay",
    "tau": "IF neurons have no decay",
    "init_tau": "IF neurons have no decay, so ParametricLIFNode's learned w is gone",
    "decay_input": "IF neurons have no decay, so the input is no longer divided by tau",
    "tc_decay": "IF neurons have no decay",
    "rest": "IF neurons have no resting potential to decay towards",
}


@dataclass(frozen=True)
class NeuronSubstitution(Pass):
    name: ClassVar[str] = "neuron-substitution"
    description: ClassVar[str] = "low_energy: LIF populations become IF (decay parameters dropped)"
    requires: ClassVar[tuple[str, ...]] = ()

    def run(self, graph: Graph) -> Graph:
        if graph.attrs.power_mode != "low_energy":
            return graph
        for pop in graph.populations():
            n = pop.neuron
            if n.kind != "lif":
                continue
            gone = ", ".join(f"{p}={getattr(n, p)!r}" for p in n.LEAK_FIELDS)
            keys = [key for key, _ in _dropped(pop)]
            message = f"LIF -> IF ({n.family}): {gone} removed"
            message += f"; spec keys dropped: {', '.join(keys)}" if keys else "; no spec key dropped"
            graph.replace_op(pop.replace(neuron=n.as_if()), self.name, message)
        return graph

    def warnings(self, graph: Graph, decisions: list[Decision]) -> list[tuple[Loc, str]]:
        """One warning per decay key the spec wrote for a population this run substituted."""
        out: list[tuple[Loc, str]] = []
        for decision in decisions:
            if decision.pass_name != self.name:
                continue
            for key, loc in _dropped(graph.op(decision.subject)):
                out.append((loc, f"{key} dropped by {self.name}: {DROPPED_KEYS[key]}"))
        return out


def _dropped(pop: PopulationOp) -> list[tuple[str, Loc]]:
    return [(key, loc) for key, loc in pop.written if key in DROPPED_KEYS]
