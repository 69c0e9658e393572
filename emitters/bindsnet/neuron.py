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

CurrentLIFNodes (CUBA), state (v, i, c) from (rest, 0, 0):

        v = (v - rest) * DECAY + rest
        i = i * I_DECAY                       # I_DECAY = exp(-dt / tc_i_decay) in float32
        c = c - dt
        i = i + x
        v = v + (c <= 0).float() * i
        (then as above: spike, refractory count, reset)
"""

from __future__ import annotations

import libcst as cst

from ir.neuron import BindsnetNeuron

from ..toolkit import expr, literal, name, stmts

STRICT = False


def initial_state(neuron: BindsnetNeuron) -> tuple[float, ...]:
    return (neuron.v_init, 0.0, 0.0) if neuron.kind == "cuba" else (neuron.v_init, 0.0)


def describe(neuron: BindsnetNeuron) -> str:
    if neuron.kind == "cuba":
        return (f"nodes.CurrentLIFNodes(thresh={neuron.thresh!r}, rest={neuron.rest!r}, reset={neuron.reset!r}, "
                f"refrac={neuron.refrac!r}, tc_decay={neuron.tc_decay!r}, tc_i_decay={neuron.tc_i_decay!r}) "
                f"at dt={neuron.dt!r}")
    if neuron.kind == "lif":
        return (f"nodes.LIFNodes(thresh={neuron.thresh!r}, rest={neuron.rest!r}, reset={neuron.reset!r}, "
                f"refrac={neuron.refrac!r}, tc_decay={neuron.tc_decay!r}) at dt={neuron.dt!r}")
    return (f"nodes.IFNodes(thresh={neuron.thresh!r}, reset={neuron.reset!r}, refrac={neuron.refrac!r}) "
            f"at dt={neuron.dt!r}")


def decay_expr(neuron: BindsnetNeuron, tc: str = "tc_decay") -> cst.BaseExpression:
    """BindsNET's own float32 computation of exp(-dt / tc_decay) (LIFNodes.compute_decays), or of
    CurrentLIFNodes' exp(-dt / tc_i_decay) with `tc` "tc_i_decay"."""
    return expr("torch.exp(-torch.tensor({dt}) / torch.tensor({tc}))", dt=literal(neuron.dt),
                tc=literal(getattr(neuron, tc)))


def constants(neuron: BindsnetNeuron) -> tuple[tuple[str, str, cst.BaseExpression], ...]:
    """The module constants a step of `neuron` reads, in `step_body`'s argument order: (name suffix,
    what it is, its value). LIF and CUBA read DECAY, CUBA also I_DECAY (computed once, as BindsNET does)."""
    if neuron.kind == "lif":
        return (("DECAY", "decay", decay_expr(neuron)),)
    if neuron.kind == "cuba":
        return (("DECAY", "decay", decay_expr(neuron)), ("I_DECAY", "i_decay", decay_expr(neuron, "tc_i_decay")))
    return ()


def step_body(neuron: BindsnetNeuron, spike: str, decay: str | None = None,
              i_decay: str | None = None) -> list[cst.BaseStatement]:
    """`decay` names a module constant holding `decay_expr` (LIF and CUBA), `i_decay` one holding
    CurrentLIFNodes' current decay (CUBA): see `constants`."""
    dt = literal(neuron.dt)
    body = stmts("v, c = state") if neuron.kind != "cuba" else stmts("v, i, c = state")
    if neuron.kind == "cuba":  # CurrentLIFNodes.forward
        body += stmts("v = (v - {rest}) * {decay} + {rest}\ni = i * {i_decay}\nc = c - {dt}\ni = i + x\n"
                      "v = v + (c <= 0).float() * i", rest=literal(neuron.rest), decay=name(decay),
                      i_decay=name(i_decay), dt=dt)
    elif neuron.kind == "lif":
        body += stmts("v = (v - {rest}) * {decay} + {rest}\nx = x.masked_fill(c > 0, 0.0)\nc = c - {dt}\nv = v + x",
                      rest=literal(neuron.rest), decay=name(decay), dt=dt)
    else:
        body += stmts("v = v + (c <= 0).float() * x\nc = c - {dt}", dt=dt)
    alpha = literal(float(neuron.surrogate.alpha)) if neuron.surrogate else literal(0.0)
    body += stmts(
        "s = {spike}.apply(v - {th}, {alpha})\nc = c.masked_fill(s > 0, {refrac})\nv = v.masked_fill(s > 0, {reset})",
        spike=name(spike), th=literal(neuron.thresh), alpha=alpha, refrac=literal(neuron.refrac),
        reset=literal(neuron.reset))
    body += stmts("return s, (v, i, c)" if neuron.kind == "cuba" else "return s, (v, c)")
    return body
