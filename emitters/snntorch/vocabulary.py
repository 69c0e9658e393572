"""snnTorch's words for a neuron layer (snn.Leaky's arguments) and the canonical neuron they mean.

Quirks respected: `beta` is required (snn.Leaky has no default); neurons rest at 0 and
start at 0; there is no refractory period and no IF class (Leaky with beta=1.0); the
default surrogate is atan(alpha=2.0).
"""

from __future__ import annotations

from ir.neuron import SnnTorchNeuron, Surrogate

KEYS = ("beta", "threshold", "reset_mechanism", "reset_delay")
PROPERTY = {"beta": "decay", "threshold": "threshold", "reset_mechanism": "reset", "reset_delay": "reset_delay"}
DEFAULTS = {"threshold": 1.0, "reset_mechanism": "subtract", "reset_delay": True}  # beta: none, Leaky requires it
DEFAULT_SURROGATE = Surrogate("atan", 2.0, "snntorch")
# Surrogates snnTorch has, with their default parameter (atan's alpha, the others' slope).
SURROGATES = {"atan": 2.0, "sigmoid": 25.0, "fast_sigmoid": 25.0}
MISSING_LIF_KEY = ("beta", "snnTorch's Leaky needs beta: add \"beta\" (the membrane decay per step, e.g. 0.95)")


class NoEquivalent(Exception):
    pass


def fact(key: str, value, dt: float):
    """What the value of one of this vocabulary's keys says, in its property's currency."""
    if key == "reset_mechanism":
        return {"subtract": ("subtract",), "zero": ("zero", 0.0), "none": ("none",)}[value]
    if key == "reset_delay":
        return value
    return float(value)


def value_for(key: str, said, dt: float):
    """The value of `key` that says `said`; NoEquivalent if there is none."""
    if key == "reset_mechanism":
        names = {("subtract",): "subtract", ("zero", 0.0): "zero", ("none",): "none"}
        if said in names:
            return names[said]
    elif key in ("beta", "threshold"):
        return said
    raise NoEquivalent


def implied(prop: str, params: dict) -> tuple[object, str] | None:
    """What snnTorch fixes for a property it has no key for, and why."""
    if prop == "rest":
        return 0.0, "snnTorch's neurons rest at 0.0"
    if prop == "refractory":
        return 0.0, "snnTorch's neurons have no refractory period"
    if prop == "input_scaling":
        return False, "snnTorch does not scale the input by 1/tau"
    if prop == "detach_reset":
        return True, "snn.Leaky always detaches its delayed reset from the gradient"
    raise AssertionError(prop)


def build(p, kind: str, dt: float, surrogate: Surrogate | None) -> SnnTorchNeuron:
    """`p` reads float32 parameters by key (see compiler.frontend.vocabulary.Reader)."""
    return SnnTorchNeuron(kind=kind, beta=p.f32("beta") if kind == "lif" else None, threshold=p.f32("threshold"),
                          reset=p["reset_mechanism"], reset_delay=p["reset_delay"], surrogate=surrogate)


# Non-spiking layers (NonSpikingLIFNode/NonSpikingIFNode) in snnTorch's words: snn.Leaky's beta, which has no
# default (MISSING_LIF_KEY says so).
NONSPIKING_KEY = "beta"
NONSPIKING_DEFAULTS: dict[str, float] = {}
NONSPIKING_IF = False  # NonSpikingIFNode is not its class
NO_NONSPIKING = None
# snn.Leaky's learn_* flags, and the parameter each learns (this vocabulary's own: a layer read in another
# vocabulary cannot write them).
LEARN_KEYS = {"learn_beta": "beta", "learn_threshold": "threshold"}


def build_nonspiking(kind: str, beta: float | None) -> SnnTorchNeuron:
    """A non-spiking leaky integrator (li: snn.Leaky's charge with `beta`) or integrator (i)."""
    return SnnTorchNeuron(kind=kind, beta=beta if kind == "li" else None)


# CUBALIFNode in snnTorch's words: snn.Synaptic's arguments (alpha and beta required, as Synaptic has no defaults).
CUBA_CLASS = "snnTorch's Synaptic"
CUBA_KEYS = ("alpha", "beta", "threshold", "reset_mechanism", "reset_delay", "learn_alpha", "learn_beta",
             "learn_threshold")
CUBA_DEFAULTS = {"threshold": 1.0, "reset_mechanism": "subtract", "reset_delay": True}
CUBA_REQUIRED = ("alpha", "beta")


def build_cuba(p, dt: float, surrogate: Surrogate | None) -> SnnTorchNeuron:
    """snn.Synaptic(alpha, beta, threshold, reset_mechanism, reset_delay)."""
    learn = tuple(key for key in ("alpha", "beta", "threshold") if p.params.get(f"learn_{key}"))
    return SnnTorchNeuron(kind="cuba", alpha=p.f32("alpha"), beta=p.f32("beta"), threshold=p.f32("threshold"),
                          reset=p["reset_mechanism"], reset_delay=p["reset_delay"], learn=learn, surrogate=surrogate)
