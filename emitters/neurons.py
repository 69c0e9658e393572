"""The canonical neuron as generated code: one step function per distinct neuron of a module.

Each family's arithmetic lives in its simulator's home (`emitters.<family>.neuron`);
this module gives every target one way to ask for it. A step function is

    def <name>(x, state, late=()):  ->  (spikes, state)

(a non-spiking neuron's "spikes" are its membrane, which is what its readers read)

where `state` is a tuple whose first element is the membrane (see each family for
the rest) and `late` the terms added after the charge (snnTorch's RLeaky). Every
population with the same neuron shares one function, and every target renders the
same function for the same neuron, so they compute the same floats.
"""

from __future__ import annotations

import libcst as cst

from ir.neuron import Neuron

from .bindsnet import neuron as bindsnet
from .snntorch import neuron as snntorch
from .spikingjelly import neuron as spikingjelly
from .surrogates import class_name
from .toolkit import Namespace, literal, name, stmts

FAMILY_CODE = {"snntorch": snntorch, "spikingjelly": spikingjelly, "bindsnet": bindsnet}


def strict(neuron: Neuron) -> bool:
    """Whether the family fires on z > 0 (snnTorch) rather than z >= 0."""
    return FAMILY_CODE[neuron.family].STRICT


def initial_state(neuron: Neuron) -> tuple[float, ...]:
    return FAMILY_CODE[neuron.family].initial_state(neuron)


def describe(neuron: Neuron) -> str:
    """What the neuron computes, as the native class of its family would be written."""
    return FAMILY_CODE[neuron.family].describe(neuron)


def spike_of(neuron: Neuron):
    """(surrogate, strict) the neuron's spike function needs."""
    return neuron.surrogate, strict(neuron)


def kind_hint(neuron: Neuron, home: str) -> str:
    """What a helper for `neuron` is named after: its kind (`lif`, `if`), with its family in front
    where that is not the target's own (`spikingjelly_lif` in a snnTorch module)."""
    return neuron.kind if neuron.family == home else f"{neuron.family}_{neuron.kind}"


class StepFunctions:
    """Names and renders the step functions (and BindsNET decay constants) of one module.

    A step function is named for what it computes (`lif_step`, `if_step`, `lif_step_2` for a
    second LIF neuron that differs, see `kind_hint`); `home` is the target's family."""

    def __init__(self, ns: Namespace, home: str):
        self.ns, self.home = ns, home
        self.names: dict[object, str] = {}
        self.statements: list[cst.BaseStatement] = []
        self.spikes: list = []  # (surrogate, strict) of every step function, for surrogate_classes

    def name_for(self, neuron: Neuron, params: bool = False) -> str:
        """The step function of `neuron`, written the first time it is asked for.

        `params`: the function takes `beta` and `threshold` (snnTorch's family only), so that
        a native layer's own values drive it: `(x, state, beta, threshold, late=())`. Neurons
        of one kind that differ only in those share one such function."""
        code = FAMILY_CODE[neuron.family]
        if not neuron.spiking:  # a non-spiking neuron's step outputs its membrane: no spike function
            return self._nonspiking(neuron, code)
        spike = class_name(self.ns, neuron.surrogate, code.STRICT)
        if params:
            body = code.step_body(neuron, spike, params=True)
            key = ("step", "params", neuron.kind, cst.Module(body).code)
        else:
            key = ("step", neuron)
        if key in self.names:
            return self.names[key]
        fn = self.names[key] = self.ns.numbered(kind_hint(neuron, self.home) + "_step", key=key)
        self.spikes.append((neuron.surrogate, code.STRICT))
        if params:
            what = code.describe(neuron, params=True)
        elif neuron.family == "bindsnet" and neuron.kind == "lif":
            decay = self.ns.name(fn.upper().replace("_STEP", "", 1) + "_DECAY", key=("decay", neuron))
            (stmt,) = stmts("{d} = {e}", d=name(decay), e=code.decay_expr(neuron))
            self.statements.append(stmt)
            body = code.step_body(neuron, spike, decay)
            what = describe(neuron)
        elif neuron.family == "bindsnet" and neuron.kind == "cuba":
            stem = fn.upper().replace("_STEP", "", 1)
            decay = self.ns.name(stem + "_DECAY", key=("decay", neuron))
            i_decay = self.ns.name(stem + "_I_DECAY", key=("i_decay", neuron))
            self.statements += stmts("{d} = {e}\n{i} = {ie}", d=name(decay), e=code.decay_expr(neuron),
                                     i=name(i_decay), ie=code.decay_expr(neuron, "tc_i_decay"))
            body = code.step_body(neuron, spike, decay, i_decay)
            what = describe(neuron)
        else:
            body = code.step_body(neuron, spike)
            what = describe(neuron)
        args = [cst.Param(name("x")), cst.Param(name("state"))]
        if params:
            args += [cst.Param(name(p)) for p in getattr(code, "PARAMS", {}).get(neuron.kind, ("beta", "threshold"))]
        args.append(cst.Param(name("late"), default=cst.Tuple([])))
        doc = cst.SimpleStatementLine([cst.Expr(literal(f"One step of {what}, exactly."))])
        self.statements.append(cst.FunctionDef(name=name(fn), params=cst.Parameters(args),
                                               body=cst.IndentedBlock([doc, *body])))
        return fn

    def _nonspiking(self, neuron: Neuron, code) -> str:
        key = ("step", neuron)
        if key in self.names:
            return self.names[key]
        fn = self.names[key] = self.ns.numbered(kind_hint(neuron, self.home) + "_step", key=key)
        args = [cst.Param(name("x")), cst.Param(name("state")), cst.Param(name("late"), default=cst.Tuple([]))]
        doc = cst.SimpleStatementLine([cst.Expr(literal(f"One step of {describe(neuron)}, exactly: "
                                                        "its output is the membrane."))])
        self.statements.append(cst.FunctionDef(name=name(fn), params=cst.Parameters(args),
                                               body=cst.IndentedBlock([doc, *code.step_body(neuron, "")])))
        return fn
