"""Emitters: one home per simulator (`emitters.<target>`), each rendering an already-lowered IR.

`emit_python(graph, pipeline=...)` returns the black-formatted source of the
generated module for `graph.attrs.target`.
"""

from __future__ import annotations

from ir import targets
from ir.graph import Graph


def emit_module(graph: Graph, *, pipeline: list[str] | tuple[str, ...] = ()):
    """The libcst Module for the graph's target (not yet formatted)."""
    target = graph.attrs.target
    home = targets.get(target)
    if graph.attrs.container is None:
        raise ValueError("the graph has not been lowered to its target (run the lower-to-target pass)")
    return home.render().emit_module(graph, list(pipeline))


def emit_python(graph: Graph, *, pipeline: list[str] | tuple[str, ...] = ()) -> str:
    from .toolkit import finish

    return finish(emit_module(graph, pipeline=pipeline))
