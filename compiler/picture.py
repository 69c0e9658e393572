"""`--emit svg/png` without Graphviz: the IR drawn in layers with matplotlib.

The same content as the DOT picture (ir.dot): each op's lines of text in a box, same-step edges
solid, feedback edges dashed and labelled t-1. Rows follow the longest same-step path from
the input. The output is deterministic (fixed SVG ids, no dates or software stamps).
"""

from __future__ import annotations

import io

from ir.dot import _text
from ir.graph import Graph

MAX_ROWS, MAX_WIDTH = 200, 60  # beyond these a picture is unreadable, and its pixels run to gigabytes


class PictureTooLarge(Exception):
    """The graph is too large to draw without Graphviz (the message says what to do instead)."""


def draw(graph: Graph, kind: str) -> bytes:
    depth: dict[str, int] = {}
    for op in graph.ops():  # graph order lists every same-step operand before its user
        same = [depth[o.src] for o in op.operands if not o.delay and o.src in depth]
        depth[op.name] = max(same, default=-1) + 1
    rows: dict[int, list[str]] = {}
    for name, layer in depth.items():
        rows.setdefault(layer, []).append(name)
    if len(rows) > MAX_ROWS or max(len(row) for row in rows.values()) > MAX_WIDTH:
        raise PictureTooLarge(f"a picture of {len(graph)} ops in {len(rows)} rows would be unreadable (at most "
                              f"{MAX_ROWS} rows of {MAX_WIDTH} ops without Graphviz); install Graphviz's 'dot', or "
                              "use --emit dot or --emit ir")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pos = {name: (index - (len(row) - 1) / 2, -float(layer)) for layer, row in rows.items()
           for index, name in enumerate(row)}
    layers, width = len(rows), max(len(row) for row in rows.values())
    plt.rcParams["svg.hashsalt"] = "snnc"
    fig, ax = plt.subplots(figsize=(max(6.0, 3.6 * width), max(4.0, 1.6 * layers)))
    ax.set_xlim(-width / 2 - 0.2, width / 2 + 0.2)
    ax.set_ylim(-layers + 0.4, 0.6)
    boxes = {}
    for op in graph.ops():  # boxes first: the arrows then start and end on their edges
        x, y = pos[op.name]
        changed = op.name in graph.changed_by
        boxes[op.name] = ax.text(x, y, "\n".join(_text(op)), ha="center", va="center", fontsize=7, parse_math=False,
                                 zorder=2, bbox=dict(boxstyle="round,pad=0.4", fc="white",
                                                     ec="firebrick" if changed else "black", lw=2 if changed else 1))
    for op in graph.ops():
        for o in op.operands:
            src, dst = boxes[o.src], boxes[op.name]
            if o.delay:  # back up the picture, along the right-hand sides, labelled with its delay
                ax.annotate("", xy=(1.0, 0.5), xycoords=dst, xytext=(1.0, 0.5), textcoords=src, zorder=1,
                            arrowprops=dict(arrowstyle="-|>", color="royalblue", lw=1.0, linestyle="--",
                                            connectionstyle="arc3,rad=0.4"))
                ax.annotate("t-1", xy=(1.0, 0.5), xycoords=dst, xytext=(6, 6), textcoords="offset points",
                            color="royalblue", fontsize=8)
            else:
                ax.annotate("", xy=(0.5, 1.0), xycoords=dst, xytext=(0.5, 0.0), textcoords=src, zorder=1,
                            arrowprops=dict(arrowstyle="-|>", color="black", lw=1.0))
    a = graph.attrs
    ax.set_title(f"{a.model_name}: target {a.target}, {a.time_steps} steps, {a.precision}", fontsize=10,
                 parse_math=False)
    ax.axis("off")
    buf = io.BytesIO()
    metadata = {"Date": None} if kind == "svg" else {"Software": None}
    fig.savefig(buf, format=kind, dpi=100, bbox_inches="tight", metadata=metadata)
    plt.close(fig)
    return buf.getvalue()
