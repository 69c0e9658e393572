"""`make all-configs`: compile the experiment specs (C1-C8) and print one summary row per build.

Usage: python -m compiler.tools.configs SPEC [SPEC ...]. Each spec is compiled for its own
target_simulator with the default pass pipeline and written to
build/<model_name>_<target>.py. Exit 1 if any spec fails (its diagnostics are shown).
"""

from __future__ import annotations

import sys
from pathlib import Path

from ir import targets

from ..diagnostics import EXIT_OK, EXIT_SPEC_ERROR, CompileError


def _neurons(graph) -> str:
    kinds = []
    for pop in graph.populations():
        kind = pop.neuron.kind.upper()
        if kind not in kinds:
            kinds.append(kind)
    return "+".join(kinds)


def precision(attrs) -> str:
    """What the generated module computes in. precision-lowering makes `run` wrap the simulation in
    torch.autocast on CUDA: torch then runs the matrix products and convolutions in FP16. BindsNET
    has no FP16 of its own: its nodes add their input into FP32 buffers, so only its connections'
    products are FP16."""
    if attrs.precision != "fp16-cuda":
        return "FP32"
    return targets.get(attrs.target).fp16


def main(argv: list[str]) -> int:
    from ..build import compile_spec
    from ..driver import default_output
    from ..output import write_atomic

    if not argv:
        print("usage: python -m compiler.tools.configs SPEC [SPEC ...]", file=sys.stderr)
        return 2
    header = ("config", "target", "neurons", "hidden", "time steps", "precision", "output")
    rows, status = [], EXIT_OK
    for arg in argv:
        spec = Path(arg)
        try:
            built = compile_spec(spec)
        except CompileError as exc:
            for d in exc.diagnostics:
                print(d.render(), file=sys.stderr)
            status = EXIT_SPEC_ERROR
            continue
        for d in built.warnings:
            print(d.render(), file=sys.stderr)
        g = built.graph
        out = default_output(g.attrs.model_name, g.attrs.target, "python")
        write_atomic(out, built.source, spec=spec)
        hidden = ",".join("x".join(map(str, p.shape)) for p in g.populations()[:-1]) or "-"
        rows.append((spec.stem, g.attrs.target, _neurons(g), hidden, str(g.attrs.time_steps), precision(g.attrs),
                     str(out)))
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
