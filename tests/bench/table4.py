"""The paper's Table 4 on this machine: C3 vs C4, both compiled for SpikingJelly. Prints; asserts nothing.

Run: `python tests/bench/table4.py` (or `make table4`); writes build/table4.csv.
Options: `--batch B` (default 1), `--runs N` (timed runs, default 50, at least 20),
`--threads N` (torch threads on the CPU, default 1), `--quick` (fewer runs).

What is measured, and how:
- Both specs are compiled with the CLI (`python -m compiler specs/C?.json --target
  spikingjelly`), imported, built with `build_model(device)` and run with `run()`,
  exactly as a user would; on CUDA the generated code itself applies FP16 autocast
  where its PRECISION is 'fp16-cuda'; on the CPU both run in fp32 (the compiler's
  precision lowering never applies FP16 on the CPU), and the table says so.
- Weights: one seeded 784-256-10 set (with bias) for C3; C4 (hidden 128) gets the
  first 128 hidden neurons of it: rows 0..127 of layer_1.weight/bias and columns
  0..127 of layer_2.weight (layer_2.bias unchanged).
- Input: one seeded Bernoulli(0.2) tensor [100, B, 784]; a model with fewer time
  steps gets its first TIME_STEPS steps.
- Inference time: mean +- std of `run()` over N runs after 5 warm-up runs (CUDA
  synchronised around each run).
- Model memory: bytes of parameters + buffers of the built model (MB = 1e6 bytes);
  on CUDA also the peak allocated memory during one run.
- Average firing rate: spikes / (T x batch x neurons) over both populations, on a
  seeded Bernoulli(0.2) input of batch 32 (per-population rates also printed).
- Synaptic operations and energy (`snnc stats`): per sample over all time steps, on the
  firing-rate input with the same weights: dense operations, effective accumulates
  (spikes in) and multiply-accumulates (real values in), and the 45 nm energy estimate.
- C1-C8 in one table: the same figures for every config (seeded random weights, random
  spikes at rate 0.2, batch 16), each low-power config beside its standard twin; the
  README's table is this output.
- Ablation: C3 with one change at a time (time steps 100 -> 40 through the
  edge_ai_processor device type, hidden 256 -> 128, LIFNode -> IFNode, FP16 where CUDA
  is present), then C4, each generated on the fly into a temporary directory and
  compiled with the CLI.
"""

from __future__ import annotations

import argparse
import copy
import csv
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common as c  # noqa: E402

FULL_T, FULL_H = 100, 256
RATE_BATCH = 32


def neuron_names(model) -> str:
    names = []
    for m in model.modules():
        mod = type(m).__module__
        if "neuron" in mod or type(m).__name__.endswith(("Node", "Nodes")):
            if type(m).__name__ not in names:
                names.append(type(m).__name__)
    return "/".join(names) or "?"


def model_bytes(model) -> int:
    seen = set()
    total = 0
    for t in list(model.parameters()) + list(model.buffers()):
        if id(t) not in seen:
            seen.add(id(t))
            total += t.numel() * t.element_size()
    return total


class Case:
    """One compiled variant, built, weighted and ready to run."""

    def __init__(self, label: str, spec_path: Path, tmp: Path, device, master: dict, autocast_fp16: bool = False):
        import torch

        self.label = label
        self.mod = c.compile_and_import(spec_path, "spikingjelly", tmp)
        self.device = device
        self.T = self.mod.TIME_STEPS
        (self.H,) = self.mod.POPULATIONS["layer_1"]  # populations have shapes now
        self.model = self.mod.build_model(device=device)
        self.mod.load_weights(self.model, c.subset_weights(master, self.H))
        self.autocast = autocast_fp16 and device.type == "cuda"
        self.neuron = neuron_names(self.model)
        on_cuda = device.type == "cuda"
        if self.autocast:
            self.precision = "fp16 (autocast added by the benchmark)"
        elif self.mod.PRECISION == "fp16-cuda":
            self.precision = "fp16 (autocast, generated)" if on_cuda else "fp32 (fp16-cuda; CPU stays fp32)"
        else:
            self.precision = "fp32"
        self.torch = torch

    def run(self, x):
        torch = self.torch
        with torch.no_grad():
            if self.autocast:
                with torch.autocast("cuda", dtype=torch.float16):
                    return self.mod.run(self.model, x)
            return self.mod.run(self.model, x)

    def time(self, x, runs: int, warmup: int = 5) -> list[float]:
        torch = self.torch
        x = x[: self.T].to(self.device)
        sync = torch.cuda.synchronize if self.device.type == "cuda" else (lambda: None)
        for _ in range(warmup):
            self.run(x)
        sync()
        out = []
        for _ in range(runs):
            sync()
            start = time.perf_counter()
            self.run(x)
            sync()
            out.append(time.perf_counter() - start)
        return out

    def peak_cuda(self, x) -> int | None:
        torch = self.torch
        if self.device.type != "cuda":
            return None
        x = x[: self.T].to(self.device)
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
        self.run(x)
        torch.cuda.synchronize()
        return torch.cuda.max_memory_allocated() - base

    def rates(self, x) -> tuple[float, dict]:
        out = self.run(x[: self.T].to(self.device))
        per = {k: v.float().mean().item() for k, v in out.items()}
        spikes = sum(v.float().sum().item() for v in out.values())
        count = sum(v.numel() for v in out.values())
        return spikes / count, per


TWINS = {"C2": "C1", "C4": "C3", "C6": "C5", "C8": "C7"}  # low-power config -> its standard twin


def cost_table() -> str:
    """C1-C8 as a markdown table: parameters, synaptic operations, energy, and each low-power
    config's saving against its standard twin."""
    from compiler.tools.stats import count

    totals, lines = {}, []
    lines.append("| config | target | T | precision | params | dense synaptic ops | effective ACs | effective MACs "
                 "| energy estimate (uJ) | energy vs twin |")
    lines.append("| --- | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | --- |")
    for k in range(1, 9):
        name = f"C{k}"
        report = count(c.SPECS / f"{name}.json")
        t = totals[name] = report.total
        twin = TWINS.get(name)
        saving = f"{change(totals[twin]['energy_pj'], t['energy_pj'])} vs {twin}" if twin else "-"
        lines.append(f"| {name} | {report.target} | {report.time_steps} | {report.precision.upper()} | "
                     f"{t['params']:,} | {t['dense_synaptic_ops']:,} | {t['acs']:,.0f} | {t['macs']:,.0f} | "
                     f"{t['energy_pj'] / 1e6:.3f} | {saving} |")
    return "\n".join(lines)


def change(a: float, b: float) -> str:
    return f"{(b - a) / a * 100:+.1f}%" if a else "-"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batch", type=int, default=128, help="batch size (default 128: compute-bound; batch 1 measures per-step overhead)")
    p.add_argument("--runs", type=int, default=50)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--quick", action="store_true", help="20 runs, no ablation of FP16")
    args = p.parse_args(argv)
    runs = max(20, args.runs if not args.quick else 20)

    import torch

    torch.set_num_threads(args.threads)
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    print("== machine " + "=" * 60)
    for line in c.machine_lines():
        print(line)
    where = (f"CUDA ({torch.cuda.get_device_name(0)}), FP16 autocast where the generated code applies it"
             if device.type == "cuda" else "CPU (no CUDA device): everything runs in fp32")
    print(f"device: {where}")
    print(f"inference: batch {args.batch}, mean +- std of {runs} runs after 5 warm-up runs; "
          f"firing rate on a seeded Bernoulli(0.2) input of batch {RATE_BATCH}")
    print("weights: one seeded 784-256-10 set (N(0,0.12^2), N(0,0.6^2), biases N(0,0.05^2)); "
          "hidden-128 models use its first 128 hidden neurons")

    master = c.seeded_weights([784, FULL_H, 10], bias=True, w_std=(0.12, 0.6), seed=0)
    x_time = c.bernoulli_input(FULL_T, args.batch, 784, seed=1)
    x_rate = c.bernoulli_input(FULL_T, RATE_BATCH, 784, seed=2)

    with tempfile.TemporaryDirectory(prefix="snnc-table4-") as d:
        tmp = Path(d)
        c3 = Case("C3", c.SPECS / "C3.json", tmp, device, master)
        c4 = Case("C4", c.SPECS / "C4.json", tmp, device, master)
        rows = []
        stats = {}
        for case in (c3, c4):
            ts = case.time(x_time, runs)
            rate, per = case.rates(x_rate)
            stats[case.label] = dict(mean=statistics.mean(ts) * 1e3, std=statistics.stdev(ts) * 1e3,
                                     mem=model_bytes(case.model) / 1e6, peak=case.peak_cuda(x_time),
                                     rate=rate, per=per)
        from compiler.tools.stats import count

        for case, path in ((c3, c.SPECS / "C3.json"), (c4, c.SPECS / "C4.json")):
            total = count(path, "spikingjelly", weights=c.subset_weights(master, case.H),
                          inputs=x_rate[: case.T]).total
            stats[case.label].update(dense=total["dense_synaptic_ops"], acs=total["acs"], macs=total["macs"],
                                     energy=total["energy_pj"] / 1e6)
        s3, s4 = stats["C3"], stats["C4"]
        rows.append(("neuron", c3.neuron, c4.neuron, "-"))
        rows.append(("hidden size", c3.H, c4.H, change(c3.H, c4.H)))
        rows.append(("time steps", c3.T, c4.T, change(c3.T, c4.T)))
        rows.append(("precision", c3.precision, c4.precision, "-"))
        rows.append((f"inference time (ms, batch {args.batch})", f"{s3['mean']:.3f} ± {s3['std']:.3f}",
                     f"{s4['mean']:.3f} ± {s4['std']:.3f}", change(s3["mean"], s4["mean"])))
        rows.append(("model memory (MB, params+buffers)", f"{s3['mem']:.3f}", f"{s4['mem']:.3f}",
                     change(s3["mem"], s4["mem"])))
        if s3["peak"] is not None:
            rows.append(("peak CUDA memory in run (MB)", f"{s3['peak'] / 1e6:.3f}", f"{s4['peak'] / 1e6:.3f}",
                         change(s3["peak"], s4["peak"])))
        rows.append(("average firing rate", f"{s3['rate']:.4f}", f"{s4['rate']:.4f}", change(s3["rate"], s4["rate"])))
        for pop in s3["per"]:
            rows.append((f"  firing rate {pop}", f"{s3['per'][pop]:.4f}", f"{s4['per'][pop]:.4f}",
                         change(s3["per"][pop], s4["per"][pop])))
        rows.append(("dense synaptic ops per sample", f"{s3['dense']:,}", f"{s4['dense']:,}",
                     change(s3["dense"], s4["dense"])))
        rows.append(("effective ACs per sample", f"{s3['acs']:,.0f}", f"{s4['acs']:,.0f}", change(s3["acs"], s4["acs"])))
        rows.append(("energy estimate (uJ per sample, 45 nm)", f"{s3['energy']:.3f}", f"{s4['energy']:.3f}",
                     change(s3["energy"], s4["energy"])))

        print()
        print("== Table 4: SpikingJelly standard (C3) vs low power (C4) " + "=" * 14)
        w0 = max(len(str(r[0])) for r in rows) + 2
        w1 = max(len(str(r[1])) for r in rows) + 2
        w2 = max(len(str(r[2])) for r in rows) + 2
        print(f"{'item':<{w0}}{'C3':<{w1}}{'C4':<{w2}}change")
        for item, a, b, ch in rows:
            print(f"{item:<{w0}}{str(a):<{w1}}{str(b):<{w2}}{ch}")
        print("(paper, CUDA: 12.4 ± 0.3 ms -> 3.1 ± 0.2 ms, -75%; 4.2 MB -> 1.1 MB; rate 0.142 -> 0.138)")

        out_csv = c.ROOT / "build" / "table4.csv"
        out_csv.parent.mkdir(parents=True, exist_ok=True)
        with open(out_csv, "w", newline="", encoding="utf-8") as f:
            wr = csv.writer(f)
            wr.writerow(["item", "C3", "C4", "change", "device"])
            for item, a, b, ch in rows:
                wr.writerow([item.strip(), a, b, ch, device.type])
        print(f"wrote {out_csv.relative_to(c.ROOT)}")

        print()
        print("== C1-C8: what each model costs (snnc stats; per sample, seeded weights, rate 0.2, batch 16) ==")
        print(cost_table())

        # -- ablation ------------------------------------------------------------------
        print()
        print("== ablation: C3 with one change at a time " + "=" * 28)
        base = c.load_json(c.SPECS / "C3.json")

        def spec(stem: str, fn) -> Path:
            s = copy.deepcopy(base)
            fn(s)
            s["model_name"] = f"C3_{stem}"
            return c.write_spec(s, tmp, f"C3_{stem}")

        def steps(s):
            s["hardware_constraints"]["device_type"] = "edge_ai_processor"

        def hidden(s):
            s["layers"][0]["out_features"] = 128
            s["layers"][2]["in_features"] = 128

        def to_if(s):
            for k in (1, 3):
                layer = s["layers"][k]
                s["layers"][k] = {key: v for key, v in layer.items() if key not in ("tau", "decay_input")}
                s["layers"][k]["type"] = "IFNode"

        def low_energy(s):
            s["power_mode"] = "low_energy"

        variants = [
            ("C3 (baseline)", c3),
            ("time steps 100 -> 40 (device edge_ai_processor)", spec("steps", steps)),
            ("hidden 256 -> 128", spec("hidden", hidden)),
            ("LIFNode -> IFNode", spec("if", to_if)),
        ]
        if device.type == "cuda" and not args.quick:
            variants.append(("FP16 (autocast around C3's run)", "fp16"))
        variants.append(("power_mode low_energy (IF + surrogate swap + FP16 on CUDA)", spec("low", low_energy)))
        variants.append(("all: C4", c4))
        results = []
        for label, what in variants:
            try:
                if isinstance(what, Case):
                    case = what
                elif what == "fp16":
                    case = Case(label, c.SPECS / "C3.json", tmp, device, master, autocast_fp16=True)
                else:
                    case = Case(label, what, tmp, device, master)
                ts = case.time(x_time, runs)
                results.append((label, case, statistics.mean(ts) * 1e3, statistics.stdev(ts) * 1e3))
            except Exception as exc:  # noqa: BLE001
                results.append((label, None, float("nan"), c.errline(exc)))
        base_ms = results[0][2]
        print(f"{'variant':<60}{'neuron':<10}{'T':>5}{'H':>6}  {'precision':<34}{'time (ms)':>18}  vs C3")
        for label, case, mean, std in results:
            if case is None:
                print(f"{label:<60}error: {std}")
                continue
            print(f"{label:<60}{case.neuron:<10}{case.T:>5}{case.H:>6}  {case.precision:<34}"
                  f"{mean:9.3f} ± {std:6.3f}  {change(base_ms, mean)}")
        if device.type != "cuda":
            print("FP16 alone: not measured (no CUDA device; the generated code keeps fp32 on the CPU)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
