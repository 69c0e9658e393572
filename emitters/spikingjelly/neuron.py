"""SpikingJelly's LIFNode/IFNode arithmetic as a generated step function, for any target.

The operations and their order are SpikingJelly's single step (_ops/lif/reference.py
`charge`, `step`; _ops/reset.py `voltage`):

    def step(x, state):                   state = (v,), v starting at v_reset (0 if soft)
        (v,) = state
        h = v + (x - (v - v_reset)) / tau     # LIF, decay_input
        h = v - (v - v_reset) / tau + x       # LIF, not decay_input
        h = v + x                             # IF
        s = Spike.apply(h - v_threshold, alpha)    # fires on >= 0
        v = s * v_reset + (1.0 - s) * h       # hard reset (s.detach() with detach_reset)
        v = h - s * v_threshold               # soft reset (v_reset None)
        return s, (v,)

ParametricLIFNode (learned w, the step's argument; _ops/plif/reference.py `step`):

        q = w.sigmoid()
        h = v + (x - (v - v_reset)) * q       # decay_input
        h = v - (v - v_reset) * q + x         # not decay_input

Non-spiking (NonSpikingLIFNode / NonSpikingIFNode, v from 0), the output is the membrane:

        v = v + (x - v) / tau                 # li
        v = v + x                             # i
        return v, (v,)
"""

from __future__ import annotations

import libcst as cst

from ir.neuron import SpikingJellyNeuron

from ..forward import LEARNED_PLIF_CLASS, NEURON_CLASS
from ..helpers import Helpers
from ..toolkit import expr, literal, name, stmts

STRICT = False
# The arguments of a step with `params` (after x and state), by kind: ParametricLIFNode's w.
PARAMS = {"lif": ("w",)}
# Its surrogate gradients, as emitters.surrogates writes them: flavor -> (class name suffix, whose formula,
# {surrogate: the backward's expression in z, alpha and grad}). "spikingjelly" is _ops/surrogate.py's (its
# LIFNode/IFNode); "spikingjelly_module" its surrogate modules called directly (activation_based/surrogate.py:
# sigmoid_backward, atan_backward, soft_sign_backward), as CUBALIFNode calls its surrogate_function: another
# order.
SURROGATE_FLAVORS = {
    "spikingjelly": ("SJ", "SpikingJelly's {title}", {
        "atan": "grad * ((alpha / 2) / (1 + (z * (math.pi / 2 * alpha)) * (z * (math.pi / 2 * alpha))))",
        "sigmoid": "grad * ((1 - torch.sigmoid(alpha * z)) * torch.sigmoid(alpha * z) * alpha)",
        "softsign": "grad * (1 / (2 * alpha * (1 / alpha + z.abs()) * (1 / alpha + z.abs())))",
    }),
    "spikingjelly_module": ("SJModule", "SpikingJelly's {title} module", {
        "atan": "alpha / 2 / (1 + (math.pi * (alpha / 2) * z) * (math.pi * (alpha / 2) * z)) * grad",
        "sigmoid": "grad * (1.0 - torch.sigmoid(z * alpha)) * torch.sigmoid(z * alpha) * alpha",
        "softsign": "grad / (2 * alpha * (1 / alpha + z.abs()).pow_(2))",
    }),
}


def initial_state(neuron: SpikingJellyNeuron) -> tuple[float, ...]:
    return (neuron.v_init, 0.0) if neuron.kind == "cuba" else (neuron.v_init,)


def describe(neuron: SpikingJellyNeuron, params: bool = False) -> str:
    if neuron.parametric:
        return (f"neuron.ParametricLIFNode(init_tau={neuron.tau!r}, decay_input={neuron.decay_input!r}, "
                f"v_threshold={neuron.v_threshold!r}, v_reset={neuron.v_reset!r}, "
                f"detach_reset={neuron.detach_reset!r}) with w an argument")
    if neuron.kind == "cuba":
        return (f"neuron.CUBALIFNode(c_decay={neuron.c_decay!r}, v_decay={neuron.v_decay!r}, "
                f"v_threshold={neuron.v_threshold!r}, v_reset={neuron.v_reset!r})")
    if neuron.kind == "li":
        return f"neuron.NonSpikingLIFNode(tau={neuron.tau!r})"
    if neuron.kind == "i":
        return "neuron.NonSpikingIFNode()"
    if neuron.kind == "lif":
        return (f"neuron.LIFNode(tau={neuron.tau!r}, decay_input={neuron.decay_input!r}, "
                f"v_threshold={neuron.v_threshold!r}, v_reset={neuron.v_reset!r}, detach_reset={neuron.detach_reset!r})")
    return (f"neuron.IFNode(v_threshold={neuron.v_threshold!r}, v_reset={neuron.v_reset!r}, "
            f"detach_reset={neuron.detach_reset!r})")


def learned_ctor(neuron: SpikingJellyNeuron, step: str, helpers: Helpers) -> cst.BaseExpression:
    """LearnedPLIF(step, init, w) for ParametricLIFNode (emitters.forward), its w learned."""
    helpers.update((NEURON_CLASS, LEARNED_PLIF_CLASS))
    return expr("LearnedPLIF({f}, {i}, {w})", f=name(step), i=literal((neuron.v_init,)), w=literal(neuron.w))


def step_body(neuron: SpikingJellyNeuron, spike: str, params: bool = False) -> list[cst.BaseStatement]:
    """The step's statements; `params` (ParametricLIFNode only): its w is the step's argument `w`."""
    if params != neuron.parametric:
        raise ValueError("a step takes w exactly when its neuron is ParametricLIFNode's")
    if not neuron.spiking:
        return nonspiking_body(neuron)
    rest = literal(neuron.v_init)
    body = stmts("(v,) = state") if neuron.kind != "cuba" else stmts("v, c = state")
    if neuron.kind == "cuba":  # functional.cuba_lif_step
        body += stmts("c = c * {cd} + x\nh = v * {vd} + c", cd=literal(neuron.c_decay), vd=literal(neuron.v_decay))
    elif neuron.kind == "if":
        body += stmts("h = v + x")
    elif neuron.parametric:
        body += stmts("q = w.sigmoid()")
        if neuron.decay_input:
            body += stmts("h = v + (x - (v - {rest})) * q", rest=rest)
        else:
            body += stmts("h = v - (v - {rest}) * q + x", rest=rest)
    elif neuron.decay_input:
        body += stmts("h = v + (x - (v - {rest})) / {tau}", rest=rest, tau=literal(neuron.tau))
    else:
        body += stmts("h = v - (v - {rest}) / {tau} + x", rest=rest, tau=literal(neuron.tau))
    alpha = literal(float(neuron.surrogate.alpha)) if neuron.surrogate else literal(0.0)
    body += stmts("s = {spike}.apply(h - {th}, {alpha})", spike=name(spike), th=literal(neuron.v_threshold),
                  alpha=alpha)
    reset_spike = "s.detach()" if neuron.detach_reset else "s"
    if neuron.v_reset is None:
        body += stmts(f"v = h - {reset_spike} * {{th}}", th=literal(neuron.v_threshold))
    else:
        body += stmts(f"v = {reset_spike} * {{vr}} + (1.0 - {reset_spike}) * h", vr=literal(neuron.v_reset))
    body += stmts("return s, (v, c)" if neuron.kind == "cuba" else "return s, (v,)")
    return body


def nonspiking_body(neuron: SpikingJellyNeuron) -> list[cst.BaseStatement]:
    """NonSpikingLIFNode's / NonSpikingIFNode's neuronal_charge; the output is the membrane."""
    body = stmts("(v,) = state")
    if neuron.kind == "li":
        body += stmts("v = v + (x - v) / {tau}", tau=literal(neuron.tau))
    else:
        body += stmts("v = v + x")
    body += stmts("return v, (v,)")
    return body
