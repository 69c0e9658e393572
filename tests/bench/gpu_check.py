"""Run the generated modules of C1-C8, for every target, on CUDA, and say what happened.

Usage: python tests/bench/gpu_check.py   (needs a CUDA device; prints, asserts nothing)

For each config and target it shows: the precision the projections really ran in
(read from the dtype of their outputs, so FP16 autocast is proven, not assumed),
whether the spikes are binary and of the right shape, the firing rate, agreement
of the CUDA spikes with the CPU run of the same module, and agreement between the
three targets on CUDA.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT)]

from compiler.build import compile_spec  # noqa: E402
from compiler.tools.check import load_module, random_weights  # noqa: E402
from ir.targets import names as target_names  # noqa: E402

TARGETS = target_names()


def _projection_dtypes(model) -> tuple[list, list]:
    """Hooks that record the dtype of every projection's output while the model runs."""
    seen, handles = [], []
    projections = (torch.nn.Linear, torch.nn.Conv2d)
    if isinstance(model, torch.nn.Module) and any(isinstance(m, projections) for m in model.modules()):
        for m in model.modules():
            if isinstance(m, projections):
                handles.append(m.register_forward_hook(lambda _m, _i, out: seen.append(out.dtype)))
    else:  # a bindsnet Network: wrap each connection's compute
        for conn in model.connections.values():
            original = conn.compute

            def compute(s, _original=original):
                out = _original(s)
                seen.append(out.dtype)
                return out

            conn.compute = compute
    return seen, handles


def main() -> int:
    if not torch.cuda.is_available():
        print("no CUDA device: nothing to check")
        return 0
    torch.backends.cuda.matmul.allow_tf32 = False
    print(f"device: {torch.cuda.get_device_name(0)}; torch {torch.__version__}")
    print(f"{'config':<7}{'target':<14}{'precision':<11}{'proj dtype':<12}{'binary':<8}{'rate':>8}"
          f"{'vs CPU':>10}{'vs ' + TARGETS[0]:>14}")
    status = 0
    with tempfile.TemporaryDirectory() as tmp:
        for config in ("C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8"):
            runs = {}
            for target in TARGETS:
                built = compile_spec(ROOT / "specs" / f"{config}.json", target=target)
                mod = load_module(built.source, Path(tmp), f"{config}_{target}")
                graph = built.graph
                weights = random_weights(graph, seed=0)
                gen = torch.Generator().manual_seed(1)
                x = (torch.rand(mod.TIME_STEPS, 16, *mod.INPUT_SHAPE, generator=gen) < 0.2).float()
                cpu = mod.run(mod.load_weights(mod.build_model(), weights), x)
                model = mod.load_weights(mod.build_model(device="cuda"), weights)
                dtypes, handles = _projection_dtypes(model)
                gpu = mod.run(model, x.cuda())
                torch.cuda.synchronize()
                for h in handles:
                    h.remove()
                gpu = {k: v.cpu() for k, v in gpu.items()}
                runs[target] = gpu
                pops = list(mod.POPULATIONS)
                binary = all(bool(((gpu[p] == 0) | (gpu[p] == 1)).all()) and gpu[p].shape == cpu[p].shape for p in pops)
                expected = torch.float16 if mod.PRECISION == "fp16-cuda" else torch.float32
                ok_dtype = bool(dtypes) and all(d == expected for d in dtypes)
                status |= not (binary and ok_dtype)
                agree_cpu = sum((gpu[p] == cpu[p]).float().mean().item() for p in pops) / len(pops)
                agree_ref = sum((gpu[p] == runs[TARGETS[0]][p]).float().mean().item() for p in pops) / len(pops)
                rate = gpu[pops[0]].mean().item()
                print(f"{config:<7}{target:<14}{mod.PRECISION:<11}{str(dtypes[0]).replace('torch.', ''):<12}"
                      f"{'yes' if binary else 'NO':<8}{rate:>8.4f}{agree_cpu:>10.3%}{agree_ref:>14.3%}")
    print("all CUDA runs binary, with the intended projection precision" if status == 0 else "PROBLEMS above")
    return status


if __name__ == "__main__":
    sys.exit(main())
