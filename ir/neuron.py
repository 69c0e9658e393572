"""The canonical neuron: one exact, simulator-independent description of a population.

Every target must reproduce the step below bit for bit in float32, either with a
native class whose arithmetic is provably the same, or with a small generated
class that performs exactly these operations in exactly this order. The leak is
described by its *arithmetic form* because the three simulators round
differently (``beta*v`` is not ``v - v/tau``); keeping the form in the IR is what
lets a spec written for one simulator reproduce that simulator exactly on the
other two.

One step, in float32, with state ``v``, previous spikes ``s_prev``, refractory
counter ``r`` (an integer number of steps) and input current ``x``::

    x  = where(r > 0, 0, x)                 # only if refractory > 0
    r  = r - 1                              # only if refractory > 0
    h  = charge(v, x)                       # by leak form, see LEAK_FORMS
    h  = h - s_prev * reset_by              # only for reset 'subtract' with reset_delay
    s  = h >= v_threshold
    v  = where(s, v_reset, h)               # reset 'zero'
    v  = h - s * reset_by                   # reset 'subtract', immediate
    v  = h                                  # reset 'none', or 'subtract' with reset_delay
    r  = where(s, refractory, r)            # only if refractory > 0

Initial state: ``v = v_init``, ``s_prev = 0``, ``r = 0``.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

from .floats import is_f32

# The exact float32 expression of each leak form (``x`` already masked).
LEAK_FORMS: dict[str, str] = {
    "beta": "decay * v + x",
    "tau": "v - (v - v_rest) / tau + x",
    "tau_input": "v + (x - (v - v_rest)) / tau",
    "tc": "((v - v_rest) * exp(-dt / tc_decay) + v_rest) + x",
    "none": "v + x",
}

RESETS = ("zero", "subtract", "none")
KINDS = ("lif", "if")

# Parameters that only exist for a given leak form; all others must be None.
_FORM_PARAMS = {
    "beta": ("decay",),
    "tau": ("tau", "v_rest"),
    "tau_input": ("tau", "v_rest"),
    "tc": ("tc_decay", "v_rest"),
    "none": (),
}
_OPTIONAL = ("decay", "tau", "tc_decay", "v_rest")


@dataclass(frozen=True)
class Surrogate:
    """Surrogate gradient: canonical snnTorch-style name and its one parameter."""

    name: str  # atan, fast_sigmoid, sigmoid, ...
    alpha: float

    def __str__(self) -> str:
        return f"{self.name}({self.alpha!r})"


@dataclass(frozen=True)
class Neuron:
    kind: str  # "lif" | "if"
    leak: str  # a key of LEAK_FORMS; "none" for IF
    v_threshold: float  # fires when v >= v_threshold
    reset: str  # "zero" | "subtract" | "none"
    v_reset: float = 0.0  # target of a zero reset
    reset_by: float = 1.0  # amount removed by a subtract reset
    reset_delay: bool = False  # subtract one step late, undecayed (snnTorch's default)
    refractory: int = 0  # steps of ignored input after a spike
    v_init: float = 0.0
    decay: float | None = None  # leak 'beta'
    tau: float | None = None  # leaks 'tau', 'tau_input'
    tc_decay: float | None = None  # leak 'tc'
    v_rest: float | None = None  # leaks 'tau', 'tau_input', 'tc'
    surrogate: Surrogate | None = None

    def replace(self, **changes) -> "Neuron":
        return dataclasses.replace(self, **changes)

    def effective_decay(self, dt: float = 1.0) -> float:
        """The per-step decay factor, for display and statistics only."""
        if self.leak == "beta":
            return self.decay
        if self.leak in ("tau", "tau_input"):
            return 1.0 - 1.0 / self.tau
        if self.leak == "tc":
            return math.exp(-dt / self.tc_decay)
        return 1.0

    def input_gain(self) -> float:
        return 1.0 / self.tau if self.leak == "tau_input" else 1.0

    def params(self) -> dict[str, object]:
        """The parameters that matter for this neuron, in a fixed order, for dumps."""
        out: dict[str, object] = {"leak": self.leak}
        for key in _FORM_PARAMS[self.leak]:
            out[key] = getattr(self, key)
        out["v_threshold"] = self.v_threshold
        out["reset"] = self.reset
        if self.reset == "zero":
            out["v_reset"] = self.v_reset
        if self.reset == "subtract":
            out["reset_by"] = self.reset_by
            out["reset_delay"] = self.reset_delay
        out["refractory"] = self.refractory
        out["v_init"] = self.v_init
        out["surrogate"] = str(self.surrogate) if self.surrogate else None
        return out

    def problems(self) -> list[str]:
        """Why this neuron is not well formed; empty when it is."""
        errs: list[str] = []
        if self.kind not in KINDS:
            errs.append(f"unknown neuron kind {self.kind!r}")
        if self.leak not in LEAK_FORMS:
            errs.append(f"unknown leak form {self.leak!r}")
            return errs
        if (self.kind == "if") != (self.leak == "none"):
            errs.append(f"a {self.kind!r} neuron cannot have leak {self.leak!r}")
        if self.reset not in RESETS:
            errs.append(f"unknown reset {self.reset!r}")
        for key in _OPTIONAL:
            value = getattr(self, key)
            wanted = key in _FORM_PARAMS[self.leak]
            if wanted and value is None:
                errs.append(f"leak {self.leak!r} needs {key}")
            if not wanted and value is not None:
                errs.append(f"leak {self.leak!r} takes no {key}")
        for key in ("v_threshold", "v_reset", "reset_by", "v_init", *_OPTIONAL):
            value = getattr(self, key)
            if value is not None and not is_f32(value):
                errs.append(f"{key}={value!r} is not a finite float32 value")
        if self.decay is not None and not 0.0 <= self.decay <= 1.0:
            errs.append(f"decay={self.decay!r} is outside [0, 1]")
        if self.tau is not None and not self.tau > 1.0:
            errs.append(f"tau={self.tau!r} must be greater than 1")
        if self.tc_decay is not None and not self.tc_decay > 0.0:
            errs.append(f"tc_decay={self.tc_decay!r} must be positive")
        if not isinstance(self.refractory, int) or self.refractory < 0:
            errs.append(f"refractory={self.refractory!r} must be a non-negative integer")
        if self.reset_delay and self.reset != "subtract":
            errs.append("reset_delay only applies to a subtract reset")
        return errs
