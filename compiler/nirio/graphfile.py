"""Reading a NIR file into one flat graph: nodes by name, edges in file order.

Sub-graphs (snnc writes one per recurrent population; snnTorch's exporter
builds one per `RLeaky`, though nirtorch 2.6 inlines it) are inlined: their
nodes are named `<subgraph>.<node>` (`groups` keeps which sub-graph and own
name), and their own Input and Output nodes become pass-throughs that are
removed. Every structural problem (unknown node type, an edge to a missing
node, no Input, a node nothing reads ...) is a NirError naming the node.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from . import NirError


@dataclass
class FlatGraph:
    nodes: dict[str, object]  # name -> nir node (no sub-graphs), in file order
    edges: list[tuple[str, str]]  # in file order
    inputs: list[str]  # names of the top-level Input nodes
    outputs: list[str]  # names of the top-level Output nodes
    metadata: dict[str, str] = field(default_factory=dict)
    groups: dict[str, tuple[str, str]] = field(default_factory=dict)  # inlined node -> (sub-graph, its own name)


def describe(name: str, node: object) -> str:
    return f"node {name!r} ({type(node).__name__})"


def read(data: bytes):
    """The NIRGraph in `data` (an HDF5 file's bytes), without nir's own type check."""
    import nir

    if data[:8] != b"\x89HDF\r\n\x1a\n":
        raise NirError("not a NIR file (NIR files are HDF5; this one does not start with the HDF5 signature)")
    try:
        return nir.read(io.BytesIO(data), type_check=False)
    except Exception as exc:  # h5py, nir and numpy raise many kinds for a broken file
        raise NirError(f"cannot read this NIR graph: {_unknown_type(data) or _one_line(exc)}") from None


def _unknown_type(data: bytes) -> str | None:
    """'node 'x' has the unknown type 'Foo'' when the file names a node type nir does not know."""
    import h5py
    import nir

    known = {name for name in dir(nir) if isinstance(getattr(nir, name), type)}
    found = []

    def visit(path, item):
        if isinstance(item, h5py.Group) and "type" in item and isinstance(item["type"], h5py.Dataset):
            value = item["type"][()]
            kind = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
            if kind not in known:
                found.append(f"node {path.removeprefix('node/nodes/')!r} has the unknown type {kind!r}")

    try:
        with h5py.File(io.BytesIO(data), "r") as f:
            f.visititems(visit)
    except Exception:  # the caller reports the original error
        return None
    return found[0] if found else None


def flatten(graph) -> FlatGraph:
    """Inline the sub-graphs of `graph` and check that every edge names a node."""
    import nir

    if not isinstance(graph, nir.NIRGraph):
        raise NirError(f"the file holds a single {type(graph).__name__} node, not a NIR graph")
    nodes: dict[str, object] = {}
    edges: list[tuple[str, str]] = []
    groups: dict[str, tuple[str, str]] = {}
    _inline(graph, "", nodes, edges, groups)
    top_inputs = [n for n, v in graph.nodes.items() if isinstance(v, nir.Input)]
    top_outputs = [n for n, v in graph.nodes.items() if isinstance(v, nir.Output)]
    metadata = {str(k): _text(v) for k, v in (getattr(graph, "metadata", None) or {}).items()}
    flat = FlatGraph(nodes, edges, top_inputs, top_outputs, metadata, groups)
    _remove_pass_throughs(flat)
    _check_structure(flat)
    return flat


def _inline(graph, prefix: str, nodes: dict, edges: list, groups: dict) -> None:
    import nir

    subgraphs = {}
    for name, node in graph.nodes.items():
        full = prefix + str(name)
        if isinstance(node, nir.NIRGraph):
            subgraphs[str(name)] = node
            _inline(node, full + ".", nodes, edges, groups)
        elif full in nodes:
            raise NirError(f"two nodes are called {full!r} once sub-graphs are inlined (a node and a sub-graph's "
                           "node); rename one")
        else:
            nodes[full] = node
            if prefix:
                groups[full] = (prefix[:-1], str(name))
    seen = set()
    for edge in graph.edges:
        if len(edge) != 2:
            raise NirError(f"edge {edge!r} does not join two nodes")
        src, dst = (_endpoint(str(end), graph, subgraphs, prefix, out) for end, out in zip(edge, (True, False)))
        if (src, dst) in seen:
            raise NirError(f"edge ({src!r}, {dst!r}) is listed twice (would its input count double?)")
        seen.add((src, dst))
        edges.append((src, dst))


def _endpoint(end: str, graph, subgraphs: dict, prefix: str, out: bool) -> str:
    """The flat name an edge end refers to: a sub-graph stands for its Output (as a source)
    or its Input (as a target)."""
    import nir

    if end in graph.nodes and end not in subgraphs:
        return prefix + end
    if end in subgraphs:
        want = nir.Output if out else nir.Input
        ends = [n for n, v in subgraphs[end].nodes.items() if isinstance(v, want)]
        if len(ends) != 1:
            raise NirError(f"sub-graph {prefix + end!r} has {len(ends)} {want.__name__} nodes; an edge "
                           f"{'from' if out else 'to'} it needs exactly one")
        return f"{prefix}{end}.{ends[0]}"
    head, _, rest = end.partition(".")
    if head in subgraphs and rest:  # a node inside a sub-graph, named through it ("g.lif", "g.h.lif")
        inner = subgraphs[head]
        nested = {str(n): v for n, v in inner.nodes.items() if isinstance(v, nir.NIRGraph)}
        return _endpoint(rest, inner, nested, f"{prefix}{head}.", out)
    raise NirError(f"an edge names node {prefix + end!r}, which the graph does not have")


def _remove_pass_throughs(flat: FlatGraph) -> None:
    """Sub-graph Input/Output nodes forward what they receive: join their sources to their targets."""
    import nir

    top = set(flat.inputs) | set(flat.outputs)
    for name in [n for n, v in flat.nodes.items() if isinstance(v, (nir.Input, nir.Output)) and n not in top]:
        if (name, name) in flat.edges:
            raise NirError(f"sub-graph {type(flat.nodes[name]).__name__} node {name!r} is joined to itself")
        sources = [s for s, d in flat.edges if d == name]
        targets = [d for s, d in flat.edges if s == name]
        rebuilt = []
        for s, d in flat.edges:
            if d == name:
                rebuilt += [(s, t) for t in targets]
            elif s != name:
                rebuilt.append((s, d))
        if not sources and targets:
            raise NirError(f"sub-graph input {name!r} receives nothing")
        flat.edges = rebuilt
        del flat.nodes[name]
        flat.groups.pop(name, None)


def _check_structure(flat: FlatGraph) -> None:
    import nir

    if len(flat.inputs) != 1:
        raise NirError(f"the graph has {len(flat.inputs)} Input nodes; snnc models have exactly one input")
    if not flat.outputs:
        raise NirError("the graph has no Output node")
    for s, d in flat.edges:
        if s == d and isinstance(flat.nodes[s], (nir.Input, nir.Output)):
            raise NirError(f"{describe(s, flat.nodes[s])} is joined to itself")
        if isinstance(flat.nodes[d], nir.Input):
            raise NirError(f"an edge enters the Input node {d!r} (from {s!r})")
        if isinstance(flat.nodes[s], nir.Output):
            raise NirError(f"an edge leaves the Output node {s!r} (to {d!r})")
    readers = {s for s, _ in flat.edges}
    fed = {d for _, d in flat.edges}
    for name, node in flat.nodes.items():
        if not isinstance(node, nir.Input) and name not in fed:
            raise NirError(f"{describe(name, node)} receives no edge")
        if not isinstance(node, nir.Output) and name not in readers:
            raise NirError(f"{describe(name, node)} feeds nothing (no edge leaves it, and it is not an Output)")
    reached = set(flat.inputs)
    frontier = list(flat.inputs)
    while frontier:
        here = frontier.pop()
        for s, d in flat.edges:
            if s == here and d not in reached:
                reached.add(d)
                frontier.append(d)
    for name, node in flat.nodes.items():
        if name not in reached:
            raise NirError(f"{describe(name, node)} cannot be reached from the Input node {flat.inputs[0]!r}")


def _text(value) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if hasattr(value, "item") and getattr(value, "shape", None) == ():
        return _text(value.item())
    return str(value)


def _one_line(exc: Exception) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def cut_edges(edges: list[tuple[str, str]], neurons: set[str]) -> set[tuple[str, str]]:
    """The edges that carry the previous step: those out of a neuron into its own strongly connected part."""
    import networkx as nx

    g = nx.DiGraph(edges)
    part = {n: i for i, scc in enumerate(nx.strongly_connected_components(g)) for n in scc}
    return {(s, d) for s, d in edges if s in neurons and part[s] == part[d]}
