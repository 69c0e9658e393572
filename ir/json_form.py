"""The IR as JSON: networkx node-link data, sorted so that equal graphs dump equal text.

Graph-level data: ``model`` (every ModelAttrs field), ``pipeline`` (passes run so
far), ``decisions`` (in the order they were made) and ``changed_by``. Each node:
``id``, ``kind``, the op's fields (neuron, locations and spec keys as nested
objects) and ``changed_by`` (the last pass that changed it, or null). Nodes are
sorted by id, edges by (source, target), object keys alphabetically; floats are
written with `repr`, so they read back exactly.
"""

from __future__ import annotations

import dataclasses
import json

import networkx as nx

from .graph import Graph


def to_data(graph: Graph) -> dict:
    """The node-link dict of `graph` (JSON-ready, deterministic order)."""
    g = nx.DiGraph()
    g.graph.update(
        model=dataclasses.asdict(graph.attrs),
        pipeline=list(graph.pipeline),
        decisions=[dataclasses.asdict(d) for d in graph.decisions],
        changed_by=dict(sorted(graph.changed_by.items())),
    )
    for name in sorted(graph.nx):
        op = graph.op(name)
        g.add_node(name, kind=op.kind, changed_by=graph.changed_by.get(name), **dataclasses.asdict(op))
    g.add_edges_from(sorted(graph.nx.edges))
    data = nx.node_link_data(g, edges="edges")
    data["nodes"].sort(key=lambda node: node["id"])
    data["edges"].sort(key=lambda edge: (edge["source"], edge["target"]))
    return data


def dumps(graph: Graph) -> str:
    """`to_data` as indented JSON text with sorted keys, ending with a newline."""
    return json.dumps(to_data(graph), indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"
