"""snn.Leaky's (and snn.RLeaky's) arithmetic as a generated step function, for any target.

The operations and their order are snn.Leaky.forward's (snntorch/_neurons/leaky.py),
so that autograd builds the same graph and a target without snn.Leaky computes the
same spikes, membranes and gradients:

    def step(x, state, *late):            state = (m,); late: RLeaky's recurrent terms
        (m,) = state
        r = (m - threshold > 0).float()   # the delayed reset, detached (mem_reset); not for none
        m = (1 - r) * m                   # zero reset (Leaky)
        u = beta * m + x  (+ late...)     # beta = 1.0 for IF
        u = u - r * threshold             # subtract reset
        u = u - r * u                     # zero reset (RLeaky)
        s = Spike.apply(u - threshold, alpha)
        u = u - (s - r) * threshold       # subtract, reset_delay=False
        u = u - (s - r) * u               # zero, reset_delay=False
        return s, (u,)

A non-spiking neuron (li, i) is the charge alone, its output the membrane:

        u = beta * m + x  (+ late...)     # li; u = m + x for i
        return u, (u,)
"""

from __future__ import annotations

import libcst as cst

from ir.neuron import SnnTorchNeuron

from ..forward import LEARNED_NEURON_CLASS, LEARNED_SYNAPTIC_CLASS, NEURON_CLASS
from ..helpers import Helpers
from ..toolkit import expr, literal, name, stmts

STRICT = True  # fires on mem - threshold > 0
# The arguments of a step with `params` (after x and state), by kind: tensors of the layer.
PARAMS = {"cuba": ("alpha", "beta", "threshold")}
# Its surrogate gradients (snntorch/surrogate.py), as emitters.surrogates writes them: flavor -> (class name
# suffix, whose formula, {surrogate: the backward's expression in z, alpha and grad}).
SURROGATE_FLAVORS = {"snntorch": ("", "snnTorch's surrogate.{name}", {
    "atan": "alpha / 2 / (1 + (torch.pi / 2 * alpha * z).pow_(2)) * grad",
    "fast_sigmoid": "grad / (alpha * torch.abs(z) + 1.0) ** 2",
    "sigmoid": "grad * alpha * torch.exp(-alpha * z) / ((torch.exp(-alpha * z) + 1) ** 2)",
})}


def initial_state(neuron: SnnTorchNeuron) -> tuple[float, ...]:
    return (0.0, 0.0) if neuron.kind == "cuba" else (0.0,)


def describe(neuron: SnnTorchNeuron, params: bool = False) -> str:
    """snn.Leaky's (or RLeaky's) constructor; `params`: beta and threshold are the step's arguments."""
    if neuron.kind == "cuba":
        learn = "".join(f", learn_{key}=True" for key in neuron.learn)
        if params:
            return (f"snn.Synaptic(alpha, beta, threshold, reset_mechanism={neuron.reset!r}, "
                    f"reset_delay={neuron.reset_delay!r}{learn})")
        return (f"snn.Synaptic(alpha={neuron.alpha!r}, beta={neuron.beta!r}, threshold={neuron.threshold!r}, "
                f"reset_mechanism={neuron.reset!r}, reset_delay={neuron.reset_delay!r}{learn})")
    if neuron.kind == "li":
        return f"non-spiking snn.Leaky(beta={neuron.decay!r}, reset_mechanism='none')"
    if neuron.kind == "i":
        return "non-spiking snn.Leaky(beta=1.0, reset_mechanism='none') as m + x"
    cls = "snn.RLeaky" if neuron.late_terms else "snn.Leaky"
    rest = f"reset_mechanism={neuron.reset!r}, reset_delay={neuron.reset_delay!r}"
    rest += "".join(f", learn_{key}=True" for key in neuron.learn)
    if params:
        return f"{cls}(beta, threshold, {rest})"
    return f"{cls}(beta={neuron.decay!r}, threshold={neuron.threshold!r}, {rest})"


def learned_ctor(neuron: SnnTorchNeuron, step: str, helpers: Helpers) -> cst.BaseExpression:
    """LearnedNeuron(step, init, beta, threshold, learn) for a neuron with learned parameters (snn.Leaky's
    learn_* flags), LearnedSynaptic(step, alpha, beta, threshold, learn) for a CUBA one (emitters.forward)."""
    helpers.update((NEURON_CLASS, LEARNED_SYNAPTIC_CLASS if neuron.kind == "cuba" else LEARNED_NEURON_CLASS))
    if neuron.kind == "cuba":
        return expr("LearnedSynaptic({f}, {a}, {b}, {t}, {l})", f=name(step), a=literal(float(neuron.alpha)),
                    b=literal(float(neuron.beta)), t=literal(neuron.threshold), l=literal(neuron.learn))
    return expr("LearnedNeuron({f}, {i}, {b}, {t}, {l})", f=name(step), i=literal((0.0,)),
                b=literal(float(neuron.decay)), t=literal(neuron.threshold), l=literal(neuron.learn))


def step_body(neuron: SnnTorchNeuron, spike: str, params: bool = False) -> list[cst.BaseStatement]:
    """The step's statements; `params`: beta and threshold are the step's arguments `beta`, `threshold`
    (tensors of a native layer, the same float32 operations), else the neuron's values as literals."""
    if not neuron.spiking:
        return nonspiking_body(neuron)
    if neuron.kind == "cuba":
        return synaptic_body(neuron, spike, params)
    th = name("threshold") if params else literal(neuron.threshold)
    beta = name("beta") if params else literal(float(neuron.decay))
    body = stmts("(m,) = state")
    if neuron.reset != "none":  # every use of r resets; with none, mem_reset changes nothing
        body += stmts("r = (m - {th} > 0).float()", th=th)
    if neuron.reset == "zero" and not neuron.late_terms:
        body += stmts("m = (1 - r) * m")
    body += stmts("u = {beta} * m + x", beta=beta)
    for k in range(neuron.late_terms):
        body += stmts("u = u + late[{k}]", k=literal(k))
    if neuron.reset == "subtract":
        body += stmts("u = u - r * {th}", th=th)
    elif neuron.reset == "zero" and neuron.late_terms:
        body += stmts("u = u - r * u")
    body += _fire(neuron, spike, th)
    body += stmts("return s, (u,)")
    return body


def nonspiking_body(neuron: SnnTorchNeuron) -> list[cst.BaseStatement]:
    """A non-spiking neuron: snn.Leaky's charge without threshold or reset; the output is the membrane."""
    body = stmts("(m,) = state")
    if neuron.kind == "li":
        body += stmts("u = {beta} * m + x", beta=literal(float(neuron.beta)))
    else:
        body += stmts("u = m + x")
    for k in range(neuron.late_terms):
        body += stmts("u = u + late[{k}]", k=literal(k))
    body += stmts("return u, (u,)")
    return body


def synaptic_body(neuron: SnnTorchNeuron, spike: str, params: bool = False) -> list[cst.BaseStatement]:
    """snn.Synaptic.forward's operations in its order (state: membrane, synaptic current). Its zero
    reset computes the charge twice and subtracts `0 * reset` from the current (_base_zero): the
    same autograd graph, so the same gradients. `params`: alpha, beta, threshold are the step's
    tensor arguments, clamped where Synaptic clamps them (at every use)."""
    if params:
        th, alpha, beta = name("threshold"), expr("alpha.clamp(0, 1)"), expr("beta.clamp(0, 1)")
    else:
        th, alpha, beta = literal(neuron.threshold), literal(float(neuron.alpha)), literal(float(neuron.beta))
    body = stmts("m, c = state")
    if neuron.reset != "none":
        body += stmts("r = (m - {th} > 0).float()", th=th)
    lates = "".join(f" + late[{k}]" for k in range(neuron.late_terms))  # snn.RSynaptic's recurrent term
    body += stmts(f"i = {{alpha}} * c + x{lates}\nu = {{beta}} * m + i", alpha=alpha, beta=beta)
    if neuron.reset == "subtract":
        body += stmts("u = u - r * {th}", th=th)
    elif neuron.reset == "zero":
        body += stmts(f"i_again = {{alpha}} * c + x{lates}\nu_again = {{beta}} * m + i_again\ni = i - 0 * r\n"
                      "u = u - u_again * r", alpha=alpha, beta=beta)
    body += _fire(neuron, spike, th)
    body += stmts("return s, (u, i)")
    return body


def _fire(neuron: SnnTorchNeuron, spike: str, th: cst.BaseExpression) -> list[cst.BaseStatement]:
    """The spike through the surrogate, then the reset snnTorch applies without reset_delay."""
    alpha = literal(float(neuron.surrogate.alpha)) if neuron.surrogate else literal(0.0)
    body = stmts("s = {spike}.apply(u - {th}, {alpha})", spike=name(spike), th=th, alpha=alpha)
    if not neuron.reset_delay and neuron.reset == "subtract":
        body += stmts("u = u - (s - r) * {th}", th=th)
    elif not neuron.reset_delay and neuron.reset == "zero":
        body += stmts("u = u - (s - r) * u")
    return body


def sequence_body(neuron: SnnTorchNeuron) -> list[cst.BaseStatement]:
    """A whole run of snn.Leaky without autograd: `step_body(params=True)`'s float32 operations, each on
    the same operands, written in place into the [T, B, ...] results (one allocation fewer per operation;
    elementwise operations give the same bits in place or not). With reset_delay, a step's spikes are
    the next step's reset: both are `(u - threshold > 0)` of the same u."""
    body = stmts("spikes, membranes = torch.empty_like(cur), torch.empty_like(cur)\nm = torch.zeros_like(cur[0])")
    reuse = neuron.reset != "none" and neuron.reset_delay
    if reuse:
        body += stmts("r = (m - threshold > 0).float()")
    loop: list[cst.BaseStatement] = []
    if neuron.reset != "none" and not reuse:
        loop += stmts("r = (m - threshold > 0).float()")
    charged = "(1 - r) * m" if neuron.reset == "zero" else "m"
    loop += stmts(f"u = torch.mul(beta, {charged}, out=membranes[t]).add_(cur[t])")
    if neuron.reset == "subtract":
        loop += stmts("u.sub_(r * threshold)")
    fire = "torch.gt(u - threshold, 0, out=spikes[t])"
    if reuse:
        loop += stmts(f"r = {fire}")
    elif neuron.reset == "none":  # nothing reads the spikes but the result
        loop += stmts(fire)
    else:
        loop += stmts(f"s = {fire}")
    if not neuron.reset_delay and neuron.reset == "subtract":
        loop += stmts("u.sub_((s - r) * threshold)")
    elif not neuron.reset_delay and neuron.reset == "zero":
        loop += stmts("u.sub_((s - r) * u)")
    loop += stmts("m = u")
    (for_loop,) = stmts("for t in range(len(cur)):\n    pass")
    body.append(for_loop.with_changes(body=cst.IndentedBlock(loop)))
    body += stmts("return spikes, membranes")
    return body
