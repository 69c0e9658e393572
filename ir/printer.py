"""The textual IR: a deterministic, readable dump that `ir.parser` reads back.

Format (one graph)::

    // model: "Mlp"                      header: one `// key: value` per model attribute
    // target: "snntorch"                (always: model, target, source, time_steps, dt,
    // ...                                precision, power_mode, device_type; the other
    // pipeline: neuron-substitution      attributes only when not at their default;
                                          then the passes run so far, and changed-by)
    %input = input[784]  // #/input
    %layer_1.fc = dense[784 -> 256] {bias=false} from %input  // #/layers/0
    %layer_1 = population if[256] {leak="none", v_threshold=1.0, ...} from %layer_1.fc  // 4:12 #/layers/1  changed-by: neuron-substitution

    // decision neuron-substitution %layer_1: LIF -> IF: ...

Ops come one per line in `Graph.order()`. Values: strings in JSON quotes, floats
as `repr` (exact round trip), ints, `true`/`false`/`none`, surrogates as
`name(alpha)`, lists in brackets, spec keys as written as `"key"@loc`. A location
is `line:col #pointer` (or `#pointer` without a line); names and pointers with
unusual characters are JSON-quoted (`%"odd name"`, `#"/a b"`).
"""

from __future__ import annotations

import dataclasses
import json
import re

from .graph import Decision, Graph, ModelAttrs
from .neuron import LEAK_FORMS, Neuron, Surrogate
from .ops import DenseOp, InputOp, Loc, Op, PopulationOp

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
    lines += [_op_line(graph, graph.op(name)) for name in graph.order()]
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
    if "model" in graph.changed_by:
        lines.append(f"// changed-by: {graph.changed_by['model']}")
    return lines


def _op_line(graph: Graph, op: Op) -> str:
    if isinstance(op, InputOp):
        body = f"input[{op.size}]"
    elif isinstance(op, DenseOp):
        body = f"dense[{op.in_features} -> {op.out_features}] {{bias={fmt_value(op.bias)}}}"
    else:
        body = f"population {op.neuron.kind}[{op.size}] {{{_population_attrs(op)}}}"
    preds = graph.predecessors(op.name)
    if preds:
        body += " from " + ", ".join(fmt_name(p) for p in preds)
    comment = f"  // {fmt_loc(op.loc)}"
    if op.name in graph.changed_by:
        comment += f"  changed-by: {graph.changed_by[op.name]}"
    return f"{fmt_name(op.name)} = {body}{comment}"


def _population_attrs(op: PopulationOp) -> str:
    n = op.neuron
    keys = list(n.params()) if n.leak in LEAK_FORMS else ["leak"]
    keys += [f.name for f in dataclasses.fields(Neuron)
             if f.name not in keys and f.name != "kind" and getattr(n, f.name) != f.default]
    items = [f"{key}={fmt_value(getattr(n, key))}" for key in keys]
    if op.impl is not None:
        items.append(f"impl={fmt_value(op.impl)}")
    if op.note is not None:
        items.append(f"note={fmt_value(op.note)}")
    if op.written:
        items.append("written=[" + ", ".join(f"{fmt_value(k)}@{fmt_loc(loc)}" for k, loc in op.written) + "]")
    return ", ".join(items)


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
        return f"{name}({value.alpha!r})"
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
