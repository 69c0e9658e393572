"""NIR files in tests: import one with `snnc import-nir`, run the imported spec in every target."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from compiler.cli import main as snnc
from ir.targets import names


def import_file(path: Path, tmp: Path) -> tuple[Path, dict]:
    """The spec `snnc import-nir` writes for `path`, and its weights as tensors."""
    spec = tmp / f"{path.stem}.json"
    assert snnc(["import-nir", str(path), "-o", str(spec), "-q"]) == 0
    weights = {k: torch.from_numpy(v) for k, v in np.load(spec.with_name(spec.stem + ".weights.npz")).items()}
    return spec, weights


def run_everywhere(spec: Path, weights: dict, x: torch.Tensor, tmp: Path) -> dict:
    """Every target's spikes and membranes in eval mode; asserts they are identical, returns snnTorch's."""
    from support.generated import compile_and_import

    results = {}
    for target in names():
        module = compile_and_import(spec, target, tmp)
        model = module.load_weights(module.build_model(), weights)
        model.eval()
        results[target] = module.run(model, x, membrane=True)
    for target, got in results.items():
        for key in results["snntorch"]:
            assert torch.equal(got[key], results["snntorch"][key]), (target, key)
    return results["snntorch"]
