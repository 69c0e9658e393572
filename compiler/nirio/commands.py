"""The two NIR commands: `SPEC --emit nir --weights W` (export) and `import-nir IN.nir` (import).

Both write nothing until everything has been read and checked, then write
atomically; every user mistake is one line on stderr and exit status 1.
"""

from __future__ import annotations

import argparse
import io
import re
import sys
from pathlib import Path

from . import DEFAULT_DT, NirError


def export_bytes(graph, spec_text: str, weights_path: Path, dt: float) -> tuple[bytes, list[tuple[str, str]]]:
    """The NIR file of `graph` (the IR after the passes) with the weights in `weights_path`;
    raises WeightFileError (the weights) or exporter.Refusals (every op NIR cannot say)."""
    _need_nir()
    from .exporter import export_graph
    from .metadata import metadata
    from compiler.tools.runs import state_dict_reader
    from compiler.weightfile import load

    def sources():  # a state_dict() of this target's generated model
        from emitters import emit_python

        return {graph.attrs.target: emit_python(graph, pipeline=list(graph.pipeline))}

    weights = load(weights_path, graph.weight_shapes(), state_dict_reader(sources))
    from ir.ops import BatchNormOp, DropoutOp, Projection

    exact = not any(isinstance(op, (BatchNormOp, DropoutOp)) or (isinstance(op, Projection) and op.fold_key)
                    for op in graph.ops())
    meta = metadata(spec_text, list(graph.pipeline), dt, graph.attrs.model_name, exact)
    nir_graph, warnings = export_graph(graph, weights, dt, meta)
    return write_bytes(nir_graph), warnings


def write_bytes(nir_graph) -> bytes:
    """`nir.write` with the HDF5 groups keeping their creation order: readers then see the nodes in graph
    order (nir.write alone stores them by name, and nirtorch, which snnTorch's and SpikingJelly's importers
    use, cannot run a sub-graph node that comes before the nodes feeding it)."""
    import h5py
    import nir

    config = h5py.get_config()
    before = config.track_order
    config.track_order = True
    try:
        buf = io.BytesIO()
        nir.write(buf, nir_graph)
    finally:
        config.track_order = before
    return buf.getvalue()


def check_dt(dt: float) -> float:
    """dt must be a positive normal float32 (NIR files hold float32 time constants)."""
    if not (2.0**-126 <= dt <= 3.0e38):
        raise NirError(f"--dt must be a positive number of seconds within the float32 range, not {dt!r}")
    return dt


def _need_nir() -> None:
    try:
        import nir  # noqa: F401
    except ImportError:
        raise NirError("the NIR commands need the 'nir' package: pip install 'snnc[nir]'") from None


def _parser(prog: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=f"{prog} import-nir",
        description="Read a NIR graph (e.g. from snnTorch's or SpikingJelly's exporter) into an snnc spec and its "
                    "weights; the spec then compiles for any target, with the same spikes in each.",
        epilog="Exit status: 0 ok, 1 the NIR file cannot be read exactly (the message names the node), 2 usage error.",
    )
    p.add_argument("nir_file", metavar="IN.nir", help="the NIR graph (HDF5, as nir.write writes it)")
    p.add_argument("-o", "--output", metavar="SPEC.json", help="the spec to write (default: IN.json beside IN.nir)")
    p.add_argument("--weights-out", metavar="W.npz",
                   help="where the weights go (default: <spec stem>.weights.npz beside the spec)")
    p.add_argument("--dt", type=float, default=None,
                   help=f"the time step the exporter assumed, in seconds (default {DEFAULT_DT}, as snnTorch's and "
                        "SpikingJelly's exporters); recorded in the spec")
    p.add_argument("--time-steps", type=int, default=None,
                   help="time_steps of the spec (NIR stores none; default 25)")
    p.add_argument("--model-name", help="model_name of the spec (default: the one snnc stored in the file, else "
                                        "from the file name)")
    p.add_argument("-q", "--quiet", action="store_true", help="print neither warnings nor the output paths")
    return p


def import_main(argv: list[str], prog: str) -> int:
    args = _parser(prog).parse_args(argv)
    source = Path(args.nir_file)
    try:
        spec_path, weights_path = _outputs(source, args)
        imported = _import(source, args)
    except NirError as exc:
        _say(f"{source}: error: {exc}")
        return 1
    if not args.quiet:
        for warning in imported.warnings:
            _say(f"{source}: warning: {warning}")
    from compiler.output import OutputError, missing_folder, write_outputs
    from compiler.weightfile import npz_bytes

    created = {folder for folder in (missing_folder(weights_path), missing_folder(spec_path)) if folder is not None}
    try:
        write_outputs([(weights_path, npz_bytes(imported.weights), "the weights"),
                       (spec_path, imported.spec_text, "the spec")], [(source, "the input NIR file")])
    except OutputError as exc:
        _say(f"{prog}: error: {exc}")
        return 1
    if not args.quiet:
        for folder in sorted(created):
            _say(f"{prog}: note: created the folder {str(folder)!r}")
        print(spec_path)
        print(weights_path)
    return 0


def _outputs(source: Path, args) -> tuple[Path, Path]:
    """The spec and weights paths, checked before anything is read or written."""
    if args.time_steps is not None and args.time_steps < 1:
        raise NirError(f"--time-steps must be at least 1, not {args.time_steps}")
    if args.dt is not None:
        check_dt(args.dt)
    if not source.is_file():
        raise NirError("no such file" if not source.exists() else "not a file")
    spec_path = Path(args.output) if args.output else source.with_suffix(".json")
    if not spec_path.name or spec_path.is_dir():
        raise NirError(f"-o {str(spec_path)!r} is a folder; give the spec's file name")
    weights_path = Path(args.weights_out) if args.weights_out else spec_path.with_name(
        spec_path.stem + ".weights.npz")
    if not weights_path.name or weights_path.is_dir():
        raise NirError(f"--weights-out {str(weights_path)!r} is a folder; give the weights' file name")
    from compiler.output import SameFileError, check_outputs

    try:
        check_outputs([(spec_path, "the spec"), (weights_path, "the weights")], [(source, "the input NIR file")])
    except SameFileError as exc:
        raise NirError(str(exc)) from None
    return spec_path, weights_path


def _import(source: Path, args):
    _need_nir()
    from compiler.diagnostics import CompileError
    from compiler.frontend import load_text

    from .graphfile import flatten, read
    from .importer import import_graph

    try:
        data = source.read_bytes()
    except OSError as exc:
        raise NirError(f"cannot read the file: {exc.strerror or exc}") from None
    flat = flatten(read(data))
    stored = flat.metadata.get("snnc.model_name", "")
    name = args.model_name or (stored if 0 < len(stored) <= 100 and stored.isprintable() else _model_name(source))
    imported = import_graph(flat, dt=DEFAULT_DT if args.dt is None else args.dt,
                            time_steps=25 if args.time_steps is None else args.time_steps, model_name=name)
    if imported.exact_reimport:
        given = [option for option, value in (("--model-name", args.model_name), ("--dt", args.dt),
                                              ("--time-steps", args.time_steps)) if value is not None]
        if given:
            imported.warnings.append(f"{', '.join(given)} ignored: snnc wrote this file, and its own spec comes back "
                                     "unchanged (edit the spec to change them)")
    try:  # the spec must compile: anything the frontend refuses is reported against the NIR file
        load_text(imported.spec_text, str(args.output or source.with_suffix(".json")))
    except CompileError as exc:
        first = exc.diagnostics[0]
        raise NirError(f"the spec read from it does not compile: {_node_of(imported.spec_text, first.pointer)}"
                       f"{first.message}") from None
    return imported


def _node_of(spec_text: str, pointer: str | None) -> str:
    """'layer 'x' (NIR node 'y'): ' for a pointer into the imported spec's layers, else the pointer."""
    import json

    m = re.match(r"/layers/(\d+)", pointer or "")
    if not m:
        return f"{pointer}: " if pointer else ""
    layer = json.loads(spec_text)["layers"][int(m.group(1))]
    return f"layer {layer.get('name')!r} ({layer.get('note', 'an identity layer')}), {pointer}: "


def _model_name(source: Path) -> str:
    words = [w for w in re.split(r"[^A-Za-z0-9]+", source.stem) if w]
    return "".join(w[:1].upper() + w[1:] for w in words)[:100] or "NirModel"


def _say(message: str) -> None:
    from compiler.diagnostics import printable

    print(printable(message), file=sys.stderr)
