"""The picture drawn without Graphviz (compiler.tools.picture): every edge visible, no box over another,
a legend, labels in words, the same bytes every time."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from compiler.frontend import load_spec
from compiler.tools.picture import MAX_ROWS, PictureTooLarge, draw, figure
from passes.manager import run_pipeline
from ir.dot import readable, to_dot
from passes import DEFAULT_PIPELINE

VALID = Path(__file__).parent / "valid"

# A SEW-style residual block: block_in feeds conv_a (the next row) and, through shortcut, block_out
# three rows further down; each stands for the sum a residual adds.
RESIDUAL = {
    "model_name": "Residual", "target_simulator": "SpikingJelly", "time_steps": 8,
    "layers": [
        {"type": "linear", "in_features": 16, "out_features": 16, "name": "stem"},
        {"type": "LIFNode", "tau": 2.0, "name": "block_in"},
        {"type": "linear", "in_features": 16, "out_features": 16, "name": "conv_a"},
        {"type": "LIFNode", "tau": 2.0, "name": "mid"},
        {"type": "linear", "in_features": 16, "out_features": 16, "name": "conv_b"},
        {"type": "linear", "in_features": 16, "out_features": 16, "name": "shortcut"},
        {"type": "LIFNode", "tau": 2.0, "name": "block_out"},
        {"type": "linear", "in_features": 16, "out_features": 4, "name": "head"},
        {"type": "LIFNode", "tau": 2.0, "name": "readout"},
    ],
    "connections": [
        {"source": "block_in", "target": "shortcut"},
        {"source": "conv_b", "target": "block_out"},
        {"source": "shortcut", "target": "block_out"},
        {"source": "block_out", "target": "head"},
    ],
}


def _graph(path: Path):
    return run_pipeline(load_spec(path).graph, list(DEFAULT_PIPELINE)).graph


@pytest.fixture(scope="module")
def residual(tmp_path_factory):
    path = tmp_path_factory.mktemp("picture") / "residual.json"
    path.write_text(json.dumps(RESIDUAL), encoding="utf-8")
    return _graph(path)


def _drawn(graph):
    fig = figure(graph)
    fig.canvas.draw()
    return fig


def _boxes(fig) -> dict:
    """Op name -> (x0, y0, x1, y1) of its box, in the axes' units (points)."""
    return {name: (p.get_x(), p.get_y(), p.get_x() + p.get_width(), p.get_y() + p.get_height())
            for name, p in fig.snnc["boxes"].items()}


def _inside(point, box, margin=0.5) -> bool:
    x, y = point
    return box[0] + margin < x < box[2] - margin and box[1] + margin < y < box[3] - margin


@pytest.mark.parametrize("name", ["recurrent_rleaky.json", "branching_named.json",
                                  "recurrent_feedback_after_the_layer.json", "residual"])
def test_no_box_overlaps_another_and_every_text_fits_its_box(name, residual):
    import matplotlib.pyplot as plt

    fig = _drawn(residual if name == "residual" else _graph(VALID / name))
    boxes = {n: p.get_window_extent() for n, p in fig.snnc["boxes"].items()}
    assert [(a, b) for (a, x), (b, y) in itertools.combinations(boxes.items(), 2) if x.overlaps(y)] == []
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    for text in ax.texts:
        if text.get_text().startswith("t-"):
            continue
        extent = text.get_window_extent(renderer)
        assert any(b.x0 <= extent.x0 and extent.x1 <= b.x1 and b.y0 <= extent.y0 and extent.y1 <= b.y1
                   for b in boxes.values()), text.get_text()
    plt.close(fig)


@pytest.mark.parametrize("name", ["recurrent_rleaky.json", "branching_named.json",
                                  "recurrent_feedback_after_the_layer.json", "residual"])
def test_no_edge_runs_through_a_box(name, residual):
    import matplotlib.pyplot as plt

    fig = _drawn(residual if name == "residual" else _graph(VALID / name))
    boxes = _boxes(fig)
    for src, dst, kind, patch in fig.snnc["edges"]:
        points = patch.get_path().interpolated(40).vertices
        crossed = {n for n, box in boxes.items() for p in points if n not in (src, dst) and _inside(p, box)}
        assert crossed == set(), (src, dst, kind)
    plt.close(fig)


def test_a_skip_edge_is_its_own_path_around_the_boxes_on_the_left(residual):
    import matplotlib.pyplot as plt

    fig = _drawn(residual)
    edges = {(s, d): (kind, patch) for s, d, kind, patch in fig.snnc["edges"]}
    kind, patch = edges[("shortcut", "block_out")]
    assert kind == "skip" and patch in fig.axes[0].patches
    boxes = _boxes(fig)
    between = [boxes[n] for n in ("mid", "conv_b")]  # the rows it skips
    vertices = patch.get_path().vertices
    assert vertices[:, 0].min() < min(b[0] for b in between)  # it runs left of them
    assert patch.get_linestyle() == "-" and patch.get_edgecolor()[:3] == (0.0, 0.0, 0.0)
    kinds = sorted(k for _, _, k, _ in fig.snnc["edges"])
    assert kinds.count("skip") == 1 and kinds.count("step") == 9
    plt.close(fig)


def test_feedback_edges_are_dashed_blue_labelled_and_on_the_right():
    import matplotlib.pyplot as plt
    from matplotlib.colors import to_rgba

    fig = _drawn(_graph(VALID / "recurrent_rleaky.json"))
    feedback = [(s, d, p) for s, d, kind, p in fig.snnc["edges"] if kind == "feedback"]
    assert [(s, d) for s, d, _ in feedback] == [("h", "rec")]
    patch = feedback[0][2]
    assert patch.get_linestyle() != "-" and patch.get_edgecolor() == to_rgba("royalblue")
    boxes = _boxes(fig)
    assert patch.get_path().vertices[:, 0].max() > max(boxes[n][2] for n in ("h", "rec"))
    assert [t.get_text() for t in fig.axes[0].texts].count("t-1") == 1
    # The recurrent weights sit in the row above the layer they feed, not beside the input.
    assert boxes["rec"][3] == boxes["fc1"][3] and boxes["rec"][1] > boxes["h"][3]
    plt.close(fig)


def test_the_legend_explains_colours_and_edge_styles():
    import matplotlib.pyplot as plt

    fig = figure(_graph(VALID / "branching_named.json"))
    labels = [t.get_text() for t in fig.snnc["legend"].get_texts()]
    assert labels == ["same time step", "t-1: one step late (feedback)", "changed by a pass (named in the box)",
                      "input", "stateless op", "neuron population"]
    plt.close(fig)


def test_labels_are_words_not_python_reprs():
    graph = _graph(VALID / "recurrent_rleaky.json")
    svg = draw(graph, "svg").decode()
    assert "Surrogate(" not in svg and "surrogate atan(alpha=2.0)" in svg
    assert "beta=0.9," in svg and "0.8999999761581421" not in svg and "layout=out_in" in svg
    assert "'" not in "".join(line for line in svg.splitlines() if line.startswith("<!--"))
    dot = to_dot(graph)
    assert "Surrogate(" not in dot and "surrogate atan(alpha=2.0)" in dot
    assert readable(0.8999999761581421) == "0.9" and readable(1.0) == "1.0" and readable((5, 5)) == "(5, 5)"
    assert readable(0.1) == "0.1" and readable(-52.0) == "-52.0" and readable("zero") == "zero"


@pytest.mark.parametrize("kind", ["svg", "png"])
def test_the_same_graph_gives_the_same_bytes(kind, residual):
    first = draw(residual, kind)
    assert first == draw(residual, kind) and len(first) > 5000
    if kind == "svg":
        assert b"<dc:date>" not in first and b"Date" not in first


def test_too_many_rows_are_refused(tmp_path):
    layers = []
    for _ in range(MAX_ROWS // 2 + 1):
        layers += [{"type": "linear", "in_features": 2, "out_features": 2}, {"type": "LIFNode", "beta": 0.5}]
    path = tmp_path / "deep.json"
    path.write_text(json.dumps({"model_name": "Deep", "target_simulator": "snnTorch", "time_steps": 5,
                                "layers": layers}), encoding="utf-8")
    with pytest.raises(PictureTooLarge, match="would be unreadable"):
        draw(_graph(path), "png")
