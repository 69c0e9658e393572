"""BindsNET's words for a neuron layer (LIFNodes/IFNodes arguments) and the canonical neuron they mean.

Quirks respected: biological defaults (thresh -52, rest -65, reset -65, refrac 5,
tc_decay 100); LIFNodes start at rest, IFNodes at reset; the refractory period is
counted down in float32 steps of dt, as BindsNET stores both; BindsNET has no
surrogate gradient, so the spec's surrogate_function (default atan(2.0)) is what
the other targets train with.
"""

from __future__ import annotations

import math

from ir.neuron import BindsnetNeuron, Surrogate

KEYS = ("tc_decay", "thresh", "rest", "reset", "refrac")
PROPERTY = {"tc_decay": "decay", "thresh": "threshold", "rest": "rest", "reset": "reset", "refrac": "refractory"}
DEFAULTS = {"tc_decay": 100.0, "thresh": -52.0, "rest": -65.0, "reset": -65.0, "refrac": 5}
DEFAULT_SURROGATE = Surrogate("atan", 2.0, "snntorch")
SURROGATES: dict[str, float] = {}  # none of its own: named surrogates follow snnTorch's
MISSING_LIF_KEY = None


class NoEquivalent(Exception):
    pass


def fact(key: str, value, dt: float):
    if key == "tc_decay":
        return math.exp(-dt / value)
    if key == "reset":
        return ("zero", float(value))
    return float(value)


def value_for(key: str, said, dt: float):
    if key == "tc_decay" and 0.0 < said < 1.0:
        return -dt / math.log(said)
    if key == "reset" and said[0] == "zero":
        return said[1]
    if key in ("thresh", "rest", "refrac"):
        return said
    raise NoEquivalent


def implied(prop: str, params: dict) -> tuple[object, str] | None:
    if prop == "input_scaling":
        return False, "BindsNET does not scale the input by 1/tau"
    if prop == "reset_delay":
        return None
    if prop == "detach_reset":
        return None
    raise AssertionError(prop)


# BindsNET has no non-spiking node: a non-spiking layer cannot be read in its words.
NONSPIKING_KEY = None
NONSPIKING_DEFAULTS: dict[str, float] = {}
NONSPIKING_IF = False
NO_NONSPIKING = ("BindsNET has no non-spiking neuron: write this layer's decay in snnTorch's words (\"beta\": "
                 "mem = beta*mem + input) or SpikingJelly's (\"tau\": v = v + (input - v)/tau)")
LEARN_KEYS: dict[str, str] = {}


def build(p, kind: str, dt: float, surrogate: Surrogate | None) -> BindsnetNeuron:
    leak = dict(rest=p.f32("rest"), tc_decay=p.f32("tc_decay")) if kind == "lif" else {}
    return BindsnetNeuron(kind=kind, thresh=p.f32("thresh"), reset=p.f32("reset"), **leak,
                          refrac=p.f32("refrac"), dt=p.f32_dt(dt), surrogate=surrogate)


# CUBALIFNode in BindsNET's words: nodes.CurrentLIFNodes' arguments and defaults.
CUBA_CLASS = "BindsNET's CurrentLIFNodes"
CUBA_KEYS = ("thresh", "rest", "reset", "refrac", "tc_decay", "tc_i_decay")
CUBA_DEFAULTS = {"thresh": -52.0, "rest": -65.0, "reset": -65.0, "refrac": 5, "tc_decay": 100.0, "tc_i_decay": 2.0}
CUBA_REQUIRED = ()


def build_cuba(p, dt: float, surrogate: Surrogate | None) -> BindsnetNeuron:
    """nodes.CurrentLIFNodes(thresh, rest, reset, refrac, tc_decay, tc_i_decay) at `dt`."""
    return BindsnetNeuron(kind="cuba", thresh=p.f32("thresh"), reset=p.f32("reset"), rest=p.f32("rest"),
                          tc_decay=p.f32("tc_decay"), tc_i_decay=p.f32("tc_i_decay"), refrac=p.f32("refrac"),
                          dt=p.f32_dt(dt), surrogate=surrogate)
