"""SpikingJelly's words for a neuron layer (LIFNode/IFNode arguments) and the canonical neuron they mean.

Quirks respected: tau=2.0 and decay_input=True by default (the input is divided by
tau); a LIFNode leaks towards and starts at v_reset (0 with a soft reset, v_reset
null); it fires on >=, resets in the same step, and detach_reset defaults to false;
the default surrogate is Sigmoid(alpha=4.0).
"""

from __future__ import annotations

import math

from ir.floats import f32
from ir.neuron import SpikingJellyNeuron, Surrogate

KEYS = ("tau", "decay_input", "v_threshold", "v_reset", "detach_reset")
PROPERTY = {"tau": "decay", "decay_input": "input_scaling", "v_threshold": "threshold", "v_reset": "reset",
            "detach_reset": "detach_reset"}
DEFAULTS = {"tau": 2.0, "decay_input": True, "v_threshold": 1.0, "v_reset": 0.0, "detach_reset": False}
DEFAULT_SURROGATE = Surrogate("sigmoid", 4.0, "spikingjelly")
SURROGATES = {"atan": 2.0, "sigmoid": 4.0, "softsign": 2.0}
MISSING_LIF_KEY = None


class NoEquivalent(Exception):
    pass


def fact(key: str, value, dt: float):
    if key == "tau":
        return 1.0 - 1.0 / value
    if key == "v_reset":
        return ("subtract",) if value is None else ("zero", float(value))
    if key in ("decay_input", "detach_reset"):
        return value
    return float(value)


def value_for(key: str, said, dt: float):
    if key == "tau" and 0.0 < said < 1.0:
        return 1.0 / (1.0 - said)
    if key == "v_reset" and said[0] != "none":
        return None if said[0] == "subtract" else said[1]
    if key == "v_threshold":
        return said
    raise NoEquivalent


def implied(prop: str, params: dict) -> tuple[object, str] | None:
    if prop == "rest":
        rest = params["v_reset"]
        if rest is None:
            return 0.0, "with a soft reset (v_reset null) its LIFNode rests at 0.0"
        return float(rest), f"its LIFNode rests at v_reset={rest!r}"
    if prop == "refractory":
        return 0.0, "SpikingJelly's neurons have no refractory period"
    if prop == "reset_delay":
        if params["v_reset"] is None:
            return False, "SpikingJelly subtracts the threshold in the step that spikes"
        return None
    raise AssertionError(prop)


def build(p, kind: str, dt: float, surrogate: Surrogate | None) -> SpikingJellyNeuron:
    v_reset = None if p["v_reset"] is None else p.f32("v_reset")
    leak = dict(tau=p.f32("tau"), decay_input=p["decay_input"]) if kind == "lif" else {}
    return SpikingJellyNeuron(kind=kind, **leak, v_threshold=p.f32("v_threshold"), v_reset=v_reset,
                              detach_reset=p["detach_reset"], surrogate=surrogate)


# Non-spiking layers in SpikingJelly's words: NonSpikingLIFNode's tau (default 2.0). NonSpikingIFNode is its
# class: a layer of that type in the words of a simulator without non-spiking neurons is read here (v + x
# from 0, the same floats in every family).
NONSPIKING_KEY = "tau"
NONSPIKING_DEFAULTS = {"tau": 2.0}
NONSPIKING_IF = True
NO_NONSPIKING = None
LEARN_KEYS: dict[str, str] = {}  # ParametricLIFNode learns w: a layer type of its own (PLIF_KEYS)


def build_nonspiking(kind: str, tau: float | None) -> SpikingJellyNeuron:
    """NonSpikingLIFNode(tau) (li) or NonSpikingIFNode (i)."""
    return SpikingJellyNeuron(kind=kind, tau=tau if kind == "li" else None)


# ParametricLIFNode in SpikingJelly's words: neuron.ParametricLIFNode's arguments and defaults.
PLIF_KEYS = ("init_tau", "decay_input", "v_threshold", "v_reset", "detach_reset")
PLIF_DEFAULTS = {"init_tau": 2.0, "decay_input": True, "v_threshold": 1.0, "v_reset": 0.0, "detach_reset": False}


def build_parametric(p, surrogate: Surrogate | None) -> SpikingJellyNeuron:
    """neuron.ParametricLIFNode(init_tau, decay_input, v_threshold, v_reset, detach_reset): w is
    float32(-log(init_tau - 1.0)), computed from the written value as its __init__ computes it
    (`torch.as_tensor` of the Python float); tau keeps init_tau (in float32) for the record."""
    tau = p.f32("init_tau")
    w = f32(-math.log(float(p["init_tau"]) - 1.0)) if float(p["init_tau"]) > 1.0 else 0.0
    v_reset = None if p["v_reset"] is None else p.f32("v_reset")
    return SpikingJellyNeuron(kind="lif", tau=tau, decay_input=p["decay_input"], v_threshold=p.f32("v_threshold"),
                              v_reset=v_reset, detach_reset=p["detach_reset"], w=w, learn=("w",),
                              surrogate=surrogate)


# CUBALIFNode in SpikingJelly's words: neuron.CUBALIFNode's arguments and defaults (its surrogate
# default, surrogate.Rect, is not one snnc has: the vocabulary's Sigmoid(4.0) is used instead).
CUBA_CLASS = "SpikingJelly's CUBALIFNode"
CUBA_KEYS = ("c_decay", "v_decay", "v_threshold", "v_reset")
CUBA_DEFAULTS = {"c_decay": 0.5, "v_decay": 0.75, "v_threshold": 0.5, "v_reset": 0.0}
CUBA_REQUIRED = ()


def build_cuba(p, dt: float, surrogate: Surrogate | None) -> SpikingJellyNeuron:
    """neuron.CUBALIFNode(c_decay, v_decay, v_threshold, v_reset)."""
    v_reset = None if p["v_reset"] is None else p.f32("v_reset")
    return SpikingJellyNeuron(kind="cuba", c_decay=p.f32("c_decay"), v_decay=p.f32("v_decay"),
                              v_threshold=p.f32("v_threshold"), v_reset=v_reset, surrogate=surrogate)
