"""The Python API: `compiler.compile_spec(spec, target=None)` for sweeps and notebooks.

    from compiler import compile_spec, CompileError
    result = compile_spec({"model_name": "Net", "target_simulator": "snnTorch", ...}, target="spikingjelly")
    result.source       # the generated module, as `snnc` writes it
    result.ir           # the IR after the passes, in its text form (result.graph: the ir.Graph itself)
    result.warnings     # the diagnostics the CLI prints as warnings
    module = result.load()  # the generated module, imported (needs torch and the target's simulator)

`spec` is a path, a JSON string or a dict. A bad spec raises CompileError, whose
`.diagnostics` are the CLI's (`str(error)` renders them with file, line and column).
"""

from __future__ import annotations

import json
import linecache
import os
import types
from dataclasses import dataclass, field
from pathlib import Path

from ir.graph import Graph


@dataclass
class Result:
    source: str  # the generated Python module
    ir: str  # the IR after the passes, as `--emit ir` prints it
    graph: Graph
    target: str
    pipeline: list[str]
    warnings: list = field(default_factory=list)  # compiler.diagnostics.Diagnostic

    def load(self) -> types.ModuleType:
        """The generated module, imported as a fresh module (nothing written to disk): `build_model`,
        `run`, `load_weights`, ... as `docs/module.md` describes. Tracebacks show its source lines.
        Each call gives a new module object; importing runs the generated imports (torch, the simulator)."""
        name = f"snnc_{self.graph.attrs.model_name}_{self.target}"
        module = types.ModuleType(name if name.isidentifier() else f"snnc_model_{self.target}")
        filename = f"<snnc {self.target} module of {self.graph.attrs.spec_file or 'a spec'}>"
        linecache.cache[filename] = (len(self.source), None, self.source.splitlines(True), filename)
        module.__file__ = filename
        exec(compile(self.source, filename, "exec"), module.__dict__)
        return module


def compile_spec(spec: str | os.PathLike | dict, target: str | None = None, passes: str | None = None,
                 numerics: str | None = None) -> Result:
    """Compile one spec (a path, a JSON string or a dict) for `target` (default: its target_simulator;
    any case), with `numerics` ("exact" or "batched"; default: the spec's). Raises CompileError for a
    bad spec, ValueError for a bad `target`, `passes` or `numerics`."""
    from emitters import emit_python
    from ir.printer import print_graph

    from .build import lower
    from passes.manager import PipelineError, check_emit, parse_pipeline

    if target is not None and not isinstance(target, str):
        raise TypeError(f"target must be a string such as 'snnTorch', not {type(target).__name__}")
    path, text = _source(spec)
    try:
        names = parse_pipeline(passes)
        check_emit(names, "python")
    except PipelineError as exc:
        raise ValueError(str(exc)) from None
    low = lower(path, None if target is None else target.lower(), names, text=text, numerics=numerics)
    names = list(low.graph.pipeline)  # the passes that ran (fold-batchnorm may join the default ones)
    return Result(emit_python(low.graph, pipeline=names), print_graph(low.graph), low.graph, low.graph.attrs.target,
                  names, low.warnings)


def _source(spec) -> tuple[Path, str | None]:
    if isinstance(spec, dict):
        _check_depth(spec)
        try:  # NaN and infinities are written as JSON does not allow, so the parser locates them
            return Path("<spec>"), json.dumps(spec, indent=2, allow_nan=True)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"the spec dict must hold only JSON values (str, numbers, bool, None, lists, dicts): "
                            f"{exc}") from None
    if isinstance(spec, str) and spec.lstrip("\ufeff \t\r\n").startswith("{"):
        return Path("<spec>"), spec
    if isinstance(spec, (str, os.PathLike)):
        return Path(spec), None
    raise TypeError(f"spec must be a path, a JSON string or a dict, not {type(spec).__name__}")


def _check_depth(spec: dict) -> None:
    """CompileError, as for the same spec in JSON text, when the dict nests deeper than the parser
    allows (or refers to itself); walked without recursion, so no depth can exhaust the stack."""
    from .diagnostics import CompileError, Diagnostic
    from .frontend.jsonsource import MAX_DEPTH

    stack = [(spec, "", 1)]
    while stack:
        value, pointer, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise CompileError([Diagnostic("error", f"nesting is deeper than {MAX_DEPTH} levels", "<spec>",
                                           pointer=pointer)])
        if isinstance(value, dict):
            items = value.items()
        elif isinstance(value, (list, tuple)):
            items = enumerate(value)
        else:
            continue
        for key, child in items:
            if isinstance(child, (dict, list, tuple)):
                token = str(key).replace("~", "~0").replace("/", "~1")
                stack.append((child, f"{pointer}/{token}", depth + 1))
