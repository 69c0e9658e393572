"""Shared helpers of the benchmark scripts (not a pytest module: nothing here is collected).

Compiling (through the CLI in a subprocess, or in process stage by stage), importing
a generated module, seeded weights and inputs, timing, machine description.
"""

from __future__ import annotations

import copy
import importlib.util
import itertools
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from ir.targets import names as target_names  # noqa: E402 (the repository root is on sys.path now)

SPECS = ROOT / "specs"
TARGETS = target_names()
_counter = itertools.count()


# -- machine ----------------------------------------------------------------------


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_lines() -> list[str]:
    import torch

    lines = [
        f"CPU: {cpu_model()}; logical cores: {os.cpu_count()}; usable: {len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else '?'}",
        f"Python {platform.python_version()} on {platform.platform()}",
        f"torch {torch.__version__}; torch threads: {torch.get_num_threads()}; CUDA available: {torch.cuda.is_available()}"
        + (f" ({torch.cuda.get_device_name(0)})" if torch.cuda.is_available() else ""),
    ]
    versions = []
    for dist in ("snntorch", "spikingjelly", "bindsnet", "libcst", "black", "networkx", "jsonschema"):
        try:
            from importlib.metadata import version

            versions.append(f"{dist} {version(dist)}")
        except Exception:  # noqa: BLE001 - a missing package is reported, not fatal
            versions.append(f"{dist} (missing)")
    lines.append("; ".join(versions))
    return lines


# -- timing -----------------------------------------------------------------------


def timed(fn, repeats: int, warmup: int = 1) -> list[float]:
    """Seconds of `fn()` for `repeats` runs after `warmup` untimed runs."""
    for _ in range(warmup):
        fn()
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        out.append(time.perf_counter() - start)
    return out


def med(xs: list[float]) -> float:
    return statistics.median(xs)


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:9.2f} ms"


# -- specs --------------------------------------------------------------------------


def load_json(path: Path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def write_spec(spec: dict, directory: Path, stem: str) -> Path:
    path = Path(directory) / f"{stem}.json"
    path.write_text(json.dumps(spec, indent=2), encoding="utf-8")
    return path


def variant(base: dict, **changes) -> dict:
    spec = copy.deepcopy(base)
    spec.update(changes)
    return spec


def chain_spec(n_layers: int, width: int = 16, target: str = "snnTorch") -> dict:
    """A feedforward chain of `n_layers` LIF populations of `width` neurons (linear + LIFNode each)."""
    layers = []
    for _ in range(n_layers):
        layers.append({"type": "linear", "in_features": width, "out_features": width})
        layers.append({"type": "LIFNode", "beta": 0.9})
    connections = [{"source": "input", "target": "layer_1"}]
    connections += [{"source": f"layer_{k}", "target": f"layer_{k + 1}"} for k in range(1, n_layers)]
    return {
        "model_name": f"Chain{n_layers}",
        "target_simulator": target,
        "time_steps": 10,
        "power_mode": "normal",
        "hardware_constraints": {"device_type": "high_performance_gpu"},
        "layers": layers,
        "connections": connections,
        "backend": "torch",
        "step_mode": "multi_step",
    }


# -- compiling --------------------------------------------------------------------


def cli(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "compiler", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True)
    if check and done.returncode != 0:
        raise RuntimeError(f"python -m compiler {' '.join(map(str, args))} exited {done.returncode}:\n{done.stderr}")
    return done


def compile_cli(spec: Path, target: str, out: Path) -> float:
    """Wall seconds of the whole `python -m compiler SPEC --target T -o OUT -q` process."""
    start = time.perf_counter()
    cli(spec, "--target", target, "-o", out, "-q")
    return time.perf_counter() - start


def compile_in_process(spec: Path, target: str) -> tuple[dict[str, float], str]:
    """Compile stage by stage as the driver does; returns ({stage: seconds}, source).

    Stages: frontend (`load_spec`), passes (`run_pipeline`, default pipeline),
    emit (`emit_module` + rendering + `compile()`), black (`format_source` + `compile()`).
    """
    from compiler.frontend import load_spec
    from passes.manager import Instrumentation, parse_pipeline, run_pipeline
    from emitters import emit_module
    from emitters.toolkit import format_source

    t0 = time.perf_counter()
    front = load_spec(Path(spec), target=target)
    t1 = time.perf_counter()
    result = run_pipeline(front.graph, parse_pipeline(None), Instrumentation(), out=lambda _s: None)
    t2 = time.perf_counter()
    module = emit_module(result.graph, pipeline=list(result.graph.pipeline))
    source = module.code
    compile(source, "<generated>", "exec")
    t3 = time.perf_counter()
    formatted = format_source(source)
    compile(formatted, "<generated>", "exec")
    t4 = time.perf_counter()
    return {"frontend": t1 - t0, "passes": t2 - t1, "emit": t3 - t2, "black": t4 - t3}, formatted


def import_path(path: Path):
    """Import a generated file as a fresh module."""
    name = f"snnc_generated_{Path(path).stem}_{next(_counter)}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def compile_and_import(spec: Path, target: str, out_dir: Path):
    out = Path(out_dir) / f"{Path(spec).stem}_{target}.py"
    compile_cli(spec, target, out)
    return import_path(out)


# -- weights and inputs -----------------------------------------------------------


def seeded_weights(sizes: list[int], *, bias: bool, seed: int = 0, w_mean=(0.0, 0.0), w_std=(0.1, 0.5),
                   b_std: float = 0.05) -> dict:
    """{"layer_k.weight": [out, in], "layer_k.bias": [out]} for a chain input -> layer_1 -> layer_2."""
    import torch

    g = torch.Generator().manual_seed(seed)
    weights = {}
    for k, (n_in, n_out) in enumerate(zip(sizes, sizes[1:]), start=1):
        mean, std = w_mean[min(k - 1, len(w_mean) - 1)], w_std[min(k - 1, len(w_std) - 1)]
        weights[f"layer_{k}.weight"] = torch.randn(n_out, n_in, generator=g) * std + mean
        if bias:
            weights[f"layer_{k}.bias"] = torch.randn(n_out, generator=g) * b_std
    return weights


def subset_weights(weights: dict, hidden: int) -> dict:
    """The first `hidden` hidden neurons of a 2-layer weight dict (rows of layer_1, columns of layer_2)."""
    out = {"layer_1.weight": weights["layer_1.weight"][:hidden].clone(),
           "layer_2.weight": weights["layer_2.weight"][:, :hidden].clone()}
    if "layer_1.bias" in weights:
        out["layer_1.bias"] = weights["layer_1.bias"][:hidden].clone()
        out["layer_2.bias"] = weights["layer_2.bias"].clone()
    return out


def bernoulli_input(T: int, B: int, n: int, p: float = 0.2, seed: int = 1):
    import torch

    g = torch.Generator().manual_seed(seed)
    return (torch.rand(T, B, n, generator=g) < p).float()


def agreement(a: dict, b: dict) -> dict[str, tuple[float, int, int]]:
    """{population: (fraction of equal spike entries, spikes in a, spikes in b)}."""
    out = {}
    for pop in a:
        x, y = a[pop].detach().float().cpu(), b[pop].detach().float().cpu()
        if x.shape != y.shape:
            out[pop] = (float("nan"), int(x.sum()), int(y.sum()))
            continue
        out[pop] = ((x == y).float().mean().item(), int(x.sum()), int(y.sum()))
    return out


def agreement_text(agree: dict) -> str:
    return "; ".join(f"{pop} {frac * 100:.3f}% ({na} vs {nb} spikes)" for pop, (frac, na, nb) in agree.items())


def errline(exc: BaseException) -> str:
    """One line saying why a benchmark cell failed (the first line that names an error)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()] or [type(exc).__name__]
    for line in lines:
        if "error" in line.lower() and not line.startswith("python -m compiler"):
            return line[:220]
    return f"{type(exc).__name__}: {lines[-1][:200]}"
