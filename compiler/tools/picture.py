"""`--emit svg/png` without Graphviz: the IR drawn in rows with matplotlib.

The content of the DOT picture (ir.dot), in words rather than Python reprs: each op a box with
its name, kind and shape, parameters, implementation and the decisions of the passes; inputs,
stateless ops and populations filled differently, ops changed by a pass outlined in red (the
pass named in the box). Same-step edges are solid black: between neighbouring rows straight,
and an edge that skips rows (a residual) runs around the boxes on the left. Feedback edges (one
step late) run around them on the right, dashed blue and labelled t-1. A legend says so.

Rows follow the longest same-step path from the input, an op that feeds only lower rows moved
down to the row above its first reader; ops in a row are ordered to cross few edges. Boxes are
sized from their text (measured, not guessed), so none overlap. The output is deterministic
(fixed SVG ids, no dates or software stamps).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from ir.dot import describe
from ir.graph import Graph
from ir.ops import InputOp, PopulationOp

MAX_ROWS, MAX_WIDTH = 200, 60  # beyond these a picture is unreadable, and its pixels run to gigabytes

# Layout in points (the axes' data units are points: 1 unit = 1/72 inch).
_ROW_GAP = 34.0  # between the lowest box of a row and the next row
_COL_GAP = 22.0  # between boxes of a row
_PAD = 5.0  # inside a box, around its text
_LANE = 14.0  # the first detour lane's distance from the boxes, and between lanes
_RADIUS = 6.0  # rounded corners of detours
_WRAP = 46  # characters per line of parameters before they wrap
_NOTE_LINES = 8  # lines of pass decisions in a box, at most

FEEDBACK = "royalblue"
CHANGED = "firebrick"
FILL = {"input": "#e6e6e6", "op": "white", "population": "#fdf1d6"}


class PictureTooLarge(Exception):
    """The graph is too large to draw without Graphviz (the message says what to do instead)."""


@dataclass
class Box:
    """An op's box in points: left, top (y grows upwards, so the bottom is top - height), size."""

    name: str
    row: int
    width: float
    height: float
    x: float = 0.0
    top: float = 0.0

    @property
    def right(self) -> float:
        return self.x + self.width

    @property
    def bottom(self) -> float:
        return self.top - self.height

    @property
    def cx(self) -> float:
        return self.x + self.width / 2

    @property
    def cy(self) -> float:
        return self.top - self.height / 2


def draw(graph: Graph, kind: str) -> bytes:
    """The picture of `graph` as SVG or PNG bytes."""
    import matplotlib.pyplot as plt

    fig = figure(graph)
    buf = io.BytesIO()
    metadata = {"Date": None} if kind == "svg" else {"Software": None}
    with plt.rc_context({"svg.hashsalt": "snnc"}):  # fixed SVG ids
        fig.savefig(buf, format=kind, dpi=100, bbox_inches="tight", pad_inches=0.15, metadata=metadata)
    plt.close(fig)
    return buf.getvalue()


def rows_of(graph: Graph) -> dict[str, int]:
    """The row of every op: the longest same-step path from an input; then an op that reads
    nothing in the same step (a recurrent layer's weights, reading only feedback) is moved down
    to the row just above its first same-step reader, beside what it feeds, not beside the input."""
    row: dict[str, int] = {}
    for op in graph.ops():  # graph order lists every same-step operand before its user
        row[op.name] = max((row[o.src] for o in op.operands if not o.delay and o.src in row), default=-1) + 1
    readers: dict[str, list[str]] = {name: [] for name in row}
    for op in graph.ops():
        for o in op.operands:
            if not o.delay and o.src in readers:
                readers[o.src].append(op.name)
    for op in reversed(list(graph.ops())):
        if not isinstance(op, InputOp) and readers[op.name] and all(o.delay for o in op.operands):
            row[op.name] = max(row[op.name], min(row[r] for r in readers[op.name]) - 1)
    return row


def figure(graph: Graph):
    """The matplotlib figure of `draw`. Its `snnc` attribute holds what was drawn, for tests:
    ``boxes`` (op name -> its FancyBboxPatch), ``edges`` (a list of (source, target, kind, patch)
    with kind "step", "skip" or "feedback"), ``legend``."""
    row_of = rows_of(graph)
    rows: dict[int, list[str]] = {}
    for name in row_of:
        rows.setdefault(row_of[name], []).append(name)
    if len(rows) > MAX_ROWS or max(len(row) for row in rows.values()) > MAX_WIDTH:
        raise PictureTooLarge(f"a picture of {len(graph)} ops in {len(rows)} rows would be unreadable (at most "
                              f"{MAX_ROWS} rows of {MAX_WIDTH} ops without Graphviz); install Graphviz's 'dot', or "
                              "use --emit dot or --emit ir")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyBboxPatch

    fig = plt.figure(figsize=(6, 4), dpi=100)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.axis("off")
    renderer = fig.canvas.get_renderer()
    rows = {r: rows[r] for r in sorted(rows)}
    _order(graph, rows, row_of)

    # Each box's text: the name (bold), what it is, its parameters, and in a smaller, darker
    # line the decisions of the passes about it. Measured to size the box.
    texts, boxes = {}, {}
    for op in graph.ops():
        blocks = _blocks(graph, op)
        artists = [ax.text(0, 0, text, ha="center", va="top", parse_math=False, zorder=3, **style)
                   for text, style in blocks]
        sizes = [_extent(a, renderer) for a in artists]
        width = max(w for w, _ in sizes) + 2 * _PAD
        height = sum(h for _, h in sizes) + 2 * (len(sizes) - 1) + 2 * _PAD
        texts[op.name] = list(zip(artists, sizes))
        boxes[op.name] = Box(op.name, row_of[op.name], width, height)

    # Rows top-aligned, each centred on x = 0.
    top = 0.0
    row_top, row_bottom = {}, {}
    for r, names in rows.items():
        total = sum(boxes[n].width for n in names) + _COL_GAP * (len(names) - 1)
        x = -total / 2
        for n in names:
            boxes[n].x, boxes[n].top = x, top
            x += boxes[n].width + _COL_GAP
        row_top[r] = top
        row_bottom[r] = min(boxes[n].bottom for n in names)
        top = row_bottom[r] - _ROW_GAP

    patches = {}
    for op in graph.ops():
        b = boxes[op.name]
        changed = op.name in graph.changed_by
        fill = FILL["input" if isinstance(op, InputOp) else "population" if isinstance(op, PopulationOp) else "op"]
        patches[op.name] = ax.add_patch(FancyBboxPatch(
            (b.x, b.bottom), b.width, b.height, boxstyle="round,pad=0,rounding_size=4" if not isinstance(
                op, PopulationOp) else "square,pad=0", fc=fill, ec=CHANGED if changed else "black",
            lw=1.8 if changed else 0.9, zorder=2))
        y = b.top - _PAD
        for artist, (_, h) in texts[op.name]:
            artist.set_position((b.cx, y))
            y -= h + 2

    edges = _edges(ax, graph, rows, boxes, row_top, row_bottom)
    xs = [b.x for b in boxes.values()] + [b.right for b in boxes.values()]
    ys = [min(row_bottom.values()), 0.0]
    for _, _, _, patch in edges:
        vertices = patch.get_path().vertices
        xs += [float(vertices[:, 0].min()), float(vertices[:, 0].max())]
        ys += [float(vertices[:, 1].min()), float(vertices[:, 1].max())]
    left, right = min(xs) - 8, max(xs) + 24  # room for the t-1 labels
    bottom, top = min(ys) - 8, max(ys) + 8
    ax.set_xlim(left, right)
    ax.set_ylim(bottom, top)
    fig.set_size_inches((right - left) / 72, (top - bottom) / 72)

    a = graph.attrs
    ax.set_title(f"{a.model_name}: target {a.target}, {a.time_steps} steps of dt={a.dt!r}, {a.precision}",
                 fontsize=10, parse_math=False, pad=8)
    legend = _legend(ax)
    fig.snnc = {"boxes": patches, "edges": edges, "legend": legend}
    return fig


def _blocks(graph: Graph, op) -> list[tuple[str, dict]]:
    name, head, items, impl = describe(op)
    body = [head, *_pack(items)] + ([f"impl {impl}"] if impl else [])
    blocks = [(name, {"fontsize": 8, "fontweight": "bold"}), ("\n".join(body), {"fontsize": 7, "linespacing": 1.25})]
    notes = [f"[{d.pass_name}] {d.message}" for d in graph.decisions if d.subject == op.name]
    if op.name in graph.changed_by and not any(n.startswith(f"[{graph.changed_by[op.name]}]") for n in notes):
        notes.append(f"changed by {graph.changed_by[op.name]}")
    if notes:
        lines = [line for note in notes for line in _pack(note.split(" "), sep=" ")]
        if len(lines) > _NOTE_LINES:  # e.g. one decision per connection of a wide fan-in
            more = len(lines) - _NOTE_LINES + 1
            lines = lines[:_NOTE_LINES - 1] + [f"... {more} more lines of decisions (--emit ir has them all)"]
        blocks.append(("\n".join(lines), {"fontsize": 6.5, "color": "#5a2a2a", "style": "italic",
                                          "linespacing": 1.2}))
    return blocks


def _pack(items: list[str], sep: str = ", ") -> list[str]:
    """Items joined by `sep` into lines of at most _WRAP characters (a longer item alone)."""
    lines: list[str] = []
    for item in items:
        if lines and len(lines[-1]) + len(sep) + len(item) <= _WRAP:
            lines[-1] += sep + item
        else:
            if lines and sep == ", ":
                lines[-1] += ","
            lines.append(item)
    return lines


def _extent(artist, renderer) -> tuple[float, float]:
    box = artist.get_window_extent(renderer)
    scale = 72 / artist.figure.dpi
    return box.width * scale, box.height * scale


def _order(graph: Graph, rows: dict[int, list[str]], row_of: dict[str, int]) -> None:
    """Order each row by the mean position of its ops' neighbours (barycentres), down then up,
    a few times: fewer crossing edges. A neighbour more than one row away counts as far left,
    where the detour of a skip runs, and one across a feedback edge as far right, where that
    detour runs, so that their edges can leave or enter by a box's side. Ties keep graph order,
    so the result is deterministic."""
    up: dict[str, list[tuple[str, bool]]] = {name: [] for name in row_of}
    down: dict[str, list[tuple[str, bool]]] = {name: [] for name in row_of}
    for op in graph.ops():
        for o in op.operands:
            up[op.name].append((o.src, bool(o.delay)))
            down[o.src].append((op.name, bool(o.delay)))

    def key(name: str, neighbours: list[tuple[str, bool]], at: dict[str, float]) -> float:
        if not neighbours:
            return at[name]
        return sum(1.5 if late else at[m] if abs(row_of[m] - row_of[name]) == 1 else -0.5
                   for m, late in neighbours) / len(neighbours)

    for _ in range(3):
        for neighbours, sequence in ((up, list(rows)), (down, list(reversed(rows)))):
            for r in sequence:
                at = {n: (i + 0.5) / len(names) for names in rows.values() for i, n in enumerate(names)}
                rows[r] = sorted(rows[r], key=lambda n: key(n, neighbours[n], at))  # stable: ties keep order


def _edges(ax, graph: Graph, rows, boxes, row_top, row_bottom) -> list:
    """Draw every edge; returns (source, target, kind, patch) for each."""
    first = {r: names[0] for r, names in rows.items()}
    last = {r: names[-1] for r, names in rows.items()}
    # Each edge: a step between neighbouring rows, a skip over rows (a detour on the left) or a
    # feedback edge (a detour on the right). Detours are bundled like a bus: those from one source
    # that has several share its end and their lane; the others, those into one target.
    kinds = []
    for op in graph.ops():
        for o in op.operands:
            rows_apart = boxes[op.name].row - boxes[o.src].row
            kinds.append((o.src, op.name, "feedback" if o.delay else "step" if rows_apart == 1 else "skip", o.delay))
    fan_out: dict[tuple[str, str], int] = {}
    for src, _, kind, _ in kinds:
        fan_out[(src, kind)] = fan_out.get((src, kind), 0) + 1
    plan = []
    for src, dst, kind, delay in kinds:
        by_source = fan_out[(src, kind)] > 1
        bundle = (kind, "from" if by_source else "to", src if by_source else dst)
        out_key = ("out", bundle) if kind != "step" and by_source else ("out", len(plan))
        in_key = ("in", bundle) if kind != "step" and not by_source else ("in", len(plan))
        plan.append((src, dst, kind, delay, bundle, out_key, in_key))

    # Where each end sits: spread along a box's bottom (leaving) or top (entering) in the order
    # of where the other ends are, or along its left or right side (a detour from or to the
    # first or last box of a row), higher for a higher other end.
    bottom_ends: dict[str, dict] = {n: {} for n in boxes}
    top_ends: dict[str, dict] = {n: {} for n in boxes}
    side_ends: dict[tuple[str, str], dict] = {}
    on_side = set()
    far = {"skip": -1e9, "feedback": 1e9}  # towards their lanes: left, right
    for src, dst, kind, _, _, out_key, in_key in plan:
        s, d = boxes[src], boxes[dst]
        if (kind == "skip" and first[s.row] == src) or (kind == "feedback" and last[s.row] == src):
            side_ends.setdefault((src, kind), {}).setdefault(out_key, (-d.cy, out_key))
            on_side.add(out_key)
        else:
            bottom_ends[src].setdefault(out_key, (far.get(kind, d.cx), out_key))
        if (kind == "skip" and first[d.row] == dst) or (kind == "feedback" and last[d.row] == dst):
            side_ends.setdefault((dst, kind), {}).setdefault(in_key, (-s.cy, in_key))
            on_side.add(in_key)
        else:
            top_ends[dst].setdefault(in_key, (far.get(kind, s.cx), in_key))
    at: dict[tuple, float] = {}
    for table in (bottom_ends, top_ends):
        for name, items in table.items():
            b = boxes[name]
            for k, (_, key) in enumerate(sorted(items.values(), key=lambda item: item[0])):
                at[key] = b.x + b.width * (k + 1) / (len(items) + 1)
    for (name, _), items in side_ends.items():
        b = boxes[name]
        for k, (_, key) in enumerate(sorted(items.values(), key=lambda item: item[0])):
            at[key] = b.top - b.height * (k + 1) / (len(items) + 1)

    # Lanes: left of every box in the rows a bundle spans (skips), right of them (feedback);
    # bundles whose spans overlap get lanes further out.
    spans: dict[tuple, tuple[int, int]] = {}
    for src, dst, kind, _, bundle, _, _ in plan:
        if kind != "step":
            lo, hi = sorted((boxes[src].row, boxes[dst].row))
            old = spans.get(bundle, (lo, hi))
            spans[bundle] = (min(lo, old[0]), max(hi, old[1]))
    lanes: dict[tuple, float] = {}
    for kind, sign in (("skip", -1), ("feedback", 1)):
        taken: list[list[tuple[int, int]]] = []
        for bundle, (lo, hi) in spans.items():
            if bundle[0] != kind:
                continue
            level = next((i for i, used in enumerate(taken) if all(hi < a or lo > b for a, b in used)), len(taken))
            if level == len(taken):
                taken.append([])
            taken[level].append((lo, hi))
            span = [boxes[n] for r in range(lo, hi + 1) for n in rows[r]]
            edge = min(b.x for b in span) if sign < 0 else max(b.right for b in span)
            lanes[bundle] = edge + sign * _LANE * (level + 1)

    from matplotlib.patches import FancyArrowPatch

    drawn, labelled = [], set()
    gap_slot: dict[int, int] = {}
    crossing: dict[tuple, float] = {}  # (bundle, row): the height its edges cross a gap at
    for src, dst, kind, delay, bundle, out_key, in_key in plan:
        s, d = boxes[src], boxes[dst]
        if kind == "step":  # straight down to the row's lowest bottom, then across the gap
            points = [(at[out_key], s.bottom), (at[out_key], row_bottom[s.row]), (at[in_key], d.top)]
        else:
            lane = lanes[bundle]
            side_x = (lambda b: b.x) if kind == "skip" else (lambda b: b.right)
            if out_key in on_side:  # out of its side
                points = [(side_x(s), at[out_key]), (lane, at[out_key])]
            else:  # down into the gap below its row, then out to the lane
                bus = (bundle, s.row)  # the bundle's edges from one row cross its gap at one height
                if bus not in crossing:
                    crossing[bus] = row_bottom[s.row] - _gap_offset(gap_slot, s.row)
                y = crossing[bus]
                points = [(at[out_key], s.bottom), (at[out_key], y), (lane, y)]
            if in_key in on_side:  # into its side
                points += [(lane, at[in_key]), (side_x(d), at[in_key])]
            else:  # along the gap above its row, then down into its top
                bus = (bundle, d.row + 0.5)
                if bus not in crossing:
                    crossing[bus] = row_top[d.row] + _ROW_GAP - _gap_offset(gap_slot, d.row - 1)
                y = crossing[bus]
                points += [(lane, y), (at[in_key], y), (at[in_key], d.top)]
        style = {"color": "black", "lw": 0.9, "linestyle": "-"} if kind != "feedback" else {
            "color": FEEDBACK, "lw": 1.0, "linestyle": (0, (4, 2.5))}
        patch = FancyArrowPatch(path=_rounded(points), arrowstyle="-|>", mutation_scale=8, shrinkA=0, shrinkB=0,
                                zorder=1 if kind == "step" else 1.5, **style)
        ax.add_patch(patch)
        if kind == "feedback":  # the label beside the middle of its stretch of lane
            on_lane = [y for x, y in points if x == lanes[bundle]]
            mid = round((min(on_lane) + max(on_lane)) / 2, 1)
            if (bundle, mid, delay) not in labelled:
                labelled.add((bundle, mid, delay))
                ax.text(lanes[bundle] + 3, mid, f"t-{delay}", color=FEEDBACK, fontsize=7, ha="left", va="center",
                        parse_math=False, zorder=3)
        drawn.append((src, dst, kind, patch))
    return drawn


def _gap_offset(slots: dict[int, int], gap: int) -> float:
    """How far below the top of the gap under row `gap` the next detour crosses it (each apart)."""
    k = slots.get(gap, 0)
    slots[gap] = k + 1
    return 6.0 + 5.0 * (k % 5)


def _rounded(points: list[tuple[float, float]]):
    """A path through `points` with its corners rounded (quadratic curves)."""
    from matplotlib.path import Path

    clean = [points[0]]
    for p in points[1:]:
        if p != clean[-1]:
            clean.append(p)
    vertices, codes = [clean[0]], [Path.MOVETO]
    for i in range(1, len(clean) - 1):
        (ax_, ay), (bx, by), (cx, cy) = clean[i - 1], clean[i], clean[i + 1]
        d1, d2 = ((bx - ax_) ** 2 + (by - ay) ** 2) ** 0.5, ((cx - bx) ** 2 + (cy - by) ** 2) ** 0.5
        r = min(_RADIUS, d1 / 2, d2 / 2)
        if r <= 0:
            continue
        p1 = (bx - (bx - ax_) * r / d1, by - (by - ay) * r / d1)
        p2 = (bx + (cx - bx) * r / d2, by + (cy - by) * r / d2)
        vertices += [p1, (bx, by), p2]
        codes += [Path.LINETO, Path.CURVE3, Path.CURVE3]
    vertices.append(clean[-1])
    codes.append(Path.LINETO)
    return Path(vertices, codes)


def _legend(ax):
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles = [
        Line2D([], [], color="black", lw=1.0, label="same time step"),
        Line2D([], [], color=FEEDBACK, lw=1.0, linestyle=(0, (4, 2.5)), label="t-1: one step late (feedback)"),
        Patch(fc="white", ec=CHANGED, lw=1.8, label="changed by a pass (named in the box)"),
        Patch(fc=FILL["input"], ec="black", lw=0.9, label="input"),
        Patch(fc=FILL["op"], ec="black", lw=0.9, label="stateless op"),
        Patch(fc=FILL["population"], ec="black", lw=0.9, label="neuron population"),
    ]
    return ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=3, fontsize=7,
                     frameon=False, handlelength=2.4, columnspacing=1.4)
