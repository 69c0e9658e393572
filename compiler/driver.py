"""The compiler driver: spec -> frontend -> pass pipeline -> emitter -> output file.

`run(args)` takes the parsed command line (see `compiler.cli`) and returns the
exit status: 0 ok, 1 error in the spec (each diagnostic on stderr) or in writing
the output, 2 usage error, 3 internal compiler error (no traceback unless
SNNC_DEBUG=1). On any error nothing is written and an existing output is left
untouched.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
import traceback
from pathlib import Path

from .diagnostics import EXIT_INTERNAL, EXIT_OK, EXIT_SPEC_ERROR, EXIT_USAGE, CompileError, printable
from .nirio import DEFAULT_DT, NirError
from .output import OutputError, SameFileError, check_outputs, missing_folder, write_outputs
from .tools.picture import PictureTooLarge
from .weightfile import WeightFileError
from passes.manager import Instrumentation, PipelineError, check_emit, check_names, dump_paths, parse_pipeline

REPORT_AT = "the snnc issue tracker"
_SUFFIX = {"python": ".py", "ir": ".ir", "ir-json": ".json", "dot": ".dot", "svg": ".svg", "png": ".png",
           "nir": ".nir"}
_TO_STDOUT = ("ir", "ir-json", "dot")  # without -o these go to stdout


class UsageError(Exception):
    """A command-line mistake found after argparse (exit 2)."""


class ToolMissing(Exception):
    """An external program the command needs is not installed (exit 1)."""


def run(args: argparse.Namespace) -> int:
    try:
        return _compile(args)
    except (UsageError, PipelineError, SameFileError) as exc:
        _err(args, f"error: {exc}")
        return EXIT_USAGE
    except CompileError as exc:
        for diagnostic in exc.diagnostics:
            print(diagnostic.render(), file=sys.stderr)
        return EXIT_SPEC_ERROR
    except (OutputError, ToolMissing, NirError, WeightFileError, PictureTooLarge) as exc:
        _err(args, f"error: {exc}")
        return EXIT_SPEC_ERROR
    except OSError as exc:
        _err(args, f"error: {exc.filename or ''}: {exc.strerror or exc}")
        return EXIT_SPEC_ERROR
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a compiler bug
        if os.environ.get("SNNC_DEBUG") == "1":
            traceback.print_exc()
        _err(args, f"internal compiler error: {type(exc).__name__}: {exc}",
             f"please report this at {REPORT_AT}, with the spec and the command line "
             "(SNNC_DEBUG=1 shows the traceback)")
        return EXIT_INTERNAL


def _compile(args: argparse.Namespace) -> int:
    if args.list_passes:
        from passes import PASSES

        width = max(map(len, PASSES))
        for name, pass_ in PASSES.items():
            print(f"{name:<{width}}  {pass_.description}")
        return EXIT_OK
    names = parse_pipeline(args.passes)
    check_emit(names, args.emit)
    instr = Instrumentation(
        print_before=tuple(_pass_list(args.print_ir_before, "--print-ir-before")),
        print_after=tuple(_pass_list(args.print_ir_after, "--print-ir-after")),
        print_after_all=args.print_ir_after_all,
        print_after_change=args.print_ir_after_change,
        dump_dir=Path(args.dump_ir_dir) if args.dump_ir_dir else None,
    )
    spec = Path(args.spec)
    if args.emit == "nir" and not args.weights:
        raise UsageError("--emit nir needs --weights W: the model's weights (a .pt of export_weights' dict, or "
                         "an .npz with the same keys)")
    if args.emit != "nir" and (args.weights or args.dt is not None):
        raise UsageError(f"--weights and --dt are for --emit nir, not --emit {args.emit}")
    if args.output == "" or (args.output not in (None, "-") and args.output.endswith(("/", os.sep))):
        raise UsageError(f"-o {args.output!r} names no file; give the output file's name")
    inputs = [(spec, "the input spec")] + ([(Path(args.weights), "the --weights file")] if args.weights else [])
    dumps = [(path, f"the IR dump {path.name}") for path in dump_paths(instr.dump_dir, names)] \
        if instr.dump_dir else []
    check_outputs(dumps + ([(Path(args.output), "the output")] if args.output not in (None, "-") else []), inputs)
    if args.emit in ("svg", "png") and shutil.which("dot") is None and not _have_matplotlib():
        raise ToolMissing(f"--emit {args.emit} needs Graphviz's 'dot' program on PATH (or matplotlib); install "
                          "Graphviz (e.g. 'apt-get install graphviz' or 'brew install graphviz'), or use --emit dot")

    from .build import lower

    low = lower(spec, args.target, names, instr, out=sys.stdout.write, numerics=args.numerics)
    _warn(args, low.warnings)
    timings = low.timings

    start = time.perf_counter()
    data = _emit_nir(args, low, spec) if args.emit == "nir" else _emit(args.emit, low.graph)
    timings.append(("emit", time.perf_counter() - start))
    # the dumps of the passes that ran (fold-batchnorm may join the default pipeline: one more)
    files = [(path, text, f"the IR dump {path.name}") for path, text in low.dumps]
    to_stdout = args.output == "-" or (args.output is None and args.emit in _TO_STDOUT)
    path = None
    if not to_stdout:
        path = Path(args.output) if args.output else default_output(low.graph.attrs.model_name,
                                                                     low.graph.attrs.target, args.emit)
        files.append((path, data, "the output"))
    created = sorted({str(folder) for folder in map(missing_folder, (p for p, _, _ in files)) if folder is not None})
    write_outputs(files, inputs)
    if to_stdout:
        sys.stdout.flush()
        sys.stdout.buffer.write(data if isinstance(data, bytes) else data.encode("utf-8"))
    if not args.quiet:
        for folder in created:
            _err(args, f"note: created the folder {folder!r}")
        if path is not None:
            print(printable(str(path)))
    if args.time_passes:
        _timing_report(timings)
    return EXIT_OK


def slug(name: str) -> str:
    """A file-name-safe form of a model name: only [A-Za-z0-9_-], others become '_'."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", name) or "model"


def default_output(model_name: str, target: str, emit: str) -> Path:
    if emit == "nir":  # one file for every simulator
        return Path("build") / f"{slug(model_name)}.nir"
    return Path("build") / f"{slug(model_name)}_{target}{_SUFFIX[emit]}"


def _emit_nir(args: argparse.Namespace, low, spec: Path) -> bytes:
    """The NIR file; what NIR cannot say is an error located at each layer concerned, what readers
    run differently a warning there (one for all the layers it concerns)."""
    from .diagnostics import CompileError, layer_pointers, merge_repeats
    from .nirio.commands import check_dt, export_bytes
    from .nirio.exporter import Refusals

    dt = check_dt(DEFAULT_DT if args.dt is None else args.dt)
    graph = low.graph

    def at(subject: str, message: str, severity: str):
        where = graph.op(subject).loc if subject in graph else ""
        return low.front.diagnostic(where, f"{subject}: {message}" if subject not in graph else message, severity)

    try:
        data, warnings = export_bytes(graph, low.front.source.text, Path(args.weights), dt)
    except Refusals as refused:
        raise CompileError([at(r.subject, f"NIR export: {r.message}", "error") for r in refused.refusals]) from None
    _warn(args, merge_repeats([at(subject, f"NIR export: {message}", "warning") for subject, message in warnings],
                              layer_pointers(graph)))
    return data


def _emit(kind: str, graph) -> str | bytes:
    if kind == "python":
        from emitters import emit_python

        return emit_python(graph, pipeline=list(graph.pipeline))
    if kind == "ir":
        from ir.printer import print_graph

        return print_graph(graph)
    if kind == "ir-json":
        from ir.json_form import dumps

        return dumps(graph)
    from ir.dot import to_dot

    if kind == "dot":
        return to_dot(graph)
    if shutil.which("dot") is None:  # drawn without Graphviz
        from .tools.picture import draw

        return draw(graph, kind)
    done = subprocess.run(["dot", f"-T{kind}"], input=to_dot(graph).encode("utf-8"), capture_output=True)
    if done.returncode:
        raise RuntimeError(f"dot -T{kind} failed: {done.stderr.decode('utf-8', 'replace').strip()}")
    return done.stdout


def _have_matplotlib() -> bool:
    import importlib.util

    return importlib.util.find_spec("matplotlib") is not None


def _pass_list(text: str | None, option: str) -> list[str]:
    if text is None:
        return []
    names = [part.strip() for part in text.split(",")]
    if not all(names):
        raise UsageError(f"empty pass name in {option} {text!r}")
    return check_names(names, option)


def _warn(args: argparse.Namespace, diagnostics: list) -> None:
    if not args.quiet:
        for diagnostic in diagnostics:
            print(diagnostic.render(), file=sys.stderr)


def _timing_report(timings: list[tuple[str, float]]) -> None:
    total = sum(seconds for _, seconds in timings)
    lines = ["===- snnc timing report -===", f"{'wall ms':>10}  stage"]
    lines += [f"{seconds * 1e3:10.3f}  {name}" for name, seconds in timings]
    lines.append(f"{total * 1e3:10.3f}  total")
    print("\n".join(lines), file=sys.stderr)


def _err(args: argparse.Namespace, message: str, *more: str) -> None:
    """Print an error on stderr, every line made printable (spec text cannot fake lines)."""
    for line in (f"{args.prog}: {message}", *more):
        print(printable(line), file=sys.stderr)

