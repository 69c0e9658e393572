"""The textual IR: a deterministic, readable dump that `ir.parser` reads back.

Format (one graph)::

    // model: "Mlp"                      header: one `// key: value` per model attribute
    // target: "snntorch"                (model, target, source, time_steps, dt, precision,
    // ...                                power_mode, device_type always; the others when
    // pipeline: neuron-substitution      not at their default), the passes run so far,
    // schedule: [["layer", "fc1"], ...]  the schedule and changed-by once set
    // link "c1" {target="h", ...}       the target's plan, once lowered (BindsNET: connections)

    %input = input : [784]  // #/input_shape
    %fc1 = linear(%input) : [256] {in_features=784, out_features=256, bias=true, ...}  // 8:5 #/layers/0
    %h = population(%fc1, %rec[t-1]) : [256] {family="snntorch", kind="lif", beta=0.95, ...}  // 9:5 #/layers/1  changed-by: select

    // decision neuron-substitution %h: LIF -> IF: ...

Ops come one per line in graph order; an operand read one step late (a feedback
edge) is written `%name[t-1]`. Values: strings in JSON quotes, floats as `repr`
(exact round trip), ints, `true`/`false`/`none`, surrogates as
`name(alpha, flavor)`, tuples as lists, spec keys as written as `"key"@loc`. A
location is `line:col #pointer`; names and pointers with unusual characters are
JSON-quoted (`%"odd name"`, `#"/a b"`).
"""

from __future__ import annotations

import dataclasses
import json
import re

from .graph import Decision, Graph, ModelAttrs
from .neuron import Surrogate
from .ops import Loc, Op, PopulationOp

# Header key for each ModelAttrs field (field name unless aliased).
HEADER_KEYS = {"model_name": "model", "source_simulator": "source"}
_ALWAYS = ("model_name", "target", "source_simulator", "time_steps", "dt", "precision", "power_mode", "device_type")
PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
PLAIN_POINTER = re.compile(r"[A-Za-z0-9_/~.\-]*")
IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:-[A-Za-z0-9_]+)*")


def print_graph(graph: Graph) -> str:
    """The whole graph as text, ending with a newline."""
    lines = _header(graph)
    lines.append("")
    lines += [op_line(graph, op) for op in graph.ops()]
    if graph.decisions:
        lines.append("")
        lines += [decision_line(d) for d in graph.decisions]
    return "\n".join(lines) + "\n"


def _header(graph: Graph) -> list[str]:
    attrs = graph.attrs
    defaults = {f.name: f.default for f in dataclasses.fields(ModelAttrs)}
    names = list(_ALWAYS) + [f for f in defaults if f not in _ALWAYS and getattr(attrs, f) != defaults[f]]
    lines = [f"// {HEADER_KEYS.get(f, f)}: {fmt_value(getattr(attrs, f))}" for f in names]
    lines.append("// pipeline:" + (" " + ",".join(graph.pipeline) if graph.pipeline else ""))
    if graph.schedule is not None:
        lines.append("// schedule: " + fmt_value(tuple((s.mode, *s.ops) for s in graph.schedule)))
    for record in graph.plan or ():
        lines.append(record_line(record))
    if "model" in graph.changed_by:
        lines.append(f"// changed-by: {graph.changed_by['model']}")
    return lines


def record_line(record) -> str:
    """One record of the target's plan: `// <RECORD> "name" {field=value, ...}`."""
    fields = {f.name: getattr(record, f.name) for f in dataclasses.fields(record) if f.name != "name"}
    return f"// {record.RECORD} {quote(record.name)} {{{_items(fields)}}}"


def op_attrs(op: Op) -> dict[str, object]:
    """Everything the text form prints between braces, in order."""
    if isinstance(op, PopulationOp):
        n = op.neuron
        params = n.own_params()  # an IF neuron has none of its family's leak parameters
        out: dict[str, object] = {"family": n.family, "kind": n.kind, **params}
    else:
        out = op.attrs()
    if op.impl is not None:
        out["impl"] = op.impl
    if op.note is not None:
        out["note"] = op.note
    if isinstance(op, PopulationOp) and op.written:
        out["written"] = op.written
    return out


def op_line(graph: Graph, op: Op) -> str:
    operands = ", ".join(fmt_name(o.src) + ("[t-1]" if o.delay else "") for o in op.operands)
    body = op.kind + (f"({operands})" if op.operands else "") + " : " + fmt_value(op.shape)
    attrs = op_attrs(op)
    if attrs:
        body += " {" + _items(attrs) + "}"
    comment = f"  // {fmt_loc(op.loc)}"
    if op.name in graph.changed_by:
        comment += f"  changed-by: {graph.changed_by[op.name]}"
    return f"{fmt_name(op.name)} = {body}{comment}"


def _items(attrs: dict[str, object]) -> str:
    return ", ".join(f"{key}={_written(value) if key == 'written' else fmt_value(value)}" for key, value in attrs.items())


def _written(written: tuple[tuple[str, Loc], ...]) -> str:
    return "[" + ", ".join(f"{fmt_value(k)}@{fmt_loc(loc)}" for k, loc in written) + "]"


def decision_line(d: Decision) -> str:
    message = d.message
    if not message or not message.isprintable() or message != message.strip() or message.startswith('"'):
        message = quote(message)
    return f"// decision {d.pass_name} {fmt_name(d.subject)}: {message}"


def fmt_value(value: object) -> str:
    """A value as an IR literal."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return quote(value)
    if isinstance(value, Surrogate):
        name = value.name if IDENT.fullmatch(value.name) else quote(value.name)
        return f"{name}({value.alpha!r}, {quote(value.flavor)})"
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(fmt_value(v) for v in value) + "]"
    raise TypeError(f"no IR literal for {value!r}")


def fmt_name(name: str) -> str:
    return "%" + (name if PLAIN_NAME.fullmatch(name) else quote(name))


def fmt_loc(loc: Loc) -> str:
    pointer = loc.pointer if PLAIN_POINTER.fullmatch(loc.pointer) else quote(loc.pointer)
    prefix = f"{loc.line}:{loc.col} " if loc.line or loc.col else ""
    return f"{prefix}#{pointer}"


def quote(text: str) -> str:
    """A JSON string literal in which every non-printable character is escaped."""
    return "".join(ch if ch.isprintable() else json.dumps(ch)[1:-1] for ch in json.dumps(text, ensure_ascii=False))
