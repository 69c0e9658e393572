"""Compile IR or specs to generated modules and import them, for tests that execute the output."""

from __future__ import annotations

import itertools
import types
from pathlib import Path

from ir.graph import Graph

_counter = itertools.count()


def import_source(source: str, tmp_dir: Path, stem: str = "generated") -> types.ModuleType:
    """Write `source` to a uniquely named file and import it (tracebacks show real lines)."""
    from compiler.tools.check import load_module

    return load_module(source, Path(tmp_dir), f"{stem}_{next(_counter)}")


def lower_for(graph: Graph, target: str) -> tuple[Graph, list[str]]:
    """The graph retargeted and run through the lowering passes (schedule, lower-to-target)."""
    from passes.manager import run_pipeline
    from passes import LOWERING

    g = graph.copy()
    g.attrs = g.attrs.replace(target=target)
    return run_pipeline(g, list(LOWERING), out=lambda _text: None).graph, list(LOWERING)


def emit_and_import(graph: Graph, target: str, tmp_dir: Path) -> types.ModuleType:
    from emitters import emit_python

    g, pipeline = lower_for(graph, target)
    return import_source(emit_python(g, pipeline=pipeline), tmp_dir, f"{graph.attrs.model_name}_{target}")


def compile_and_import(spec_path: Path, target: str, tmp_dir: Path, passes: str | None = None) -> types.ModuleType:
    from compiler.build import compile_spec

    source = compile_spec(spec_path, target=target, passes=passes).source
    return import_source(source, tmp_dir, f"{Path(spec_path).stem}_{target}")


def assert_targets_equal(want: dict, mods: dict, weights: dict, inputs) -> None:
    """Every module in `mods` (target -> module), loaded with `weights` and run on `inputs`, gives
    exactly the spikes and membranes in `want` (keys "<population>" and "<population>.v")."""
    import torch

    for target, mod in mods.items():
        got = mod.run(mod.load_weights(mod.build_model(), weights), inputs, membrane=True)
        for key in want:
            assert torch.equal(got[key], want[key]), f"{target} {key}: {(got[key] == want[key]).float().mean():.3%}"
