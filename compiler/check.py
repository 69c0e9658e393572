"""`python -m compiler check SPEC`: compile a spec for every target and prove the outputs agree.

Each target's module is generated, loaded with the same seeded weights and run on
the same seeded input spikes; the table shows, per population and target, the
spike agreement with the spec's own simulator, the first differing step and the
largest membrane difference. Exit 0 only when every target agrees 100%.
torch runs on one thread here: CPU BLAS rounds a matrix product differently
depending on how threads split it, and this command tests the models, not BLAS.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
from pathlib import Path

from ir.graph import Graph

from .diagnostics import EXIT_OK, EXIT_SPEC_ERROR, EXIT_USAGE, CompileError

TARGETS = ("snntorch", "spikingjelly", "bindsnet")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m compiler check", description=__doc__.splitlines()[0])
    p.add_argument("spec", help="the JSON model spec")
    p.add_argument("--targets", default=",".join(TARGETS), help="comma-separated targets (default: all three)")
    p.add_argument("--seed", type=int, default=0, help="seed of weights and input (default 0)")
    p.add_argument("--batch", type=int, default=16, help="batch size of the random input (default 16)")
    p.add_argument("--time-steps", type=int, default=None, help="steps to simulate (default: the compiled TIME_STEPS)")
    p.add_argument("--rate", type=float, default=0.2, help="input spike probability per step (default 0.2)")
    p.add_argument("--quantized", action="store_true", help="tie-prone weights (multiples of 1/16) instead of Gaussian")
    return p


def random_weights(graph: Graph, seed: int = 0, quantized: bool = False):
    """Seeded weights for every projection of `graph`, scaled by the power of two nearest
    each population's threshold-to-rest gap over its input gain, so that biological-voltage models fire as
    often as unit ones. `quantized` gives dyadic weights (multiples of 1/16 or 1/8 times
    that power of two) whose sums hit thresholds exactly: the tie-prone case."""
    import math

    import torch

    gen = torch.Generator().manual_seed(seed)
    weights = {}
    for pop in graph.populations():
        fc = graph.projection(pop.name)
        n = pop.neuron
        base = n.v_rest if n.v_rest is not None else n.v_init
        drive = abs(n.v_threshold - base) or 1.0
        gap = 2.0 ** round(math.log2(drive / n.input_gain()))
        if quantized:
            step = 1.0 / 16 if fc.in_features > 100 else 1.0 / 8
            w = torch.randint(-2, 3, (fc.out_features, fc.in_features), generator=gen).float() * step
        else:
            w = torch.randn(fc.out_features, fc.in_features, generator=gen) * (2.0 / fc.in_features**0.5)
        weights[f"{pop.name}.weight"] = w * gap
        if fc.bias:
            if quantized:
                b = torch.randint(-2, 3, (fc.out_features,), generator=gen).float() / 16
            else:
                b = torch.randn(fc.out_features, generator=gen) * 0.1
            weights[f"{pop.name}.bias"] = b * gap
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
    out = {}
    for pop in populations:
        a, b = reference[pop], other[pop]
        same = a == b
        steps = (~same).flatten(1).any(dim=1).nonzero()
        dv = (reference[pop + ".v"].double() - other[pop + ".v"].double()).abs().max().item()
        out[pop] = (same.float().mean().item(), int(steps[0]) if len(steps) else None, dv)
    return out


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    unknown = [t for t in targets if t not in TARGETS]
    if unknown or not targets:
        print(f"error: unknown target(s) {', '.join(unknown) or '(none)'}; choose from {', '.join(TARGETS)}", file=sys.stderr)
        return EXIT_USAGE
    try:
        import torch
    except ImportError:
        print("error: 'check' runs the generated models and needs torch and the simulators: "
              "pip install 'snnc[sim]' (or make test)", file=sys.stderr)
        return EXIT_SPEC_ERROR
    from .build import compile_spec

    compiled = {}
    try:
        for target in targets:
            compiled[target] = compile_spec(Path(args.spec), target=target)
    except CompileError as exc:
        for d in exc.diagnostics:
            print(d.render(), file=sys.stderr)
        return EXIT_SPEC_ERROR

    torch.set_num_threads(1)
    first = compiled[targets[0]].graph
    own = first.attrs.source_simulator if first.attrs.source_simulator in targets else targets[0]
    steps = args.time_steps or first.attrs.time_steps
    pops = [p.name for p in first.populations()]
    weights = random_weights(first, args.seed, args.quantized)
    gen = torch.Generator().manual_seed(args.seed + 1)
    inputs = (torch.rand(steps, args.batch, first.inputs()[0].size, generator=gen) < args.rate).float()

    runs = {}
    with tempfile.TemporaryDirectory(prefix="snnc-check-") as tmp:
        for target in targets:
            module = load_module(compiled[target].source, Path(tmp), f"check_{target}")
            model = module.load_weights(module.build_model(), weights)
            runs[target] = module.run(model, inputs, membrane=True)

    print(f"{first.attrs.model_name}: T={steps}, batch={args.batch}, seed={args.seed}, "
          f"{'quantized' if args.quantized else 'Gaussian'} weights; reference: {own}")
    ok = True
    for pop in pops:
        rate = runs[own][pop].mean().item()
        print(f"\n{pop} ({runs[own][pop].shape[-1]} neurons, firing rate {rate:.4f})")
        print(f"  {'target':<14}{'agreement':>12}{'first diff':>12}{'max |dV|':>12}")
        for target in targets:
            agree, step, dv = compare(runs[own], runs[target], [pop])[pop]
            ok &= agree == 1.0
            print(f"  {target:<14}{agree:>11.3%}{'-' if step is None else step:>12}{dv:>12.3g}")
    print("\nall targets agree" if ok else "\nTARGETS DISAGREE")
    return EXIT_OK if ok else EXIT_SPEC_ERROR
