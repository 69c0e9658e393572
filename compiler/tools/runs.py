"""Running generated modules for the tools that do (`check`, `stats`): arguments, weights, inputs, errors.

What the tools share: the ranges of their arguments (a seed torch accepts, a thread count
that cannot crash torch, a spike probability), seeded random weights scaled to make every
population fire, seeded random input spikes, a memory bound checked before anything is
allocated, and `run_module`, which imports a generated module and runs it under the
compiler's one-line error rule: running out of memory is the user's size (exit 1),
anything else a bug in the generated code, that is, the compiler's (exit 3).
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import os
import traceback
from pathlib import Path

from ir.graph import Graph

from ..diagnostics import EXIT_INTERNAL, EXIT_SPEC_ERROR, EXIT_USAGE, printable

MAX_THREADS = 256  # torch.set_num_threads far beyond the machine's cores ends in a crash, not an error
MAX_SEED = 2**63 - 2  # torch generators take 64-bit seeds; the inputs use seed + 1
MEMORY_SHARE = 0.5  # the largest share of this machine's memory a run may plan to use


class RunFailed(Exception):
    """A one-line error: `status` is the exit code (1 the user's input, 2 usage, 3 a compiler bug)."""

    def __init__(self, message: str, status: int = EXIT_SPEC_ERROR):
        super().__init__(message)
        self.status = status


def add_run_arguments(p: argparse.ArgumentParser, batch: int) -> None:
    """The options every tool that runs a model shares."""
    p.add_argument("--seed", type=int, default=0, help="seed of weights and input (default 0)")
    p.add_argument("--batch", type=int, default=batch, help=f"batch size of the random input (default {batch})")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's own choice)")
    p.add_argument("--time-steps", type=int, default=None, help="steps to simulate (default: the compiled TIME_STEPS)")
    p.add_argument("--rate", type=float, default=0.2, help="input spike probability per step (default 0.2)")
    p.add_argument("--weights", metavar="W", help="run with these weights: a .pt (export_weights' dict) or an .npz "
                                                 "with the same keys (default: seeded random ones)")
    p.add_argument("--inputs", metavar="X", help="run on these inputs [T, B, *INPUT_SHAPE] (or [T, *INPUT_SHAPE]): "
                                                "a .pt tensor or an .npz with one array (default: seeded random spikes)")


def check_run_arguments(args: argparse.Namespace) -> None:
    """RunFailed (usage, exit 2) for any shared option out of its range."""
    for option, value in (("--batch", args.batch), ("--threads", args.threads), ("--time-steps", args.time_steps)):
        if value is not None and value < 1:
            raise RunFailed(f"{option} must be at least 1", EXIT_USAGE)
    if args.threads is not None and args.threads > MAX_THREADS:
        raise RunFailed(f"--threads {args.threads}: at most {MAX_THREADS}", EXIT_USAGE)
    if not 0 <= args.seed <= MAX_SEED:
        raise RunFailed(f"--seed must be between 0 and {MAX_SEED}", EXIT_USAGE)
    if not 0.0 <= args.rate <= 1.0:  # also refuses nan
        raise RunFailed(f"--rate {args.rate}: a spike probability between 0 and 1", EXIT_USAGE)


def read_inputs(args: argparse.Namespace) -> list[tuple[Path, str]]:
    """The files a tool reads (spec, weights, inputs), which nothing it writes may replace."""
    named = [(args.spec, "the spec"), (args.weights, "the --weights file"), (args.inputs, "the --inputs file")]
    return [(Path(path), what) for path, what in named if path]


def drive_of(neuron) -> tuple[float, float]:
    """(threshold - resting value, the factor the neuron scales its input by) of a canonical neuron,
    as its family says (`Neuron.drive`)."""
    return neuron.drive()


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
    for pop in graph.populations():  # learned neuron parameters start at the spec's values
        weights.update({f"{pop.name}.{key}": torch.tensor(value) for key, value in pop.neuron.learned().items()})
    for op in graph.parametric():
        pop = _fed_population(graph, op.name)
        drive, gain = drive_of(pop.neuron) if pop is not None else (1.0, 1.0)
        gap = 2.0 ** round(math.log2(drive / gain))
        for key, slot in op.weight_slots().items():
            weights[key] = _draw(torch, gen, slot, gap, quantized)
    return weights


def _draw(torch, gen, slot, gap: float, quantized: bool):
    """A random value for one weight slot, as its kind says it is drawn (`ir.ops.Slot.draw`)."""
    shape, draw = slot.shape, slot.draw
    if draw == "fan_in":  # a projection: its sum of fan_in terms reaches the threshold-to-rest gap
        fan_in = math.prod(shape[1:])
        if quantized:
            step = 1.0 / 16 if fan_in > 100 else 1.0 / 8
            return torch.randint(-2, 3, shape, generator=gen).float() * step * gap
        return torch.randn(shape, generator=gen) * (2.0 / fan_in**0.5) * gap
    if draw in ("bias", "shift"):
        if quantized:
            return torch.randint(-2, 3, shape, generator=gen).float() / 16 * gap
        return torch.randn(shape, generator=gen) * 0.1 * gap
    if draw == "scale":  # a normalised input's gain: around the gap
        if quantized:
            return (1 + torch.randint(-2, 3, shape, generator=gen).float() / 8) * gap
        return (1 + torch.randn(shape, generator=gen) * 0.25) * gap
    if draw == "mean":
        if quantized:
            return torch.randint(-2, 3, shape, generator=gen).float() / 16
        return torch.randn(shape, generator=gen) * 0.1
    if draw == "variance":  # positive
        if quantized:
            return torch.randint(2, 7, shape, generator=gen).float() / 4
        return torch.rand(shape, generator=gen) + 0.5
    raise ValueError(f"no way to draw a {draw!r} weight")


def random_spikes(graph: Graph, steps: int, batch: int, rate: float, seed: int):
    """Seeded input spikes [steps, batch, *INPUT_SHAPE] at probability `rate` (seed + 1: the weights use seed)."""
    import torch

    gen = torch.Generator().manual_seed(seed + 1)
    return (torch.rand(steps, batch, *graph.input().shape, generator=gen) < rate).float()


def check_memory(graph: Graph, steps: int, batch: int, copies: int) -> None:
    """RunFailed unless `copies` runs of T x B fit in the share of memory a run allows itself:
    float32 input, every op's output and every population's membrane over all steps, and the
    weights, each `copies` times."""
    values = math.prod(graph.input().shape) + sum(
        math.prod(op.shape) * (2 if op.kind == "population" else 1) for op in graph.ops())
    weights = sum(math.prod(shape) for shape in graph.weight_shapes().values())
    needed = 4 * (steps * batch * values + weights) * copies
    try:
        available = int(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") * MEMORY_SHARE)
    except (ValueError, OSError, AttributeError):
        available = 8 * 2**30
    if needed > available:
        raise RunFailed(f"{steps} time steps x batch {batch} of this model need about {needed / 2**30:.3g} GiB, "
                        f"more than the {available / 2**30:.3g} GiB a run allows itself on this machine; lower "
                        "--time-steps or --batch")


def load_module(source: str, directory: Path, stem: str):
    """Write generated source to `directory/stem.py` and import it as a fresh module."""
    path = directory / f"{stem}.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def state_dict_reader(sources):
    """For `weightfile.load`: the weights of a generated model's own `state_dict()` under the
    contract's keys, from the first of the generated modules `sources()` ({target: source}, asked
    for only when a file needs it) whose `load_weights` accepts it (None if none does)."""

    def read(arrays: dict) -> dict | None:
        import tempfile

        import torch

        tensors = {key: torch.from_numpy(value) for key, value in arrays.items()}
        with tempfile.TemporaryDirectory(prefix="snnc-state-") as tmp:
            for target, source in sources().items():
                module = load_module(source, Path(tmp), f"state_{target}")
                try:
                    model = module.load_weights(module.build_model(), tensors)
                except ValueError:
                    continue
                return {key: value.numpy() for key, value in module.export_weights(model).items()}
        return None

    return read


def guarded(target: str, action):
    """`action()` (which imports and runs a generated module); whatever it raises becomes a RunFailed:
    running out of memory is the user's size (exit 1), anything else a compiler bug (exit 3)."""
    try:
        return action()
    except MemoryError:
        raise RunFailed(f"the {target} model ran out of memory; lower --time-steps or --batch") from None
    except RunFailed:
        raise
    except Exception as exc:  # the generated code is the compiler's: a bug, reported in one line
        if isinstance(exc, RuntimeError) and "alloc" in str(exc).lower():
            raise RunFailed(f"the {target} model ran out of memory ({_first_line(exc)}); lower --time-steps "
                            "or --batch") from None
        if os.environ.get("SNNC_DEBUG") == "1":
            traceback.print_exc()
        raise RunFailed(f"internal error: the generated {target} module raised {type(exc).__name__}: "
                        f"{_first_line(exc)}", EXIT_INTERNAL) from None


def run_module(source: str, directory: Path, target: str, weights: dict, inputs) -> dict:
    """The generated module's run(..., membrane=True) under `guarded`."""
    def action():
        module = load_module(source, directory, f"run_{target}")
        model = module.load_weights(module.build_model(), weights)
        model.eval()  # inference: batch norm with its running statistics, dropout off, as BindsNET
        return module.run(model, inputs, membrane=True)

    return guarded(target, action)


def report(exc: RunFailed) -> int:
    """Print a RunFailed as the tools do (one line; a bug says where to report it); its exit status."""
    import sys

    print(f"error: {exc}", file=sys.stderr)
    if exc.status == EXIT_INTERNAL:
        print("please report this with the spec and the command line (SNNC_DEBUG=1 shows the traceback)",
              file=sys.stderr)
    return exc.status


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return printable(text[0]) if text else ""
