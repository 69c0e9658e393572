"""The canonical neuron as generated code: one step function per distinct neuron of a module.

Each family's arithmetic lives in its simulator's home (`emitters.<family>.neuron`);
this module gives every target one way to ask for it. A step function is

    def <name>(x, state, late=()):  ->  (spikes, state)

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


class StepFunctions:
    """Names and renders the step functions (and BindsNET decay constants) of one module."""

    def __init__(self, ns: Namespace):
        self.ns = ns
        self.names: dict[Neuron, str] = {}
        self.statements: list[cst.BaseStatement] = []
        self.spikes: list = []  # (surrogate, strict) of every step function, for surrogate_classes

    def name_for(self, neuron: Neuron, hint: str) -> str:
        """The step function of `neuron`, written the first time it is asked for."""
        if neuron in self.names:
            return self.names[neuron]
        fn = self.names[neuron] = self.ns.name(hint, key=("step", neuron))
        code = FAMILY_CODE[neuron.family]
        spike = class_name(self.ns, neuron.surrogate, code.STRICT)
        self.spikes.append((neuron.surrogate, code.STRICT))
        if neuron.family == "bindsnet" and neuron.kind == "lif":
            decay = self.ns.name(f"{fn.upper()}_DECAY", key=("decay", neuron))
            (stmt,) = stmts("{d} = {e}", d=name(decay), e=code.decay_expr(neuron))
            self.statements.append(stmt)
            body = code.step_body(neuron, spike, decay)
        else:
            body = code.step_body(neuron, spike)
        params = [cst.Param(name("x")), cst.Param(name("state")), cst.Param(name("late"), default=cst.Tuple([]))]
        doc = cst.SimpleStatementLine([cst.Expr(literal(f"One step of {describe(neuron)}, exactly."))])
        self.statements.append(cst.FunctionDef(name=name(fn), params=cst.Parameters(params),
                                               body=cst.IndentedBlock([doc, *body])))
        return fn
