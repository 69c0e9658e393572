"""Compile IR or specs to generated modules and import them, for tests that execute the output."""

from __future__ import annotations

import itertools
import types
from pathlib import Path

from ir.graph import Graph

_counter = itertools.count()


def import_source(source: str, tmp_dir: Path, stem: str = "generated") -> types.ModuleType:
    """Write `source` to a uniquely named file and import it (tracebacks show real lines)."""
    from compiler.check import load_module

    return load_module(source, Path(tmp_dir), f"{stem}_{next(_counter)}")


def lower_for(graph: Graph, target: str) -> tuple[Graph, list[str]]:
    """The graph retargeted and run through the lowering passes (schedule, lower-to-target)."""
    from compiler.pipeline import run_pipeline
    from passes import LOWERING

    g = graph.copy()
    g.attrs = g.attrs.replace(target=target)
    return run_pipeline(g, list(LOWERING), out=lambda _text: None).graph, list(LOWERING)


def emit_and_import(graph: Graph, target: str, tmp_dir: Path) -> types.ModuleType:
    from emitters import emit_python

    g, pipeline = lower_for(graph, target)
    return import_source(emit_python(g, pipeline=pipeline), tmp_dir, f"{graph.attrs.model_name}_{target}")


def compile_and_import(spec_path: Path, target: str, tmp_dir: Path) -> types.ModuleType:
    from compiler.build import compile_spec

    return import_source(compile_spec(spec_path, target=target).source, tmp_dir, f"{Path(spec_path).stem}_{target}")
