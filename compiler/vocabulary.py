"""Neuron parameters written in snnTorch, SpikingJelly or BindsNET words -> one `ir.Neuron`.

A neuron layer is *read in* one vocabulary: the simulator whose own keys it
uses (snnTorch: beta, threshold, reset_mechanism, reset_delay; SpikingJelly:
tau, decay_input, v_threshold, v_reset; BindsNET: tc_decay, thresh, rest, reset,
refrac). With none of them it is the spec's target_simulator (the paper's
minimality rule: unwritten parameters take that simulator's defaults). With
keys of several vocabularies, the target_simulator's wins if present, else the
first of snnTorch, SpikingJelly, BindsNET; the other keys are restatements, and
must say the same as the chosen reading:

* keys for one property (decay: beta/tau/tc_decay; threshold:
  threshold/v_threshold/thresh; reset: reset_mechanism/v_reset/reset) must
  agree with each other (decays within 1e-6 relative, the rest exactly; a
  disagreement is reported at the key outside the chosen vocabulary); one the
  chosen vocabulary does not write is translated into its key;
* a property the chosen vocabulary cannot write (rest, refrac, decay_input,
  reset_delay) must equal what that simulator implies (e.g. no refractory
  period in snnTorch).

The translation of each reading into the canonical neuron is spelt out in
`_snntorch`, `_spikingjelly` and `_bindsnet`; every float is a float32 value.
Callers pass layers that already passed the JSON schema (types and ranges).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from ir import Neuron, Surrogate
from ir.floats import f32, next_up

from .diagnostics import did_you_mean, show

SIMULATORS = {"snntorch": "snnTorch", "spikingjelly": "SpikingJelly", "bindsnet": "BindsNET"}

VOCABULARY_KEYS = {
    "snntorch": ("beta", "threshold", "reset_mechanism", "reset_delay"),
    "spikingjelly": ("tau", "decay_input", "v_threshold", "v_reset"),
    "bindsnet": ("tc_decay", "thresh", "rest", "reset", "refrac"),
}
SHARED_KEYS = ("surrogate_function",)
NEURON_KEYS = tuple(k for keys in VOCABULARY_KEYS.values() for k in keys) + SHARED_KEYS

MAX_REFRACTORY_STEPS = 2**31 - 1

# The property each key states, and the key each vocabulary states it with.
_PROPERTY = {
    "beta": "decay", "tau": "decay", "tc_decay": "decay",
    "threshold": "threshold", "v_threshold": "threshold", "thresh": "threshold",
    "reset_mechanism": "reset", "v_reset": "reset", "reset": "reset",
    "rest": "rest", "refrac": "refractory", "decay_input": "input_scaling",
    "reset_delay": "reset_delay",
}
_KEY = {
    "snntorch": {"decay": "beta", "threshold": "threshold", "reset": "reset_mechanism",
                 "reset_delay": "reset_delay"},
    "spikingjelly": {"decay": "tau", "threshold": "v_threshold", "reset": "v_reset",
                     "input_scaling": "decay_input"},
    "bindsnet": {"decay": "tc_decay", "threshold": "thresh", "reset": "reset", "rest": "rest",
                 "refractory": "refrac"},
}
_LIF_ONLY = ("decay", "rest", "input_scaling")
_DEFAULTS = {  # beta has none: snnTorch's Leaky requires it
    "threshold": 1.0, "reset_mechanism": "subtract", "reset_delay": True,
    "tau": 2.0, "decay_input": True, "v_threshold": 1.0, "v_reset": 0.0,
    "tc_decay": 100.0, "thresh": -52.0, "rest": -65.0, "reset": -65.0, "refrac": 5,
}
_SURROGATES = {"atan": "atan", "arctan": "atan", "sigmoid": "sigmoid",
               "fastsigmoid": "fast_sigmoid", "softsign": "softsign"}
_SURROGATE_NAMES = ("atan", "arctan", "sigmoid", "fast_sigmoid", "softsign")
_ALPHAS = {"atan": 2.0, "fast_sigmoid": 25.0, "softsign": 2.0}  # sigmoid: by vocabulary


@dataclass(frozen=True)
class Problem:
    """What is wrong, and where: a pointer relative to the layer ("" for the layer itself)."""

    where: str
    message: str


class NeuronSpecError(Exception):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(p.message for p in problems))


class _NoEquivalent(Exception):
    pass


def normalize_simulator(name: str) -> str | None:
    """'SpikingJelly' -> 'spikingjelly'; None for an unknown simulator."""
    key = name.lower()
    return key if key in SIMULATORS else None


def vocabulary_of(layer: dict, source: str) -> str:
    """The vocabulary `layer` is read in, for a spec whose target_simulator is `source`."""
    present = [v for v, keys in VOCABULARY_KEYS.items() if any(k in layer for k in keys)]
    return source if not present or source in present else present[0]


def neuron_from_layer(layer: dict, source: str, dt: float = 1.0) -> Neuron:
    """The canonical neuron of a schema-valid LIFNode/IFNode layer; raises NeuronSpecError."""
    kind = "lif" if layer["type"] == "LIFNode" else "if"
    vocab = vocabulary_of(layer, source)
    facts = _facts(layer, vocab, dt)
    problems = _disagreements(facts, dt)
    params, origin = _reading(layer, kind, vocab, facts, dt, problems)
    if not problems:
        problems = _unexpressible(vocab, facts, params)
    if kind == "lif" and vocab == "snntorch" and "beta" not in params:
        problems.append(Problem("", "snnTorch's Leaky needs beta: add \"beta\" "
                                    "(the membrane decay per step, e.g. 0.95)"))
    if problems:
        raise NeuronSpecError(problems)
    build = _Build(params, origin)
    surrogate = build.surrogate(layer.get("surrogate_function"), vocab)
    neuron = {"snntorch": _snntorch, "spikingjelly": _spikingjelly, "bindsnet": _bindsnet}[vocab](
        build, kind, dt, surrogate)
    problems = build.problems or [Problem("", msg) for msg in neuron.problems()]
    if problems:
        raise NeuronSpecError(problems)
    return neuron


def _facts(layer: dict, vocab: str, dt: float) -> dict[str, list[tuple[str, object, object]]]:
    """property -> [(key, value, what it says)] for the keys written, the chosen vocabulary's first."""
    facts: dict[str, list[tuple[str, object, object]]] = {}
    for reading in sorted(VOCABULARY_KEYS, key=lambda v: v != vocab):
        for key in VOCABULARY_KEYS[reading]:
            if key in layer:
                facts.setdefault(_PROPERTY[key], []).append((key, layer[key], _fact(key, layer[key], dt)))
    return facts


def _reading(layer: dict, kind: str, vocab: str, facts: dict, dt: float,
             problems: list[Problem]) -> tuple[dict, dict]:
    """The chosen vocabulary's parameters: as written, restated in another vocabulary, or defaults.

    Returns the parameters and, for each, the spec key that supplied it (for error messages).
    """
    params, origin = {}, {}
    for prop, key in _KEY[vocab].items():
        if kind == "if" and prop in _LIF_ONLY:
            continue
        if key in layer:
            params[key], origin[key] = layer[key], key
        elif prop in facts:
            other, value, fact = facts[prop][0]
            try:
                params[key], origin[key] = _value_for(key, fact, dt), other
            except _NoEquivalent:
                problems.append(Problem(other, f"{other}={show(value)} has no equivalent {key} in "
                                               f"{SIMULATORS[vocab]} vocabulary, which this layer uses"))
        elif key in _DEFAULTS:
            params[key], origin[key] = _DEFAULTS[key], key
    return params, origin


def _unexpressible(vocab: str, facts: dict, params: dict) -> list[Problem]:
    """Written properties the chosen vocabulary has no key for, unless they say what it implies."""
    problems = []
    for prop, items in facts.items():
        if prop in _KEY[vocab]:
            continue
        key, value, fact = items[0]
        implied = _implied(vocab, prop, params)
        if implied is not None and fact != implied[0]:
            problems.append(Problem(key, f"{key}={show(value)} cannot be expressed in "
                                         f"{SIMULATORS[vocab]} vocabulary: {implied[1]}"))
    return problems


# -- what each key says, in one currency per property -------------------------
def _fact(key: str, value, dt: float):
    if key == "tau":
        return 1.0 - 1.0 / value
    if key == "tc_decay":
        return math.exp(-dt / value)
    if key == "reset_mechanism":
        return {"subtract": ("subtract",), "zero": ("zero", 0.0), "none": ("none",)}[value]
    if key == "v_reset":
        return ("subtract",) if value is None else ("zero", float(value))
    if key == "reset":
        return ("zero", float(value))
    if key == "refrac":
        return refractory_steps(value, dt)
    if key in ("decay_input", "reset_delay"):
        return value
    return float(value)


def _value_for(key: str, fact, dt: float):
    """The value of `key` that states `fact`; _NoEquivalent if it cannot."""
    if key == "tau" and 0.0 < fact < 1.0:
        return 1.0 / (1.0 - fact)
    if key == "tc_decay" and 0.0 < fact < 1.0:
        return -dt / math.log(fact)
    if key == "reset_mechanism":
        names = {("subtract",): "subtract", ("zero", 0.0): "zero", ("none",): "none"}
        if fact in names:
            return names[fact]
    if key == "v_reset" and fact[0] != "none":
        return None if fact[0] == "subtract" else fact[1]
    if key == "reset" and fact[0] == "zero":
        return fact[1]
    if key in ("beta", "threshold", "v_threshold", "thresh"):
        return fact
    raise _NoEquivalent


def _agree(prop: str, a, b) -> bool:
    if prop == "decay":
        return math.isclose(a, b, rel_tol=1e-6, abs_tol=0.0)
    return a == b


def _disagreements(facts: dict, dt: float) -> list[Problem]:
    problems = []
    for prop, items in facts.items():
        first_key, first_value, first_fact = items[0]
        for key, value, fact in items[1:]:
            if _agree(prop, first_fact, fact):
                continue
            try:
                means = f"{key}={show(value)} means {first_key}={_brief(_value_for(first_key, fact, dt))}"
            except _NoEquivalent:
                means = f"{key}={show(value)} has no {first_key} equivalent"
            problems.append(Problem(key, f"{first_key}={show(first_value)} and {key}={show(value)} "
                                         f"disagree ({means})"))
    return problems


def _brief(value) -> str:
    """A converted value, to 6 significant digits: tau=10.000000000000002 reads 10.0."""
    return repr(float(f"{value:.6g}")) if isinstance(value, float) else show(value)


def _implied(vocab: str, prop: str, params: dict) -> tuple[object, str] | None:
    """What `vocab` fixes for a property it has no key for, and why; None if moot."""
    name = SIMULATORS[vocab]
    if prop == "rest":
        if vocab == "snntorch":
            return 0.0, "snnTorch's neurons rest at 0.0"
        rest = params["v_reset"]
        if rest is None:
            return 0.0, "with a soft reset (v_reset null) its LIFNode rests at 0.0"
        return float(rest), f"its LIFNode rests at v_reset={show(rest)}"
    if prop == "refractory":
        return 0, f"{name}'s neurons have no refractory period"
    if prop == "input_scaling":
        return False, f"{name} does not scale the input by 1/tau"
    if prop == "reset_delay":
        soft = vocab == "spikingjelly" and params["v_reset"] is None
        return (False, "SpikingJelly subtracts the threshold in the step that spikes") if soft else None
    raise AssertionError(prop)


def refractory_steps(refrac, dt: float) -> int:
    """BindsNET's refrac (time units) as whole steps: ceil(refrac / dt), exactly on the decimals written."""
    return math.ceil(Fraction(repr(refrac)) / Fraction(repr(dt)))


# -- the three readings ------------------------------------------------------
class _Build:
    """Reads float32 parameters, collecting problems against the key that supplied each."""

    def __init__(self, params: dict, origin: dict):
        self.params, self.origin = params, origin
        self.problems: list[Problem] = []

    def __getitem__(self, key: str):
        return self.params[key]

    def f32(self, key: str) -> float:
        value = self.params[key]
        try:
            out = f32(float(value))
        except OverflowError:
            return self.fail(key, "is outside the float32 range")
        if out == 0.0 and value != 0 and key in ("tau", "tc_decay"):
            return self.fail(key, "rounds to 0.0 in float32")
        if key == "tau" and not out > 1.0:
            return self.fail(key, "rounds to 1.0 in float32; SpikingJelly needs tau > 1")
        return out

    def above(self, key: str) -> float:
        """The float32 just above the value of `key`: where snnTorch's strict `>` fires."""
        out = next_up(self.f32(key))
        return out if math.isfinite(out) else self.fail(key, "is too large: nothing above it fires")

    def steps(self, key: str, dt: float) -> int:
        steps = refractory_steps(self.params[key], dt)
        if steps > MAX_REFRACTORY_STEPS:
            return self.fail(key, f"is {show(steps)} steps of dt={show(dt)}; at most {MAX_REFRACTORY_STEPS}")
        return steps

    def fail(self, key: str, message: str) -> float:
        origin = self.origin[key]
        problem = Problem(origin, f"{origin}={show(self.params[key])} {message}")
        if problem not in self.problems:
            self.problems.append(problem)
        return 1.5  # a placeholder that keeps the neuron constructible; the problems win

    def surrogate(self, spec, vocab: str) -> Surrogate | None:
        if spec is None:
            return {"snntorch": Surrogate("atan", 2.0), "spikingjelly": Surrogate("sigmoid", 4.0)}.get(vocab)
        name = spec if isinstance(spec, str) else spec["name"]
        where = "surrogate_function" if isinstance(spec, str) else "surrogate_function/name"
        canonical = _SURROGATES.get(name.lower().replace("_", ""))
        if canonical is None:
            self.problems.append(Problem(where, f"unknown surrogate function {show(name)}"
                                                f"{did_you_mean(name, _SURROGATE_NAMES)}"))
            return None
        alpha = spec.get("alpha") if isinstance(spec, dict) else None
        if alpha is None:
            alpha = _ALPHAS.get(canonical, 25.0 if vocab == "snntorch" else 4.0)
        try:
            return Surrogate(canonical, f32(float(alpha)))
        except OverflowError:
            self.problems.append(Problem("surrogate_function/alpha",
                                         f"alpha={show(alpha)} is outside the float32 range"))
            return None


def _snntorch(p: _Build, kind: str, dt: float, surrogate) -> Neuron:
    mechanism = p["reset_mechanism"]
    leak = dict(leak="beta", decay=p.f32("beta")) if kind == "lif" else dict(leak="none")
    return Neuron(kind=kind, **leak, v_threshold=p.above("threshold"), reset=mechanism,
                  reset_by=p.f32("threshold"),
                  reset_delay=p["reset_delay"] if mechanism == "subtract" else False,
                  v_init=0.0, v_reset=0.0, surrogate=surrogate)


def _spikingjelly(p: _Build, kind: str, dt: float, surrogate) -> Neuron:
    v_threshold = p.f32("v_threshold")
    if p["v_reset"] is None:
        reset = dict(reset="subtract", reset_by=v_threshold, reset_delay=False, v_init=0.0)
        rest = 0.0
    else:
        rest = p.f32("v_reset")
        reset = dict(reset="zero", v_reset=rest, v_init=rest)
    if kind == "if":
        return Neuron(kind="if", leak="none", v_threshold=v_threshold, **reset, surrogate=surrogate)
    return Neuron(kind="lif", leak="tau_input" if p["decay_input"] else "tau", tau=p.f32("tau"),
                  v_rest=rest, v_threshold=v_threshold, **reset, surrogate=surrogate)


def _bindsnet(p: _Build, kind: str, dt: float, surrogate) -> Neuron:
    common = dict(v_threshold=p.f32("thresh"), reset="zero", v_reset=p.f32("reset"),
                  refractory=p.steps("refrac", dt), surrogate=surrogate)
    if kind == "if":
        return Neuron(kind="if", leak="none", v_init=common["v_reset"], **common)
    rest = p.f32("rest")
    return Neuron(kind="lif", leak="tc", tc_decay=p.f32("tc_decay"), v_rest=rest, v_init=rest, **common)
