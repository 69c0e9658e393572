"""A NIR graph -> an snnc spec (snnTorch vocabulary) and its weights.

`import_graph` orders the nodes into the spec's layer list so that the spec's own
rules give NIR's meaning: a cycle is cut on the edges out of its neurons, and each
cut edge becomes a feedback connection (its target is listed before its source).
Edges that the spec would read in the paper's neuron-to-neuron form (input or a
neuron straight into a neuron) go through an exact identity layer (`scale` 1.0).
A file written by snnc carries its spec in the metadata: when the graph is still
exactly what snnc wrote (weights aside), that spec comes back unchanged. A node
inlined from a sub-graph is named after the sub-graph when it is its only neuron
(an RLeaky sub-graph stands for its population), else after itself when no other
node takes that name.
"""

from __future__ import annotations

import json
import keyword
import re

from . import Imported, NirError
from .graphfile import FlatGraph, cut_edges, describe
from .nodes import Layer, Shape, read_layer


def import_graph(flat: FlatGraph, *, dt: float, time_steps: int, model_name: str) -> Imported:
    from .metadata import reimport, source_resets

    again = reimport(flat, dt)
    if again is not None and again.spec_text:
        return again
    warnings = list(again.warnings) if again is not None else []
    b = _Builder(flat, dt)
    b.infer()
    b.order()
    warnings += source_resets(flat)
    spec = {"model_name": model_name, "target_simulator": "snnTorch",
            "time_steps": time_steps, "dt": dt, "input_shape": list(b.shapes[b.input]),
            "description": f"Imported from NIR by snnc: {len(b.layer_names)} layers, dt={dt!r} "
                           "(NIR LIF/IF read as snnTorch's importer reads them)."}
    layers, connections = b.layers_and_connections()
    spec["layers"] = layers
    if connections is not None:
        spec["connections"] = connections
    text = json.dumps(spec, indent=2, ensure_ascii=True) + "\n"
    return Imported(text, b.weights, warnings + b.warnings)


class _Builder:
    def __init__(self, flat: FlatGraph, dt: float):
        import nir

        self.flat, self.dt = flat, dt
        self.input = flat.inputs[0]
        self.layer_names = [n for n, v in flat.nodes.items() if not isinstance(v, (nir.Input, nir.Output))]
        self.preds = {n: [s for s, d in flat.edges if d == n] for n in flat.nodes}
        self.shapes: dict[str, Shape] = {}
        self.layers: dict[str, Layer] = {}
        self.weights: dict = {}
        self.warnings: list[str] = []
        self.identities: list[tuple[str, str, str]] = []  # (identity layer, source, target)

    # shapes -------------------------------------------------------------------------------------------------
    def infer(self) -> None:
        """Shapes by a fixpoint (feedback edges name layers not yet known), then every fan-in checked."""
        self.shapes[self.input] = self._input_shape()
        changed = True
        while changed:
            changed = False
            for name in self.layer_names:
                if name in self.layers:
                    continue
                known = [s for s in self.preds[name] if s in self.shapes]
                if known:
                    layer = read_layer(name, self.flat.nodes[name], self.shapes[known[0]], self.dt)
                    self.layers[name], self.shapes[name] = layer, layer.out_shape
                    self.warnings += layer.warnings
                    changed = True
        for name in [*self.layer_names, *self.flat.outputs]:
            node = self.flat.nodes[name]
            got = {s: self.shapes[s] for s in self.preds[name]}
            if len(set(got.values())) > 1:
                parts = ", ".join(f"{s!r} gives {list(shape)}" for s, shape in got.items())
                raise NirError(f"{describe(name, node)} sums inputs of different shapes: {parts}")
        for out in self.flat.outputs:
            for src in self.preds[out]:
                if src == self.input or not self.layers[src].neuron:
                    raise NirError(f"Output node {out!r} reads {describe(src, self.flat.nodes[src])}: snnc models "
                                   "return the spikes of neuron layers (LIF/IF), so a graph must end in one")
        self.names = dict(zip(self.layer_names, _identifiers(self._preferred_names()), strict=True))
        for name in self.layer_names:
            for suffix, array in self.layers[name].weights.items():
                self.weights[f"{self.names[name]}.{suffix}"] = array

    def _preferred_names(self) -> list[str]:
        """What each layer would like to be called: a sub-graph's only neuron takes the sub-graph's name (an
        RLeaky sub-graph stands for its population); another inlined node its own name where no other node
        would take it, else its full `<sub-graph>.<node>` name."""
        groups = self.flat.groups
        neurons: dict[str, list[str]] = {}
        for name in self.layer_names:
            if name in groups and self.layers[name].neuron:
                neurons.setdefault(groups[name][0], []).append(name)
        own = {n: groups[n][0] if neurons.get(groups[n][0]) == [n] else groups[n][1]
               for n in self.layer_names if n in groups}
        counts: dict[str, int] = {}
        for name in self.layer_names:
            for candidate in {own.get(name, name), name}:
                counts[candidate] = counts.get(candidate, 0) + 1
        return [own[n] if n in own and counts[own[n]] == 1 else n for n in self.layer_names]

    def _input_shape(self) -> Shape:
        """The Input node's shape, without a leaked batch axis (a known exporter bug) when the readers show one."""
        import numpy as np

        node = self.flat.nodes[self.input]
        declared = (getattr(node, "input_type", None) or {}).get("input")
        if declared is None:
            raise NirError(f"{describe(self.input, node)} has no shape")
        arr = np.asarray(declared).ravel()
        if arr.dtype.kind not in "iuf" or not np.all(np.isfinite(arr)) or not np.all(arr == np.round(arr)):
            raise NirError(f"{describe(self.input, node)}: its shape {declared!r} is not a list of whole numbers")
        shape = tuple(int(n) for n in arr)
        if not shape or min(shape) < 1 or len(shape) > 4:
            raise NirError(f"{describe(self.input, node)}: shape {list(shape)} is not [n], [C, L] or [C, H, W]")
        if len(shape) >= 2 and shape[0] == 1:
            fits = [self._accepts(d, shape[1:]) for d in self._readers_of(self.input)]
            if all(fits):
                self.warnings.append(f"Input node {self.input!r} has shape {list(shape)}: its leading 1 is a batch "
                                     "axis (a known exporter bug) and is dropped")
                return shape[1:]
        if len(shape) not in (1, 2, 3):
            raise NirError(f"{describe(self.input, node)}: shape {list(shape)} is not [n], [C, L] or [C, H, W]")
        return shape

    def _readers_of(self, name: str) -> list[str]:
        return [d for s, d in self.flat.edges if s == name]

    def _accepts(self, name: str, shape: Shape) -> bool:
        try:
            read_layer(name, self.flat.nodes[name], shape, self.dt)
        except NirError:
            return False
        return True

    # order --------------------------------------------------------------------------------------------------
    def order(self) -> None:
        """The layer list: a topological order of the graph without its cut edges, each cut edge's target
        before its source; identity layers first where the paper's form would misread an edge."""
        import networkx as nx

        neurons = {n for n in self.layer_names if self.layers[n].neuron}
        edges = [(s, d) for s, d in self.flat.edges if d in self.layers]
        rank = {n: i for i, n in enumerate(self.layer_names)}
        for s, d in list(edges):
            if d in neurons and (s in neurons or s == self.input):
                ident = self._identity(s, d, rank)
                edges[edges.index((s, d))] = (s, ident)
                edges.append((ident, d))
        self.edges = edges
        self.cut = cut_edges(edges, neurons)
        constraints = nx.DiGraph()
        constraints.add_nodes_from(rank)
        constraints.add_edges_from((s, d) for s, d in edges if (s, d) not in self.cut and s != self.input)
        constraints.add_edges_from((d, s) for s, d in self.cut)
        try:
            self.listed = list(nx.lexicographical_topological_sort(constraints, key=lambda n: rank[n]))
        except nx.NetworkXUnfeasible:
            cycle = nx.find_cycle(constraints)
            raise NirError(f"the cycle {' -> '.join(repr(s) for s, _ in cycle)} has no LIF or IF node, so it has "
                           "no time step to carry it") from None

    def _identity(self, src: str, dst: str, rank: dict) -> str:
        name = f"{dst}.from.{src}"
        while name in self.flat.nodes or name in rank:
            name += "_"
        rank[name] = len(rank)
        shape = self.shapes[src]
        self.layers[name] = Layer({"type": "scale", "scale": 1.0}, shape)
        self.shapes[name] = shape
        self.identities.append((name, src, dst))
        base = f"{self.names[dst]}_from_{self.names.get(src, 'input')}"[:90]
        candidate, k = base, 2
        while candidate in self.names.values():
            candidate, k = f"{base}_{k}", k + 1
        self.names[name] = candidate
        return name

    def layers_and_connections(self) -> tuple[list[dict], list[dict] | None]:
        layers = []
        for name in self.listed:
            layer = {"name": self.names[name], **self.layers[name].spec}
            if name in self.flat.nodes:
                layer["note"] = f"NIR {type(self.flat.nodes[name]).__name__} node {ascii(name)}"
            else:
                layer["note"] = "identity: an edge between two neuron layers, as a layer of its own"
            layers.append(layer)
        name_of = {self.input: "input", **self.names}
        connections = [{"source": name_of[s], "target": name_of[d]} for s, d in self.edges]
        chain = all([s for s, d in self.edges if d == n] == [self.listed[i - 1] if i else self.input]
                    for i, n in enumerate(self.listed))
        return layers, None if chain else connections


_IDENT = re.compile(r"[^A-Za-z0-9_]")


def _identifiers(names: list[str]) -> list[str]:
    """Each NIR node name -> a unique spec layer name (a Python identifier, not reserved), in order."""
    import builtins

    taken: set[str] = set()
    out: list[str] = []
    for name in names:
        base = _IDENT.sub("_", name).strip("_") or "layer"
        if not base[0].isalpha():
            base = "n" + base
        if keyword.iskeyword(base) or base in dir(builtins) or base == "input":
            base += "_"
        base = base[:90]
        candidate, k = base, 2
        while candidate in taken:
            candidate, k = f"{base}_{k}", k + 1
        taken.add(candidate)
        out.append(candidate)
    return out
