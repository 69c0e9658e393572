"""The pass manager: parse a pipeline string, check its order, run it with verification and instrumentation.

`parse_pipeline("a,b")` checks every name against the registry and the order
rules of the passes (a pass's `requires` run before it, a `final` pass is last,
none twice) before anything runs; `check_emit` says which passes code generation
needs. Every violation is a `PipelineError` (a usage error) that names what is
missing. `run_pipeline` works on a deep copy of the graph and verifies after
every pass (`ir.verify`, and once a target's choices are made, that target's
pattern check); a failure there is an `InternalError` naming the pass. A pass
that refuses a spec (`ir.graph.Refusal`) stops the pipeline with a `Refused`,
which the caller reports as a located error in the spec.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from compiler.diagnostics import did_you_mean
from ir import targets
from ir.graph import Graph, Refusal
from ir.ops import Loc
from ir.printer import print_graph
from ir.verify import VerifyError, verify

from . import DEFAULT_PIPELINE, LOWERING, PASSES, fold_batchnorm

NEEDS_LOWERING = ("python",)  # emits that need the lowering passes


class PipelineError(ValueError):
    """A pipeline string names an unknown pass or breaks the order rules (a usage error)."""


class InternalError(RuntimeError):
    """A pass crashed or left the IR invalid: a compiler bug, not a user mistake."""


class Refused(Exception):
    """A pass refused the spec: `loc` is where, `message` why (reported as a spec error)."""

    def __init__(self, loc: Loc, message: str):
        self.loc, self.message = loc, message
        super().__init__(message)


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
    dumps: list[tuple[Path, str]] = field(default_factory=list)  # (file, IR text): the caller writes them


def dump_paths(folder: Path, names: list[str]) -> list[Path]:
    """The IR dump files of a pipeline: folder/00_frontend.ir, then folder/NN_<pass>.ir."""
    return [folder / f"{index:02d}_{stage}.ir" for index, stage in enumerate(["frontend", *names])]


def check_names(names: list[str], what: str = "--passes") -> list[str]:
    """`names` unchanged if every one is a registered pass; else a PipelineError."""
    for name in names:
        if name not in PASSES:
            raise PipelineError(f"unknown pass {name!r} in {what}{did_you_mean(name, PASSES)} (see --list-passes)")
    return names


def check_order(names: list[str], what: str = "--passes") -> list[str]:
    """`names` unchanged if they run each pass once, after what it requires, a final pass last."""
    for index, name in enumerate(names):
        if name in names[:index]:
            raise PipelineError(f"pass {name!r} appears twice in {what}")
        missing = [r for r in PASSES[name].requires if r not in names[:index]]
        if missing:
            raise PipelineError(f"pass {name!r} needs {', '.join(map(repr, missing))} to run before it in {what}")
        if PASSES[name].final and index != len(names) - 1:
            raise PipelineError(f"pass {name!r} must be the last in {what}; {', '.join(names[index + 1:])} "
                                "come after it")
    return names


def check_emit(names: list[str], emit: str, what: str = "--passes") -> None:
    """A PipelineError if code generation for `emit` lacks the lowering passes."""
    missing = [name for name in LOWERING if name not in names]
    if emit in NEEDS_LOWERING and missing:
        raise PipelineError(f"--emit {emit} needs the passes {','.join(LOWERING)} at the end of {what}; "
                            f"missing: {', '.join(missing)}")


def parse_pipeline(text: str | None, what: str = "--passes") -> list[str]:
    """Pass names of a pipeline string 'a,b,c' (None: the default pipeline), all checked."""
    if text is None:
        return list(DEFAULT_PIPELINE)
    names = [part.strip() for part in text.split(",")] if text.strip() else []
    if any(not name for name in names):
        raise PipelineError(f"empty pass name in {what} {text!r}")
    return check_order(check_names(names, what), what)


def target_problems(graph: Graph) -> list[str]:
    """The target's own check of its choices, once target lowering has run."""
    if graph.attrs.container is None:
        return []
    return targets.get(graph.attrs.target).patterns().problems(graph)


def run_pipeline(graph: Graph, names: list[str], instr: Instrumentation = Instrumentation(),
                 out: Callable[[str], None] = print) -> PipelineResult:
    """Run the passes `names` (already checked) on a copy of `graph`; `out` receives IR dumps."""
    graph = graph.copy()
    if list(names) == list(DEFAULT_PIPELINE) and fold_batchnorm.applies(graph):
        names = [fold_batchnorm.FoldBatchnorm.name, *names]
    result = PipelineResult(graph)
    _dump(instr, result, names, graph)
    for index, name in enumerate(names, start=1):
        pass_ = PASSES[name]
        if name in instr.print_before:
            out(_banner("before", name) + print_graph(graph))
        before = graph.copy() if instr.print_after_change else None
        decisions = len(graph.decisions)
        start = time.perf_counter()
        try:
            graph = pass_.run(graph)
        except Refusal as refusal:
            loc = graph.op(refusal.subject).loc if refusal.subject in graph else Loc("")
            raise Refused(loc, refusal.message) from None
        except Exception as exc:
            raise InternalError(f"pass {name!r} crashed: {type(exc).__name__}: {exc}") from exc
        result.timings.append((name, time.perf_counter() - start))
        graph.pipeline.append(name)
        try:
            verify(graph, stage=name)
        except VerifyError as exc:
            raise InternalError(f"pass {name!r} left invalid IR: {exc}") from exc
        wrong = target_problems(graph)
        if wrong:
            raise InternalError(f"pass {name!r} made choices its target's patterns reject: {'; '.join(wrong)}")
        broken = pass_.broken_guarantees(graph)
        if broken:
            raise InternalError(f"pass {name!r} broke its guarantees: {', '.join(broken)}")
        result.warnings += pass_.warnings(graph, graph.decisions[decisions:])
        if (instr.print_after_all or name in instr.print_after
                or (before is not None and before != graph)):
            out(_banner("after", name) + print_graph(graph))
        _dump(instr, result, names, graph)
    result.graph = graph
    return result


def _banner(when: str, name: str) -> str:
    return f"// ----- IR {when} {name} ----- //\n"


def _dump(instr: Instrumentation, result: PipelineResult, names: list[str], graph: Graph) -> None:
    """Keep the IR of the stage that just ran, when dumps are asked for (written only if all succeeds)."""
    if instr.dump_dir is not None:
        path = dump_paths(instr.dump_dir, names)[len(result.dumps)]
        result.dumps.append((path, print_graph(graph)))
