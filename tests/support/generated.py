"""Compile IR or specs to generated modules and import them, for tests that execute the output."""

from __future__ import annotations

import importlib.util
import itertools
import sys
import types
from pathlib import Path

from ir.graph import Graph

_counter = itertools.count()


def import_source(source: str, tmp_dir: Path, stem: str = "generated") -> types.ModuleType:
    """Write `source` to a file and import it as a fresh module (tracebacks show real lines)."""
    path = Path(tmp_dir) / f"{stem}_{next(_counter)}.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module


def lower_for(graph: Graph, target: str) -> tuple[Graph, list[str]]:
    """The graph retargeted and run through select-neuron-class (the pass every pipeline ends with)."""
    from passes.select_neuron_class import SelectNeuronClass

    g = graph.copy()
    g.attrs = g.attrs.replace(target=target)
    if target == "bindsnet":
        g.attrs = g.attrs.replace(emit_order=tuple(g.order()))
    p = SelectNeuronClass()
    return p.run(g), [p.name]


def emit_and_import(graph: Graph, target: str, tmp_dir: Path) -> types.ModuleType:
    from emitters import emit_python

    g, pipeline = lower_for(graph, target)
    return import_source(emit_python(g, pipeline=pipeline), tmp_dir, f"{graph.attrs.model_name}_{target}")
