"""Neuron parameters written in snnTorch, SpikingJelly or BindsNET words -> one canonical `ir.Neuron`.

Each simulator's words live in its home (`emitters.<simulator>.vocabulary`); this
module reads a layer with them. A neuron layer is *read in* one vocabulary: the
simulator whose own keys it uses. With none of them it is the spec's
target_simulator (the paper's minimality rule: unwritten parameters take that
simulator's defaults). With keys of several vocabularies, the target_simulator's
wins if present, else the first of snnTorch, SpikingJelly, BindsNET; the other
keys are restatements, and must say the same as the chosen reading:

* keys for one property (decay: beta/tau/tc_decay; threshold:
  threshold/v_threshold/thresh; reset: reset_mechanism/v_reset/reset) must
  agree with each other (decays within 1e-6 relative, the rest exactly; a
  disagreement is reported at the key outside the chosen vocabulary); one the
  chosen vocabulary does not write is translated into its key;
* a property the chosen vocabulary cannot write (rest, refrac, decay_input,
  reset_delay, detach_reset) must equal what that simulator implies (e.g. no
  refractory period in snnTorch).

The chosen vocabulary's simulator also fixes the arithmetic: the result is that
simulator's neuron family (`ir.neuron`), so a layer means exactly what its
simulator computes. Callers pass layers that already passed the JSON schema.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ir import Neuron, Surrogate, families
from ir.floats import f32

from ..diagnostics import did_you_mean, show

# Every vocabulary is a neuron family's (`ir.families`): its simulator's name and its home's words.
SIMULATORS = {family.name: family.label for family in families.every()}
HOMES = {family.name: family.vocabulary() for family in families.every()}
VOCABULARY_KEYS = {name: home.KEYS for name, home in HOMES.items()}
SHARED_KEYS = ("surrogate_function",)
NEURON_KEYS = tuple(k for keys in VOCABULARY_KEYS.values() for k in keys) + SHARED_KEYS + ("init_tau",)  # PLIF's
_PROPERTY = {key: prop for home in HOMES.values() for key, prop in home.PROPERTY.items()}
_HOME_OF_KEY = {key: name for name, home in HOMES.items() for key in home.KEYS}
_LIF_ONLY = ("decay", "rest", "input_scaling")
_SURROGATES = {"atan": "atan", "arctan": "atan", "sigmoid": "sigmoid", "fastsigmoid": "fast_sigmoid",
               "softsign": "softsign"}
_SURROGATE_NAMES = ("atan", "arctan", "sigmoid", "fast_sigmoid", "softsign")
# The surrogates each vocabulary has (its family's formulas, the flavor), with their default parameter.
_FLAVOR_ALPHAS = {name: home.SURROGATES for name, home in HOMES.items() if home.SURROGATES}
# Whose formula a surrogate follows when the layer's own simulator has none of that name: the first that has it.
_FALLBACK_FLAVOR = {surrogate: next(flavor for flavor, alphas in _FLAVOR_ALPHAS.items() if surrogate in alphas)
                    for surrogate in dict.fromkeys(_SURROGATES.values())}


@dataclass(frozen=True)
class Problem:
    """What is wrong, and where: a pointer relative to the layer ("" for the layer itself)."""

    where: str
    message: str


class NeuronSpecError(Exception):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(p.message for p in problems))


def normalize_simulator(name: str) -> str | None:
    """'SpikingJelly' -> 'spikingjelly'; None for an unknown simulator."""
    key = name.lower()
    return key if key in SIMULATORS else None


def vocabulary_of(layer: dict, source: str) -> str:
    """The vocabulary `layer` is read in, for a spec whose target_simulator is `source`."""
    present = [v for v, keys in VOCABULARY_KEYS.items() if any(k in layer for k in keys)]
    return source if not present or source in present else present[0]


NONSPIKING_TYPES = {"NonSpikingLIFNode": "li", "NonSpikingIFNode": "i"}
# The keys of a non-spiking leaky integrator, by vocabulary: snn.Leaky's beta, NonSpikingLIFNode's tau.
NONSPIKING_KEYS = {name: home.NONSPIKING_KEY for name, home in HOMES.items() if home.NONSPIKING_KEY}
LEARN_KEYS = {key: learned for home in HOMES.values() for key, learned in home.LEARN_KEYS.items()}
# The home whose words ParametricLIFNode is written in, whatever the target_simulator (SpikingJelly's).
_PLIF_HOME = next(name for name, home in HOMES.items() if hasattr(home, "PLIF_KEYS"))


def neuron_from_layer(layer: dict, source: str, dt: float = 1.0) -> Neuron:
    """The canonical neuron of a schema-valid neuron layer; raises NeuronSpecError."""
    if layer["type"] in NONSPIKING_TYPES:
        return _nonspiking(layer, source)
    if layer["type"] == "CUBALIFNode":
        return _cuba(layer, source, dt)
    if layer["type"] == "ParametricLIFNode":
        return _parametric(layer)
    learn = [key for key in LEARN_KEYS if key in layer]
    if learn:
        neuron = neuron_from_layer({k: v for k, v in layer.items() if k not in LEARN_KEYS}, source, dt)
        return _learning(neuron, layer, learn)
    kind = "lif" if layer["type"] == "LIFNode" else "if"
    vocab = vocabulary_of(layer, source)
    home = HOMES[vocab]
    facts = _facts(layer, vocab, dt)
    problems = _disagreements(facts, dt)
    params, origin = _reading(layer, kind, vocab, facts, dt, problems)
    if not problems:
        problems = _unexpressible(vocab, facts, params)
    if kind == "lif" and home.MISSING_LIF_KEY and home.MISSING_LIF_KEY[0] not in params:
        problems.append(Problem("", home.MISSING_LIF_KEY[1]))
    if problems:
        raise NeuronSpecError(problems)
    reader = Reader(params, origin)
    surrogate = reader.surrogate(layer.get("surrogate_function"), vocab)
    neuron = home.build(reader, kind, dt, surrogate)
    problems = reader.problems or [Problem("", msg) for msg in neuron.problems()]
    if problems:
        raise NeuronSpecError(problems)
    return neuron


def nonspiking_vocabulary(layer: dict, source: str) -> str:
    """The vocabulary of a NonSpikingLIFNode/NonSpikingIFNode layer: the one whose key it writes
    (beta: snnTorch, tau: SpikingJelly), else the target_simulator's; a NonSpikingIFNode written in
    BindsNET's (which has no non-spiking node) is SpikingJelly's NonSpikingIFNode (v + x from 0,
    the same floats in every family)."""
    written = [v for v, key in NONSPIKING_KEYS.items() if key in layer]
    if written:
        return written[0]
    if layer["type"] == "NonSpikingIFNode" and source not in NONSPIKING_KEYS:
        return next(name for name, home in HOMES.items() if home.NONSPIKING_IF)
    return source


def _nonspiking(layer: dict, source: str) -> Neuron:
    kind = NONSPIKING_TYPES[layer["type"]]
    written = [key for key in NONSPIKING_KEYS.values() if key in layer]
    if len(written) > 1:
        raise NeuronSpecError([Problem("tau", "beta and tau are not restatements of each other here: snn.Leaky's "
                                              "mem = beta*mem + input does not divide the input by tau, SpikingJelly's "
                                              "NonSpikingLIFNode does; write one of them")])
    vocab = nonspiking_vocabulary(layer, source)
    home = HOMES[vocab]
    if home.NONSPIKING_KEY is None:
        raise NeuronSpecError([Problem("", home.NO_NONSPIKING)])
    key = home.NONSPIKING_KEY
    params = {}
    if kind == "li":
        if key not in layer:
            if key not in home.NONSPIKING_DEFAULTS:
                raise NeuronSpecError([Problem("", home.MISSING_LIF_KEY[1])])
            params[key] = home.NONSPIKING_DEFAULTS[key]
        else:
            params[key] = layer[key]
    reader = Reader(params, {k: k for k in params})
    value = {k: reader.f32(k) for k in params}
    if reader.problems:
        raise NeuronSpecError(reader.problems)
    neuron = home.build_nonspiking(kind, value.get(key))
    problems = [Problem("", msg) for msg in neuron.problems()]
    if problems:
        raise NeuronSpecError(problems)
    return neuron


def _learning(neuron: Neuron, layer: dict, keys: list[str]) -> Neuron:
    """`neuron` with the parameters its layer's learn_beta / learn_threshold (snnTorch's words) ask for."""
    if keys[0] not in HOMES[neuron.family].LEARN_KEYS:
        raise NeuronSpecError([Problem(keys[0], f"{keys[0]} is snnTorch's word (snn.Leaky's), but this layer is read "
                                                f"in {SIMULATORS[neuron.family]}'s vocabulary: write its parameters in "
                                                "snnTorch's words (beta, threshold) to learn them")])
    learn = tuple(LEARN_KEYS[key] for key in keys if layer[key])
    if "beta" in learn and neuron.kind != "lif":
        raise NeuronSpecError([Problem("learn_beta", "an IFNode has no beta to learn: use a LIFNode")])
    return neuron.replace(learn=learn)


def _parametric(layer: dict) -> Neuron:
    """SpikingJelly's ParametricLIFNode (its words, whatever the target_simulator): a LIF neuron of
    the spikingjelly family whose 1/tau is sigmoid(w), w learned from -log(init_tau - 1)."""
    home = HOMES[_PLIF_HOME]
    params = {**home.PLIF_DEFAULTS, **{k: layer[k] for k in home.PLIF_KEYS if k in layer}}
    reader = Reader(params, {k: k for k in params})
    surrogate = reader.surrogate(layer.get("surrogate_function"), _PLIF_HOME)
    neuron = home.build_parametric(reader, surrogate)
    problems = reader.problems or [Problem("", msg) for msg in neuron.problems()]
    if problems:
        raise NeuronSpecError(problems)
    return neuron


def written_words(layer: dict, source: str) -> tuple[str | None, list[str]]:
    """The vocabulary a neuron layer is read in, and the keys of that vocabulary it writes
    ((None, []) for a layer that is not a neuron layer)."""
    kind = layer.get("type")
    if kind in ("LIFNode", "IFNode"):
        words = vocabulary_of(layer, source)
        return words, [k for k in layer if k in VOCABULARY_KEYS[words]]
    if kind == "CUBALIFNode":
        words = cuba_vocabulary(layer, source)
        return words, [k for k in layer if k in HOMES[words].CUBA_KEYS]
    if kind == "ParametricLIFNode":
        return _PLIF_HOME, [k for k in layer if k in HOMES[_PLIF_HOME].PLIF_KEYS]
    if kind in NONSPIKING_TYPES:
        words = nonspiking_vocabulary(layer, source)
        return words, [k for k in layer if k == NONSPIKING_KEYS.get(words)]
    return None, []


def cuba_vocabulary(layer: dict, source: str) -> str:
    """The vocabulary of a CUBALIFNode layer: the one whose keys it writes, else the target_simulator's."""
    present = [v for v, home in HOMES.items() if any(k in layer for k in home.CUBA_KEYS)]
    return source if not present or source in present else present[0]


def _cuba(layer: dict, source: str, dt: float) -> Neuron:
    vocab = cuba_vocabulary(layer, source)
    home = HOMES[vocab]
    others = [(k, v) for v, h in HOMES.items() if v != vocab for k in h.CUBA_KEYS if k in layer]
    if others:
        key, other = others[0]
        raise NeuronSpecError([Problem(key, f"{key} is {SIMULATORS[other]}'s word, but this CUBALIFNode is written "
                                            f"in {SIMULATORS[vocab]}'s ({', '.join(k for k in home.CUBA_KEYS if k in layer)}):"
                                            " a CUBALIFNode takes one simulator's words (their current-based neurons "
                                            "compute different things)")])
    params = {**home.CUBA_DEFAULTS, **{k: layer[k] for k in home.CUBA_KEYS if k in layer}}
    missing = [k for k in home.CUBA_REQUIRED if k not in params]
    if missing:
        raise NeuronSpecError([Problem("", f"{home.CUBA_CLASS} needs {' and '.join(missing)}: add "
                                           + ", ".join(f'"{k}"' for k in missing))])
    reader = Reader(params, {k: k for k in params})
    surrogate = reader.surrogate(layer.get("surrogate_function"), vocab)
    if surrogate is not None and surrogate.flavor == "spikingjelly":  # CUBALIFNode calls its surrogate module
        surrogate = Surrogate(surrogate.name, surrogate.alpha, "spikingjelly_module")
    neuron = home.build_cuba(reader, dt, surrogate)
    problems = reader.problems or [Problem("", msg) for msg in neuron.problems()]
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


def _fact(key: str, value, dt: float):
    return HOMES[_HOME_OF_KEY[key]].fact(key, value, dt)


def _value_for(key: str, said, dt: float):
    home = HOMES[_HOME_OF_KEY[key]]
    try:
        return home.value_for(key, said, dt)
    except home.NoEquivalent:
        raise _NoEquivalent from None


class _NoEquivalent(Exception):
    pass


def _reading(layer: dict, kind: str, vocab: str, facts: dict, dt: float,
             problems: list[Problem]) -> tuple[dict, dict]:
    """The chosen vocabulary's parameters: as written, restated in another vocabulary, or defaults.

    Returns the parameters and, for each, the spec key that supplied it (for error messages).
    """
    params, origin = {}, {}
    home = HOMES[vocab]
    for key, prop in home.PROPERTY.items():
        if kind == "if" and prop in _LIF_ONLY:
            continue
        if key in layer:
            params[key], origin[key] = layer[key], key
        elif prop in facts:
            other, value, said = facts[prop][0]
            try:
                params[key], origin[key] = _value_for(key, said, dt), other
            except _NoEquivalent:
                problems.append(Problem(other, f"{other}={show(value)} has no equivalent {key} in "
                                               f"{SIMULATORS[vocab]} vocabulary, which this layer uses"))
        elif key in home.DEFAULTS:
            params[key], origin[key] = home.DEFAULTS[key], key
    return params, origin


def _unexpressible(vocab: str, facts: dict, params: dict) -> list[Problem]:
    """Written properties the chosen vocabulary has no key for, unless they say what it implies."""
    problems = []
    home = HOMES[vocab]
    for prop, items in facts.items():
        if prop in home.PROPERTY.values():
            continue
        key, value, said = items[0]
        implied = home.implied(prop, params)
        if implied is not None and said != implied[0]:
            problems.append(Problem(key, f"{key}={show(value)} cannot be expressed in "
                                         f"{SIMULATORS[vocab]} vocabulary: {implied[1]}"))
    return problems


def _agree(prop: str, a, b) -> bool:
    if prop == "decay":
        return math.isclose(a, b, rel_tol=1e-6, abs_tol=0.0)
    return a == b


def _disagreements(facts: dict, dt: float) -> list[Problem]:
    problems = []
    for prop, items in facts.items():
        first_key, first_value, first_fact = items[0]
        for key, value, said in items[1:]:
            if _agree(prop, first_fact, said):
                continue
            try:
                means = f"{key}={show(value)} means {first_key}={_brief(_value_for(first_key, said, dt))}"
            except _NoEquivalent:
                means = f"{key}={show(value)} has no {first_key} equivalent"
            problems.append(Problem(key, f"{first_key}={show(first_value)} and {key}={show(value)} "
                                         f"disagree ({means})"))
    return problems


def _brief(value) -> str:
    """A converted value, to 6 significant digits: tau=10.000000000000002 reads 10.0."""
    return repr(float(f"{value:.6g}")) if isinstance(value, float) else show(value)


class Reader:
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
        if out == 0.0 and value != 0 and key in ("tau", "tc_decay", "tc_i_decay"):
            return self.fail(key, "rounds to 0.0 in float32")
        if key in ("tau", "init_tau") and not out > 1.0:
            return self.fail(key, f"rounds to 1.0 in float32; SpikingJelly needs {key} > 1")
        return out

    def f32_dt(self, dt: float) -> float:
        return f32(dt)  # the frontend has checked dt

    def fail(self, key: str, message: str) -> float:
        origin = self.origin[key]
        problem = Problem(origin, f"{origin}={show(self.params[key])} {message}")
        if problem not in self.problems:
            self.problems.append(problem)
        return 1.5  # a placeholder that keeps the neuron constructible; the problems win

    def surrogate(self, spec, vocab: str) -> Surrogate | None:
        home = HOMES[vocab]
        if spec is None:
            return home.DEFAULT_SURROGATE
        name = spec if isinstance(spec, str) else spec["name"]
        where = "surrogate_function" if isinstance(spec, str) else "surrogate_function/name"
        canonical = _SURROGATES.get(name.lower().replace("_", ""))
        if canonical is None:
            self.problems.append(Problem(where, f"unknown surrogate function {show(name)}"
                                                f"{did_you_mean(name, _SURROGATE_NAMES)}"))
            return None
        flavor = vocab if canonical in home.SURROGATES else _FALLBACK_FLAVOR[canonical]
        alpha = spec.get("alpha") if isinstance(spec, dict) else None
        if alpha is None:
            alpha = _FLAVOR_ALPHAS[flavor][canonical]
        try:
            return Surrogate(canonical, f32(float(alpha)), flavor)
        except OverflowError:
            self.problems.append(Problem("surrogate_function/alpha",
                                         f"alpha={show(alpha)} is outside the float32 range"))
            return None
