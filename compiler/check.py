"""`python -m compiler check SPEC`: compile a spec for every target and prove the outputs agree.

Each target's module is generated, loaded with the same weights and run on the
same input spikes; the table shows, per population and target, the spike
agreement with the spec's own simulator, the first differing step and the largest
membrane difference. Exit 0 only when every target agrees 100%. Weights and
inputs are seeded random ones unless given (`--weights W`, `--inputs X`: .pt or
.npz); `--threads N` and `--batch B` set the conditions the promise must hold in;
`--plot OUT.png` draws the spikes and marks every disagreement.
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import os
import sys
import tempfile
import traceback
from pathlib import Path

from ir.graph import Graph

from .diagnostics import EXIT_INTERNAL, EXIT_OK, EXIT_SPEC_ERROR, EXIT_USAGE, CompileError

TARGETS = ("snntorch", "spikingjelly", "bindsnet")


def _parser() -> argparse.ArgumentParser:
    from .cli import program

    p = argparse.ArgumentParser(prog=f"{program()} check", description=__doc__.splitlines()[0])
    p.add_argument("spec", help="the JSON model spec")
    p.add_argument("--targets", default=",".join(TARGETS), help="comma-separated targets, any case (default: all three)")
    p.add_argument("--seed", type=int, default=0, help="seed of weights and input (default 0)")
    p.add_argument("--batch", type=int, default=16, help="batch size of the random input (default 16)")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's own choice)")
    p.add_argument("--time-steps", type=int, default=None, help="steps to simulate (default: the compiled TIME_STEPS)")
    p.add_argument("--rate", type=float, default=0.2, help="input spike probability per step (default 0.2)")
    p.add_argument("--quantized", action="store_true", help="tie-prone weights (multiples of 1/16) instead of Gaussian")
    p.add_argument("--weights", metavar="W", help="run with these weights: a .pt (export_weights' dict) or an .npz "
                                                 "with the same keys (default: seeded random ones)")
    p.add_argument("--inputs", metavar="X", help="run on these inputs [T, B, *INPUT_SHAPE] (or [T, *INPUT_SHAPE]): "
                                                "a .pt tensor or an .npz with one array (default: seeded random spikes)")
    p.add_argument("--plot", metavar="OUT.png", help="draw each population's spikes per target, marking where a "
                                                    "target differs from the reference")
    return p


def _drive(neuron) -> tuple[float, float]:
    """(threshold - resting value, the factor the neuron scales its input by) of a canonical neuron."""
    if neuron.family == "snntorch":
        return abs(neuron.threshold) or 1.0, 1.0
    if neuron.family == "spikingjelly":
        gain = 1.0 / neuron.tau if neuron.kind == "lif" and neuron.decay_input else 1.0
        return abs(neuron.v_threshold - neuron.v_init) or 1.0, gain
    return abs(neuron.thresh - neuron.v_init) or 1.0, 1.0


def _fed_population(graph: Graph, op_name: str):
    """The first population `op_name`'s output reaches through stateless ops (None if none)."""
    seen, frontier = set(), [op_name]
    while frontier:
        name = frontier.pop(0)
        for user in graph.users(name):
            if user.kind == "population":
                return user
            if user.name not in seen:
                seen.add(user.name)
                frontier.append(user.name)
    return None


def random_weights(graph: Graph, seed: int = 0, quantized: bool = False):
    """Seeded weights for every parametric layer, scaled by the power of two nearest the
    threshold-to-rest gap over the input gain of the population it feeds, so that
    biological-voltage models fire as often as unit ones. `quantized` gives dyadic weights
    (multiples of 1/16 or 1/8 times that power of two) whose sums hit thresholds exactly."""
    import torch

    gen = torch.Generator().manual_seed(seed)
    weights = {}
    for op in graph.parametric():
        pop = _fed_population(graph, op.name)
        drive, gain = _drive(pop.neuron) if pop is not None else (1.0, 1.0)
        gap = 2.0 ** round(math.log2(drive / gain))
        shapes = op.weights()
        fan_in = math.prod(shapes["weight"][1:])
        if quantized:
            step = 1.0 / 16 if fan_in > 100 else 1.0 / 8
            w = torch.randint(-2, 3, shapes["weight"], generator=gen).float() * step
        else:
            w = torch.randn(shapes["weight"], generator=gen) * (2.0 / fan_in**0.5)
        weights[f"{op.key}.weight"] = w * gap
        if "bias" in shapes:
            if quantized:
                b = torch.randint(-2, 3, shapes["bias"], generator=gen).float() / 16
            else:
                b = torch.randn(shapes["bias"], generator=gen) * 0.1
            weights[f"{op.key}.bias"] = b * gap
    return weights


def load_module(source: str, directory: Path, stem: str):
    """Write generated source to `directory/stem.py` and import it as a fresh module."""
    path = directory / f"{stem}.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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


MAX_THREADS = 256  # torch.set_num_threads far beyond the machine's cores ends in a crash, not an error
MAX_SEED = 2**63 - 2  # torch generators take 64-bit seeds; the inputs use seed + 1
MEMORY_SHARE = 0.5  # the largest share of this machine's memory a check may plan to use


class CheckFailed(Exception):
    """A one-line error: `status` is the exit code (1 for the user's input, 3 for a compiler bug)."""

    def __init__(self, message: str, status: int = EXIT_SPEC_ERROR):
        super().__init__(message)
        self.status = status


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    try:
        targets = _arguments(args)
    except CheckFailed as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.status
    try:
        return _check(args, targets)
    except CheckFailed as exc:
        print(f"error: {exc}", file=sys.stderr)
        if exc.status == EXIT_INTERNAL:
            print("please report this with the spec and the command line (SNNC_DEBUG=1 shows the traceback)",
                  file=sys.stderr)
        return exc.status
    except KeyboardInterrupt:
        return 130


def _arguments(args: argparse.Namespace) -> list[str]:
    """The targets; CheckFailed (usage, exit 2) for any argument out of its range."""
    targets = [t.strip().lower() for t in args.targets.split(",") if t.strip()]
    unknown = [t for t in targets if t not in TARGETS]
    if unknown or not targets:
        raise CheckFailed(f"unknown target(s) {', '.join(unknown) or '(none)'}; choose from {', '.join(TARGETS)}",
                          EXIT_USAGE)
    for option, value in (("--batch", args.batch), ("--threads", args.threads), ("--time-steps", args.time_steps)):
        if value is not None and value < 1:
            raise CheckFailed(f"{option} must be at least 1", EXIT_USAGE)
    if args.threads is not None and args.threads > MAX_THREADS:
        raise CheckFailed(f"--threads {args.threads}: at most {MAX_THREADS}", EXIT_USAGE)
    if not 0 <= args.seed <= MAX_SEED:
        raise CheckFailed(f"--seed must be between 0 and {MAX_SEED}", EXIT_USAGE)
    if not 0.0 <= args.rate <= 1.0:  # also refuses nan
        raise CheckFailed(f"--rate {args.rate}: a spike probability between 0 and 1", EXIT_USAGE)
    if args.plot is not None:
        plot = Path(args.plot)
        if plot.suffix.lower() not in (".png", ".svg", ".pdf") or plot.is_dir():
            raise CheckFailed(f"--plot {args.plot!r}: give a .png, .svg or .pdf file name", EXIT_USAGE)
        from .output import SameFileError, check_outputs

        try:
            check_outputs([(plot, "the --plot picture")], _inputs(args))
        except SameFileError as exc:
            raise CheckFailed(str(exc), EXIT_USAGE) from None
    return targets


def _inputs(args: argparse.Namespace) -> list[tuple[Path, str]]:
    """The files `check` reads, which nothing it writes may replace."""
    named = [(args.spec, "the spec"), (args.weights, "the --weights file"), (args.inputs, "the --inputs file")]
    return [(Path(path), what) for path, what in named if path]


def _memory_needed(graph: Graph, steps: int, batch: int, targets: int) -> int:
    """Bytes a run keeps at least: float32 input, every op's output and every population's
    membrane over all steps, and the weights, once per target and once more for the comparison."""
    values = math.prod(graph.input().shape) + sum(
        math.prod(op.shape) * (2 if op.kind == "population" else 1) for op in graph.ops())
    weights = sum(math.prod(shape) for shape in graph.weight_shapes().values())
    return 4 * (steps * batch * values + weights) * (targets + 1)


def _memory_available() -> int:
    try:
        return int(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") * MEMORY_SHARE)
    except (ValueError, OSError, AttributeError):
        return 8 * 2**30


def _check(args: argparse.Namespace, targets: list[str]) -> int:
    try:
        import torch
    except ImportError:
        raise CheckFailed("'check' runs the generated models and needs torch and the simulators: "
                          "pip install 'snnc[sim]' (or make test)") from None
    from .build import compile_spec

    compiled = {}
    try:
        for target in targets:
            compiled[target] = compile_spec(Path(args.spec), target=target)
    except CompileError as exc:
        for d in exc.diagnostics:
            print(d.render(), file=sys.stderr)
        return EXIT_SPEC_ERROR

    first = compiled[targets[0]].graph
    own = first.attrs.source_simulator if first.attrs.source_simulator in targets else targets[0]
    steps = args.time_steps or first.attrs.time_steps
    pops = [p.name for p in first.populations()]
    from .weightfile import WeightFileError, load, load_inputs

    try:
        if args.weights:
            weights = {k: torch.from_numpy(v) for k, v in load(Path(args.weights), first.weight_shapes()).items()}
        else:
            weights = random_weights(first, args.seed, args.quantized)
        if args.inputs:
            inputs = load_inputs(Path(args.inputs), first.input().shape)
            steps = inputs.shape[0]
            if args.time_steps is not None or args.batch != 16:
                print("note: --time-steps and --batch apply to random inputs; --inputs sets both", file=sys.stderr)
    except WeightFileError as exc:
        raise CheckFailed(str(exc)) from None
    batch = inputs.shape[1] if args.inputs else args.batch
    needed, available = _memory_needed(first, steps, batch, len(targets)), _memory_available()
    if needed > available:
        raise CheckFailed(f"{steps} time steps x batch {batch} of this model need about {needed / 2**30:.3g} GiB "
                          f"to run and compare, more than the {available / 2**30:.3g} GiB check allows itself on "
                          "this machine; lower --time-steps or --batch")
    if args.threads:
        torch.set_num_threads(args.threads)
    if not args.inputs:
        gen = torch.Generator().manual_seed(args.seed + 1)
        inputs = (torch.rand(steps, batch, *first.input().shape, generator=gen) < args.rate).float()

    runs = {}
    with tempfile.TemporaryDirectory(prefix="snnc-check-") as tmp:
        for target in targets:
            runs[target] = _run_module(compiled[target].source, Path(tmp), target, weights, inputs)

    weights_from = args.weights or f"seed {args.seed}, {'quantized' if args.quantized else 'Gaussian'} weights"
    inputs_from = args.inputs or f"random spikes at rate {args.rate}"
    print(f"{first.attrs.model_name}: T={steps}, batch={inputs.shape[1]}, threads={torch.get_num_threads()}, "
          f"{weights_from}, {inputs_from}; reference: {own}")
    ok = True
    for pop in pops:
        rate = runs[own][pop].mean().item()
        shape = "x".join(map(str, first.op(pop).shape))
        print(f"\n{pop} ({shape} neurons, firing rate {rate:.4f})")
        print(f"  {'target':<14}{'agreement':>12}{'first diff':>12}{'max |dV|':>12}")
        for target in targets:
            agree, step, dv = compare(runs[own], runs[target], [pop])[pop]
            ok &= agree == 1.0 and dv == 0.0
            print(f"  {target:<14}{agree:>11.3%}{'-' if step is None else step:>12}{dv:>12.3g}")
    print("\nall targets agree" if ok else "\nTARGETS DISAGREE")
    if args.plot:
        from .output import OutputError, write_outputs
        from .raster import draw_agreement

        try:
            picture = draw_agreement(runs, own, pops, f"{first.attrs.model_name}: spikes per target",
                                     Path(args.plot).suffix.lower()[1:])
            write_outputs([(Path(args.plot), picture, "the --plot picture")], _inputs(args))
        except OutputError as exc:
            raise CheckFailed(str(exc)) from None
        print(f"picture: {args.plot}")
    return EXIT_OK if ok else EXIT_SPEC_ERROR


def _run_module(source: str, directory: Path, target: str, weights: dict, inputs) -> dict:
    """The generated module's run(..., membrane=True); whatever it raises becomes one line: running
    out of memory is the user's size (exit 1), anything else a compiler bug (exit 3)."""
    try:
        module = load_module(source, directory, f"check_{target}")
        model = module.load_weights(module.build_model(), weights)
        return module.run(model, inputs, membrane=True)
    except MemoryError:
        raise CheckFailed(f"the {target} model ran out of memory; lower --time-steps or --batch") from None
    except Exception as exc:  # the generated code is the compiler's: a bug, reported in one line
        if isinstance(exc, RuntimeError) and "alloc" in str(exc).lower():
            raise CheckFailed(f"the {target} model ran out of memory ({_first_line(exc)}); lower --time-steps "
                              "or --batch") from None
        if os.environ.get("SNNC_DEBUG") == "1":
            traceback.print_exc()
        raise CheckFailed(f"internal error: the generated {target} module raised {type(exc).__name__}: "
                          f"{_first_line(exc)}", EXIT_INTERNAL) from None


def _first_line(exc: BaseException) -> str:
    from .diagnostics import printable

    text = str(exc).strip().splitlines()
    return printable(text[0]) if text else ""
