"""The IR as a Graphviz DOT picture: populations, projections and pass decisions.

Inputs are house shapes, projections small rounded boxes with their sizes,
populations boxes listing the neuron kind, size, class and parameters. The
decisions of passes appear in the label of the op they concern (the model's in
the graph title); ops changed by a pass are drawn in red. Edges carry the
number of channels. Output is deterministic (ops in `Graph.order()`).
"""

from __future__ import annotations

from .graph import Graph
from .ops import DenseOp, InputOp, Op

_CHANGED = ', color="firebrick", penwidth=2'


def to_dot(graph: Graph) -> str:
    """The DOT text of `graph`, ending with a newline."""
    a = graph.attrs
    title = [a.model_name, f"target {a.target}, {a.time_steps} steps of dt={a.dt!r}, {a.precision}, "
             f"power_mode {a.power_mode}, device {a.device_type}"]
    if graph.pipeline:
        title.append("passes: " + ", ".join(graph.pipeline))
    title += _decisions(graph, "model")
    lines = [
        f"digraph {quote(a.model_name)} {{",
        f"  graph [label={label(title)}, labelloc=t, rankdir=TB, fontname=Helvetica];",
        "  node [fontname=Helvetica];",
        "  edge [fontname=Helvetica];",
    ]
    for name in graph.order():
        op = graph.op(name)
        style = _CHANGED if name in graph.changed_by else ""
        lines.append(f"  {quote(name)} [{_shape(op)}, label={label(_text(op) + _decisions(graph, name))}{style}];")
    for src, dst in sorted(graph.nx.edges):
        lines.append(f"  {quote(src)} -> {quote(dst)} [label={quote(str(graph.op(src).out_size))}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _shape(op: Op) -> str:
    if isinstance(op, InputOp):
        return "shape=invhouse"
    if isinstance(op, DenseOp):
        return 'shape=box, style=rounded'
    return "shape=box"


def _text(op: Op) -> list[str]:
    if isinstance(op, InputOp):
        return [op.name, f"input [{op.size}]"]
    if isinstance(op, DenseOp):
        return [op.name, f"dense {op.in_features} -> {op.out_features}" + (" + bias" if op.bias else "")]
    head = f"{op.neuron.kind.upper()} [{op.size}]" + (f"  {op.impl}" if op.impl else "")
    params = [f"{k}={v!r}" if not isinstance(v, str) else f"{k}={v}"
              for k, v in op.neuron.params().items() if v is not None]
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
