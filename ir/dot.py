"""The IR as a Graphviz DOT picture: ops with their shapes, feedback edges, pass decisions.

Inputs are house shapes, stateless ops rounded boxes with their output shape,
populations boxes listing the neuron family, kind, shape, class and parameters.
Same-step edges are solid and carry the shape that flows; feedback edges (one
step late) are dashed, blue and labelled ``t-1``. The decisions of passes appear
in the label of the op they concern (the model's in the graph title); ops
changed by a pass are drawn in red. Output is deterministic (graph order).
"""

from __future__ import annotations

from .graph import Graph
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
    if isinstance(op, InputOp):
        return [op.name, f"input {_dims(op.shape)}"]
    if not isinstance(op, PopulationOp):
        params = ", ".join(f"{k}={v!r}" for k, v in op.attrs().items() if k != "key")
        return [op.name, f"{op.kind} -> {_dims(op.shape)}", params] + ([f"impl {op.impl}"] if op.impl else [])
    n = op.neuron
    head = f"{n.family} {n.kind.upper()} {_dims(op.shape)}" + (f"  {op.impl}" if op.impl else "")
    params = [f"{k}={v}" if isinstance(v, str) else f"{k}={v!r}" for k, v in n.params().items() if v is not None]
    return [op.name, head, *params]


def _decisions(graph: Graph, subject: str) -> list[str]:
    return [f"[{d.pass_name}] {d.message}" for d in graph.decisions if d.subject == subject]


def label(lines: list[str]) -> str:
    """A DOT string whose lines are centred."""
    return quote("\n".join(lines))


def quote(text: str) -> str:
    """A DOT double-quoted string: backslash and quote escaped, newlines as line breaks."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("\r", "").replace("\n", "\\n") + '"'
