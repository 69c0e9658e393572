"""The IR as a Graphviz DOT picture: ops with their shapes, feedback edges, pass decisions.

Inputs are house shapes, stateless ops rounded boxes with their output shape,
populations boxes listing the neuron family, kind, shape, class and parameters.
Same-step edges are solid and carry the shape that flows; feedback edges (one
step late) are dashed, blue and labelled ``t-1``. The decisions of passes appear
in the label of the op they concern (the model's in the graph title); ops
changed by a pass are drawn in red. Output is deterministic (graph order).
"""

from __future__ import annotations

from .floats import f32, is_f32
from .graph import Graph
from .neuron import Surrogate
from .ops import InputOp, Op, PopulationOp

_CHANGED = ', color="firebrick", penwidth=2'


def to_dot(graph: Graph) -> str:
    """The DOT text of `graph`, ending with a newline."""
    a = graph.attrs
    title = [a.model_name, f"target {a.target}, {a.time_steps} steps of dt={a.dt!r}, {a.precision}, "
             f"power_mode {a.power_mode}, device {a.device_type}"]
    if graph.pipeline:
        title.append("passes: " + ", ".join(graph.pipeline))
    if graph.schedule:
        title.append("schedule: " + "; ".join(f"{s.mode} {', '.join(s.ops)}" for s in graph.schedule))
    title += _decisions(graph, "model")
    lines = [
        f"digraph {quote(a.model_name)} {{",
        f"  graph [label={label(title)}, labelloc=t, rankdir=TB, fontname=Helvetica];",
        "  node [fontname=Helvetica];",
        "  edge [fontname=Helvetica];",
    ]
    for op in graph.ops():
        style = _CHANGED if op.name in graph.changed_by else ""
        lines.append(f"  {quote(op.name)} [{_shape(op)}, label={label(_text(op) + _decisions(graph, op.name))}{style}];")
    for op in graph.ops():
        for o in op.operands:
            if o.delay:
                lines.append(f"  {quote(o.src)} -> {quote(op.name)} "
                             '[label="t-1", style=dashed, color="royalblue", constraint=false];')
            else:
                lines.append(f"  {quote(o.src)} -> {quote(op.name)} [label={quote(_dims(graph.op(o.src).shape))}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dims(shape: tuple[int, ...]) -> str:
    return "[" + ", ".join(map(str, shape)) + "]"


def _shape(op: Op) -> str:
    if isinstance(op, InputOp):
        return "shape=invhouse"
    if isinstance(op, PopulationOp):
        return "shape=box"
    return "shape=box, style=rounded"


def _text(op: Op) -> list[str]:
    name, head, items, impl = describe(op)
    if isinstance(op, PopulationOp):
        return [name, head + (f"  {impl}" if impl else ""), *items]
    return [name, head] + ([", ".join(items)] if items else []) + ([f"impl {impl}"] if impl else [])


def describe(op: Op) -> tuple[str, str, list[str], str | None]:
    """What a picture says of `op`, in words rather than Python reprs: (name, a head line such as
    ``linear -> [6]`` or ``snntorch LIF [6]``, its parameters as ``key=value`` items, its
    implementation or None). Floats are the shortest text of their float32 value, strings unquoted,
    the surrogate ``surrogate atan(alpha=2.0)`` (naming whose formula where it is not the family's)."""
    if isinstance(op, InputOp):
        return op.name, f"input {_dims(op.shape)}", [], None
    if not isinstance(op, PopulationOp):
        items = [f"{k}={readable(v)}" for k, v in op.attrs().items() if k != "key"]
        return op.name, f"{op.kind} -> {_dims(op.shape)}", items, op.impl
    n = op.neuron
    items = []
    for key, value in n.params().items():
        if isinstance(value, Surrogate):
            whose = "" if value.flavor == n.family else f", {value.flavor} formula"
            items.append(f"surrogate {value.name}(alpha={readable(value.alpha)}{whose})")
        elif value is not None:
            items.append(f"{key}={readable(value)}")
    return op.name, f"{n.family} {n.kind.upper()} {_dims(op.shape)}", items, op.impl


def readable(value: object) -> str:
    """A parameter value for a reader: floats as the shortest text that is the same float32 value
    (0.9, not 0.8999999761581421), strings without quotes, tuples as (5, 5)."""
    if isinstance(value, float) and is_f32(value):
        for digits in range(1, 10):
            text = repr(float(f"{value:.{digits}g}"))
            if f32(float(text)) == value:
                return text
    if isinstance(value, (tuple, list)):
        return "(" + ", ".join(readable(v) for v in value) + ")"
    if isinstance(value, Surrogate):
        return f"{value.name}(alpha={readable(value.alpha)}, {value.flavor} formula)"
    return str(value) if isinstance(value, (str, bool, int)) else repr(value)


def _decisions(graph: Graph, subject: str) -> list[str]:
    return [f"[{d.pass_name}] {d.message}" for d in graph.decisions if d.subject == subject]


def label(lines: list[str]) -> str:
    """A DOT string whose lines are centred."""
    return quote("\n".join(lines))


def quote(text: str) -> str:
    """A DOT double-quoted string: backslash and quote escaped, newlines as line breaks."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("\r", "").replace("\n", "\\n") + '"'
