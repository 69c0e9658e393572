"""The frontend: spec file -> verified IR graph, or one CompileError listing every problem.

    read (bytes) -> decode (UTF-8, optional BOM) -> parse (compiler.frontend.jsonsource)
    -> schema (compiler.frontend.validate) -> model attributes, warnings
    -> layers, names, neurons, connections (compiler.frontend.topology) -> ir.verify

No user input produces a traceback: unreadable files, bad encodings, syntax,
schema and semantic errors all become diagnostics with a position where there
is one. Each stage reports all of its problems; a stage runs only when the
previous one found none (a spec that is not JSON has no layers to check).
"""

from __future__ import annotations

import codecs
import hashlib
import os
from dataclasses import dataclass

from ir import Graph, Loc, ModelAttrs, verify
from ir.graph import NUMERICS
from ir.floats import f32

from ..diagnostics import CompileError, Diagnostic, did_you_mean, layer_pointers, merge_repeats, show
from .jsonsource import JsonSyntaxError, SourceMap, SourceText, parse, pointer_join
from .topology import build_graph
from .validate import validate
from .vocabulary import SIMULATORS, normalize_simulator, written_words

MAX_SPEC_BYTES = 16 * 1024 * 1024
KNOWN_DEVICES = ("high_performance_gpu", "edge_ai_processor", "cpu", "embedded")
F32_TINY = 2.0**-126  # the smallest normal float32


@dataclass
class FrontendResult:
    """The verified graph, the frontend's warnings, the parsed spec, and its text for diagnostics."""

    graph: Graph
    warnings: list[Diagnostic]
    spec: dict
    source: SourceText

    def locate(self, pointer: str) -> tuple[int, int]:
        """(line, col) of the value at `pointer` (or its nearest ancestor); (0, 0) if unknown."""
        return self.source.map.value(pointer)

    def diagnostic(self, where: str | Loc, message: str, severity: str = "error") -> Diagnostic:
        """A diagnostic about the spec text at a JSON pointer or an op's `ir.Loc`."""
        loc = where if isinstance(where, Loc) else Loc(pointer=where)
        return _at(self.source, loc, message, severity)


def load_spec(path: str | os.PathLike, *, target: str | None = None, numerics: str | None = None) -> FrontendResult:
    """Compile the spec file at `path`; `target` (a registered target, any case) overrides its target_simulator,
    `numerics` ("exact" or "batched") its numerics."""
    filename = os.fspath(path)
    raw = _read(filename)
    return _load(_decode(raw, filename), filename, raw, target, numerics)


def load_text(text: str, filename: str, *, target: str | None = None, numerics: str | None = None) -> FrontendResult:
    """Like `load_spec` for a spec already in memory; `filename` names it in messages and spec_file."""
    raw = text.encode("utf-8", "surrogatepass")
    if len(raw) > MAX_SPEC_BYTES:
        raise CompileError([_too_large(filename)])
    return _load(text.removeprefix("\ufeff"), filename, raw, target, numerics)


def _load(text: str, filename: str, raw: bytes, target: str | None, numerics: str | None = None) -> FrontendResult:
    from ir import targets

    if target is not None and target.lower() not in targets.names():
        raise ValueError(f"unknown target {target!r}; expected one of {', '.join(targets.names())}")
    if numerics not in (None, *NUMERICS):
        raise ValueError(f"unknown numerics {numerics!r}; expected one of {', '.join(NUMERICS)}")
    try:
        spec, source_map = parse(text)
    except JsonSyntaxError as err:
        raise CompileError([SourceText(filename, text, SourceMap()).at(err.line, err.col, err.message)])
    source = SourceText(filename, text, source_map)
    errors = validate(spec, source)
    if errors:
        raise CompileError(errors)
    dt_problem = _dt_problem(spec.get("dt", 1.0))
    if dt_problem:
        raise CompileError([source.diagnostic("/dt", dt_problem)])
    attrs = _attrs(spec, filename, raw, target)
    if numerics is not None:
        attrs = attrs.replace(numerics=numerics)
    graph = verify(build_graph(spec, attrs, source), "frontend")
    warnings = merge_repeats(_warnings(spec, source) + _graph_warnings(graph, source) + _late_bias(graph, spec, source),
                             layer_pointers(graph))
    return FrontendResult(graph, warnings, spec, source)


def _attrs(spec: dict, filename: str, raw: bytes, target: str | None) -> ModelAttrs:
    simulator = normalize_simulator(spec["target_simulator"])
    hardware = spec.get("hardware_constraints", {})
    scale = hardware.get("timestep_scale")
    return ModelAttrs(
        model_name=spec["model_name"],
        source_simulator=simulator,
        target=target.lower() if target else simulator,
        time_steps=spec["time_steps"],
        dt=f32(float(spec.get("dt", 1.0))),
        power_mode=spec.get("power_mode", "normal"),
        device_type=hardware.get("device_type"),
        timestep_scale=None if scale is None else float(scale),
        backend=spec.get("backend"),
        step_mode=spec.get("step_mode"),
        numerics=spec.get("numerics", "exact"),
        spec_hash=hashlib.sha256(raw).hexdigest(),
        spec_file=os.path.basename(filename),
    )


def _dt_problem(dt) -> str | None:
    """Why `dt` cannot run, or None. BindsNET keeps dt as a float32 tensor (for decays and
    refractory counting) and runs int(time / dt) steps, so dt must be a normal float32."""
    try:
        value = f32(float(dt))
    except OverflowError:
        return f"dt={show(dt)} is outside the float32 range: time_steps * dt cannot be simulated"
    if value < F32_TINY:
        return (f"dt={show(dt)} is below the smallest normal float32 ({F32_TINY!r}): BindsNET's "
                "float32 decays and refractory counts cannot use it")
    return None


def _warnings(spec: dict, source: SourceText) -> list[Diagnostic]:
    out = []
    hardware = spec.get("hardware_constraints", {})
    device = hardware.get("device_type")
    hint = did_you_mean(device, KNOWN_DEVICES) if device not in (None, *KNOWN_DEVICES) else ""
    if hint:  # an open vocabulary: only a near miss of a known device is likely a mistake
        out.append(source.diagnostic(
            "/hardware_constraints/device_type",
            f"unknown device_type {show(device)}{hint} (kept as written: "
            "no device-specific optimisation applies to it)", "warning"))
    if "timestep_scale" in hardware and device != "edge_ai_processor":
        out.append(source.diagnostic(
            "/hardware_constraints/timestep_scale",
            "timestep_scale only applies when device_type is 'edge_ai_processor'", "warning"))
    backend, step_mode = spec.get("backend"), spec.get("step_mode")
    if backend is not None and backend.lower() != "torch":
        out.append(source.diagnostic("/backend", f"backend {show(backend)} is recorded but not used: every target "
                                                 "runs on torch (SpikingJelly 2.0.0 has no other backend)", "warning"))
    if step_mode is not None and step_mode.lower() not in ("multi_step", "m"):
        out.append(source.diagnostic("/step_mode", f"step_mode {show(step_mode)} is recorded but not used: snnc runs "
                                                   "each layer over all time steps at once where that is exact, and "
                                                   "step by step where feedback needs it (same spikes either way)",
                                     "warning"))
    simulator = normalize_simulator(spec["target_simulator"])
    key = "layers" if "layers" in spec else "layer"
    for index, layer in enumerate(spec.get(key, [])):
        words, own = written_words(layer, simulator)
        if words is not None and words != simulator and own:
            out.append(source.diagnostic(f"/{key}/{index}", (
                f"written in {SIMULATORS[words]}'s words ({', '.join(own)}), not {SIMULATORS[simulator]}'s (the "
                f"target_simulator): this layer computes {SIMULATORS[words]}'s {layer['type']} arithmetic"),
                "warning"))
    return out


def _graph_warnings(graph: Graph, source: SourceText) -> list[Diagnostic]:
    out = []
    last = graph.order()[-1]
    read = {operand.src for op in graph.ops() for operand in op.operands if operand.src != op.name}
    for op in graph.populations():  # an output nothing reads, before the spec's last layer: a lost connection?
        if op.name != last and op.name not in read:
            out.append(_at(source, op.loc, (
                f"population {op.name} feeds no other layer; its spikes are still returned by run(), but is a "
                "connection missing?"), "warning"))
    for op in graph.populations():
        s = op.neuron.surrogate
        if s is not None and s.name == "sigmoid" and s.flavor == "snntorch":
            where = dict(op.written).get("surrogate_function", op.loc)
            out.append(_at(source, where, (
                f"snnTorch's sigmoid surrogate computes exp(-slope*z) and gives NaN gradients wherever "
                f"v - threshold < {-88.7 / s.alpha:.3g} (slope {s.alpha!r}); trained with it, such neurons poison "
                "the weights: consider atan or fast_sigmoid"), "warning"))
    return out


def _late_bias(graph: Graph, spec: dict, source: SourceText) -> list[Diagnostic]:
    """A feedback connection from a layer with a bias into a population delays that layer's output, bias
    included: the population gets the bias one step late (none at the first step). snn.RLeaky, and a spec
    that lists the layer before the population (the feedback then carries the population's spikes), add it
    at every step; the spikes then differ from the first step on, so say which order the spec has."""
    out = []
    listed = {(c["source"], c["target"]): i for i, c in enumerate(spec.get("connections", ()))}
    for pop in graph.populations():
        for operand in pop.operands:
            src = graph.op(operand.src)
            if not operand.delay or src.stateful or src.kind == "input" or src.keeps_zero():
                continue
            where = listed.get((src.name, pop.name))
            loc = Loc(pointer_join("/connections", where)) if where is not None else src.loc
            out.append(_at(source, loc, (
                f"the feedback connection {src.name} -> {pop.name} carries {src.name}'s output one step late, bias "
                f"included: {pop.name} gets the bias one step late (none at the first step); list {src.name} before "
                f"{pop.name} and connect {pop.name} -> {src.name} to have it at every step, as snn.RLeaky computes"),
                "warning"))
    return out


def _at(source: SourceText, loc: Loc, message: str, severity: str) -> Diagnostic:
    if loc.line:
        return source.at(loc.line, loc.col, message, severity, loc.pointer)
    return source.diagnostic(loc.pointer, message, severity)


def _read(filename: str) -> bytes:
    try:
        with open(filename, "rb") as f:
            data = f.read(MAX_SPEC_BYTES + 1)
    except (OSError, ValueError) as err:  # ValueError: a NUL byte in the path
        reason = getattr(err, "strerror", None) or str(err) or err.__class__.__name__
        raise CompileError([Diagnostic("error", f"cannot read the spec: {reason}", filename)]) from None
    if len(data) > MAX_SPEC_BYTES:
        raise CompileError([_too_large(filename)])
    return data


def _too_large(filename: str) -> Diagnostic:
    return Diagnostic("error", f"the spec is larger than {MAX_SPEC_BYTES // 2**20} MiB", filename)


def _decode(raw: bytes, filename: str) -> str:
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise CompileError([Diagnostic("error", "the spec is UTF-16; save it as UTF-8", filename, 1, 1)])
    data = raw.removeprefix(codecs.BOM_UTF8)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        before = data[: err.start]
        line_start = before.rfind(b"\n") + 1
        line = before.count(b"\n") + 1
        col = len(before[line_start:].decode("utf-8", "replace")) + 1
        end = data.find(b"\n", err.start)
        text = data[line_start: None if end < 0 else end].decode("utf-8", "replace").rstrip("\r")
        message = f"the spec is not valid UTF-8 (byte 0x{data[err.start]:02x})"
        raise CompileError([Diagnostic("error", message, filename, line, col, None, text)]) from None
