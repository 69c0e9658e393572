"""`python -m compiler check SPEC`: compile a spec for every target and prove the outputs agree.

Each target's module is generated, loaded with the same weights and run on the
same input spikes; the table shows, per population and target, the spike
agreement with the spec's own simulator, the first differing step and the largest
membrane difference. Exit 0 only when every target agrees 100%. Under numerics
"batched" (the spec's or `--numerics batched`) that is promised for the targets
that batch (snnTorch, SpikingJelly); BindsNET, which steps, is shown and marked,
its differences measured, not counted. Weights and
inputs are seeded random ones unless given (`--weights W`, `--inputs X`: .pt or
.npz); `--threads N` and `--batch B` set the conditions the promise must hold in;
`--plot OUT.png` draws the spikes and marks every disagreement.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from ir import targets as known

from ..diagnostics import EXIT_OK, EXIT_SPEC_ERROR, EXIT_USAGE, CompileError
from .runs import (RunFailed, add_run_arguments, check_memory, check_run_arguments, load_module,
                   random_spikes, random_weights, read_inputs, report, run_module, state_dict_reader)

__all__ = ["compare", "load_module", "main", "random_weights"]  # load_module, random_weights: for the tests

def _parser(prog: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=f"{prog} check", description=__doc__.splitlines()[0])
    p.add_argument("spec", help="the JSON model spec")
    p.add_argument("--targets", default=",".join(known.names()),
                   help="comma-separated targets, any case (default: every target)")
    from ir.graph import NUMERICS

    p.add_argument("--numerics", choices=NUMERICS, help="compile with these numerics (default: the spec's)")
    add_run_arguments(p, batch=16)
    p.add_argument("--quantized", action="store_true", help="tie-prone weights (multiples of 1/16) instead of Gaussian")
    p.add_argument("--plot", metavar="OUT.png", help="draw each population's spikes per target, marking where a "
                                                    "target differs from the reference")
    return p


def compare(reference: dict, other: dict, populations: list[str]) -> dict[str, tuple[float, int | None, float]]:
    """Per population: (spike agreement in [0, 1], first differing step or None, max |dV|)."""
    import torch

    out = {}
    for pop in populations:
        a, b = reference[pop], other[pop]
        same = a == b
        steps = (~same).flatten(1).any(dim=1).nonzero()
        va, vb = reference[pop + ".v"].double(), other[pop + ".v"].double()
        both_nan = va.isnan() & vb.isnan()
        diff = torch.where(both_nan | (va == vb), torch.zeros_like(va), (va - vb).abs())
        dv = diff.max().item() if diff.numel() else 0.0
        out[pop] = (same.float().mean().item(), int(steps[0]) if len(steps) else None, dv)
    return out


def main(argv: list[str], prog: str = "snnc") -> int:
    args = _parser(prog).parse_args(argv)
    try:
        targets = _arguments(args)
        return _check(args, targets)
    except RunFailed as exc:
        return report(exc)
    except KeyboardInterrupt:
        return 130


def _arguments(args: argparse.Namespace) -> list[str]:
    """The targets; RunFailed (usage, exit 2) for any argument out of its range."""
    targets = [t.strip().lower() for t in args.targets.split(",") if t.strip()]
    unknown = [t for t in targets if t not in known.names()]
    if unknown or not targets:
        raise RunFailed(f"unknown target(s) {', '.join(unknown) or '(none)'}; choose from {', '.join(known.names())}",
                        EXIT_USAGE)
    check_run_arguments(args)
    if args.plot is not None:
        plot = Path(args.plot)
        if plot.suffix.lower() not in (".png", ".svg", ".pdf") or plot.is_dir():
            raise RunFailed(f"--plot {args.plot!r}: give a .png, .svg or .pdf file name", EXIT_USAGE)
        from ..output import SameFileError, check_outputs

        try:
            check_outputs([(plot, "the --plot picture")], read_inputs(args))
        except SameFileError as exc:
            raise RunFailed(str(exc), EXIT_USAGE) from None
    return targets


def _check(args: argparse.Namespace, targets: list[str]) -> int:
    try:
        import torch
    except ImportError:
        raise RunFailed("'check' runs the generated models and needs torch and the simulators: "
                        "pip install 'snnc[sim]' (or make test)") from None
    from ..build import compile_spec

    compiled = {}
    try:
        for target in targets:
            compiled[target] = compile_spec(Path(args.spec), target=target, numerics=args.numerics)
    except CompileError as exc:
        for d in exc.diagnostics:
            print(d.render(), file=sys.stderr)
        return EXIT_SPEC_ERROR

    first = compiled[targets[0]].graph
    own = first.attrs.source_simulator if first.attrs.source_simulator in targets else targets[0]
    # Under numerics "batched" the targets that batch their projections must agree bit for bit; one that
    # steps the whole graph is shown against them, its differences measured, not counted.
    batched = [t for t in targets if compiled[t].graph.attrs.batched()]
    promised = set(targets)
    if batched:
        promised = set(batched)
        own = own if own in promised else batched[0]
    steps = args.time_steps or first.attrs.time_steps
    pops = [p.name for p in first.populations()]
    from ..weightfile import WeightFileError, load, load_inputs

    try:
        if args.weights:
            reader = state_dict_reader(lambda: {t: compiled[t].source for t in targets})
            weights = {k: torch.from_numpy(v) for k, v in load(Path(args.weights), first.weight_shapes(),
                                                                reader).items()}
        else:
            weights = random_weights(first, args.seed, args.quantized)
        if args.inputs:
            inputs = load_inputs(Path(args.inputs), first.input().shape)
            steps = inputs.shape[0]
            if args.time_steps is not None or args.batch != 16:
                print("note: --time-steps and --batch apply to random inputs; --inputs sets both", file=sys.stderr)
    except WeightFileError as exc:
        raise RunFailed(str(exc)) from None
    batch = inputs.shape[1] if args.inputs else args.batch
    check_memory(first, steps, batch, copies=len(targets) + 1)
    if args.threads:
        torch.set_num_threads(args.threads)
    if not args.inputs:
        inputs = random_spikes(first, steps, batch, args.rate, args.seed)

    runs = {}
    with tempfile.TemporaryDirectory(prefix="snnc-check-") as tmp:
        for target in targets:
            runs[target] = run_module(compiled[target].source, Path(tmp), target, weights, inputs)

    weights_from = args.weights or f"seed {args.seed}, {'quantized' if args.quantized else 'Gaussian'} weights"
    inputs_from = args.inputs or f"random spikes at rate {args.rate}"
    print(f"{first.attrs.model_name}: T={steps}, batch={inputs.shape[1]}, threads={torch.get_num_threads()}, "
          f"{weights_from}, {inputs_from}; reference: {own}")
    stepping = [t for t in targets if t not in promised]
    if batched:
        note = f'numerics "batched": {", ".join(batched)} must agree bit for bit'
        if stepping:
            verb = "steps" if len(stepping) == 1 else "step"
            note += (f"; {', '.join(stepping)} {verb} one time step at a time (exact numerics), so differences "
                     "there are float32 rounding, measured and not counted (*)")
        print(note)
    ok = True
    for pop in pops:
        shape = "x".join(map(str, first.op(pop).shape))
        if first.op(pop).neuron.spiking:
            rate = runs[own][pop].mean().item()
            print(f"\n{pop} ({shape} neurons, firing rate {rate:.4f})")
        else:  # its output is its membrane: the agreement column compares membranes
            print(f"\n{pop} ({shape} neurons, non-spiking: membranes compared)")
        print(f"  {'target':<14}{'agreement':>12}{'first diff':>12}{'max |dV|':>12}")
        for target in targets:
            agree, step, dv = compare(runs[own], runs[target], [pop])[pop]
            if target in promised:
                ok &= agree == 1.0 and dv == 0.0
            mark = "" if target in promised else " *"
            print(f"  {target:<14}{agree:>11.3%}{'-' if step is None else step:>12}{dv:>12.3g}{mark}")
    if stepping and batched:
        print(f"\n{', '.join(sorted(promised))} agree" if ok else "\nTARGETS DISAGREE")
    else:
        print("\nall targets agree" if ok else "\nTARGETS DISAGREE")
    if args.plot:
        from ..output import OutputError, write_outputs
        from .raster import draw_agreement

        try:
            picture = draw_agreement(runs, own, pops, f"{first.attrs.model_name}: spikes per target",
                                     Path(args.plot).suffix.lower()[1:])
            write_outputs([(Path(args.plot), picture, "the --plot picture")], read_inputs(args))
        except OutputError as exc:
            raise RunFailed(str(exc)) from None
        print(f"picture: {args.plot}")
    return EXIT_OK if ok else EXIT_SPEC_ERROR
