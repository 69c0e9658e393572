"""snnc benchmarks: compile time and inference time on this machine. Prints; asserts nothing.

Run: `python tests/bench/bench.py` (or `make bench`). Options: `--quick` (tiny sizes,
for a smoke run), `--threads N` (torch threads, default 1), `--only compile|inference`.

Sections:
1. the machine (CPU, cores, torch threads, versions);
2. compile time of specs C1-C6 for every target: the whole process
   (`python -m compiler SPEC --target T -o OUT`, median) and in process (median),
   with the share of each stage (frontend, passes, emit, black);
3. compile time of generated chain specs of 10, 100 and 1000 layers, and the
   1000/100 ratio (scaling should be near linear: <= 12x);
4. cold start of `python -m compiler --help` (median);
5. inference, generated `run()` vs the hand-written model (tests/bench/handwritten.py),
   784-256-10, same weights, same input, spike agreement printed; plus the
   step-by-step snnTorch loop vs the layer-by-layer generated snnTorch.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common as c  # noqa: E402

STAGES = ("frontend", "passes", "emit", "black")


def section(title: str) -> None:
    print()
    print(f"== {title} " + "=" * max(0, 74 - len(title)))


# -- compile time -------------------------------------------------------------------


def bench_specs(tmp: Path, cli_repeats: int, inproc_repeats: int) -> None:
    section("compile time of C1-C6 per target")
    print(f"whole process: `python -m compiler SPEC --target T -o OUT -q`, median of {cli_repeats};")
    print(f"in process: frontend + passes + emit + black, median of {inproc_repeats} (after 1 warm-up); "
          "stage shares are of the in-process median run")
    print(f"{'spec':<5} {'target':<13} {'process':>10} {'in-proc':>10}   " + "  ".join(f"{s:>8}" for s in STAGES))
    for spec in sorted(c.SPECS.glob("C*.json")):
        for target in c.TARGETS:
            out = tmp / f"{spec.stem}_{target}.py"
            try:
                procs = [c.compile_cli(spec, target, out) for _ in range(cli_repeats)]
                runs = []
                c.compile_in_process(spec, target)  # warm-up: imports, caches
                for _ in range(inproc_repeats):
                    stages, _src = c.compile_in_process(spec, target)
                    runs.append((sum(stages.values()), stages))
                runs.sort(key=lambda r: r[0])
                total, stages = runs[len(runs) // 2]
                shares = "  ".join(f"{stages[s] / total * 100:7.1f}%" for s in STAGES)
                print(f"{spec.stem:<5} {target:<13} {c.med(procs) * 1e3:8.1f}ms {total * 1e3:8.1f}ms   {shares}")
            except Exception as exc:  # noqa: BLE001 - report and go on
                print(f"{spec.stem:<5} {target:<13} error: {c.errline(exc)}")


def bench_chains(tmp: Path, sizes: tuple[int, ...], repeats: int) -> None:
    section("compile time of chain specs (in process; width 16; median)")
    print(f"{'target':<13} " + " ".join(f"{n:>7} layers" for n in sizes) + "   ratio")
    for target in c.TARGETS:
        times = {}
        try:
            for n in sizes:
                path = c.write_spec(c.chain_spec(n), tmp, f"chain{n}")
                reps = repeats if n <= 100 else max(1, repeats // 2)
                c.compile_in_process(path, target) if n <= 100 else None  # warm-up for the small ones
                times[n] = c.med([sum(c.compile_in_process(path, target)[0].values()) for _ in range(reps)])
            ratio = ""
            if 100 in times and 1000 in times:
                r = times[1000] / times[100]
                ratio = f"1000/100 = {r:.1f}x ({'ok' if r <= 12 else 'ABOVE 12x'})"
            print(f"{target:<13} " + " ".join(f"{times[n] * 1e3:10.1f} ms" for n in sizes) + f"   {ratio}")
        except Exception as exc:  # noqa: BLE001
            print(f"{target:<13} error: {c.errline(exc)}")
    print(f"(stage shares at {max(sizes)} layers, snntorch: ", end="")
    try:
        path = c.write_spec(c.chain_spec(max(sizes)), tmp, f"chain{max(sizes)}")
        stages, src = c.compile_in_process(path, "snntorch")
        total = sum(stages.values())
        print(", ".join(f"{s} {stages[s] / total * 100:.0f}%" for s in STAGES) + f"; {src.count(chr(10))} lines)")
    except Exception as exc:  # noqa: BLE001
        print(f"error: {exc})")


def bench_cold_start(repeats: int) -> None:
    section("cold start of `python -m compiler --help`")
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        c.cli("--help")
        times.append(time.perf_counter() - start)
    start = time.perf_counter()
    import subprocess

    subprocess.run([sys.executable, "-c", "pass"], check=True)
    bare = time.perf_counter() - start
    print(f"median of {repeats}: {c.med(times) * 1e3:.1f} ms (min {min(times) * 1e3:.1f}, max {max(times) * 1e3:.1f}); "
          f"a bare `python -c pass` takes {bare * 1e3:.1f} ms")


# -- inference ----------------------------------------------------------------------


def _gen_runner(mod, inputs):
    import torch

    model = mod.build_model()

    def go():
        with torch.no_grad():
            return mod.run(model, inputs)

    return model, go


def bench_inference(tmp: Path, T: int, B: int, hidden: int, repeats: int) -> None:
    import torch

    import handwritten as hw

    section(f"inference: generated run() vs hand-written, 784-{hidden}-10, T={T}, B={B}")
    print(f"torch threads {torch.get_num_threads()}; CPU, fp32; median of {repeats} after 1 warm-up; "
          "Bernoulli(0.2) input, seeded; seeded Gaussian weights (scales chosen per simulator so that both layers fire)")
    x = c.bernoulli_input(T, B, 784, seed=1)

    def spec_for(name: str, **changes) -> Path:
        spec = c.load_json(c.SPECS / f"{name}.json")
        spec["time_steps"] = T
        spec["layers"][0]["out_features"] = hidden
        spec["layers"][2]["in_features"] = hidden
        spec.update(changes)
        return c.write_spec(spec, tmp, f"{name}_bench")

    rows = []

    # snnTorch: C1 (beta=0.95, atan, subtract reset) vs the tutorial loop
    try:
        mod = c.compile_and_import(spec_for("C1"), "snntorch", tmp)
        w = c.seeded_weights([784, hidden, 10], bias=True, w_std=(0.05, 0.3), seed=0)
        model, gen = _gen_runner(mod, x)
        mod.load_weights(model, w)
        step = hw.build_snntorch(w)
        layer = hw.build_snntorch(w, layer_by_layer=True)
        out_gen = gen()
        out_step = hw.run_snntorch(step, x)
        out_layer = hw.run_snntorch(layer, x)
        t_gen = c.med(c.timed(gen, repeats))
        t_step = c.med(c.timed(lambda: hw.run_snntorch(step, x), repeats))
        t_layer = c.med(c.timed(lambda: hw.run_snntorch(layer, x), repeats))
        rows.append(("snntorch", "C1", "tutorial time loop (step by step)", t_gen, t_step,
                     c.agreement(out_gen, out_step)))
        print(f"snntorch   generated (C1) {c.ms(t_gen)} | hand, step by step {c.ms(t_step)} | "
              f"hand, layer by layer {c.ms(t_layer)}")
        print(f"           agreement generated vs step-by-step: {c.agreement_text(c.agreement(out_gen, out_step))}")
        print(f"           agreement generated vs layer-by-layer: {c.agreement_text(c.agreement(out_gen, out_layer))}")
        print(f"           step-by-step / layer-by-layer generated = {t_step / t_gen:.2f}x "
              f"(claim: >= 2x; {'holds' if t_step / t_gen >= 2 else 'NOT reached'} here); "
              f"hand layer-by-layer / generated = {t_layer / t_gen:.2f}x")
        rates = {k: round(v.float().mean().item(), 3) for k, v in out_gen.items()}
        print(f"           firing rates {rates}")
    except Exception as exc:  # noqa: BLE001
        print(f"snntorch   error: {c.errline(exc)}")

    # SpikingJelly: C3 (LIFNode tau=2.0, ATan, v_reset 0.0) vs multi-step nn.Sequential
    try:
        mod = c.compile_and_import(spec_for("C3"), "spikingjelly", tmp)
        w = c.seeded_weights([784, hidden, 10], bias=True, w_std=(0.1, 0.5), seed=0)
        model, gen = _gen_runner(mod, x)
        mod.load_weights(model, w)
        net = hw.build_spikingjelly(w, tau=2.0)
        out_gen = gen()
        out_hand = hw.run_spikingjelly(net, x)
        t_gen = c.med(c.timed(gen, repeats))
        t_hand = c.med(c.timed(lambda: hw.forward_spikingjelly(net, x), repeats))
        agree = c.agreement(out_gen, out_hand)
        rows.append(("spikingjelly", "C3", "nn.Sequential, step_mode 'm'", t_gen, t_hand, agree))
        print(f"spikingjelly generated (C3) {c.ms(t_gen)} | hand multi-step Sequential {c.ms(t_hand)} | "
              f"hand/generated {t_hand / t_gen:.2f}x")
        print(f"           agreement: {c.agreement_text(agree)}")
        rates = {k: round(v.float().mean().item(), 3) for k, v in out_gen.items()}
        print(f"           firing rates {rates}")
    except Exception as exc:  # noqa: BLE001
        print(f"spikingjelly error: {c.errline(exc)}")

    # BindsNET: C5 (biological LIF defaults written out, no bias) vs Network + Monitors
    try:
        mod = c.compile_and_import(spec_for("C5"), "bindsnet", tmp)
        w = c.seeded_weights([784, hidden, 10], bias=False, w_mean=(0.05, 0.5), w_std=(1.0, 4.0), seed=0)
        model, gen = _gen_runner(mod, x)
        mod.load_weights(model, w)
        net = hw.build_bindsnet(w, batch_size=B, time=T + 2)
        out_gen = gen()
        out_hand = hw.run_bindsnet(net, x)
        t_gen = c.med(c.timed(gen, repeats))
        t_hand = c.med(c.timed(lambda: hw.run_bindsnet(net, x), repeats))
        agree = c.agreement(out_gen, out_hand)
        rows.append(("bindsnet", "C5", "Network.run default mode, shifted", t_gen, t_hand, agree))
        print(f"bindsnet   generated (C5) {c.ms(t_gen)} | hand Network.run (T+2 steps, shifted back) {c.ms(t_hand)} | "
              f"hand/generated {t_hand / t_gen:.2f}x")
        print(f"           agreement after the shift (hidden by 1, output by 2): {c.agreement_text(agree)}")
        raw = hw.run_bindsnet(net, x, align=False)
        raw = {k: v[:T] for k, v in raw.items()}
        print(f"           without the shift: {c.agreement_text(c.agreement(out_gen, raw))}")
        rates = {k: round(v.float().mean().item(), 3) for k, v in out_gen.items()}
        print(f"           firing rates {rates}")
    except Exception as exc:  # noqa: BLE001
        print(f"bindsnet   error: {c.errline(exc)}")

    if rows:
        print()
        print(f"{'target':<13} {'spec':<4} {'generated':>12} {'hand-written':>12} {'hand/gen':>9}  agreement (all populations)")
        for target, spec, what, tg, th, agree in rows:
            allp = min(frac for frac, _a, _b in agree.values()) * 100
            print(f"{target:<13} {spec:<4} {c.ms(tg):>12} {c.ms(th):>12} {th / tg:8.2f}x  {allp:.3f}%   ({what})")


def bench_step_sweep(tmp: Path, T: int, hidden: int, batches: tuple[int, ...], repeats: int) -> None:
    """snnTorch step-by-step (tutorial loop) vs generated layer-by-layer, over batch sizes and thread counts."""
    import os

    import torch

    import handwritten as hw

    section(f"snnTorch step by step vs generated layer by layer (784-{hidden}-10, T={T}; median of {repeats})")
    try:
        spec = c.load_json(c.SPECS / "C1.json")
        spec["time_steps"] = T
        spec["layers"][0]["out_features"] = hidden
        spec["layers"][2]["in_features"] = hidden
        mod = c.compile_and_import(c.write_spec(spec, tmp, "C1_sweep"), "snntorch", tmp)
        w = c.seeded_weights([784, hidden, 10], bias=True, w_std=(0.05, 0.3), seed=0)
        model = mod.build_model()
        mod.load_weights(model, w)
        step = hw.build_snntorch(w)
    except Exception as exc:  # noqa: BLE001
        print(f"error: {c.errline(exc)}")
        return
    before = torch.get_num_threads()
    threads = sorted({1, os.cpu_count() or 1})
    print(f"{'threads':>7} {'batch':>6} {'step by step':>13} {'generated':>12} {'ratio':>7}")
    for n in threads:
        torch.set_num_threads(n)
        for B in batches:
            x = c.bernoulli_input(T, B, 784, seed=3)
            with torch.no_grad():
                t_gen = c.med(c.timed(lambda: mod.run(model, x), repeats))
            t_step = c.med(c.timed(lambda: hw.run_snntorch(step, x), repeats))
            print(f"{n:>7} {B:>6} {c.ms(t_step):>13} {c.ms(t_gen):>12} {t_step / t_gen:6.2f}x")
    torch.set_num_threads(before)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="tiny sizes and few repeats (a smoke run)")
    p.add_argument("--threads", type=int, default=1, help="torch threads (default 1: the machine is shared, "
                   "and one thread makes whole-sequence and per-step matmuls bit-identical)")
    p.add_argument("--only", choices=("compile", "inference"))
    args = p.parse_args(argv)

    import torch

    torch.set_num_threads(args.threads)
    section("machine")
    for line in c.machine_lines():
        print(line)
    q = args.quick
    with tempfile.TemporaryDirectory(prefix="snnc-bench-") as d:
        tmp = Path(d)
        if args.only in (None, "compile"):
            bench_specs(tmp, cli_repeats=1 if q else 3, inproc_repeats=1 if q else 5)
            bench_chains(tmp, (10, 100) if q else (10, 100, 1000), repeats=1 if q else 3)
            bench_cold_start(5 if q else 7)
        if args.only in (None, "inference"):
            if q:
                bench_inference(tmp, T=20, B=4, hidden=64, repeats=2)
            else:
                bench_inference(tmp, T=100, B=32, hidden=256, repeats=5)
            bench_step_sweep(tmp, T=20 if q else 100, hidden=64 if q else 256,
                             batches=(1, 4) if q else (1, 32, 128), repeats=2 if q else 5)
    return 0


if __name__ == "__main__":
    sys.exit(main())
