"""Small IR graphs built in code, for tests of passes and emitters."""

from __future__ import annotations

from .graph import Graph, ModelAttrs, projection_name
from .neuron import Neuron, Surrogate
from .ops import DenseOp, InputOp, Loc, PopulationOp


def snntorch_lif(beta: float = 0.95, threshold: float = 1.0) -> Neuron:
    """What `snn.Leaky(beta=beta, threshold=threshold)` means, canonically."""
    from .floats import f32, next_up

    return Neuron(kind="lif", leak="beta", decay=f32(beta), v_threshold=next_up(threshold),
                  reset="subtract", reset_by=f32(threshold), reset_delay=True,
                  surrogate=Surrogate("atan", 2.0))


def mlp(sizes=(784, 256, 10), neuron: Neuron | None = None, *, bias: bool = False,
        time_steps: int = 25, target: str = "snntorch", source: str = "snntorch",
        name: str = "Mlp", power_mode: str = "normal", device_type: str | None = None) -> Graph:
    """A feedforward chain input -> layer_1 -> ... with one neuron model everywhere."""
    neuron = neuron or snntorch_lif()
    g = Graph(ModelAttrs(model_name=name, source_simulator=source, target=target,
                         time_steps=time_steps, power_mode=power_mode, device_type=device_type))
    g.add_op(InputOp("input", sizes[0], Loc("/input")))
    prev = "input"
    for k, (n_in, n_out) in enumerate(zip(sizes, sizes[1:]), start=1):
        pop = f"layer_{k}"
        fc = projection_name(pop)
        g.add_op(DenseOp(fc, n_in, n_out, bias, Loc(f"/layers/{2 * k - 2}")))
        g.add_op(PopulationOp(pop, n_out, neuron, Loc(f"/layers/{2 * k - 1}")))
        g.add_edge(prev, fc)
        g.add_edge(fc, pop)
        prev = pop
    return g


def dag(input_size: int, layout, *, time_steps: int = 25, target: str = "snntorch",
        source: str = "snntorch", name: str = "Dag") -> Graph:
    """A feedforward graph from `layout`: (population, source, size, neuron, bias) rows in
    order, where source is "input" or an earlier population (fan-out and skips allowed)."""
    g = Graph(ModelAttrs(model_name=name, source_simulator=source, target=target, time_steps=time_steps))
    g.add_op(InputOp("input", input_size, Loc("/input")))
    sizes = {"input": input_size}
    for k, (pop, src, n, neuron, bias) in enumerate(layout):
        fc = projection_name(pop)
        g.add_op(DenseOp(fc, sizes[src], n, bias, Loc(f"/layers/{2 * k}")))
        g.add_op(PopulationOp(pop, n, neuron, Loc(f"/layers/{2 * k + 1}")))
        g.add_edge(src, fc)
        g.add_edge(fc, pop)
        sizes[pop] = n
    return g
