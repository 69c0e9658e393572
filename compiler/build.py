"""In-process compilation of one spec for one target: frontend, default passes, emitter.

Used by the `check` command and by `make all-configs`; the CLI driver adds
dumps, options and file output around the same three stages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ir.graph import Graph


@dataclass
class Compiled:
    graph: Graph  # after the pipeline
    source: str  # the generated module, formatted
    pipeline: list[str]
    warnings: list = field(default_factory=list)  # Diagnostics


def compile_spec(path: Path, target: str | None = None, passes: str | None = None) -> Compiled:
    """Compile `path`; raises CompileError for a bad spec."""
    from emitters import emit_python

    from .frontend import load_spec
    from .pipeline import parse_pipeline, run_pipeline

    names = parse_pipeline(passes)
    front = load_spec(path, target=target)
    result = run_pipeline(front.graph, names, out=lambda _text: None)
    warnings = list(front.warnings)
    warnings += [front.diagnostic(loc.pointer, message, "warning") for loc, message in result.warnings]
    return Compiled(result.graph, emit_python(result.graph, pipeline=names), names, warnings)
