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

from ir import families
from ir.neuron import Neuron

from .surrogates import class_name
from .toolkit import Namespace, literal, name, stmts


def step_code(neuron: Neuron):
    """The step module of the neuron's family (`emitters.<family>.neuron`, through `ir.families`)."""
    return families.of(neuron).step()


def strict(neuron: Neuron) -> bool:
    """Whether the family fires on z > 0 (snnTorch) rather than z >= 0."""
    return step_code(neuron).STRICT


def initial_state(neuron: Neuron) -> tuple[float, ...]:
    return step_code(neuron).initial_state(neuron)


def describe(neuron: Neuron) -> str:
    """What the neuron computes, as the native class of its family would be written."""
    return step_code(neuron).describe(neuron)


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
        code = step_code(neuron)
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
        else:
            # Module constants the step reads (BindsNET's float32 decays), named after the function.
            constants = getattr(code, "constants", lambda _: ())(neuron)
            stem = fn.upper().replace("_STEP", "", 1)
            names = [self.ns.name(f"{stem}_{suffix}", key=(tag, neuron)) for suffix, tag, _ in constants]
            for constant, (_, _, value) in zip(names, constants, strict=True):
                self.statements += stmts("{d} = {e}", d=name(constant), e=value)
            body = code.step_body(neuron, spike, *names)
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
