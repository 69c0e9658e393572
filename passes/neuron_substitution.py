"""neuron-substitution: replace every LIF population by an IF population (Table 2).

When: ``attrs.power_mode == "low_energy"``; otherwise a no-op.
Pre: a verified graph.
Post: every population has ``kind="if"``, ``leak="none"`` and no decay parameter
(``decay``, ``tau``, ``tc_decay``, ``v_rest`` are None). Threshold, reset,
``v_reset``, ``reset_by``, ``reset_delay``, ``refractory`` and the surrogate are
kept. ``v_init`` is kept unchanged, also where it equalled ``v_rest`` (a BindsNET
LIF starting at rest): the IF population starts where the LIF one did.
A ``tau_input`` leak also loses its input gain 1/tau: IF adds the input unscaled.
``PopulationOp.written`` is left as the spec wrote it; one decision is recorded per
substituted population, and `warnings` turns each dropped decay key the spec
wrote (beta, tau, decay_input, tc_decay, rest) into a warning at that key.
"""

from __future__ import annotations

from dataclasses import dataclass

from ir.graph import Decision, Graph
from ir.ops import Loc, PopulationOp

# Spec keys that only make sense for a leaky neuron, and why IF drops them.
DROPPED_KEYS: dict[str, str] = {
    "beta": "IF neurons have no decay",
    "tau": "IF neurons have no decay",
    "decay_input": "IF neurons have no decay, so the input is no longer divided by tau",
    "tc_decay": "IF neurons have no decay",
    "rest": "IF neurons have no resting potential to decay towards",
}

_DECAY_PARAMS = ("decay", "tau", "tc_decay", "v_rest")


@dataclass(frozen=True)
class NeuronSubstitution:
    name: str = "neuron-substitution"
    description: str = "low_energy: LIF populations become IF (decay parameters dropped)"

    def run(self, graph: Graph) -> Graph:
        if graph.attrs.power_mode != "low_energy":
            return graph
        for pop in graph.populations():
            if pop.neuron.kind != "lif":
                continue
            n = pop.neuron
            gone = ", ".join(f"{p}={getattr(n, p)!r}" for p in _DECAY_PARAMS if getattr(n, p) is not None)
            keys = [key for key, _ in _dropped(pop)]
            message = f"LIF -> IF: leak {n.leak!r} removed ({gone or 'no parameter'})"
            message += f"; spec keys dropped: {', '.join(keys)}" if keys else "; no spec key dropped"
            neuron = n.replace(kind="if", leak="none", decay=None, tau=None, tc_decay=None, v_rest=None)
            graph.replace_op(pop.replace(neuron=neuron), self.name, message)
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
