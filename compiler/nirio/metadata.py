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


INFERENCE = "snnc.inference"


def metadata(spec_text: str, passes: list[str], dt: float, model_name: str, exact: bool = True) -> dict[str, str]:
    """What an export records. `exact` False (batch norm folded, dropout removed for NIR): the file is the
    eval-mode model, which the spec cannot be recovered from, so it records that instead of the spec."""
    if not exact:
        return {INFERENCE: "batch norm folded into the weights, dropout removed (the eval-mode model)",
                DT: repr(dt), MODEL: model_name, VERSION: __version__}
    return {SPEC: spec_text, PASSES: ",".join(passes), DT: repr(dt), MODEL: model_name, VERSION: __version__}


def reimport(flat: FlatGraph, dt: float):
    """The exact import of a file snnc wrote (an Imported), an Imported with only a warning when the
    file's snnc metadata no longer matches its graph, or None for a file snnc did not write."""
    from . import Imported

    meta = flat.metadata
    if SPEC not in meta:
        return None
    stale = Imported("", {}, ["the graph's snnc metadata no longer matches its nodes (edited after snnc wrote "
                              "it?); reading it by NIR semantics instead"])
    try:
        file_dt = float(meta.get(DT, dt))
        graph, names = _compile(meta[SPEC], meta.get(PASSES))
        weights = None
        for nest in (True, False):  # as snnc writes recurrent populations now, and as it wrote them before
            where = _flat_names(graph, nest)
            if set(where.values()) <= set(flat.nodes):
                weights = _weights(flat, graph, where)
                if _matches(flat, graph, weights, file_dt, nest):
                    break
                weights = None
    except Exception:  # anything the metadata spec cannot do makes it stale, never an internal error
        return stale
    if weights is None:
        return stale
    out = Imported(meta[SPEC], {k: v for k, v in weights.items()}, [], exact_reimport=True)
    from passes.manager import parse_pipeline

    if names != parse_pipeline(None):
        out.warnings.append(f"snnc wrote this graph after the passes {meta.get(PASSES)!r}; compile the spec with "
                            f"--passes '{meta.get(PASSES)}' to get the same model")
    return out


def source_resets(flat: FlatGraph) -> list[str]:
    """Warnings, one line each, naming the LIF/IF nodes whose source model reset in a way NIR cannot say (NIR
    resets to v_reset at the spike): from snnc's metadata where the file has it (it is then stale, or the spec
    would have come back), else one for the LIF nodes written as snnTorch's exporter writes every snn.Leaky,
    which records no reset mechanism at all."""
    try:
        if SPEC in flat.metadata:
            graph, _ = _compile(flat.metadata[SPEC], flat.metadata.get(PASSES))
            return _metadata_resets(flat, graph)
        return _snntorch_resets(flat)
    except Exception:  # the warnings are a courtesy: a metadata spec that no longer compiles gives none
        return []


def _metadata_resets(flat: FlatGraph, graph) -> list[str]:
    import nir

    from ir import families

    from .graphfile import describe

    out = []
    for op in graph.populations():
        node = next((name for name in (op.name, f"{op.name}.{op.name}")
                     if isinstance(flat.nodes.get(name), (nir.LIF, nir.IF))), None)
        if node is None:
            continue
        home = families.of(op.neuron).nir()
        lost = getattr(home, "reset_lost", lambda _: None)(op.neuron)  # the family's home says what NIR loses
        if lost is None:
            continue
        why, same_spikes = lost
        where = f"{describe(node, flat.nodes[node])}: snnc's metadata says its source layer {op.name} "
        if not same_spikes:
            out.append(where + f"{why}; NIR cannot say that, so the imported model resets to v_reset (0) at the spike "
                               "and will not equal the source model")
        else:
            out.append(where + why)
    return out


def _snntorch_resets(flat: FlatGraph) -> list[str]:
    """One warning for the LIF nodes that snnTorch's exporter could have written: float32, r = tau/dt with its
    dt = 1e-4, v_leak = v_reset = 0 (SpikingJelly's exporter writes float64; snnTorch's writes no IF)."""
    import nir
    import numpy as np

    names = []
    for name, node in flat.nodes.items():
        if not isinstance(node, nir.LIF):
            continue
        tau, r = np.asarray(node.tau), np.asarray(node.r)
        zeros = all(np.all(np.asarray(getattr(node, a)) == 0) for a in ("v_leak", "v_reset"))
        if tau.dtype == np.float32 and zeros and tau.shape == r.shape and np.allclose(r, tau / np.float32(1e-4)):
            names.append(name)
    if not names:
        return []
    shown = ", ".join(repr(n) for n in names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    return [f"node{'s' if len(names) > 1 else ''} {shown} (LIF): written as snnTorch's exporter writes every snn.Leaky "
            "(float32, r = tau/dt, v_reset 0), which records no reset mechanism: read as a reset to v_reset (0) at "
            "the spike, as snnTorch's own importer reads it; a source network with snnTorch's default "
            "reset_mechanism='subtract' (or reset_delay=True in an snn.RLeaky) will not equal the imported model"]


def _compile(spec_text: str, passes: str | None):
    from compiler.frontend import load_text
    from passes.manager import parse_pipeline, run_pipeline

    names = parse_pipeline(passes)
    front = load_text(spec_text, "<snnc metadata>")
    return run_pipeline(front.graph, names).graph, names


def _flat_names(graph, nest: bool) -> dict[str, str]:
    """Each op's node name once the file's sub-graphs are inlined (`graphfile.flatten`)."""
    from .exporter import recurrent_pairs

    names = {op.name: op.name for op in graph.ops()}
    if nest:
        for pop, lin in recurrent_pairs(graph):
            names[pop.name], names[lin.name] = f"{pop.name}.{pop.name}", f"{pop.name}.{lin.name}"
    return names


def _matches(flat: FlatGraph, graph, weights: dict, dt: float, nest: bool) -> bool:
    """Whether exporting `graph` with `weights` gives `flat`'s graph, node for node and edge for edge."""
    import nir

    from .exporter import nir_nodes
    from .graphfile import flatten

    nodes, edges, _ = nir_nodes(graph, weights, dt, nest=nest)
    ours = flatten(nir.NIRGraph(nodes=nodes, edges=edges, type_check=False))
    if list(flat.edges) != ours.edges or set(flat.nodes) != set(ours.nodes):
        return False
    return all(_same(flat.nodes[n].to_dict(), ours.nodes[n].to_dict()) for n in ours.nodes)


def _weights(flat: FlatGraph, graph, where: dict[str, str]) -> dict:
    import numpy as np

    weights = {}
    for op in graph.parametric():
        node = flat.nodes[where[op.name]]
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
