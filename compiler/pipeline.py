"""The pass manager: parse a pipeline string, run it with verification and instrumentation.

`parse_pipeline("a,b")` checks every name against the registry before anything
runs (unknown names raise `PipelineError` with a did-you-mean). `run_pipeline`
works on a deep copy of the graph, verifies after every pass (a failure is an
`InternalError` naming the pass), and, as `Instrumentation` asks, prints the IR
before/after passes, dumps every stage to a directory and times each pass.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ir.graph import Graph
from ir.ops import Loc
from ir.printer import print_graph
from ir.verify import VerifyError, verify
from passes import DEFAULT_PIPELINE, PASSES

from .diagnostics import did_you_mean
from .output import write_atomic


class PipelineError(ValueError):
    """A pipeline string names an unknown pass (a usage error)."""


class InternalError(RuntimeError):
    """A pass crashed or left the IR invalid: a compiler bug, not a user mistake."""


@dataclass(frozen=True)
class Instrumentation:
    """What to print, dump and time while a pipeline runs."""

    print_before: tuple[str, ...] = ()
    print_after: tuple[str, ...] = ()
    print_after_all: bool = False
    print_after_change: bool = False
    dump_dir: Path | None = None


@dataclass
class PipelineResult:
    graph: Graph
    warnings: list[tuple[Loc, str]] = field(default_factory=list)  # (where, message), in pass order
    timings: list[tuple[str, float]] = field(default_factory=list)  # (pass name, seconds)


def check_names(names: list[str], what: str = "--passes") -> list[str]:
    """`names` unchanged if every one is a registered pass; else a PipelineError."""
    for name in names:
        if name not in PASSES:
            raise PipelineError(f"unknown pass {name!r} in {what}{did_you_mean(name, PASSES)} (see --list-passes)")
    return names


def parse_pipeline(text: str | None, what: str = "--passes") -> list[str]:
    """Pass names of a pipeline string 'a,b,c' (None: the default pipeline), all checked."""
    if text is None:
        return list(DEFAULT_PIPELINE)
    names = [part.strip() for part in text.split(",")] if text.strip() else []
    if any(not name for name in names):
        raise PipelineError(f"empty pass name in {what} {text!r}")
    return check_names(names, what)


def run_pipeline(graph: Graph, names: list[str], instr: Instrumentation = Instrumentation(),
                 out: Callable[[str], None] = print) -> PipelineResult:
    """Run the passes `names` (already checked) on a copy of `graph`; `out` receives IR dumps."""
    graph = graph.copy()
    result = PipelineResult(graph)
    _dump(instr, 0, "frontend", graph)
    for index, name in enumerate(names, start=1):
        pass_ = PASSES[name]
        if name in instr.print_before:
            out(_banner("before", name) + print_graph(graph))
        before = graph.copy() if instr.print_after_change else None
        decisions = len(graph.decisions)
        start = time.perf_counter()
        try:
            graph = pass_.run(graph)
        except Exception as exc:
            raise InternalError(f"pass {name!r} crashed: {type(exc).__name__}: {exc}") from exc
        result.timings.append((name, time.perf_counter() - start))
        graph.pipeline.append(name)
        try:
            verify(graph, stage=name)
        except VerifyError as exc:
            raise InternalError(f"pass {name!r} left invalid IR: {exc}") from exc
        if hasattr(pass_, "warnings"):
            result.warnings += pass_.warnings(graph, graph.decisions[decisions:])
        if (instr.print_after_all or name in instr.print_after
                or (before is not None and before != graph)):
            out(_banner("after", name) + print_graph(graph))
        _dump(instr, index, name, graph)
    result.graph = graph
    return result


def _banner(when: str, name: str) -> str:
    return f"// ----- IR {when} {name} ----- //\n"


def _dump(instr: Instrumentation, index: int, stage: str, graph: Graph) -> None:
    if instr.dump_dir is not None:
        write_atomic(instr.dump_dir / f"{index:02d}_{stage}.ir", print_graph(graph))
