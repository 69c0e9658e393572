"""Specs written in tests as dicts: saved to disk, compiled, imported."""

from __future__ import annotations

import itertools
import json
import types
from pathlib import Path

_counter = itertools.count()


def spec(layers: list[dict], simulator: str = "snnTorch", *, time_steps: int = 20, **top) -> dict:
    return {"model_name": "Spec", "target_simulator": simulator, "time_steps": time_steps, "layers": layers, **top}


def save(spec_dict: dict, tmp: Path, stem: str = "spec") -> Path:
    path = Path(tmp) / f"{stem}_{next(_counter)}.json"
    path.write_text(json.dumps(spec_dict, indent=2), encoding="utf-8")
    return path


def module(spec_dict: dict, target: str, tmp: Path) -> types.ModuleType:
    """The generated module of `spec_dict` for `target`, imported."""
    from support.generated import compile_and_import

    return compile_and_import(save(spec_dict, tmp), target, tmp)


def modules(spec_dict: dict, tmp: Path, targets=None) -> dict:
    """The generated module of `spec_dict` for each target (default: every registered one), imported."""
    path = save(spec_dict, tmp)
    from ir.targets import names
    from support.generated import compile_and_import

    targets = names() if targets is None else targets
    return {t: compile_and_import(path, t, tmp) for t in targets}


def graph(spec_dict: dict, tmp: Path, target: str | None = None):
    """The IR after the default pipeline."""
    from compiler.build import compile_spec

    return compile_spec(save(spec_dict, tmp), target=target).graph
