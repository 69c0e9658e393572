"""The layers researchers train with: batch norm, dropout, 1-D convolution and pooling, delays.

Eval mode: every target equals the independent reference (`support.reference`, batch norm with
its running statistics, dropout the identity) spike for spike and membrane for membrane, under
thread counts {1, 2} and batch sizes {1, 3, 16}, for chains, graphs, runs of identical blocks and
each vocabulary. Training mode (the snnTorch and SpikingJelly modules, BindsNET does not train):
identical spikes, dropout masks, running statistics after the run and gradients of every weight.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch

from support import reference, specs
from ir.targets import names as target_names

ROOT = Path(__file__).resolve().parents[1]
TARGETS = target_names()
TRAINED = ("snntorch", "spikingjelly")

SHD = specs.spec([
    {"type": "conv1d", "name": "conv1", "in_channels": 2, "out_channels": 4, "kernel_size": 3, "padding": 1},
    {"type": "batchnorm1d", "name": "bn1", "num_features": 4},
    {"type": "LIFNode", "tau": 2.0},
    {"type": "maxpool1d", "kernel_size": 2},
    {"type": "dropout", "p": 0.3},
    {"type": "delay", "steps": 2},
    {"type": "conv1d", "name": "conv2", "in_channels": 4, "out_channels": 4, "kernel_size": 3, "stride": 2},
    {"type": "IFNode"},
    {"type": "avgpool1d", "kernel_size": 3, "stride": 1, "padding": 1},
    {"type": "flatten"},
    {"type": "linear", "in_features": 12, "out_features": 5},
    {"type": "LIFNode", "tau": 2.0, "v_reset": None},
], "SpikingJelly", time_steps=10, input_shape=[2, 16])

CSNN = specs.spec([
    {"type": "conv2d", "name": "conv1", "in_channels": 1, "out_channels": 4, "kernel_size": 3, "padding": 1,
     "bias": False},
    {"type": "batchnorm2d", "name": "bn1", "num_features": 4},
    {"type": "IFNode"},
    {"type": "maxpool2d", "kernel_size": 2},
    {"type": "conv2d", "name": "conv2", "in_channels": 4, "out_channels": 4, "kernel_size": 3, "padding": 1,
     "bias": False},
    {"type": "batchnorm2d", "name": "bn2", "num_features": 4, "momentum": 0.25, "eps": 0.001},
    {"type": "IFNode"},
    {"type": "maxpool2d", "kernel_size": 2},
    {"type": "flatten"},
    {"type": "linear", "in_features": 16, "out_features": 3, "bias": False},
    {"type": "IFNode"},
], "SpikingJelly", time_steps=8, input_shape=[1, 8, 8])

# a graph (not a chain): a skip path through batch norm and a delay, summed into the readout
GRAPH = specs.spec([
    {"type": "linear", "name": "fc1", "in_features": 6, "out_features": 8},
    {"type": "batchnorm1d", "name": "bn", "num_features": 8, "affine": False},
    {"type": "LIFNode", "name": "hidden", "beta": 0.75},
    {"type": "delay", "name": "late", "steps": 3},
    {"type": "linear", "name": "fc2", "in_features": 8, "out_features": 4},
    {"type": "linear", "name": "skip", "in_features": 6, "out_features": 4},
    {"type": "delay", "name": "skip_late", "steps": 1},
    {"type": "LIFNode", "name": "out", "beta": 0.5, "reset_mechanism": "zero"},
], "snnTorch", time_steps=9, input_shape=[6], connections=[
    {"source": "input", "target": "fc1"}, {"source": "fc1", "target": "bn"}, {"source": "bn", "target": "hidden"},
    {"source": "hidden", "target": "late"}, {"source": "late", "target": "fc2"}, {"source": "fc2", "target": "out"},
    {"source": "input", "target": "skip"}, {"source": "skip", "target": "skip_late"},
    {"source": "skip_late", "target": "out"}])

# BindsNET's vocabulary (connections without bias), a delay after a population, and a run of
# identical blocks long enough to be written as a loop
BLOCK = [{"type": "linear", "in_features": 8, "out_features": 8}, {"type": "batchnorm1d", "num_features": 8},
         {"type": "LIFNode", "thresh": -52.0, "rest": -65.0, "reset": -65.0, "tc_decay": 20.0}]
CHAIN = specs.spec([
    {"type": "linear", "in_features": 5, "out_features": 8, "bias": True},
    {"type": "LIFNode", "thresh": -52.0, "rest": -65.0, "reset": -65.0, "tc_decay": 20.0},
    {"type": "delay", "steps": 2},
    *[dict(layer) for _ in range(5) for layer in BLOCK],
], "BindsNET", time_steps=12, input_shape=[5])

CASES = {"shd-conv1d": SHD, "csnn-batchnorm": CSNN, "graph-skip-delay": GRAPH, "bindsnet-chain-loop": CHAIN}


@pytest.fixture(scope="module")
def compiled(tmp_path_factory, bindsnet):
    tmp = tmp_path_factory.mktemp("layers")
    return {case: (specs.graph(spec, tmp), specs.modules(spec, tmp)) for case, spec in CASES.items()}


def _inputs(graph, batch: int, seed: int) -> torch.Tensor:
    return reference.random_spikes(graph.attrs.time_steps, batch, graph.input().shape, seed=seed, p=0.4)


@pytest.mark.parametrize("case", CASES)
def test_every_target_equals_the_reference_in_eval_mode(case, compiled):
    graph, mods = compiled[case]
    threads = torch.get_num_threads()
    active = []
    try:
        for quantized in (False, True):
            w = reference.random_weights(graph, seed=3, quantized=quantized, scale=2)
            for n_threads, batch in ((1, 1), (2, 3), (2, 16)):
                torch.set_num_threads(n_threads)
                inputs = _inputs(graph, batch, seed=batch)
                expected = reference.run(graph, w, inputs)
                active += [float(expected[p.name].mean()) for p in graph.populations()]
                for target, module in mods.items():
                    model = module.load_weights(module.build_model(), w)
                    model.eval()
                    got = module.run(model, inputs, membrane=True)
                    for key in expected:
                        assert torch.equal(got[key], expected[key]), (case, target, key, n_threads, batch, quantized)
    finally:
        torch.set_num_threads(threads)
    assert 0 < max(active) and min(active) < 1  # the nets spike, and not everywhere


def test_the_chain_is_written_as_a_loop_and_the_graph_as_a_module(compiled):
    _, mods = compiled["bindsnet-chain-loop"]
    assert "for k in range(" in Path(mods["snntorch"].__file__).read_text()
    _, mods = compiled["graph-skip-delay"]
    assert "nn.Sequential" not in Path(mods["spikingjelly"].__file__).read_text()


def _train_run(module, weights, inputs, seed: int):
    """Spikes and membranes, running statistics after the run and the gradient of every weight key."""
    model = module.load_weights(module.build_model(), weights)
    model.train()
    torch.manual_seed(seed)
    out = module.run(model, inputs, membrane=True, grad=True)
    loss = sum(((out[p] - 0.3) ** 2).sum() for p in module.POPULATIONS)
    loss.backward()
    slots = module.weight_slots(model)
    grads = {k: t.grad for k, (t, _) in slots.items() if t.requires_grad}
    return {k: v.detach() for k, v in out.items()}, module.export_weights(model), grads


@pytest.mark.parametrize("case", ("shd-conv1d", "csnn-batchnorm", "graph-skip-delay"))
def test_training_mode_is_identical_in_snntorch_and_spikingjelly(case, compiled):
    graph, mods = compiled[case]
    w = reference.random_weights(graph, seed=5)
    for batch in (1, 4):
        inputs = _inputs(graph, batch, seed=batch + 10)
        runs = {t: _train_run(mods[t], w, inputs, seed=99) for t in TRAINED}
        (out_a, after_a, grads_a), (out_b, after_b, grads_b) = runs["snntorch"], runs["spikingjelly"]
        for key in out_a:
            assert torch.equal(out_a[key], out_b[key]), (case, key, batch)
        for key in after_a:
            assert torch.equal(after_a[key], after_b[key]), (case, key, batch)
        assert sorted(grads_a) == sorted(grads_b) and grads_a
        for key in grads_a:
            assert grads_a[key] is not None and torch.equal(grads_a[key], grads_b[key]), (case, key, batch)
        stats = [k for k in after_a if k.endswith("running_mean")]
        # one update per run: the running statistics moved away from what was loaded
        assert all(not torch.equal(after_a[k], w[k]) for k in stats)


def test_training_mode_batch_norm_uses_the_statistics_of_the_whole_sequence(compiled):
    """Train and eval differ (the sequence's statistics, not the running ones), and the running mean
    after one run is (1 - momentum) * loaded + momentum * the mean over all T*B samples."""
    graph, mods = compiled["csnn-batchnorm"]
    module = mods["snntorch"]
    w = reference.random_weights(graph, seed=5)
    inputs = _inputs(graph, 4, seed=1)
    model = module.load_weights(module.build_model(), w)
    conv = torch.nn.functional.conv2d(inputs.flatten(0, 1), w["conv1.weight"], padding=1)
    model.train()
    trained = module.run(model, inputs)
    expected = 0.9 * w["bn1.running_mean"] + 0.1 * conv.mean(dim=(0, 2, 3))
    assert torch.allclose(module.export_weights(model)["bn1.running_mean"], expected, atol=1e-6)
    model.eval()
    evaluated = module.run(model, inputs)
    assert any(not torch.equal(trained[p], evaluated[p]) for p in module.POPULATIONS)


def test_dropout_draws_one_mask_per_run_from_the_seed(compiled):
    graph, mods = compiled["shd-conv1d"]
    w = reference.random_weights(graph, seed=2)
    inputs = _inputs(graph, 3, seed=4)
    first = {t: _train_run(mods[t], w, inputs, seed=1)[0] for t in TRAINED}
    again = _train_run(mods["snntorch"], w, inputs, seed=1)[0]
    other = _train_run(mods["snntorch"], w, inputs, seed=2)[0]
    pop = list(mods["snntorch"].POPULATIONS)[1]  # the population after the dropout
    assert torch.equal(first["snntorch"][pop], first["spikingjelly"][pop])
    assert torch.equal(first["snntorch"][pop], again[pop])
    assert not torch.equal(first["snntorch"][pop], other[pop])


def test_a_delay_shifts_the_sequence_with_zeros_first(compiled):
    """A delay of 3 steps after `hidden`: fc2 reads hidden's spikes 3 steps late, so `out` is driven
    by the skip path alone for the first steps (checked against a run without the delayed path)."""
    graph, mods = compiled["graph-skip-delay"]
    module = mods["snntorch"]
    w = reference.random_weights(graph, seed=3, scale=2)
    inputs = _inputs(graph, 2, seed=3)
    model = module.load_weights(module.build_model(), w)
    model.eval()
    out = module.run(model, inputs, membrane=True)
    silent = dict(w, **{"fc2.weight": torch.zeros_like(w["fc2.weight"])})
    model = module.load_weights(module.build_model(), silent)
    model.eval()
    skip_only = module.run(model, inputs, membrane=True)
    # fc2's bias reaches `out` from step 3 on (zeros before: a delayed value is zeros, bias included)
    assert torch.equal(out["out.v"][:3], skip_only["out.v"][:3])
    assert not torch.equal(out["out.v"], skip_only["out.v"])


def test_check_and_stats_cover_the_new_layers(tmp_path):
    path = specs.save(SHD, tmp_path)
    result = subprocess.run([sys.executable, "-m", "compiler", "check", str(path), "--batch", "3"], cwd=ROOT,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "all targets agree" in result.stdout
    result = subprocess.run([sys.executable, "-m", "compiler", "stats", str(path), "--batch", "2"], cwd=ROOT,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "batchnorm1d" in result.stdout and "conv1d" in result.stdout


FOLDABLE = dict(CSNN, power_mode="low_energy")


@pytest.mark.parametrize("spec", (FOLDABLE, dict(SHD, power_mode="low_energy")), ids=("csnn", "shd"))
def test_folded_batch_norm_is_exact_across_targets_and_close_to_unfolded(spec, tmp_path, bindsnet):
    """low_energy folds batch norm into the layer before it: every target equals the reference on the
    folded graph bit for bit; the unfolded model's membranes are within float32 rounding of them (the
    CSNN's IF neurons are the same in both modes; the SHD net's LIF neurons become IF in low_energy)."""
    graph = specs.graph(spec, tmp_path)
    assert not any(op.kind.startswith("batchnorm") for op in graph.ops())
    assert "fold-batchnorm" in graph.pipeline
    mods = specs.modules(spec, tmp_path)
    plain = dict(spec, power_mode="normal")
    unfolded = specs.module(plain, "snntorch", tmp_path)
    w = reference.random_weights(specs.graph(plain, tmp_path), seed=3)
    assert sorted(w) == sorted(mods["snntorch"].WEIGHTS)  # the contract keeps the unfolded keys
    gap = 0.0
    for batch in (1, 5):
        inputs = _inputs(graph, batch, seed=batch)
        expected = reference.run(graph, w, inputs)
        for target, module in mods.items():
            model = module.load_weights(module.build_model(), w)
            model.eval()
            got = module.run(model, inputs, membrane=True)
            for key in expected:
                assert torch.equal(got[key], expected[key]), (target, key, batch)
            assert all(torch.equal(module.export_weights(model)[k], w[k]) for k in w)  # round trip
        if spec is FOLDABLE:
            model = unfolded.load_weights(unfolded.build_model(), w)
            model.eval()
            base = unfolded.run(model, inputs, membrane=True)
            first = graph.populations()[0].name
            gap = max(gap, float((base[first + ".v"] - expected[first + ".v"]).abs().max()))
    assert gap < 1e-5  # float32 rounding of the fold: measured 0 to a few ulp of the membrane


def test_fold_batchnorm_on_request_and_what_it_leaves(tmp_path):
    """--passes fold-batchnorm folds in normal mode; a batch norm after pooling stays (nothing to fold into)."""
    spec = specs.spec([
        {"type": "conv2d", "name": "conv", "in_channels": 1, "out_channels": 2, "kernel_size": 3},
        {"type": "maxpool2d", "kernel_size": 2},
        {"type": "batchnorm2d", "name": "after_pool", "num_features": 2},
        {"type": "IFNode"},
        {"type": "flatten"},
        {"type": "linear", "name": "fc", "in_features": 18, "out_features": 4},
        {"type": "batchnorm1d", "name": "bn", "num_features": 4},
        {"type": "IFNode"},
    ], "SpikingJelly", time_steps=4, input_shape=[1, 8, 8])
    from compiler.build import compile_spec

    passes = "fold-batchnorm,schedule,lower-to-target"
    compiled = compile_spec(specs.save(spec, tmp_path), "snntorch", passes)
    kinds = [op.kind for op in compiled.graph.ops()]
    assert "batchnorm2d" in kinds and "batchnorm1d" not in kinds
    assert compiled.graph.op("fc").fold_key == "bn"
    assert "# Pass pipeline: fold-batchnorm, schedule, lower-to-target." in compiled.source
    plain = compile_spec(specs.save(spec, tmp_path), "snntorch")
    assert "fold-batchnorm" not in plain.source and "batchnorm1d" in [op.kind for op in plain.graph.ops()]


def test_generated_modules_are_black_stable_ruff_clean_and_the_ir_round_trips(tmp_path):
    from support.tooling import check_generated

    check_generated({**CASES, "folded": FOLDABLE}, tmp_path)
