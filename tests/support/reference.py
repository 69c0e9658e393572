"""An independent, pure-torch reference of the canonical network semantics.

It is written from the IR's documentation alone (ir/neuron.py, ir/ops.py), not from
any emitter, in eval mode (batch norm with its running statistics, dropout the
identity), and it ignores the schedule: it steps the whole graph through time, op
by op in graph order, reading feedback operands from the previous step. Projections
are computed one step at a time on 64-byte-aligned operands, as the IR requires,
so every generated module must match it bit for bit.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ir.graph import Graph
from ir.ops import (BatchNormOp, Conv1dOp, Conv2dOp, DelayOp, DropoutOp, FlattenOp, InputOp, LinearOp, Pool1dOp,
                    Pool2dOp, PopulationOp, ScaleOp)


def _aligned(x: torch.Tensor) -> torch.Tensor:
    return x.clone() if x.data_ptr() % 64 else x


def _init(n, like: torch.Tensor) -> tuple:
    if n.kind == "cuba":  # (membrane, synaptic current[, refractory count])
        if n.family == "bindsnet":
            return torch.full_like(like, n.rest), torch.zeros_like(like), torch.zeros_like(like)
        v = 0.0 if n.family == "snntorch" or n.v_reset is None else n.v_reset
        return torch.full_like(like, v), torch.zeros_like(like)
    if n.family == "snntorch":
        return (torch.zeros_like(like),)
    if n.family == "spikingjelly":
        return (torch.full_like(like, 0.0 if n.v_reset is None else n.v_reset),)
    return (torch.full_like(like, n.rest if n.kind == "lif" else n.reset), torch.zeros_like(like))


def neuron_step(n, x, state, late=()):
    """One step of canonical neuron `n`: (spikes, new state); membrane is state[0]. A
    non-spiking neuron (kind li or i) outputs its membrane in place of spikes."""
    if n.kind in ("li", "i"):
        (v,) = state
        if n.family == "snntorch":  # snn.Leaky's charge: beta * mem + input, then the late terms
            u = (n.beta * v if n.kind == "li" else v) + x
            for term in late:
                u = u + term
            return u, (u,)
        assert n.family == "spikingjelly" and not late
        v = v + (x - v) / n.tau if n.kind == "li" else v + x  # NonSpikingLIFNode / NonSpikingIFNode
        return v, (v,)
    if n.kind == "cuba":
        return _cuba_step(n, x, state, late)
    if n.family == "snntorch":
        (m,) = state
        beta = 1.0 if n.beta is None else n.beta
        r = ((m - n.threshold) > 0).float()
        if n.reset == "zero" and not n.late_terms:
            m = (1 - r) * m
        u = beta * m + x
        for term in late:
            u = u + term
        if n.reset == "subtract":
            u = u - r * n.threshold
        elif n.reset == "zero" and n.late_terms:
            u = u - r * u
        s, u = _snntorch_fire(n, u, r)
        return s, (u,)
    if n.family == "spikingjelly":
        (v,) = state
        rest = 0.0 if n.v_reset is None else n.v_reset
        if n.kind == "if":
            h = v + x
        elif n.learn:  # ParametricLIFNode: 1/tau = sigmoid(w), a float32 tensor, multiplied in
            q = torch.tensor(n.w, dtype=torch.float32).sigmoid()
            h = v + (x - (v - rest)) * q if n.decay_input else v - (v - rest) * q + x
        elif n.decay_input:
            h = v + (x - (v - rest)) / n.tau
        else:
            h = v - (v - rest) / n.tau + x
        s = ((h - n.v_threshold) >= 0).float()
        v = h - s * n.v_threshold if n.v_reset is None else s * n.v_reset + (1.0 - s) * h
        return s, (v,)
    v, c = state
    if n.kind == "lif":
        decay = torch.exp(-torch.tensor(n.dt) / torch.tensor(n.tc_decay))
        v = (v - n.rest) * decay + n.rest
        x = x.masked_fill(c > 0, 0.0)
        c = c - n.dt
        v = v + x
    else:
        v = v + (c <= 0).float() * x
        c = c - n.dt
    s = ((v - n.thresh) >= 0).float()
    c = c.masked_fill(s > 0, n.refrac)
    v = v.masked_fill(s > 0, n.reset)
    return s, (v, c)


def _snntorch_fire(n, u, r):
    """snnTorch's spike on the charged membrane u and, without reset_delay, this step's reset too
    (r: the spike the delayed reset already applied)."""
    s = ((u - n.threshold) > 0).float()
    if not n.reset_delay:
        if n.reset == "subtract":
            u = u - (s - r) * n.threshold
        elif n.reset == "zero":
            u = u - (s - r) * u
    return s, u


def _folded(op, weights: dict) -> dict:
    """The weights of a projection with a batch norm folded into it (ir.ops.Projection):
    w * s and (b - mean) * s + beta, s = gamma / sqrt(var + eps)."""
    w, norm = weights[f"{op.key}.weight"], op.fold_key
    c = w.shape[0]
    gamma = weights[f"{norm}.weight"] if op.fold_affine else torch.ones(c)
    beta = weights[f"{norm}.bias"] if op.fold_affine else torch.zeros(c)
    b = weights[f"{op.key}.bias"] if op.bias else torch.zeros(c)
    scale = gamma / torch.sqrt(weights[f"{norm}.running_var"] + op.fold_eps)
    return {f"{op.key}.weight": w * scale.reshape(-1, *[1] * (w.dim() - 1)),
            f"{op.key}.bias": (b - weights[f"{norm}.running_mean"]) * scale + beta}


def _cuba_step(n, x, state, late):
    """Current-based LIF: snn.Synaptic, SpikingJelly's CUBALIFNode (functional.cuba_lif_step),
    BindsNET's CurrentLIFNodes, each in its own order."""
    if n.family == "snntorch":
        m, c = state
        r = ((m - n.threshold) > 0).float()

        def charge():
            i = n.alpha * c + x
            for term in late:
                i = i + term
            return i, n.beta * m + i
        i, u = charge()
        if n.reset == "subtract":
            u = u - r * n.threshold
        elif n.reset == "zero":  # Synaptic computes the charge again for its zero reset
            _, u_again = charge()
            i = i - 0 * r
            u = u - u_again * r
        s, u = _snntorch_fire(n, u, r)
        return s, (u, i)
    if n.family == "spikingjelly":
        v, c = state
        c = c * n.c_decay + x
        h = v * n.v_decay + c
        s = ((h - n.v_threshold) >= 0).float()
        v = h - s * n.v_threshold if n.v_reset is None else s * n.v_reset + (1.0 - s) * h
        return s, (v, c)
    v, i, c = state
    decay = torch.exp(-torch.tensor(n.dt) / torch.tensor(n.tc_decay))
    i_decay = torch.exp(-torch.tensor(n.dt) / torch.tensor(n.tc_i_decay))
    v = (v - n.rest) * decay + n.rest
    i = i * i_decay
    c = c - n.dt
    i = i + x
    v = v + (c <= 0).float() * i
    s = ((v - n.thresh) >= 0).float()
    c = c.masked_fill(s > 0, n.refrac)
    v = v.masked_fill(s > 0, n.reset)
    return s, (v, i, c)


def _stateless(op, x: torch.Tensor, weights: dict) -> torch.Tensor:
    x = _aligned(x)
    if getattr(op, "fold_key", ""):
        weights = _folded(op, weights)
        op = op.replace(bias=True, fold_key="")
    if isinstance(op, LinearOp):
        w, b = weights[f"{op.key}.weight"], weights.get(f"{op.key}.bias") if op.bias else None
        if op.layout == "in_out":
            wt = w.t().contiguous()
            return x @ wt if b is None else x @ wt + b
        return F.linear(x, w, b)
    if isinstance(op, Conv2dOp):
        b = weights.get(f"{op.key}.bias") if op.bias else None
        return F.conv2d(x, weights[f"{op.key}.weight"], b, stride=op.stride, padding=op.padding)
    if isinstance(op, Pool2dOp):
        if op.mode == "max":
            return F.max_pool2d(x, op.kernel_size, stride=op.stride, padding=op.padding)
        divisor = 1 if op.mode == "sum" else None
        return F.avg_pool2d(x, op.kernel_size, stride=op.stride, padding=op.padding, divisor_override=divisor)
    if isinstance(op, Conv1dOp):
        b = weights.get(f"{op.key}.bias") if op.bias else None
        return F.conv1d(x, weights[f"{op.key}.weight"], b, stride=op.stride, padding=op.padding)
    if isinstance(op, Pool1dOp):
        if op.mode == "max":
            return F.max_pool1d(x, op.kernel_size, stride=op.stride, padding=op.padding)
        return F.avg_pool1d(x, op.kernel_size, stride=op.stride, padding=op.padding)
    if isinstance(op, BatchNormOp):
        w, b = (weights[f"{op.key}.weight"], weights[f"{op.key}.bias"]) if op.affine else (None, None)
        return F.batch_norm(x, weights[f"{op.key}.running_mean"], weights[f"{op.key}.running_var"], w, b,
                            training=False, eps=op.eps)
    if isinstance(op, DropoutOp):
        return x
    if isinstance(op, ScaleOp):
        return x * op.factor
    if isinstance(op, FlattenOp):
        return x.flatten(1)
    raise TypeError(op)


def run(graph: Graph, weights: dict, inputs: torch.Tensor) -> dict[str, torch.Tensor]:
    """{population: spikes [T, B, ...]} and {population + '.v': membranes} for the whole network."""
    weights = {k: torch.as_tensor(v, dtype=torch.float32) for k, v in weights.items()}
    T, B = inputs.shape[:2]
    ops = list(graph.ops())
    prev = {op.name: torch.zeros(B, *op.shape) for op in ops}
    states = {}
    out = {op.name: [] for op in ops if isinstance(op, PopulationOp)}
    mems = {op.name: [] for op in ops if isinstance(op, PopulationOp)}
    history = {op.name: [] for op in ops if isinstance(op, DelayOp)}  # a delay line's inputs so far
    for t in range(T):
        now = {}
        for op in ops:
            if isinstance(op, InputOp):
                now[op.name] = inputs[t].float()
                continue
            terms = [prev[o.src] if o.delay else now[o.src] for o in op.operands]
            if isinstance(op, PopulationOp):
                learned = {key: float(weights[f"{op.name}.{key}"]) for key in op.neuron.learned()}
                if learned:  # the weights' values (beta and alpha clamped to [0, 1], as snn.Leaky/Synaptic do)
                    learned.update({k: min(max(v, 0.0), 1.0) for k, v in learned.items() if k in ("alpha", "beta")})
                    op = op.replace(neuron=op.neuron.replace(**learned))
                late = op.neuron.late() if op.neuron.family == "snntorch" else 0
                charge, tail = terms[: len(terms) - late], terms[len(terms) - late:]
                x = charge[0]
                for term in charge[1:]:
                    x = x + term
                if op.name not in states:
                    states[op.name] = _init(op.neuron, x)
                s, states[op.name] = neuron_step(op.neuron, x, states[op.name], tail)
                now[op.name] = s
                out[op.name].append(s)
                mems[op.name].append(states[op.name][0])
            else:
                x = terms[0]
                for term in terms[1:]:
                    x = x + term
                if isinstance(op, DelayOp):
                    history[op.name].append(x)
                    now[op.name] = history[op.name][t - op.steps] if t >= op.steps else torch.zeros_like(x)
                else:
                    now[op.name] = _stateless(op, x, weights)
        prev = now
    result = {}
    for name in out:
        result[name] = torch.stack(out[name])
        result[name + ".v"] = torch.stack(mems[name])
    return result


def random_weights(graph: Graph, seed: int = 0, quantized: bool = False, scale: float = 1.0) -> dict[str, torch.Tensor]:
    """The `check` command's seeded weights (continuous, or tie-prone dyadic when `quantized`),
    times `scale` (a small integer keeps quantized weights dyadic); learned neuron parameters keep
    the spec's values."""
    from compiler.tools.check import random_weights as weights

    learned = {f"{pop.name}.{key}" for pop in graph.populations() for key in pop.neuron.learned()}
    return {k: v if k in learned else v * scale for k, v in weights(graph, seed, quantized).items()}


def decimal_weights(graph: Graph, seed: int = 0, step: float = 0.01, span: int = 10) -> dict[str, torch.Tensor]:
    """Weights that are multiples of `step` (0.01: what a decimal quantizer makes): tie-prone sums."""
    g = torch.Generator().manual_seed(seed)
    return {k: torch.randint(-span, span + 1, shape, generator=g).float() * step
            for k, shape in graph.weight_shapes().items()}


def random_spikes(T: int, B: int, shape, seed: int = 1, p: float = 0.2) -> torch.Tensor:
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(T, B, *shape, generator=g) < p).float()
