"""select-neuron-class: choose, per population, the target class that reproduces it exactly.

When: always, last in every pipeline (it needs the final neuron models).
Pre: every population has a well-formed canonical `Neuron`; attrs.target is set.
Post: every population has `impl` set to a native class of the target
(`snn.Leaky`, `neuron.LIFNode`, `neuron.IFNode`, `nodes.LIFNodes`, `nodes.IFNodes`)
or to `canonical`, meaning the emitter writes a small class that performs the
canonical step of `ir.neuron` literally. A native class is chosen only when its
float32 arithmetic is provably the canonical one (see reference/simulators.md);
otherwise the reason is recorded as a decision, so nothing is approximated silently.
"""

from __future__ import annotations

from dataclasses import dataclass

from ir.floats import next_down
from ir.graph import Graph
from ir.neuron import Neuron

CANONICAL = "canonical"


def _snntorch(n: Neuron, dt: float) -> tuple[str, str]:
    if n.leak not in ("beta", "none"):
        return CANONICAL, f"snn.Leaky computes beta*v + x, not the {n.leak!r} leak"
    if n.refractory:
        return CANONICAL, "snn.Leaky has no refractory period"
    if n.v_init != 0.0:
        return CANONICAL, f"snn.Leaky starts at 0, not at v_init={n.v_init!r}"
    if n.reset == "zero" and n.v_reset != 0.0:
        return CANONICAL, f"snn.Leaky resets to 0, not to v_reset={n.v_reset!r}"
    if n.reset == "subtract":
        if not n.reset_delay:
            return CANONICAL, "snn.Leaky(reset_delay=False) double-counts a reset whose membrane stays above threshold"
        if n.reset_by != next_down(n.v_threshold):
            return CANONICAL, "snn.Leaky subtracts its own threshold, which differs from reset_by"
        if next_down(n.v_threshold) < 0.0:
            return CANONICAL, "snn.Leaky with a negative threshold resets its initial membrane of 0 at the first step"
    return "snn.Leaky", "snn.Leaky is exact (threshold emitted as the float32 below v_threshold: '>' becomes '>=')"


def _spikingjelly(n: Neuron, dt: float) -> tuple[str, str]:
    cls = "neuron.IFNode" if n.leak == "none" else "neuron.LIFNode"
    if n.leak not in ("tau", "tau_input", "none"):
        return CANONICAL, f"SpikingJelly's LIFNode has no {n.leak!r} leak"
    if n.refractory:
        return CANONICAL, "SpikingJelly neurons have no refractory period"
    if n.reset == "none":
        return CANONICAL, "SpikingJelly neurons always reset"
    rest = n.v_rest if n.v_rest is not None else (n.v_reset if n.reset == "zero" else 0.0)
    if n.reset == "zero":
        if rest != n.v_reset or n.v_init != n.v_reset:
            return CANONICAL, f"{cls} leaks towards and starts at v_reset, here rest={rest!r}, v_init={n.v_init!r}"
    else:
        if n.reset_delay:
            return CANONICAL, f"{cls} subtracts the threshold in the same step (no delayed reset)"
        if n.reset_by != n.v_threshold:
            return CANONICAL, f"{cls} subtracts v_threshold, which differs from reset_by"
        if rest != 0.0 or n.v_init != 0.0:
            return CANONICAL, f"{cls} with soft reset leaks towards and starts at 0"
    return cls, f"{cls} is exact"


def _bindsnet(n: Neuron, dt: float) -> tuple[str, str]:
    if n.reset != "zero":
        return CANONICAL, f"BindsNET nodes only reset to a value, not by {n.reset!r}"
    if n.refractory and dt != 1.0:
        return CANONICAL, "BindsNET counts refractory time in float steps of dt; exact only for dt=1"
    if n.leak == "none":
        if n.v_init != n.v_reset:
            return CANONICAL, "IFNodes start at their reset value"
        return "nodes.IFNodes", "nodes.IFNodes is exact"
    if n.leak == "tc":
        if n.v_init != n.v_rest:
            return CANONICAL, "LIFNodes start at rest"
        return "nodes.LIFNodes", "nodes.LIFNodes is exact"
    if n.leak == "beta":
        if n.v_init != 0.0:
            return CANONICAL, "LIFNodes with rest=0 start at 0"
        return "nodes.LIFNodes", "nodes.LIFNodes with rest=0 and its decay buffer set to beta is exact"
    return CANONICAL, f"BindsNET's LIFNodes has no {n.leak!r} leak"


_RULES = {"snntorch": _snntorch, "spikingjelly": _spikingjelly, "bindsnet": _bindsnet}


def choose(target: str, neuron: Neuron, dt: float = 1.0) -> tuple[str, str]:
    """The class for `neuron` on `target`, and why."""
    return _RULES[target](neuron, dt)


@dataclass(frozen=True)
class SelectNeuronClass:
    name: str = "select-neuron-class"
    description: str = "pick the target's native neuron class where it is bit-exact, else a generated canonical class"

    def run(self, graph: Graph) -> Graph:
        for pop in graph.populations():
            impl, why = choose(graph.attrs.target, pop.neuron, graph.attrs.dt)
            graph.replace_op(pop.replace(impl=impl), self.name, f"{impl}: {why}")
            fc = graph.projection(pop.name)
            if graph.attrs.target == "bindsnet" and fc.bias:
                graph.note(self.name, fc.name, "AffineConnection: the bias is added inside the product "
                           "(addmm) as torch.nn.Linear does; BindsNET's s @ w + b rounds differently")
        return graph
