"""In-process compilation of one spec for one target: frontend, pass pipeline, emitter.

`lower` runs the frontend and the passes (with optional instrumentation); the CLI
driver and `compile_spec` (used by `check` and `make all-configs`) both go through it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ir.graph import Graph

from passes.manager import Instrumentation


@dataclass
class Lowered:
    graph: Graph  # after the pipeline
    warnings: list  # Diagnostics: the frontend's, then the passes'
    timings: list[tuple[str, float]]  # (stage, seconds): frontend, then each pass
    front: object = None  # the FrontendResult: the spec's text, for diagnostics about its ops
    dumps: list = field(default_factory=list)  # (path, IR text) of each stage, when dumps were asked for


@dataclass
class Compiled:
    graph: Graph  # after the pipeline
    source: str  # the generated module, formatted
    pipeline: list[str]
    warnings: list = field(default_factory=list)  # Diagnostics


def lower(path: Path, target: str | None, names: list[str], instr: Instrumentation = Instrumentation(),
          out: Callable[[str], None] = lambda _text: None, text: str | None = None,
          numerics: str | None = None) -> Lowered:
    """Frontend and the (already checked) passes `names`; raises CompileError for a bad spec.
    With `text`, the spec is that text and `path` only names it in messages; `numerics` overrides the spec's."""
    from .diagnostics import CompileError, layer_pointers, merge_repeats
    from passes.manager import Refused, run_pipeline

    start = time.perf_counter()
    if text is None:
        from .frontend import load_spec

        front = load_spec(path, target=target, numerics=numerics)
    else:
        from .frontend import load_text

        front = load_text(text, str(path), target=target, numerics=numerics)
    frontend_time = time.perf_counter() - start
    try:
        result = run_pipeline(front.graph, names, instr, out=out)
    except Refused as refused:
        raise CompileError([front.diagnostic(refused.loc, refused.message)]) from None
    warnings = list(front.warnings)  # the frontend's, already merged
    warnings += merge_repeats([front.diagnostic(loc.pointer, message, "warning") for loc, message in result.warnings],
                              layer_pointers(front.graph))
    return Lowered(result.graph, warnings, [("frontend", frontend_time), *result.timings], front, result.dumps)


def compile_spec(path: Path, target: str | None = None, passes: str | None = None,
                 numerics: str | None = None) -> Compiled:
    """Compile `path` to Python source; raises CompileError for a bad spec."""
    from emitters import emit_python

    from passes.manager import check_emit, parse_pipeline

    names = parse_pipeline(passes)
    check_emit(names, "python")
    low = lower(path, target, names, numerics=numerics)
    names = list(low.graph.pipeline)  # the passes that ran (fold-batchnorm may join the default ones)
    return Compiled(low.graph, emit_python(low.graph, pipeline=names), names, low.warnings)
