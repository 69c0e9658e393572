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

from ir.neuron import Surrogate

from .toolkit import Namespace, name, stmts

# (name, flavor) -> the backward's gradient expression in `z` (the saved input), `alpha` and `grad`.
BACKWARD = {
    ("atan", "snntorch"): "alpha / 2 / (1 + (torch.pi / 2 * alpha * z).pow_(2)) * grad",
    ("fast_sigmoid", "snntorch"): "grad / (alpha * torch.abs(z) + 1.0) ** 2",
    ("sigmoid", "snntorch"): "grad * alpha * torch.exp(-alpha * z) / ((torch.exp(-alpha * z) + 1) ** 2)",
    ("atan", "spikingjelly"): "grad * ((alpha / 2) / (1 + (z * (math.pi / 2 * alpha)) * (z * (math.pi / 2 * alpha))))",
    ("sigmoid", "spikingjelly"): "grad * ((1 - torch.sigmoid(alpha * z)) * torch.sigmoid(alpha * z) * alpha)",
    ("softsign", "spikingjelly"): "grad * (1 / (2 * alpha * (1 / alpha + z.abs()) * (1 / alpha + z.abs())))",
    # SpikingJelly's surrogate modules called directly (activation_based/surrogate.py: sigmoid_backward,
    # atan_backward, soft_sign_backward), as CUBALIFNode calls its surrogate_function: another order
    ("atan", "spikingjelly_module"): "alpha / 2 / (1 + (math.pi * (alpha / 2) * z) * (math.pi * (alpha / 2) * z)) * grad",
    ("sigmoid", "spikingjelly_module"): "grad * (1.0 - torch.sigmoid(z * alpha)) * torch.sigmoid(z * alpha) * alpha",
    ("softsign", "spikingjelly_module"): "grad / (2 * alpha * (1 / alpha + z.abs()).pow_(2))",
}
TITLES = {"atan": "ATan", "fast_sigmoid": "FastSigmoid", "sigmoid": "Sigmoid", "softsign": "SoftSign"}


def needs_math(surrogates) -> bool:
    return any(s.flavor in ("spikingjelly", "spikingjelly_module") and s.name == "atan" for s, _ in surrogates)


def class_name(ns: Namespace, surrogate: Surrogate, strict: bool) -> str:
    """The generated class for `surrogate` firing on > (strict) or >=; one name per kind."""
    flavor = {"snntorch": "", "spikingjelly": "SJ", "spikingjelly_module": "SJModule"}[surrogate.flavor]
    hint = f"{TITLES[surrogate.name]}{flavor}Spike{'' if strict else 'GE'}"
    return ns.name(hint, key=("surrogate", surrogate.name, surrogate.flavor, strict))


def surrogate_class(cls: str, surrogate: Surrogate, strict: bool) -> cst.BaseStatement:
    compare = ">" if strict else ">="
    cast = ".float()" if strict else ".to(z.dtype)"  # snnTorch's spikes are always float32
    formula = BACKWARD[surrogate.name, surrogate.flavor]
    owner = "snnTorch's surrogate." + surrogate.name if surrogate.flavor == "snntorch" else \
        "SpikingJelly's " + TITLES[surrogate.name] + (" module" if surrogate.flavor == "spikingjelly_module" else "")
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
