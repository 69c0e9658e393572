"""What snnc writes into a NIR graph's metadata, and the exact re-import it allows.

An export records the spec text, the pass pipeline and dt. On import, that spec is
compiled again and exported with the file's weights; when the result is the file's
graph node for node and edge for edge, the spec itself comes back (byte for byte),
so the round trip is exact whatever NIR cannot say. Otherwise (the graph was edited
after snnc wrote it) the file is read by NIR semantics, with a warning.
"""

from __future__ import annotations

from compiler import __version__

from .graphfile import FlatGraph

SPEC, PASSES, DT, MODEL, VERSION = "snnc.spec", "snnc.passes", "snnc.dt", "snnc.model_name", "snnc.version"


def metadata(spec_text: str, passes: list[str], dt: float, model_name: str) -> dict[str, str]:
    return {SPEC: spec_text, PASSES: ",".join(passes), DT: repr(dt), MODEL: model_name, VERSION: __version__}


def reimport(flat: FlatGraph, dt: float):
    """The exact import of a file snnc wrote (an Imported), an Imported with only a warning when the
    file's snnc metadata no longer matches its graph, or None for a file snnc did not write."""
    from .importer import Imported

    meta = flat.metadata
    if SPEC not in meta:
        return None
    stale = Imported("", {}, ["the graph's snnc metadata no longer matches its nodes (edited after snnc wrote "
                              "it?); reading it by NIR semantics instead"])
    try:
        file_dt = float(meta.get(DT, dt))
        graph, names = _compile(meta[SPEC], meta.get(PASSES))
        weights = _weights(flat, graph)
        from .exporter import nir_nodes

        nodes, edges, _ = nir_nodes(graph, weights, file_dt)
    except Exception:  # anything the metadata spec cannot do makes it stale, never an internal error
        return stale
    if list(flat.edges) != edges or set(flat.nodes) != set(nodes):
        return stale
    if not all(_same(flat.nodes[n].to_dict(), nodes[n].to_dict()) for n in nodes):
        return stale
    out = Imported(meta[SPEC], {k: v for k, v in weights.items()}, [], exact_reimport=True)
    from compiler.pipeline import parse_pipeline

    if names != parse_pipeline(None):
        out.warnings.append(f"snnc wrote this graph after the passes {meta.get(PASSES)!r}; compile the spec with "
                            f"--passes '{meta.get(PASSES)}' to get the same model")
    return out


def _compile(spec_text: str, passes: str | None):
    from compiler.frontend import load_text
    from compiler.pipeline import parse_pipeline, run_pipeline

    names = parse_pipeline(passes)
    front = load_text(spec_text, "<snnc metadata>")
    return run_pipeline(front.graph, names).graph, names


def _weights(flat: FlatGraph, graph) -> dict:
    import numpy as np

    weights = {}
    for op in graph.parametric():
        node = flat.nodes[op.name]
        for suffix, shape in op.weights().items():
            value = np.asarray(getattr(node, suffix))
            if value.dtype != np.float32 or tuple(value.shape) != tuple(shape):
                raise ValueError(f"{op.name}.{suffix}")
            weights[f"{op.key}.{suffix}"] = np.ascontiguousarray(value)
    return weights


def _same(a, b) -> bool:
    import numpy as np

    if isinstance(a, dict) or isinstance(b, dict):
        return isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys() and all(
            _same(a[k], b[k]) for k in a)
    if isinstance(a, (str, bytes)) or isinstance(b, (str, bytes)):
        return a == b
    if a is None or b is None:
        return a is b
    x, y = np.asarray(a), np.asarray(b)
    return x.shape == y.shape and x.dtype.kind == y.dtype.kind and bool(np.array_equal(x, y))
