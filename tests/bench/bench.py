"""snnc benchmarks: prints figures side by side with their baselines; asserts nothing.

Run: `make bench` (or `python tests/bench/bench.py [--quick] [--threads N] [--only SECTION,...]`).
Timings interleave the contenders and take the minimum (this machine is shared and noisy).

Sections:
  compile    in-process compile time and generated line count, snnc vs a Jinja2+black template
             pipeline (tests/bench/template.py), on C1-C8 and a 100-layer chain; whole-process time
  inference  generated run() vs models written by hand the way each simulator's users write them:
             784-256-10 MLP (T=100, B=32), the snnTorch tutorial CSNN and a SpikingJelly conv
             Sequential (T=25, B=16), an RLeaky loop; spikes compared
  exactness  what exact projections cost: one step at a time vs the whole [T*B] batch
  invariance on this machine: which projection shapes give the same bits one step at a time (as
             every generated module computes them) and over all T*B rows at once (as SpikingJelly's
             multi-step layers do), per batch size and thread count: where a simulator's own
             multi-step idiom can be expected to equal the generated modules here, and where not
  training   one training step (forward, backward, Adam) of the generated snnTorch and SpikingJelly
             modules vs the snnTorch tutorial loop and SpikingJelly's multi-step Sequential
  batchnorm  the batch-norm CSNN of `make demo-bn` (specs/digits_bn.json: conv-BN-IF-pool twice, 128 IF,
             10 IF; 8x8 digits, T=8, B=32): the generated snnTorch and SpikingJelly modules vs a
             hand-written snnTorch loop and SpikingJelly multi-step Sequential (tests/bench/handwritten.py),
             eval-mode inference and one training step in training mode; spikes (and gradients) compared
  nir        one NIR file (Affine 16-24, LIF, Affine 24-4, LIF; tau = dt/(1-0.8), r = tau/dt, dt = 1e-4)
             read by snnc (three targets), by snnTorch's importer and by SpikingJelly's: output spike
             agreement over 20 seeds, spike and Gaussian-current inputs, T = 30, B = 8
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common as c  # noqa: E402

SECTIONS = ("compile", "inference", "exactness", "invariance", "training", "batchnorm", "nir")


def section(title: str) -> None:
    print(f"\n== {title} " + "=" * max(0, 86 - len(title)), flush=True)


def race(contenders: dict, repeats: int) -> dict[str, float]:
    """Run each contender `repeats` times, interleaved; the minimum seconds of each."""
    best = {k: float("inf") for k in contenders}
    for fn in contenders.values():
        fn()  # warm-up
    for _ in range(repeats):
        for k, fn in contenders.items():
            start = time.perf_counter()
            fn()
            best[k] = min(best[k], time.perf_counter() - start)
    return best


# -- compile ---------------------------------------------------------------------------------------------------


def bench_compile(tmp: Path, repeats: int) -> None:
    import template
    from compiler import compile_spec

    section("compile time in process (min) and generated lines: snnc vs Jinja2+black template")
    chain = c.write_spec(c.chain_spec(100), tmp, "chain100")
    specs = sorted(c.SPECS.glob("C*.json")) + [chain]
    print(f"{'spec':<9}{'target':<14}{'snnc':>9}{'template':>10}{'ratio':>7}{'snnc lines':>12}{'template':>10}"
          f"{'ratio':>7}")
    ratios: dict[str, list[float]] = {"C1-C8 time": [], "C1-C8 lines": []}
    for spec in specs:
        for target in c.TARGETS:
            try:
                template.render(spec, target)
            except Exception:  # the template does not cover it (BindsNET conv)
                continue
            best = race({"snnc": lambda: compile_spec(spec, target=target),
                         "template": lambda: template.render(spec, target)}, repeats if spec != chain else 2)
            ours = len(compile_spec(spec, target=target).source.splitlines())
            theirs = len(template.render(spec, target).splitlines())
            t_ratio, l_ratio = best["snnc"] / best["template"], ours / theirs
            if spec != chain:
                ratios["C1-C8 time"].append(t_ratio)
                ratios["C1-C8 lines"].append(l_ratio)
            print(f"{spec.stem:<9}{target:<14}{best['snnc'] * 1e3:7.1f}ms{best['template'] * 1e3:8.1f}ms"
                  f"{t_ratio:6.1f}x{ours:>12}{theirs:>10}{l_ratio:6.1f}x", flush=True)
            if spec == chain:
                GOALS.append((f"compile: 100-layer chain for {target}, time vs the template", "-", f"{t_ratio:.3f}x",
                              "<= 1.5x", t_ratio <= 1.5))
    for what, values in ratios.items():
        print(f"{what}: median ratio {statistics.median(values):.1f}x (range {min(values):.1f}-{max(values):.1f}x)")
    procs = [c.compile_cli(c.SPECS / "C1.json", "snntorch", tmp / "c1.py") for _ in range(3)]
    print(f"whole process, `python -m compiler specs/C1.json` (imports included): {min(procs) * 1e3:.0f} ms")


# -- inference -------------------------------------------------------------------------------------------------


# The performance goals, filled as the sections run and printed together at the end, each figure
# with its goal: (what, numerics, figure, goal, met).
GOALS: list[tuple[str, str, str, str, bool]] = []
NUMERICS = ("exact", "batched")


def speed_goal(what: str, numerics: str, ratio: float, goal: float | None) -> str:
    """Record a speed-up against its goal (none: not a goal); the text for the figure's row."""
    if goal is None:
        return ""
    GOALS.append((what, numerics, f"{ratio:.3f}x", f">= {goal:.1f}x", ratio >= goal))
    return f"  goal >={goal:.1f}x {'met' if ratio >= goal else 'NOT MET'}"


def print_goals() -> None:
    section("goals: each figure above with its goal")
    print(f"{'figure':<66}{'numerics':<9}{'value':>8}{'goal':>10}  met")
    for what, numerics, value, goal, met in GOALS:
        print(f"{what:<66}{numerics:<9}{value:>8}{goal:>10}  {'yes' if met else 'NO'}")


def bench_inference(tmp: Path, repeats: int, quick: bool) -> None:
    import torch

    import handwritten as hw

    section("inference: generated run() vs hand-written models (min; same weights and input)")
    print(f"{'model':<54}{'numerics':<9}{'generated':>10}{'hand-written':>13}{'speed-up':>9}  spikes")

    def row(label: str, numerics: str, gen, hand, goal: float | None = None) -> None:
        want, got = hand(), gen()
        same = all(torch.equal(got[k], want[k]) for k in want)
        best = race({"gen": gen, "hand": hand}, repeats)
        ratio = best["hand"] / best["gen"]
        goal_note = speed_goal(f"inference: {label}", numerics, ratio, goal)
        print(f"{label:<54}{numerics:<9}{best['gen'] * 1e3:8.2f}ms{best['hand'] * 1e3:11.2f}ms{ratio:8.2f}x"
              f"  {'identical' if same else 'DIFFER'}{goal_note}", flush=True)

    def compiled(spec: dict, target: str, stem: str, numerics: str):
        return c.compile_and_import(c.write_spec(c.variant(spec, numerics=numerics), tmp, f"{stem}_{numerics}"),
                                    target, tmp)

    T, B, H = (20, 8, 64) if quick else (100, 32, 256)
    mlp = {"C1": ("snntorch", 0.95, 2.0), "C3": ("spikingjelly", 2.0, 1.0), "C5": ("bindsnet", None, 1.0)}
    weights = c.seeded_weights([784, H, 10], bias=True)
    x = c.bernoulli_input(T, B, 784)
    for config, (target, param, goal) in mlp.items():
        spec = _resize(c.variant(c.load_json(c.SPECS / f"{config}.json"), time_steps=T), H)
        if target == "snntorch":
            net = hw.build_snntorch(weights, beta=param)
            hand = lambda: hw.run_snntorch(net, x)  # noqa: E731
            label = f"{config} MLP 784-{H}-10 T={T} B={B}, snnTorch tutorial loop"
        elif target == "spikingjelly":
            net = hw.build_spikingjelly(weights, tau=param)
            hand = lambda: hw.run_spikingjelly(net, x)  # noqa: E731
            label = f"{config} MLP, SpikingJelly multi-step Sequential"
        else:
            w = {k: v for k, v in weights.items() if not k.endswith(".bias")}  # BindsNET specs have no bias
            net = hw.build_bindsnet(w, batch_size=B, time=T + 2)
            hand = lambda: hw.run_bindsnet(net, x)  # noqa: E731
            label = f"{config} MLP, BindsNET Network.run (delayed)"
        for numerics in NUMERICS if target != "bindsnet" else ("exact",):  # BindsNET steps: always exact
            mod = compiled(spec, target, config, numerics)
            model = mod.load_weights(mod.build_model(), {k: v for k, v in weights.items() if k in mod.WEIGHTS})
            row(label, numerics, lambda mod=mod, model=model: mod.run(model, x), hand, goal)

    T, B = (10, 4) if quick else (25, 16)
    xc = c.bernoulli_input(T, B, 784).reshape(T, B, 1, 28, 28)
    csnn = c.variant(c.load_json(c.SPECS / "C7.json"), time_steps=T)
    torch.manual_seed(0)
    first = compiled(csnn, "snntorch", "C7", "exact")
    w = first.export_weights(first.build_model())
    net = hw.build_csnn(w, beta=0.5)
    for numerics in NUMERICS:
        mod = compiled(csnn, "snntorch", "C7", numerics)
        model = mod.load_weights(mod.build_model(), w)
        row(f"C7 CSNN T={T} B={B}, snnTorch tutorial 7 loop", numerics, lambda mod=mod, model=model: mod.run(model, xc),
            lambda: hw.run_csnn(net, xc), 1.2)

    sj_conv = hw.SJ_CONV_SPEC | {"time_steps": T}
    torch.manual_seed(0)
    first = compiled(sj_conv, "spikingjelly", "sjconv", "exact")
    w = first.export_weights(first.build_model())
    net = hw.build_sj_conv(w)
    for numerics in NUMERICS:
        mod = compiled(sj_conv, "spikingjelly", "sjconv", numerics)
        model = mod.load_weights(mod.build_model(), w)
        row(f"conv IF T={T} B={B}, SpikingJelly multi-step Sequential", numerics,
            lambda mod=mod, model=model: mod.run(model, xc), lambda: hw.run_sj_conv(net, xc), 1.0)

    T, B, H = (20, 8, 32) if quick else (100, 32, 128)
    rspec = c.write_spec(hw.rleaky_spec(100, H, T), tmp, "rleaky")
    mod = c.compile_and_import(rspec, "snntorch", tmp)
    torch.manual_seed(0)
    model = mod.build_model()
    w = mod.export_weights(model)
    net = hw.build_rleaky(w, 100, H)
    xr = c.bernoulli_input(T, B, 100)
    row(f"RLeaky 100-{H}(rec)-10 T={T} B={B}, snn.RLeaky loop", "exact", lambda: mod.run(model, xr),
        lambda: hw.run_rleaky(net, xr))


def _resize(spec: dict, hidden: int) -> dict:
    layers = [dict(layer) for layer in spec["layers"]]
    layers[0]["out_features"] = hidden
    layers[2]["in_features"] = hidden
    return {**spec, "layers": layers}


# -- exactness -------------------------------------------------------------------------------------------------


def bench_exactness(repeats: int, quick: bool) -> None:
    import torch
    import torch.nn.functional as F

    section("what exactness costs: projections one time step at a time vs over all T*B rows at once")
    print(f"{'projection':<42}{'per step':>11}{'batched':>11}{'cost':>8}  equal bits")
    T = 20 if quick else 100
    for n_in, n_out, B in ((784, 256, 32), (784, 256, 1), (256, 10, 32)):
        x = (torch.rand(T, B, n_in) < 0.2).float()
        w, b = torch.randn(n_out, n_in) * 0.05, torch.randn(n_out) * 0.1
        per = lambda: torch.stack([F.linear(x[t], w, b) for t in range(T)])  # noqa: E731
        whole = lambda: F.linear(x, w, b)  # noqa: E731
        best = race({"per": per, "whole": whole}, repeats)
        print(f"{f'linear {n_in}->{n_out}, T={T}, B={B}':<42}{best['per'] * 1e3:9.2f}ms{best['whole'] * 1e3:9.2f}ms"
              f"{best['per'] / best['whole']:7.2f}x  {torch.equal(per(), whole())}", flush=True)
    Tc = 10 if quick else 25
    for c_in, c_out, hw_, B in ((1, 12, 28, 16), (12, 64, 12, 16)):
        x = (torch.rand(Tc, B, c_in, hw_, hw_) < 0.3).float()
        w, b = torch.randn(c_out, c_in, 5, 5) * 0.1, torch.randn(c_out) * 0.1
        per = lambda: torch.stack([F.conv2d(x[t], w, b) for t in range(Tc)])  # noqa: E731
        whole = lambda: F.conv2d(x.flatten(0, 1), w, b).unflatten(0, (Tc, B))  # noqa: E731
        best = race({"per": per, "whole": whole}, repeats)
        label = f"conv {c_in}->{c_out} 5x5 on {hw_}x{hw_}, T={Tc}, B={B}"
        print(f"{label:<42}{best['per'] * 1e3:9.2f}ms{best['whole'] * 1e3:9.2f}ms{best['per'] / best['whole']:7.2f}x"
              f"  {torch.equal(per(), whole())}", flush=True)


def bench_invariance(quick: bool) -> None:
    import torch
    import torch.nn.functional as F

    def aligned(t):
        return t if t.data_ptr() % 64 == 0 else t.clone()

    section("batch invariance here: per-step products (aligned, as generated) == the [T*B] product?")
    batches = (1, 4, 16, 32)
    linears = ((784, 256), (256, 10), (64, 128), (128, 10), (100, 64), (8, 6))
    convs = ((1, 12, 28, (5, 5), 0), (12, 64, 12, (5, 5), 0), (2, 6, 16, (3, 5), (1, 2)), (6, 8, 8, (3, 3), 1))
    T = 4 if quick else 8
    threads = torch.get_num_threads()
    gen = torch.Generator().manual_seed(0)
    for n in sorted({1, 2, threads}):
        torch.set_num_threads(n)
        print(f"threads {n}: {'shape':<40}" + "".join(f"{f'B={b}':>7}" for b in batches))
        for n_in, n_out in linears:
            w, b = torch.randn(n_out, n_in, generator=gen) * 0.05, torch.randn(n_out, generator=gen) * 0.1
            row = []
            for batch in batches:
                x = (torch.rand(T, batch, n_in, generator=gen) < 0.3).float()
                per = torch.stack([F.linear(aligned(x[t]), w, b) for t in range(T)])
                row.append("=" if torch.equal(per, F.linear(x, w, b)) else "differ")
            print(f"{'':11}{f'linear {n_in}->{n_out}':<40}" + "".join(f"{r:>7}" for r in row))
        for c_in, c_out, size, kernel, pad in convs:
            w = torch.randn(c_out, c_in, *kernel, generator=gen) * 0.1
            b = torch.randn(c_out, generator=gen) * 0.1
            row = []
            for batch in batches:
                x = (torch.rand(T, batch, c_in, size, size, generator=gen) < 0.3).float()
                per = torch.stack([F.conv2d(aligned(x[t]), w, b, padding=pad) for t in range(T)])
                whole = F.conv2d(x.flatten(0, 1), w, b, padding=pad).unflatten(0, (T, batch))
                row.append("=" if torch.equal(per, whole) else "differ")
            label = f"conv {c_in}->{c_out} {kernel[0]}x{kernel[1]} on {size}x{size}"
            print(f"{'':11}{label:<40}" + "".join(f"{r:>7}" for r in row))
    torch.set_num_threads(threads)
    print("'=': SpikingJelly's multi-step layers and snnTorch's batched idioms compute these shapes with the same "
          "bits as snnc's modules on this machine at this thread count; 'differ': they do not, so a spike can "
          "differ where rounding decides it (snnc's modules still agree with each other everywhere)")


# -- training --------------------------------------------------------------------------------------------------


def bench_training(tmp: Path, repeats: int, quick: bool) -> None:
    import torch

    import handwritten as hw

    section("training: one step (forward, backward, Adam), generated vs hand-written (min)")
    T, B, H = (10, 16, 64) if quick else (25, 64, 256)
    x = c.bernoulli_input(T, B, 784)
    labels = torch.randint(0, 10, (B,), generator=torch.Generator().manual_seed(3))
    weights = c.seeded_weights([784, H, 10], bias=True)
    print(f"{'model (784-' + str(H) + '-10, T=' + str(T) + ', B=' + str(B) + ')':<46}{'numerics':<9}{'generated':>10}"
          f"{'hand-written':>13}{'speed-up':>9}")
    for config, target in (("C1", "snntorch"), ("C3", "spikingjelly")):
        if target == "snntorch":
            net = hw.build_snntorch(weights, beta=0.95).train()
            forward = lambda: net(x)[1]  # noqa: E731
            label = "C1 snnTorch vs the tutorial training loop"
        else:
            net = hw.build_spikingjelly(weights, tau=2.0).train()
            forward = lambda: hw.forward_spikingjelly_grad(net, x)  # noqa: E731
            label = "C3 SpikingJelly vs its multi-step Sequential"
        hand_opt = torch.optim.Adam(net.parameters(), lr=1e-3)

        def hand_step():
            loss = torch.nn.functional.cross_entropy(forward().sum(0), labels)
            hand_opt.zero_grad()
            loss.backward()
            hand_opt.step()

        for numerics in NUMERICS:
            spec = _resize(c.variant(c.load_json(c.SPECS / f"{config}.json"), time_steps=T, numerics=numerics), H)
            mod = c.compile_and_import(c.write_spec(spec, tmp, f"train_{config}_{numerics}"), target, tmp)
            model = mod.load_weights(mod.build_model(), weights)
            opt = torch.optim.Adam(model.parameters(), lr=1e-3)

            def gen_step(mod=mod, model=model, opt=opt):
                counts = mod.run(model, x, grad=True)["layer_2"].sum(0)
                loss = torch.nn.functional.cross_entropy(counts, labels)
                opt.zero_grad()
                loss.backward()
                opt.step()

            best = race({"gen": gen_step, "hand": hand_step}, repeats)
            ratio = best["hand"] / best["gen"]
            goal_note = speed_goal(f"training step: {label}", numerics, ratio, 1.0)
            print(f"{label:<46}{numerics:<9}{best['gen'] * 1e3:8.1f}ms{best['hand'] * 1e3:11.1f}ms{ratio:8.2f}x"
                  f"{goal_note}", flush=True)


def _same(want: dict, got: dict) -> str:
    """'identical', or which entries differ and how many of their values are equal."""
    import torch

    differ = [k for k in want if not torch.equal(want[k].detach(), got[k].detach())]
    if not differ:
        return "identical"
    return "DIFFER: " + ", ".join(f"{k} {(want[k] == got[k]).float().mean().item():.3%} equal" for k in differ)


def _bn_snntorch_spec(spec: dict) -> dict:
    """The batch-norm CSNN in snnTorch's vocabulary: each IFNode is snnTorch's IF (snn.Leaky(beta=1.0))."""
    layers = [{k: v for k, v in layer.items() if k != "surrogate_function"} for layer in spec["layers"]]
    return {**spec, "target_simulator": "snnTorch", "layers": layers}


def _bn_weights(mod, x, seed: int = 0) -> dict:
    """Weights of the batch-norm CSNN: torch's initialisation, batch-norm gains and shifts drawn around 1
    and 0, and running statistics as training leaves them (30 training-mode runs on x, no gradient)."""
    import torch

    torch.manual_seed(seed)
    model = mod.build_model()
    weights = mod.export_weights(model)
    g = torch.Generator().manual_seed(seed)
    for key in [k for k in weights if k.startswith("bn")]:
        if key.endswith(".weight"):
            weights[key] = 1 + 0.2 * torch.randn(weights[key].shape, generator=g)
        elif key.endswith(".bias"):
            weights[key] = 0.2 * torch.randn(weights[key].shape, generator=g)
    model = mod.load_weights(model, weights)
    model.train()
    for _ in range(30):
        mod.run(model, x)
    return mod.export_weights(model)


def _bn_inference(mod, build, forward, weights: dict, x) -> tuple:
    """Eval mode: (generated run, hand-written run, how their spikes compare, the generated firing rates)."""
    import torch

    model = mod.load_weights(mod.build_model(), weights).eval()
    net = build(weights).eval()

    def gen():
        return mod.run(model, x)

    @torch.no_grad()
    def hand():
        return forward(net, x)

    got = gen()
    rates = ", ".join(f"{k} {v.mean().item():.3f}" for k, v in got.items())
    return gen, hand, _same(hand(), got), rates


def _bn_training(mod, build, forward, weights: dict, x, labels) -> tuple:
    """Training mode: (a generated training step, a hand-written one, how the spikes and gradients of
    one first forward and backward from the same weights compare). A step: forward, cross-entropy on
    the output spike counts, backward, Adam."""
    import torch
    import torch.nn.functional as F

    import handwritten as hw

    model = mod.load_weights(mod.build_model(), weights).train()
    net = build(weights).train()
    got, want = mod.run(model, x, grad=True), forward(net, x)
    F.cross_entropy(got["out"].sum(0), labels).backward()
    F.cross_entropy(want["out"].sum(0), labels).backward()
    gen_grads = {k: (t.grad.t() if transposed else t.grad) for k, (t, transposed) in mod.weight_slots(model).items()
                 if t.grad is not None}
    hand_grads = {f"{k}.{a}": getattr(m, a).grad for k, m in hw.bn_csnn_modules(net).items()
                  for a in ("weight", "bias") if getattr(m, a, None) is not None}
    if sorted(gen_grads) != sorted(hand_grads):
        grads = f"for other weights ({sorted(gen_grads)} vs {sorted(hand_grads)})"
    else:
        worst = max(((gen_grads[k] - hand_grads[k]).abs().max() / hand_grads[k].abs().max()).item()
                    for k in gen_grads)
        grads = "identical" if worst == 0 else f"differ (max rel. {worst:.1e})"
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    hand_opt = torch.optim.Adam(net.parameters(), lr=1e-3)

    def gen_step():
        loss = F.cross_entropy(mod.run(model, x, grad=True)["out"].sum(0), labels)
        opt.zero_grad()
        loss.backward()
        opt.step()

    def hand_step():
        loss = F.cross_entropy(forward(net, x)["out"].sum(0), labels)
        hand_opt.zero_grad()
        loss.backward()
        hand_opt.step()

    return gen_step, hand_step, f"spikes {_same(want, got)}, gradients {grads}"


def bench_batchnorm(tmp: Path, repeats: int, quick: bool) -> None:
    import handwritten as hw

    from compiler.tools.demo import encode, load_digits_split

    T, B = (4, 8) if quick else (8, 32)
    section(f"batch-norm CSNN (specs/digits_bn.json, T={T}, B={B}): generated vs hand-written (min)")
    base = c.variant(c.load_json(c.SPECS / "digits_bn.json"), time_steps=T)
    mods = {"snntorch": c.compile_and_import(c.write_spec(_bn_snntorch_spec(base), tmp, "bn_snntorch"), "snntorch",
                                             tmp),
            "spikingjelly": c.compile_and_import(c.write_spec(base, tmp, "bn_spikingjelly"), "spikingjelly", tmp)}
    _, _, x_te, y_te = load_digits_split(0)
    x = encode(x_te[:B], T, None, "direct", (1, 8, 8))  # the demo's input: each digit as a current at every step
    labels = y_te[:B]
    weights = _bn_weights(mods["spikingjelly"], x)
    hands = {"snntorch": ("snnTorch", hw.build_snntorch_bn_csnn, hw.run_snntorch_bn_csnn,
                          "snnTorch loop (BatchNorm2d over [T*B])"),
             "spikingjelly": ("SpikingJelly", hw.build_sj_bn_csnn, hw.run_sj_bn_csnn,
                              "SpikingJelly multi-step Sequential")}
    print(f"{'model':<62}{'generated':>11}{'hand-written':>14}{'speed-up':>10}  same")

    def row(label: str, gen, hand, same: str) -> None:
        best = race({"gen": gen, "hand": hand}, repeats)
        print(f"{label:<62}{best['gen'] * 1e3:9.2f}ms{best['hand'] * 1e3:12.2f}ms{best['hand'] / best['gen']:9.2f}x"
              f"  {same}", flush=True)

    rates = []
    for target, mod in mods.items():
        name, build, forward, what = hands[target]
        gen, hand, same, rate = _bn_inference(mod, build, forward, weights, x)
        rates.append(f"{name} {rate}")
        row(f"eval: {name} vs {what}", gen, hand, same)
        row(f"train step: {name} vs {what}", *_bn_training(mod, build, forward, weights, x, labels))
    # numerics "batched": the SpikingJelly module computes what SpikingJelly's multi-step layers compute
    batched = c.compile_and_import(c.write_spec(c.variant(base, numerics="batched"), tmp, "bn_sj_batched"),
                                   "spikingjelly", tmp)
    name, build, forward, _ = hands["spikingjelly"]
    gen, hand, same, _ = _bn_inference(batched, build, forward, weights, x)
    row(f"eval: {name}, numerics batched, vs its Sequential", gen, hand, same)
    row(f"train step: {name}, numerics batched, vs its Sequential",
        *_bn_training(batched, build, forward, weights, x, labels))
    print("eval-mode firing rates: " + "; ".join(rates))
    print("train step: forward in training mode (batch norm with the statistics of the whole [T*B] sequence), "
          "cross-entropy on output spike counts, backward, Adam; spikes and gradients compared on the first step")


def bench_nir(tmp: Path, quick: bool) -> None:
    import subprocess

    import nir
    import numpy as np
    import torch
    from snntorch.import_nir import import_from_nir as snntorch_import
    from spikingjelly.activation_based.nir_exchange import import_from_nir as sj_import

    section("NIR: one file, three importers (output spike agreement, mean over seeds)")
    dt, T, B = 1e-4, 30, 8
    tau = np.float32(dt / (1 - 0.8))

    def lif(n):
        return nir.LIF(tau=np.full(n, tau, np.float32), r=np.full(n, tau / np.float32(dt), np.float32),
                       v_leak=np.zeros(n, np.float32), v_threshold=np.ones(n, np.float32),
                       v_reset=np.zeros(n, np.float32))

    pairs = {"snnc = snnTorch's importer": [], "snnc = SpikingJelly's importer": [],
             "snnTorch's importer = SpikingJelly's": [], "snnc's three targets agree": []}
    for seed in range(4 if quick else 20):
        rng = np.random.default_rng(seed)
        nodes = {"input": nir.Input(input_type={"input": np.array([16])}),
                 "fc1": nir.Affine(weight=rng.normal(0, 0.6, (24, 16)).astype(np.float32),
                                   bias=rng.normal(0, 0.1, 24).astype(np.float32)), "lif1": lif(24),
                 "fc2": nir.Affine(weight=rng.normal(0, 0.6, (4, 24)).astype(np.float32),
                                   bias=rng.normal(0, 0.1, 4).astype(np.float32)), "lif2": lif(4),
                 "output": nir.Output(output_type={"output": np.array([4])})}
        edges = [("input", "fc1"), ("fc1", "lif1"), ("lif1", "fc2"), ("fc2", "lif2"), ("lif2", "output")]
        path = tmp / f"nir_{seed}.nir"
        nir.write(path, nir.NIRGraph(nodes=nodes, edges=edges))
        spec = tmp / f"nir_{seed}.json"
        subprocess.run([sys.executable, "-m", "compiler", "import-nir", str(path), "-o", str(spec), "-q"],
                       check=True, cwd=c.ROOT)
        w = {k: torch.from_numpy(v) for k, v in np.load(spec.with_name(spec.stem + ".weights.npz")).items()}
        gen = torch.Generator().manual_seed(seed)
        for x in ((torch.rand(T, B, 16, generator=gen) < 0.3).float(), torch.randn(T, B, 16, generator=gen)):
            ours = {}
            for target in c.TARGETS:
                mod = c.compile_and_import(spec, target, tmp)
                ours[target] = mod.run(mod.load_weights(mod.build_model(), w), x)["lif2"]
            pairs["snnc's three targets agree"].append(
                float(all(torch.equal(ours[t], ours["snntorch"]) for t in c.TARGETS)))
            with contextlib.redirect_stdout(io.StringIO()):  # the importer prints its progress
                net = snntorch_import(nir.read(path))
            import snntorch.utils

            snntorch.utils.reset(net)
            with torch.no_grad():
                st = torch.stack([net(x[t])[0] for t in range(T)])
                sj, state, outs = sj_import(nir.read(path), dt=dt), None, []
                for t in range(T):
                    y, state = sj(x[t], state)
                    outs.append(y)
                sj_out = torch.stack(outs)
            agree = lambda a, b: float((a == b).float().mean())  # noqa: E731
            pairs["snnc = snnTorch's importer"].append(agree(ours["snntorch"], st))
            pairs["snnc = SpikingJelly's importer"].append(agree(ours["snntorch"], sj_out))
            pairs["snnTorch's importer = SpikingJelly's"].append(agree(st, sj_out))
    for what, values in pairs.items():
        print(f"{what:<40}{100 * sum(values) / len(values):9.3f} %   (worst run {100 * min(values):.3f} %)")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="small sizes and few repeats (a smoke run)")
    p.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    p.add_argument("--only", default=",".join(SECTIONS), help=f"comma-separated sections of {', '.join(SECTIONS)}")
    args = p.parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    wanted = [s.strip() for s in args.only.split(",") if s.strip()]
    section("machine")
    print("\n".join(c.machine_lines()))
    repeats = 2 if args.quick else 7
    with tempfile.TemporaryDirectory(prefix="snnc-bench-") as d:
        tmp = Path(d)
        if "compile" in wanted:
            bench_compile(tmp, repeats)
        if "inference" in wanted:
            bench_inference(tmp, repeats, args.quick)
        if "exactness" in wanted:
            bench_exactness(repeats, args.quick)
        if "invariance" in wanted:
            bench_invariance(args.quick)
        if "training" in wanted:
            bench_training(tmp, repeats, args.quick)
        if "batchnorm" in wanted:
            bench_batchnorm(tmp, repeats, args.quick)
        if "nir" in wanted:
            bench_nir(tmp, args.quick)
    if GOALS:
        print_goals()
    return 0


if __name__ == "__main__":
    sys.exit(main())
