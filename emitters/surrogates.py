"""Surrogate spike functions as generated code: the gradient semantics of the canonical neuron.

One `torch.autograd.Function` per (surrogate name, whose formula, comparison) a
module uses. The forward is the Heaviside step of the neuron's family: snnTorch
fires on ``z > 0``, SpikingJelly and BindsNET on ``z >= 0``. The backward is the
surrogate's derivative written with the float32 operations, in the order, of the
simulator named by the surrogate's flavor (snnTorch's `surrogate.py` or
SpikingJelly's `_ops/surrogate.py`), so that a generated neuron and a native one
produce the same gradients. Every target that trains uses these same classes.
"""

from __future__ import annotations

import libcst as cst

from ir import families
from ir.neuron import Surrogate

from .toolkit import Namespace, name, stmts

# Each flavor's formulas are its family's (`SURROGATE_FLAVORS` of `emitters.<family>.neuron`): flavor ->
# (its classes' name suffix, whose formula it is, {surrogate name: the backward's gradient expression in
# `z` (the saved input), `alpha` and `grad`}).
FLAVORS = {flavor: spec for family in families.every()
           for flavor, spec in getattr(family.step(), "SURROGATE_FLAVORS", {}).items()}
# (name, flavor) -> the backward's gradient expression.
BACKWARD = {(surrogate, flavor): formula for flavor, (_, _, formulas) in FLAVORS.items()
            for surrogate, formula in formulas.items()}
TITLES = {"atan": "ATan", "fast_sigmoid": "FastSigmoid", "sigmoid": "Sigmoid", "softsign": "SoftSign"}


def needs_math(surrogates) -> bool:
    return any("math." in BACKWARD.get((s.name, s.flavor), "") for s, _ in surrogates)


def class_name(ns: Namespace, surrogate: Surrogate, strict: bool) -> str:
    """The generated class for `surrogate` firing on > (strict) or >=; one name per kind."""
    flavor = FLAVORS[surrogate.flavor][0]
    hint = f"{TITLES[surrogate.name]}{flavor}Spike{'' if strict else 'GE'}"
    return ns.name(hint, key=("surrogate", surrogate.name, surrogate.flavor, strict))


def surrogate_class(cls: str, surrogate: Surrogate, strict: bool) -> cst.BaseStatement:
    compare = ">" if strict else ">="
    cast = ".float()" if strict else ".to(z.dtype)"  # snnTorch's spikes are always float32
    formula = BACKWARD[surrogate.name, surrogate.flavor]
    owner = FLAVORS[surrogate.flavor][1].format(name=surrogate.name, title=TITLES[surrogate.name])
    (node,) = stmts(f'''
class {{cls}}(torch.autograd.Function):
    """Spikes where z {compare} 0; the gradient is {owner}'s, in its float32 operation order."""

    @staticmethod
    def forward(ctx, z, alpha):
        ctx.save_for_backward(z)
        ctx.alpha = alpha
        return (z {compare} 0){cast}

    @staticmethod
    def backward(ctx, grad):
        (z,) = ctx.saved_tensors
        alpha = ctx.alpha
        return {formula}, None
''', cls=name(cls))
    return node


def known(surrogate: Surrogate) -> bool:
    return (surrogate.name, surrogate.flavor) in BACKWARD


def surrogate_classes(used: list[tuple[Surrogate, bool]], ns: Namespace) -> list[cst.BaseStatement]:
    """One class per distinct (name, flavor, comparison) in `used`, in first-use order."""
    out, seen = [], set()
    for surrogate, strict in used:
        key = (surrogate.name, surrogate.flavor, strict)
        if key in seen:
            continue
        seen.add(key)
        out.append(surrogate_class(class_name(ns, surrogate, strict), surrogate, strict))
    return out
