"""Small IR graphs built in code, for tests of passes and emitters."""

from __future__ import annotations

from .floats import f32
from .graph import Graph, ModelAttrs
from .neuron import Neuron, SnnTorchNeuron, Surrogate
from .ops import Conv2dOp, FlattenOp, InputOp, LinearOp, Loc, Operand, PopulationOp, Pool2dOp


def snntorch_lif(beta: float = 0.95, threshold: float = 1.0, reset: str = "subtract") -> SnnTorchNeuron:
    """What `snn.Leaky(beta=beta, threshold=threshold, reset_mechanism=reset)` means, canonically."""
    return SnnTorchNeuron(kind="lif", beta=f32(beta), threshold=f32(threshold), reset=reset,
                          surrogate=Surrogate("atan", 2.0, "snntorch"))


def attrs(name: str = "Mlp", *, time_steps: int = 25, target: str = "snntorch", source: str = "snntorch",
          power_mode: str = "normal", device_type: str | None = None, dt: float = 1.0) -> ModelAttrs:
    return ModelAttrs(model_name=name, source_simulator=source, target=target, time_steps=time_steps,
                      power_mode=power_mode, device_type=device_type, dt=dt)


def linear(name: str, src: str, n_in: int, n_out: int, bias: bool, key: str, loc: str = "",
           layout: str = "out_in", delay: int = 0) -> LinearOp:
    bias_add = "after" if layout == "in_out" else "fused"
    return LinearOp(name=name, operands=(Operand(src, delay),), shape=(n_out,), loc=Loc(loc), in_features=n_in,
                    out_features=n_out, bias=bias, key=key, layout=layout, bias_add=bias_add)


def population(name: str, srcs, shape, neuron: Neuron, loc: str = "") -> PopulationOp:
    operands = tuple(Operand(s) if isinstance(s, str) else Operand(*s) for s in srcs)
    return PopulationOp(name=name, operands=operands, shape=tuple(shape), loc=Loc(loc), neuron=neuron)


def mlp(sizes=(784, 256, 10), neuron: Neuron | None = None, *, bias: bool = False, layout: str = "out_in",
        **kwargs) -> Graph:
    """A feedforward chain input -> linear -> layer_1 -> ... with one neuron model everywhere."""
    neuron = neuron or snntorch_lif()
    g = Graph(attrs(**kwargs))
    g.add_op(InputOp(name="input", shape=(sizes[0],), loc=Loc("/input_shape")))
    prev = "input"
    for k, (n_in, n_out) in enumerate(zip(sizes, sizes[1:]), start=1):
        pop = f"layer_{k}"
        fc = f"linear_{2 * k - 2}"
        g.add_op(linear(fc, prev, n_in, n_out, bias, pop, f"/layers/{2 * k - 2}", layout))
        g.add_op(population(pop, [fc], (n_out,), neuron, f"/layers/{2 * k - 1}"))
        prev = pop
    return g


def csnn(neuron: Neuron | None = None, *, pool_spikes: bool = False, **kwargs) -> Graph:
    """A small convolutional net on [1, 12, 12]: conv 3x3 (4) -> pool 2 -> population -> flatten -> linear 10.
    `pool_spikes` pools the population's spikes (conv -> population -> pool) instead of its currents."""
    neuron = neuron or snntorch_lif()
    g = Graph(attrs(name="Csnn", **kwargs))
    g.add_op(InputOp(name="input", shape=(1, 12, 12), loc=Loc("/input_shape")))
    g.add_op(Conv2dOp(name="conv", operands=(Operand("input"),), shape=(4, 10, 10), in_channels=1, out_channels=4,
                      kernel_size=(3, 3), key="conv", loc=Loc("/layers/0")))
    pool = Pool2dOp(name="pool", shape=(4, 5, 5), mode="max", kernel_size=(2, 2), stride=(2, 2), loc=Loc("/layers/1"))
    if pool_spikes:
        g.add_op(population("hidden", ["conv"], (4, 10, 10), neuron, "/layers/1"))
        g.add_op(pool.replace(operands=(Operand("hidden"),)))
        flat_src = "pool"
    else:
        g.add_op(pool.replace(operands=(Operand("conv"),)))
        g.add_op(population("hidden", ["pool"], (4, 5, 5), neuron, "/layers/2"))
        flat_src = "hidden"
    g.add_op(FlattenOp(name="flat", operands=(Operand(flat_src),), shape=(100,), loc=Loc("/layers/3")))
    g.add_op(linear("fc", "flat", 100, 10, True, "fc", "/layers/4"))
    g.add_op(population("out", ["fc"], (10,), neuron, "/layers/5"))
    return g
