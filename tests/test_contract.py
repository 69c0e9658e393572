"""The generated module's contract, identical in every target (C1, C3, C5 x snnTorch, SpikingJelly, BindsNET).

run() never modifies its input and gives the same spikes twice; load_weights is
atomic (a missing key or a wrong shape raises ValueError and changes nothing);
a wrong input raises ValueError; run(grad=True) is differentiable through the
spec's surrogate in the snnTorch and SpikingJelly modules (native and generated
neuron classes alike) and refused by BindsNET's; generated files are standalone.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from compiler.build import compile_spec
from compiler.tools.check import random_weights
from support.generated import import_source
from ir.targets import names as target_names

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ("C1", "C3", "C5")
TARGETS = target_names()
CASES = [(c, t) for c in CONFIGS for t in TARGETS]


@pytest.fixture(scope="module")
def compiled(tmp_path_factory, bindsnet):
    tmp = tmp_path_factory.mktemp("contract")
    out = {}
    for config, target in CASES:
        built = compile_spec(ROOT / "specs" / f"{config}.json", target=target)
        out[config, target] = built, import_source(built.source, tmp, f"{config}_{target}")
    return out


def _inputs(mod, T=12, B=4, seed=0):
    g = torch.Generator().manual_seed(seed)
    return (torch.rand(T, B, *mod.INPUT_SHAPE, generator=g) < 0.3).float()


@pytest.mark.parametrize("config, target", CASES)
def test_runs_leave_the_input_alone_and_repeat(config, target, compiled):
    built, mod = compiled[config, target]
    model = mod.load_weights(mod.build_model(), random_weights(built.graph, seed=1))
    x = _inputs(mod)
    before = x.clone()
    first = mod.run(model, x, membrane=True)
    assert torch.equal(x, before), "run() changed its input"
    second = mod.run(model, x, membrane=True)
    assert all(torch.equal(first[k], second[k]) for k in first)
    assert sum(first[p].sum().item() for p in mod.POPULATIONS) > 0, "nothing fired: the test proves little"
    for pop, shape in mod.POPULATIONS.items():
        assert first[pop].shape == (12, 4, *shape) and first[pop].dtype == torch.float32


@pytest.mark.parametrize("config, target", CASES)
@pytest.mark.parametrize("change", ["missing", "shape", "unknown"])
def test_load_weights_is_atomic(config, target, change, compiled):
    built, mod = compiled[config, target]
    model = mod.build_model()
    before = mod.export_weights(model)
    weights = random_weights(built.graph, seed=2)
    keys = list(weights)
    if change == "missing":
        del weights[keys[-1]]
        culprit = keys[-1]
    elif change == "shape":
        weights[keys[-1]] = torch.zeros(3, 1)
        culprit = keys[-1]
    else:
        weights["nowhere.weight"] = torch.zeros(1)
        culprit = "nowhere.weight"
    with pytest.raises(ValueError, match=culprit.replace(".", r"\.")):
        mod.load_weights(model, weights)
    after = mod.export_weights(model)
    assert all(torch.equal(before[k], after[k]) for k in before), "a failed load_weights changed the model"


@pytest.mark.parametrize("config, target", CASES)
@pytest.mark.parametrize("bad", [(12, 4, 10), (12, 784), (0, 4, 784), (12, 4, 784, 1), "complex"])
def test_a_wrong_input_is_a_value_error(config, target, bad, compiled):
    _, mod = compiled[config, target]
    x = torch.zeros(2, 2, 784, dtype=torch.complex64) if bad == "complex" else torch.zeros(bad)
    with pytest.raises(ValueError, match="inputs must be"):
        mod.run(mod.build_model(), x)


@pytest.mark.parametrize("config, target", CASES)
def test_grad_true_is_differentiable_or_refused(config, target, compiled):
    built, mod = compiled[config, target]
    model = mod.load_weights(mod.build_model(), random_weights(built.graph, seed=3))
    x = _inputs(mod, T=10, B=3)
    if target == "bindsnet":
        with pytest.raises(ValueError, match="no surrogate gradients"):
            mod.run(model, x, grad=True)
        return
    out = mod.run(model, x, membrane=True, grad=True)
    loss = sum(out[p].sum() + out[p + ".v"].sum() * 1e-3 for p in mod.POPULATIONS)
    loss.backward()
    slots = mod.weight_slots(model)
    for key, (tensor, _) in slots.items():
        assert tensor.grad is not None, key
        assert torch.isfinite(tensor.grad).all() and tensor.grad.abs().sum() > 0, key
    assert all(not t.requires_grad for t in mod.run(model, x).values()), "grad=False must not build a graph"


@pytest.mark.parametrize("config, target", CASES)
def test_source_is_standalone_and_black_stable(config, target, compiled):
    from emitters.toolkit import format_source

    built, _ = compiled[config, target]
    tree = ast.parse(built.source)
    roots = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    roots |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert roots <= {"torch", "math", "collections", "functools", target}, roots  # torch, its simulator, stdlib
    assert format_source(built.source) == built.source


@pytest.mark.parametrize("target", TARGETS)
def test_the_script_runs(target, tmp_path, compiled):
    built, _ = compiled["C1", target]
    script = tmp_path / "model.py"
    script.write_text(built.source, encoding="utf-8")
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "layer_1 firing rate" in proc.stdout and "layer_2 firing rate" in proc.stdout
