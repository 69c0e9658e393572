"""BindsNET's LIFNodes/IFNodes arithmetic as a generated step function, for any target.

The operations and their order are LIFNodes.forward / IFNodes.forward's
(bindsnet/network/nodes.py), with float32 dt, decay and refractory counts as
BindsNET stores them; the spike goes through the spec's surrogate so that the
other targets can train it (BindsNET itself has no gradients):

    def step(x, state):                   state = (v, c): v from rest (LIF) or reset (IF), c = 0
        v, c = state
        v = (v - rest) * DECAY + rest         # LIF; DECAY = exp(-dt / tc_decay) in float32
        x = x.masked_fill(c > 0, 0.0)         # LIF
        c = c - dt
        v = v + x                             # LIF
        v = v + (c_before <= 0).float() * x   # IF (before the count goes down)
        s = Spike.apply(v - thresh, alpha)    # fires on >= 0
        c = c.masked_fill(s > 0, refrac)
        v = v.masked_fill(s > 0, reset)
        return s, (v, c)
"""

from __future__ import annotations

import libcst as cst

from ir.neuron import BindsnetNeuron

from ..toolkit import expr, literal, name, stmts

STRICT = False


def initial_state(neuron: BindsnetNeuron) -> tuple[float, ...]:
    return (neuron.v_init, 0.0)


def describe(neuron: BindsnetNeuron) -> str:
    if neuron.kind == "lif":
        return (f"nodes.LIFNodes(thresh={neuron.thresh!r}, rest={neuron.rest!r}, reset={neuron.reset!r}, "
                f"refrac={neuron.refrac!r}, tc_decay={neuron.tc_decay!r}) at dt={neuron.dt!r}")
    return (f"nodes.IFNodes(thresh={neuron.thresh!r}, reset={neuron.reset!r}, refrac={neuron.refrac!r}) "
            f"at dt={neuron.dt!r}")


def decay_expr(neuron: BindsnetNeuron) -> cst.BaseExpression:
    """BindsNET's own float32 computation of exp(-dt / tc_decay) (LIFNodes.compute_decays)."""
    return expr("torch.exp(-torch.tensor({dt}) / torch.tensor({tc}))", dt=literal(neuron.dt),
                tc=literal(neuron.tc_decay))


def step_body(neuron: BindsnetNeuron, spike: str, decay: str | None = None) -> list[cst.BaseStatement]:
    """`decay` names a module constant holding `decay_expr` (LIF only)."""
    dt = literal(neuron.dt)
    body = stmts("v, c = state")
    if neuron.kind == "lif":
        body += stmts("v = (v - {rest}) * {decay} + {rest}\nx = x.masked_fill(c > 0, 0.0)\nc = c - {dt}\nv = v + x",
                      rest=literal(neuron.rest), decay=name(decay), dt=dt)
    else:
        body += stmts("v = v + (c <= 0).float() * x\nc = c - {dt}", dt=dt)
    alpha = literal(float(neuron.surrogate.alpha)) if neuron.surrogate else literal(0.0)
    body += stmts(
        "s = {spike}.apply(v - {th}, {alpha})\nc = c.masked_fill(s > 0, {refrac})\nv = v.masked_fill(s > 0, {reset})",
        spike=name(spike), th=literal(neuron.thresh), alpha=alpha, refrac=literal(neuron.refrac),
        reset=literal(neuron.reset))
    body += stmts("return s, (v, c)")
    return body
