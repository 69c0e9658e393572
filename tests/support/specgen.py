"""Hypothesis strategies for snnc specs: valid ones across the whole spec language, and mutations.

`specs()` draws a spec (a dict) that the frontend must accept: all three neuron
vocabularies with any subset of their parameters, LIF and IF, both power modes,
every known device type (and free-form ones), edge_ai_processor with and without
timestep_scale, bias on/off, optional names (including names that collide with
what the emitters use: torch, run, self, ...), notes and descriptions with any
Unicode (newlines, quotes, U+2028, NUL, bidi overrides), any printable model
name, `layers` or `layer`, and three shapes of network: linear/neuron blocks
chained or wired by the paper's connections (fan-out, skips, a feedback edge,
listed in any order), general graphs (skip sums, recurrent layers fed back), and
small convolutional nets (conv, max/avg pooling of currents or spikes, flatten).

`mutated_texts()` draws spec texts (bytes) that started valid and were then
broken: keys deleted, inserted or replaced, values of the wrong type, bytes
edited, the text truncated.
"""

from __future__ import annotations

import builtins
import json
import keyword

from hypothesis import strategies as st

SIMULATOR_SPELLINGS = {
    "snntorch": ("snnTorch", "snntorch", "SNNTORCH", "SnnTorch"),
    "spikingjelly": ("SpikingJelly", "spikingjelly", "SPIKINGJELLY", "spikingJelly"),
    "bindsnet": ("BindsNET", "bindsnet", "BINDSNET", "BindsNet"),
}
KNOWN_DEVICES = ("high_performance_gpu", "edge_ai_processor", "cpu", "embedded")
SURROGATE_SPELLINGS = ("atan", "ATan", "arctan", "ArcTan", "sigmoid", "Sigmoid", "fast_sigmoid",
                       "FastSigmoid", "fastsigmoid", "softsign", "SoftSign", "soft_sign")

# Text the property tests like to see in notes and free-form strings.
HOSTILE_TEXT = (
    '"""); import os; os.system("x")#',
    "'''\\\"\\'\\\\",
    "line one\nline two\r\nline three\rfour",
    "\u2028\u2029\u0085\x0b\x0c\x1c\x1d\x1e",
    "# fmt: off\n# fmt: skip\n# fmt: on",
    "# -*- coding: latin-1 -*-",
    "__import__('os').system('x')",
    "\x00\x01\x07\x1b[31mred\x1b[0m\x7f",
    "\u202eevil\u202c \u200b\ufeff",
    "{placeholder} {0} %s %(x)s",
    "\\N{BULLET} \\x41 \\u0041",
    "\U0001f9e0 \u4e2d\u6587 \u0627\u0644\u0639\u0631\u0628\u064a\u0629",
)

# Population names that are valid identifiers but collide with what the emitters write.
TRICKY_NAMES = (
    "torch", "nn", "snn", "np", "surrogate", "functional", "neuron", "layer", "self", "x", "out",
    "run", "build_model", "load_weights", "export_weights", "MODEL_NAME", "TARGET", "TIME_STEPS",
    "INPUT_SIZE", "PRECISION", "POPULATIONS", "Network", "Connection", "Monitor", "Input",
    "LIFNodes", "IFNodes", "Nodes", "forward", "projections", "init_state", "fc", "net", "network",
    "model", "match", "case", "_", "layer_1_step", "Neuron_layer_1", "fc_layer_1", "lif_layer_1",
    "CanonicalNode", "CanonicalNodes", "AffineConnection", "DECAY_layer_1", "spk", "mem", "cur", "t",
    "v", "s", "r", "h", "weights", "inputs", "param", "result", "pop", "key", "value", "spikes",
)

_RESERVED = frozenset(dir(builtins)) | {"input"}


def _valid_name(name: str) -> bool:
    return not keyword.iskeyword(name) and name not in _RESERVED and not name.startswith("__")


identifiers = st.one_of(
    st.sampled_from(TRICKY_NAMES),
    st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,12}", fullmatch=True),
).filter(_valid_name)

# Any text the JSON file can hold (no lone surrogates: the file is UTF-8).
any_text = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=40),
    st.sampled_from(HOSTILE_TEXT),
)
# The schema's "label" and model_name: no control characters, no line/paragraph separators.
_label_chars = st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\u2028\u2029")
labels = st.text(_label_chars, min_size=1, max_size=30)
model_names = st.one_of(
    st.text(_label_chars, min_size=1, max_size=100),
    st.sampled_from(['x"; import os #{}\\', '"""', "'''", "class", "None", "1abc", "torch", "Network",
                     "__import__('os')", "# -*- coding: latin-1 -*-", "\u202eevil", "\U0001f9e0"]),
)


def numbers(lo: float, hi: float, *, ints: bool = True) -> st.SearchStrategy:
    floats = st.floats(lo, hi, allow_nan=False, allow_infinity=False)
    if not ints:
        return floats
    return st.one_of(floats, st.integers(int(lo) if lo == int(lo) else int(lo) + 1, int(hi)))


sizes = st.one_of(st.integers(1, 8), st.integers(1, 10_000_000))
small_sizes = st.integers(1, 8)
surrogates = st.one_of(
    st.sampled_from(SURROGATE_SPELLINGS),
    st.fixed_dictionaries({"name": st.sampled_from(SURROGATE_SPELLINGS)},
                          optional={"alpha": numbers(0.01, 100.0)}),
)


def _subset(draw, options: dict) -> dict:
    """Any subset of the given {key: strategy}, drawn."""
    return {key: draw(strategy) for key, strategy in options.items() if draw(st.booleans())}


@st.composite
def neuron_layer(draw, source: str) -> dict:
    """A LIFNode or IFNode in one vocabulary (or none: the spec's target_simulator's defaults)."""
    kind = draw(st.sampled_from(("LIFNode", "IFNode")))
    lif = kind == "LIFNode"
    vocab = draw(st.sampled_from(("snntorch", "spikingjelly", "bindsnet", None)))
    layer: dict = {"type": kind}
    if vocab == "snntorch":
        layer |= _subset(draw, {"threshold": numbers(-100.0, 100.0),
                                "reset_mechanism": st.sampled_from(("subtract", "zero", "none")),
                                "reset_delay": st.booleans()})
        if lif:
            layer["beta"] = draw(numbers(0.0, 1.0))
    elif vocab == "spikingjelly":
        options = {"v_threshold": numbers(-100.0, 100.0),
                   "v_reset": st.one_of(st.none(), numbers(-100.0, 100.0)), "detach_reset": st.booleans()}
        if lif:
            options |= {"tau": numbers(1.001, 10_000.0), "decay_input": st.booleans()}
        layer |= _subset(draw, options)
    elif vocab == "bindsnet":
        options = {"thresh": numbers(-100.0, 100.0), "reset": numbers(-100.0, 100.0),
                   "refrac": numbers(0.0, 20.0)}
        if lif:
            options |= {"tc_decay": numbers(0.01, 10_000.0), "rest": numbers(-100.0, 100.0)}
        layer |= _subset(draw, options)
    if not any(k in layer for k in ("beta", "threshold", "reset_mechanism", "reset_delay", "tau",
                                    "decay_input", "v_threshold", "v_reset", "detach_reset", "tc_decay",
                                    "thresh", "rest", "reset", "refrac")):
        vocab = source  # no key written: read in the target_simulator's vocabulary
    if vocab == "snntorch" and lif and "beta" not in layer:
        layer["beta"] = draw(numbers(0.0, 1.0))  # snnTorch's Leaky has no default beta
    layer |= _subset(draw, {"surrogate_function": surrogates, "note": any_text})
    return layer


def _unique(draw, wanted: int, taken: set[str]) -> list[str | None]:
    """`wanted` names, each None (unnamed) or an identifier unique among all layers and `taken`."""
    out = []
    for _ in range(wanted):
        if not draw(st.booleans()):
            out.append(None)
            continue
        name, base, count = draw(identifiers), None, 1
        base = name
        while name in taken:  # a digit suffix: "_" + "_" would be the reserved "__", "ma" + "x" a builtin
            count += 1
            name = f"{base}{count}"
        taken.add(name)
        out.append(name)
    return out


@st.composite
def block_layers(draw, source: str, max_populations: int):
    """v1's language: linear -> neuron blocks, chained or wired by connections between neuron
    layers (the paper's form), in any order; one connection may be feedback."""
    n = draw(st.integers(1, max_populations))
    with_connections = draw(st.booleans())
    if with_connections:
        sources = [None] + [draw(st.one_of(st.none(), st.integers(0, k - 1))) for k in range(1, n)]
        order = draw(st.permutations(range(n)))  # where each population sits in the layer list
    else:
        sources = [None] + list(range(n - 1))
        order = list(range(n))
    input_size = draw(sizes)
    out_sizes = [draw(sizes) for _ in range(n)]
    feedback = None
    if with_connections and draw(st.booleans()):  # j feeds k again, one step late: same size as k's source
        k = draw(st.integers(0, n - 1))
        j = draw(st.integers(0, n - 1))
        if j != sources[k] and (order.index(j) >= order.index(k)):
            wanted = input_size if sources[k] is None else out_sizes[sources[k]]
            if sources[j] is None or (j != k and out_sizes[sources[j]] != 0):
                out_sizes[j] = wanted
                feedback = (j, k)
    neurons = [draw(neuron_layer(source)) for _ in range(n)]
    position = {k: i for i, k in enumerate(order)}
    taken = {f"layer_{i + 1}" for i in range(n)}
    names_given = _unique(draw, n, taken)
    linear_names = _unique(draw, n, taken)
    names = {}
    for k in range(n):
        if names_given[k]:
            names[k] = neurons[k]["name"] = names_given[k]
        else:
            names[k] = f"layer_{position[k] + 1}"
    layers = []
    for k in sorted(range(n), key=position.__getitem__):
        in_features = input_size if sources[k] is None else out_sizes[sources[k]]
        linear = {"type": "linear", "in_features": in_features, "out_features": out_sizes[k]}
        linear |= _subset(draw, {"bias": st.booleans(), "note": any_text})
        if linear_names[k]:
            linear["name"] = linear_names[k]
        layers += [linear, neurons[k]]
    connections = None
    if with_connections:
        connections = [{"source": "input" if sources[k] is None else names[sources[k]], "target": names[k]}
                       for k in range(n)]
        if feedback:
            connections.append({"source": names[feedback[0]], "target": names[feedback[1]]})
        connections = draw(st.permutations(connections))
    return [input_size], layers, connections


@st.composite
def graph_layers(draw, source: str, max_populations: int):
    """v2's general form: populations with skip connections summed into them, and recurrent
    linear layers fed back into earlier populations (listed after them: one step late)."""
    n = draw(st.integers(1, max_populations))
    size = draw(st.integers(1, 6))  # one width everywhere keeps every sum well formed
    input_size = draw(st.integers(1, 6))
    taken = {f"layer_{i + 1}" for i in range(n)}
    pops = [f"p{k}" for k in range(n)]
    taken.update(pops)
    layers, connections = [], []
    for k in range(n):
        fc = f"fc{k}"
        layers.append({"type": "linear", "in_features": input_size if k == 0 else size, "out_features": size,
                       "name": fc, **_subset(draw, {"bias": st.booleans()})})
        neuron = draw(neuron_layer(source))
        neuron["name"] = pops[k]
        layers.append(neuron)
        terms = [fc]
        if k >= 2 and draw(st.booleans()):  # a skip from an earlier population, summed in
            skip = f"skip{k}"
            src = pops[draw(st.integers(0, k - 2))]
            layers.append({"type": "linear", "in_features": size, "out_features": size, "name": skip})
            connections.append({"source": src, "target": skip})
            terms.append(skip)
        if k >= 1:
            connections.append({"source": pops[k - 1], "target": fc})
        for term in draw(st.permutations(terms)):
            connections.append({"source": term, "target": pops[k]})
    for k in range(n):  # feedback: a recurrent layer listed after everything, into an earlier population
        if draw(st.booleans()):
            rec = f"rec{k}"
            src = pops[draw(st.integers(k, n - 1))]
            layers.append({"type": "linear", "in_features": size, "out_features": size, "name": rec,
                           **_subset(draw, {"bias": st.booleans()})})
            connections.append({"source": src, "target": rec})
            connections.append({"source": rec, "target": pops[k]})
    return [input_size], layers, connections


@st.composite
def conv_layers(draw, source: str, max_populations: int):
    """A small convolutional net: conv/pool stages (currents or spikes pooled), flatten, linear."""
    channels, height, width = draw(st.integers(1, 3)), draw(st.integers(4, 10)), draw(st.integers(4, 10))
    shape = (channels, height, width)
    layers = []
    for _ in range(draw(st.integers(1, 2))):
        out_channels = draw(st.integers(1, 4))
        kernel = (draw(st.integers(1, min(3, shape[1]))), draw(st.integers(1, min(3, shape[2]))))
        padding = (draw(st.integers(0, kernel[0] // 2)), draw(st.integers(0, kernel[1] // 2)))
        stride = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
        conv = {"type": "conv2d", "in_channels": shape[0], "out_channels": out_channels,
                "kernel_size": list(kernel) if draw(st.booleans()) else kernel[0],
                "stride": list(stride), "padding": list(padding), **_subset(draw, {"bias": st.booleans()})}
        if not isinstance(conv["kernel_size"], list):
            kernel = (kernel[0], kernel[0])
            if kernel[1] > shape[2] + 2 * padding[1]:
                conv["kernel_size"] = list(kernel := (kernel[0], 1))
        hw = [(n + 2 * p - k) // s + 1 for n, p, k, s in zip(shape[1:], padding, kernel, stride)]
        shape = (out_channels, *hw)
        layers.append(conv)
        pool_first = draw(st.booleans())
        pool = None
        if min(shape[1:]) >= 2 and draw(st.booleans()):
            kind = draw(st.sampled_from(("maxpool2d", "avgpool2d")))
            pool = {"type": kind, "kernel_size": 2}
        if pool and pool_first:
            layers.append(pool)
            shape = (shape[0], shape[1] // 2, shape[2] // 2)
        layers.append(draw(neuron_layer(source)))
        if pool and not pool_first:
            layers.append(pool)
            shape = (shape[0], shape[1] // 2, shape[2] // 2)
    features = shape[0] * shape[1] * shape[2]
    layers += [{"type": "flatten"}, {"type": "linear", "in_features": features, "out_features": draw(sizes.filter(
        lambda n: n <= 50))}, draw(neuron_layer(source))]
    return [channels, height, width], layers, None


@st.composite
def specs(draw, max_populations: int = 4) -> dict:
    source = draw(st.sampled_from(tuple(SIMULATOR_SPELLINGS)))
    kind = draw(st.sampled_from(("blocks", "graph", "conv")))
    strategy = {"blocks": block_layers, "graph": graph_layers, "conv": conv_layers}[kind]
    input_shape, layers, connections = draw(strategy(source, max_populations))
    spec: dict = {
        "model_name": draw(model_names),
        "target_simulator": draw(st.sampled_from(SIMULATOR_SPELLINGS[source])),
        "time_steps": draw(st.one_of(st.integers(1, 200), st.integers(1, 1_000_000))),
        draw(st.sampled_from(("layers", "layer"))): layers,
    }
    if kind == "conv" or draw(st.booleans()):  # optional where the first linear layer reading input says it
        spec["input_shape"] = input_shape
    if connections is not None:
        spec["connections"] = connections
    hardware = draw(st.one_of(
        st.none(),
        st.just({}),
        st.fixed_dictionaries({"device_type": st.sampled_from(KNOWN_DEVICES)}),
        st.fixed_dictionaries({"device_type": st.just("edge_ai_processor")},
                              optional={"timestep_scale": st.floats(0.0, 1.0, exclude_min=True)}),
        st.fixed_dictionaries({"device_type": labels},
                              optional={"timestep_scale": st.floats(0.0, 1.0, exclude_min=True)}),
    ))
    if hardware is not None:
        spec["hardware_constraints"] = hardware
    spec |= _subset(draw, {
        "power_mode": st.sampled_from(("normal", "low_energy")),
        "backend": st.one_of(st.sampled_from(("torch", "cupy")), labels),
        "step_mode": st.one_of(st.sampled_from(("multi_step", "single_step", "m", "s")), labels),
        "dt": numbers(0.05, 10.0),
        "description": any_text,
    })
    keys = draw(st.permutations(list(spec)))
    return {key: spec[key] for key in keys}


@st.composite
def spec_texts(draw, spec_strategy=None) -> str:
    """A spec serialized in one of several JSON styles."""
    spec = draw(spec_strategy or specs())
    return json.dumps(spec, ensure_ascii=draw(st.booleans()), indent=draw(st.sampled_from((None, 1, 2, "\t"))))


# -- mutations ---------------------------------------------------------------

SPEC_KEYS = (
    "model_name", "target_simulator", "time_steps", "power_mode", "hardware_constraints", "layers",
    "layer", "connections", "backend", "step_mode", "dt", "description", "device_type",
    "timestep_scale", "type", "in_features", "out_features", "bias", "name", "note",
    "surrogate_function", "alpha", "beta", "threshold", "reset_mechanism", "reset_delay", "tau",
    "decay_input", "v_threshold", "v_reset", "thresh", "rest", "reset", "refrac", "tc_decay",
    "source", "target", "LIFNode", "IFNode", "linear", "input", "layer_1", "input_shape", "conv2d",
    "maxpool2d", "avgpool2d", "flatten", "in_channels", "out_channels", "kernel_size", "stride", "padding",
    "detach_reset",
)

json_values = st.recursive(
    st.one_of(
        st.none(), st.booleans(),
        st.integers(), st.integers(-2**70, 2**70), st.sampled_from((0, -1, 2**31, 10**400)),
        st.floats(allow_nan=False, allow_infinity=False), st.sampled_from((0.0, -0.0, 1e308, 5e-324)),
        st.sampled_from(("", "input", "layer_1", "LIFNode", "IFNode", "linear", "snnTorch", "zero")),
        any_text,
    ),
    lambda children: st.one_of(st.lists(children, max_size=3),
                               st.dictionaries(st.one_of(st.sampled_from(SPEC_KEYS), any_text), children,
                                               max_size=3)),
    max_leaves=8,
)


def _containers(value, path=()):
    """Every (path, container) in a JSON value, the root first."""
    if isinstance(value, (dict, list)):
        yield path, value
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, child in items:
            yield from _containers(child, (*path, key))


@st.composite
def mutate_tree(draw, spec: dict) -> object:
    """One structural edit of a parsed spec: delete, insert or replace a key or element."""
    spec = json.loads(json.dumps(spec))  # a private deep copy
    spots = list(_containers(spec))
    _path, box = draw(st.sampled_from(spots))
    action = draw(st.sampled_from(("delete", "insert", "replace", "wrong-type", "root")))
    if action == "root":
        return draw(json_values)
    keys = list(box) if isinstance(box, dict) else list(range(len(box)))
    if action == "insert" or not keys:
        if isinstance(box, dict):
            box[draw(st.one_of(st.sampled_from(SPEC_KEYS), any_text))] = draw(json_values)
        else:
            box.insert(draw(st.integers(0, len(box))), draw(json_values))
        return spec
    key = draw(st.sampled_from(keys))
    if action == "delete":
        del box[key]
    elif action == "replace":
        box[key] = draw(json_values)
    else:  # the same key, a value of another JSON type
        old = box[key]
        wrong = {bool: "true", int: "1", float: 1, str: 1, list: {}, dict: [], type(None): 0}
        box[key] = wrong.get(type(old), None) if draw(st.booleans()) else str(old)
    return spec


@st.composite
def mutate_bytes(draw, data: bytes) -> bytes:
    """One byte-level edit of a spec text."""
    action = draw(st.sampled_from(("truncate", "delete", "insert", "replace", "duplicate", "swap")))
    i = draw(st.integers(0, len(data)))
    if action == "truncate":
        return data[:i]
    j = draw(st.integers(i, min(len(data), i + 8)))
    piece = draw(st.one_of(
        st.binary(min_size=1, max_size=4),
        st.sampled_from((b'"', b"\\", b"{", b"}", b"[", b"]", b",", b":", b"\x00", b"\xff", b"\xc3",
                         b"\xef\xbb\xbf", b"NaN", b"Infinity", b"-", b"1e999", b"\n", b"\\u0000",
                         b"\\ud800", b'"model_name": 1,', b"true", b"null")),
    ))
    if action == "delete":
        return data[:i] + data[j:]
    if action == "insert":
        return data[:i] + piece + data[i:]
    if action == "replace":
        return data[:i] + piece + data[j:]
    if action == "duplicate":
        return data[:j] + data[i:j] + data[j:]
    return data[:i] + data[j:] + data[i:j]  # swap: move a slice to the end


@st.composite
def mutated_texts(draw) -> bytes:
    """A valid spec with 1-3 mutations applied (structural first, then byte-level)."""
    spec = draw(specs(max_populations=3))
    value: object = spec
    for _ in range(draw(st.integers(0, 2))):
        value = draw(mutate_tree(value)) if isinstance(value, dict) else value
    data = json.dumps(value, ensure_ascii=draw(st.booleans()), indent=draw(st.sampled_from((None, 2)))).encode()
    for _ in range(draw(st.integers(0 if value is not spec else 1, 2))):
        data = draw(mutate_bytes(data))
    return data
