"""The canonical neuron step as generated code, shared by every target.

`step_function` writes one function per population whose target class is
`canonical` (see passes/select_neuron_class.py). It performs the float32
operations listed in ir/neuron.py, in the same order as the simulator the form
came from, so that a generated class reproduces a native one bit for bit:

    def layer_1_step(x, v, s_prev, r):  ->  (s, v, r)

`x` is the input current, `v` the membrane, `s_prev` the previous spikes and
`r` the refractory counter (float, in steps). Spikes come back as 0./1. in v's dtype.
"""

from __future__ import annotations

import libcst as cst

from ir.neuron import Neuron

from .toolkit import expr, literal, name, stmts


def decay_expr(neuron: Neuron, dt: float) -> cst.BaseExpression:
    """BindsNET's own float32 computation of exp(-dt / tc_decay) (nodes.py compute_decays)."""
    return expr(
        "torch.exp(-torch.tensor({dt}) / torch.tensor({tc}))",
        dt=literal(float(dt)),
        tc=literal(neuron.tc_decay),
    )


def _offset(var: str, op: str, c: float) -> cst.BaseExpression:
    """`var - c` or `var + c`, written without a double sign: IEEE 754 defines x - c as
    x + (-c), so `v + 65.0` is bit-identical to `v - -65.0`."""
    negative = c < 0 or (c == 0 and str(c).startswith("-"))
    if negative:
        op = "+" if op == "-" else "-"
    node = expr("{v} " + op + " {c}", v=name(var), c=literal(abs(c)))
    # A substituted node replaces its placeholder's parentheses too: carry our own.
    return node.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


def _charge(neuron: Neuron, decay_name: str | None) -> list[cst.BaseStatement]:
    leak = neuron.leak
    if leak == "beta":
        return stmts("h = {d} * v + x", d=literal(neuron.decay))
    if leak == "tau":
        return stmts("h = v - {vr} / {tau} + x", vr=_offset("v", "-", neuron.v_rest), tau=literal(neuron.tau))
    if leak == "tau_input":
        return stmts("h = v + (x - {vr}) / {tau}", vr=_offset("v", "-", neuron.v_rest), tau=literal(neuron.tau))
    if leak == "tc":
        return stmts(
            "h = {vr} * {d}\nh = {back}\nh = h + x",
            vr=_offset("v", "-", neuron.v_rest),
            d=name(decay_name),
            back=_offset("h", "+", neuron.v_rest),
        )
    if leak == "none":
        return stmts("h = v + x")
    raise ValueError(f"unknown leak {leak!r}")


def step_function(fn_name: str, neuron: Neuron, decay_name: str | None = None) -> cst.FunctionDef:
    """The step function of one population; `decay_name` names a module constant for leak 'tc'."""
    body: list[cst.BaseStatement] = []
    refractory = neuron.refractory > 0
    if refractory:
        body += stmts("x = torch.where(r > 0, torch.zeros_like(x), x)\nr = r - 1")
    body += _charge(neuron, decay_name)
    delayed = neuron.reset == "subtract" and neuron.reset_delay
    if delayed:
        body += stmts("h = h - s_prev * {by}", by=literal(neuron.reset_by))
    body += stmts("s = (h >= {th}).to(h.dtype)", th=literal(neuron.v_threshold))
    if neuron.reset == "zero":
        body += stmts("v = torch.where(s > 0, torch.full_like(h, {vr}), h)", vr=literal(neuron.v_reset))
    elif neuron.reset == "subtract" and not delayed:
        body += stmts("v = h - s * {by}", by=literal(neuron.reset_by))
    else:
        body += stmts("v = h")
    if refractory:
        body += stmts("r = torch.where(s > 0, torch.full_like(r, {n}), r)", n=literal(float(neuron.refractory)))
    body += stmts("return s, v, r")
    doc = cst.SimpleStatementLine(
        [cst.Expr(literal("One float32 step of the canonical neuron (see the module header)."))]
    )
    params = [cst.Param(name(p)) for p in ("x", "v", "s_prev", "r")]
    return cst.FunctionDef(
        name=name(fn_name),
        params=cst.Parameters(params),
        body=cst.IndentedBlock([doc, *body]),
    )
