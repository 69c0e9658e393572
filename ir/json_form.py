"""The IR as JSON: networkx node-link data, sorted so that equal graphs dump equal text.

Graph-level data: ``model`` (every ModelAttrs field), ``pipeline`` (passes run so
far), ``schedule`` and ``plan`` (once set; each record with its ``record`` word), ``decisions`` (in the order they
were made) and ``changed_by``. Each node: ``id``, ``kind``, ``order`` (its place
in graph order), ``operands`` (ordered, with their delays), the op's fields (the
neuron as a nested object with its ``family``) and ``changed_by``. Each edge:
``source``, ``target``, ``delay`` (1 for a feedback edge). Nodes are sorted by
order, edges by (source, target), object keys alphabetically; floats are written
with `repr`, so they read back exactly.
"""

from __future__ import annotations

import dataclasses
import json

import networkx as nx

from .graph import Graph
from .ops import PopulationOp


def _node(op) -> dict:
    data = {f.name: getattr(op, f.name) for f in dataclasses.fields(op)}
    data["operands"] = [dataclasses.asdict(o) for o in op.operands]
    data["loc"] = dataclasses.asdict(op.loc)
    if isinstance(op, PopulationOp):
        data["neuron"] = {"family": op.neuron.family, "kind": op.neuron.kind, **{
            k: (dataclasses.asdict(v) if dataclasses.is_dataclass(v) else v) for k, v in op.neuron.params().items()}}
        data["written"] = [[key, dataclasses.asdict(loc)] for key, loc in op.written]
    return data


def to_data(graph: Graph) -> dict:
    """The node-link dict of `graph` (JSON-ready, deterministic order)."""
    g = nx.DiGraph()
    g.graph.update(
        model=dataclasses.asdict(graph.attrs),
        pipeline=list(graph.pipeline),
        schedule=None if graph.schedule is None else [[s.mode, *s.ops] for s in graph.schedule],
        plan=None if graph.plan is None else [{"record": r.RECORD, **dataclasses.asdict(r)} for r in graph.plan],
        decisions=[dataclasses.asdict(d) for d in graph.decisions],
        changed_by=dict(sorted(graph.changed_by.items())),
    )
    for index, op in enumerate(graph.ops()):
        g.add_node(op.name, kind=op.kind, order=index, changed_by=graph.changed_by.get(op.name), **_node(op))
    for src, dst, data in graph.nx.edges(data=True):
        g.add_edge(src, dst, delay=data["delay"])
    data = nx.node_link_data(g, edges="edges")
    data["nodes"].sort(key=lambda node: node["order"])
    data["edges"].sort(key=lambda edge: (edge["source"], edge["target"]))
    return data


def dumps(graph: Graph) -> str:
    """`to_data` as indented JSON text with sorted keys, ending with a newline."""
    return json.dumps(to_data(graph), indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"
