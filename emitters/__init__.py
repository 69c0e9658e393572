"""Emitters: one per target; each renders an already-decided IR as a libcst module.

`emit_python(graph, pipeline=...)` returns the black-formatted source of the
generated module for `graph.attrs.target`.
"""

from __future__ import annotations

import importlib

from ir.graph import Graph

_TARGETS = {"snntorch": "snntorch", "spikingjelly": "spikingjelly", "bindsnet": "bindsnet"}


def emit_module(graph: Graph, *, pipeline: list[str] | tuple[str, ...] = ()):
    """The libcst Module for the graph's target (not yet formatted)."""
    target = graph.attrs.target
    if target not in _TARGETS:
        raise ValueError(f"no emitter for target {target!r}")
    module = importlib.import_module(f"emitters.{_TARGETS[target]}")
    return module.emit_module(graph, list(pipeline))


def emit_python(graph: Graph, *, pipeline: list[str] | tuple[str, ...] = ()) -> str:
    from .toolkit import finish

    return finish(emit_module(graph, pipeline=pipeline))
