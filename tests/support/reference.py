"""An independent, pure-torch reference of the canonical network (ir/neuron.py).

It is written from the IR alone, not from any emitter, so tests can hold every
generated module to the same ground truth. Projections use `F.linear` on the
whole [T, B, n] sequence, like the generated layer-by-layer code (tests run
torch on one thread, where that equals the step-by-step product for B >= 16).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ir.graph import Graph
from ir.neuron import Neuron


def _decay_tensor(n: Neuron, dt: float) -> torch.Tensor:
    return torch.exp(-torch.tensor(dt) / torch.tensor(n.tc_decay))


def neuron_run(n: Neuron, current: torch.Tensor, dt: float = 1.0) -> tuple[torch.Tensor, torch.Tensor]:
    """Spikes and membrane (state after each step) for currents [T, B, n]."""
    T = current.shape[0]
    v = torch.full_like(current[0], n.v_init)
    s_prev = torch.zeros_like(v)
    r = torch.zeros_like(v)
    spikes, volts = [], []
    for t in range(T):
        x = current[t]
        if n.refractory:
            x = x.masked_fill(r > 0, 0.0)
            r = r - 1
        if n.leak == "beta":
            h = n.decay * v + x
        elif n.leak == "tau":
            h = v - (v - n.v_rest) / n.tau + x
        elif n.leak == "tau_input":
            h = v + (x - (v - n.v_rest)) / n.tau
        elif n.leak == "tc":
            h = (v - n.v_rest) * _decay_tensor(n, dt) + n.v_rest
            h = h + x
        else:
            h = v + x
        if n.reset == "subtract" and n.reset_delay:
            h = h - s_prev * n.reset_by
        s = (h >= n.v_threshold).float()
        if n.reset == "zero":
            v = torch.where(s > 0, torch.full_like(h, n.v_reset), h)
        elif n.reset == "subtract" and not n.reset_delay:
            v = h - s * n.reset_by
        else:
            v = h
        if n.refractory:
            r = torch.where(s > 0, torch.full_like(r, float(n.refractory)), r)
        s_prev = s
        spikes.append(s)
        volts.append(v)
    return torch.stack(spikes), torch.stack(volts)


def run(graph: Graph, weights: dict[str, torch.Tensor], inputs: torch.Tensor) -> dict[str, torch.Tensor]:
    """{population: spikes [T, B, n]} and {population + '.v': membrane} for the whole network."""
    out: dict[str, torch.Tensor] = {}
    signals = {graph.inputs()[0].name: inputs.float()}
    for pop in graph.populations():
        src = graph.source_of(graph.projection(pop.name).name).name
        fc = graph.projection(pop.name)
        bias = weights.get(f"{pop.name}.bias") if fc.bias else None
        current = F.linear(signals[src], weights[f"{pop.name}.weight"], bias)
        spikes, volts = neuron_run(pop.neuron, current, graph.attrs.dt)
        signals[pop.name] = spikes
        out[pop.name] = spikes
        out[pop.name + ".v"] = volts
    return out


def random_weights(graph: Graph, seed: int = 0, quantized: bool = False, scale: float = 1.0) -> dict[str, torch.Tensor]:
    """The `check` command's seeded weights (continuous, or tie-prone dyadic when `quantized`),
    times `scale` (a small integer keeps quantized weights dyadic)."""
    from compiler.check import random_weights as weights

    return {k: v * scale for k, v in weights(graph, seed, quantized).items()}


def random_spikes(T: int, B: int, n: int, seed: int = 1, p: float = 0.2) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(T, B, n, generator=g) < p).float()
