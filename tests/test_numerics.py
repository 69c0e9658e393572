"""Numerics "batched": the user's explicit choice of speed over cross-target exactness.

Under it the snnTorch and SpikingJelly modules compute each projection outside feedback
cycles over all T*B rows at once. What it still promises, and what these tests hold it to:
the two modules agree bit for bit (spikes, membranes, gradients) under any thread count and
batch size; the SpikingJelly module equals SpikingJelly's own multi-step `Sequential`, which
computes its products the same way (the exact default does not, at small batches on some
CPUs); a feedback cycle still steps; BindsNET, which steps the whole graph, generates the
same code as in the exact default; and `check` says which targets it holds to what.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from compiler.build import compile_spec
from compiler.tools.check import random_weights
from support import specs
from support.generated import import_source

ROOT = Path(__file__).parents[1]
BATCHING = ("snntorch", "spikingjelly")

MLP = specs.spec([{"type": "linear", "in_features": 20, "out_features": 16}, {"type": "LIFNode", "beta": 0.9},
                  {"type": "linear", "in_features": 16, "out_features": 4}, {"type": "LIFNode", "beta": 0.8}],
                 time_steps=12)
CSNN = specs.spec([{"type": "conv2d", "in_channels": 1, "out_channels": 4, "kernel_size": 3, "padding": 1},
                   {"type": "IFNode"}, {"type": "maxpool2d", "kernel_size": 2},
                   {"type": "conv2d", "in_channels": 4, "out_channels": 6, "kernel_size": 3},
                   {"type": "IFNode"}, {"type": "avgpool2d", "kernel_size": 2}, {"type": "flatten"},
                   {"type": "linear", "in_features": 6, "out_features": 5}, {"type": "LIFNode", "tau": 2.0}],
                  "SpikingJelly", time_steps=10, input_shape=[1, 8, 8])
NETS = {
    "mlp": MLP,
    "csnn": CSNN,
    "recurrent": json.loads((ROOT / "tests/valid/recurrent_feedback_after_the_layer.json").read_text()),
    "branching": json.loads((ROOT / "tests/valid/branching_named.json").read_text()),
    "batchnorm": json.loads((ROOT / "specs/digits_bn.json").read_text()),
}


def batched(spec: dict, tmp: Path, target: str, numerics: str = "batched"):
    """The compiled spec (build.Compiled) for `target` under `numerics`."""
    return compile_spec(specs.save(spec, tmp), target=target, numerics=numerics)


def modules(spec: dict, tmp: Path) -> dict:
    return {t: import_source(batched(spec, tmp, t).source, tmp, f"batched_{t}") for t in BATCHING}


def inputs(graph, steps: int, batch: int, seed: int = 0) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    return (torch.rand(steps, batch, *graph.input().shape, generator=gen) < 0.3).float()


@pytest.mark.parametrize("net", NETS)
def test_snntorch_and_spikingjelly_agree_bit_for_bit_under_any_threads_and_batch(net, tmp_path):
    spec = NETS[net]
    graph = batched(spec, tmp_path, "snntorch").graph
    weights = random_weights(graph, seed=3)
    mods = modules(spec, tmp_path)
    models = {t: m.load_weights(m.build_model(), weights).eval() for t, m in mods.items()}
    threads = torch.get_num_threads()
    try:
        for n_threads in (1, 2):
            torch.set_num_threads(n_threads)
            for batch in (1, 4, 32):
                x = inputs(graph, graph.attrs.time_steps, batch, seed=batch)
                out = {t: mods[t].run(models[t], x, membrane=True) for t in BATCHING}
                assert sorted(out["snntorch"]) == sorted(out["spikingjelly"])
                for key, want in out["snntorch"].items():
                    got = out["spikingjelly"][key]
                    assert torch.equal(want, got), f"{net} {key} threads={n_threads} B={batch}: " \
                                                   f"{(want == got).float().mean():.3%}"
    finally:
        torch.set_num_threads(threads)


@pytest.mark.parametrize("net", ["mlp", "csnn", "batchnorm"])
def test_training_gradients_are_bit_identical(net, tmp_path):
    spec = NETS[net]
    graph = batched(spec, tmp_path, "snntorch").graph
    weights = random_weights(graph, seed=5)
    mods = modules(spec, tmp_path)
    x = inputs(graph, graph.attrs.time_steps, 6) + 0.5 * inputs(graph, graph.attrs.time_steps, 6, seed=9)
    out_pop = list(mods["snntorch"].POPULATIONS)[-1]
    grads, stats = {}, {}
    for target, mod in mods.items():
        model = mod.load_weights(mod.build_model(), weights).train()
        torch.manual_seed(0)
        result = mod.run(model, x, membrane=True, grad=True)
        loss = result[out_pop].sum(0).pow(2).mean() + sum(result[p + ".v"].mean() for p in mod.POPULATIONS)
        loss.backward()
        slots = mod.weight_slots(model)
        grads[target] = {k: t.grad for k, (t, _) in slots.items() if t.grad is not None}
        stats[target] = mod.export_weights(model)
    assert grads["snntorch"], "nothing trained"
    assert grads["snntorch"].keys() == grads["spikingjelly"].keys()
    for key, want in grads["snntorch"].items():
        assert torch.equal(want, grads["spikingjelly"][key]), key
    for key, want in stats["snntorch"].items():  # batch norm's running statistics after one training run
        assert torch.equal(want, stats["spikingjelly"][key]), key


def sequential(weights: dict, sizes: tuple[int, int, int]):
    """An MLP as SpikingJelly's users write it: multi-step layers, [T*B] products (membranes kept)."""
    from spikingjelly.activation_based import functional, layer, neuron, surrogate

    def lif():
        return neuron.LIFNode(tau=2.0, surrogate_function=surrogate.ATan(), step_mode="m", store_v_seq=True)

    n_in, hidden, n_out = sizes
    net = torch.nn.Sequential(layer.Linear(n_in, hidden), lif(), layer.Linear(hidden, n_out), lif())
    functional.set_step_mode(net, "m")
    with torch.no_grad():
        for index, key in ((0, "layer_1"), (2, "layer_2")):
            net[index].weight.copy_(weights[f"{key}.weight"])
            net[index].bias.copy_(weights[f"{key}.bias"])
    return net


@pytest.mark.parametrize("batch", [1, 3, 4, 32])
def test_spikingjelly_module_equals_spikingjellys_own_sequential(batch, tmp_path):
    """The batched products are the ones SpikingJelly's multi-step layers compute, at every batch size:
    spikes and membranes. (The exact default computes one step at a time; on an AVX-512 Xeon its
    784-128 membranes differ from the Sequential's at batch 1, 3 and 32.)"""
    from spikingjelly.activation_based import functional

    sizes = (784, 128, 10)
    spec = specs.spec([{"type": "linear", "in_features": 784, "out_features": 128}, {"type": "LIFNode", "tau": 2.0},
                       {"type": "linear", "in_features": 128, "out_features": 10}, {"type": "LIFNode", "tau": 2.0}],
                      "SpikingJelly", time_steps=15)
    mod = import_source(batched(spec, tmp_path, "spikingjelly").source, tmp_path, "sj_batched")
    gen = torch.Generator().manual_seed(batch)
    weights = {k: torch.randn(shape, generator=gen) * 0.1 for k, shape in mod.WEIGHTS.items()}
    x = torch.rand(15, batch, 784, generator=gen)  # currents: every product's rounding shows in the membranes
    got = mod.run(mod.load_weights(mod.build_model(), weights), x, membrane=True)
    net = sequential(weights, sizes)
    functional.reset_net(net)
    hidden = net[1](net[0](x))
    out = net[3](net[2](hidden))
    assert torch.equal(got["layer_1.v"], net[1].v_seq) and torch.equal(got["layer_1"], hidden)
    assert torch.equal(got["layer_2.v"], net[3].v_seq) and torch.equal(got["layer_2"], out)


def test_the_generated_code_batches_outside_feedback_cycles_only(tmp_path):
    exact = batched(MLP, tmp_path, "snntorch", numerics="exact").source
    fast = batched(MLP, tmp_path, "snntorch").source
    assert "per_step(self.layer_1, x)" in exact and "batched(" not in exact
    assert "batched(self.layer_1, x)" in fast and "per_step(" not in fast
    assert '# Numerics "batched"' in fast
    sj = batched(MLP, tmp_path, "spikingjelly").source
    assert "Batched(layer.Linear(20, 16, bias=True))" in sj and "PerStep(" not in sj
    cycle = batched(NETS["recurrent"], tmp_path, "snntorch").source
    assert "batched(self.fc1, x)" in cycle  # outside the cycle
    assert "self.rec(aligned(" in cycle  # the cycle's projection still one step at a time


def _code(source: str) -> list[str]:
    return [line for line in source.splitlines() if not line.startswith("#")]


@pytest.mark.parametrize("net", ["mlp", "csnn", "recurrent"])
def test_bindsnet_stays_exact_and_says_so(net, tmp_path):
    exact = batched(NETS[net], tmp_path, "bindsnet", numerics="exact").source
    asked = batched(NETS[net], tmp_path, "bindsnet").source
    assert _code(asked) == _code(exact)
    assert '# Numerics "batched" was asked for: bindsnet steps the whole graph' in asked


def test_the_option_overrides_the_spec_and_the_ir_records_it(tmp_path):
    from ir.parser import parse
    from ir.printer import print_graph

    path = specs.save(MLP | {"numerics": "batched"}, tmp_path)
    assert compile_spec(path, target="snntorch").graph.attrs.numerics == "batched"
    graph = compile_spec(path, target="snntorch", numerics="exact").graph
    assert graph.attrs.numerics == "exact"
    assert "numerics" not in print_graph(graph)  # the default is not printed: every exact dump is unchanged
    text = print_graph(compile_spec(path, target="spikingjelly").graph)
    assert '// numerics: "batched"' in text
    assert print_graph(parse(text)) == text
    with pytest.raises(ValueError, match="unknown numerics 'fast'"):
        compile_spec(path, numerics="fast")
    from ir import VerifyError, verify

    with pytest.raises(VerifyError, match="unknown numerics 'fast'"):
        verify(parse(text.replace('// numerics: "batched"', '// numerics: "fast"')))


def test_cli_and_check(tmp_path):
    path = specs.save(MLP, tmp_path)
    out = tmp_path / "net.py"
    done = subprocess.run([sys.executable, "-m", "compiler", str(path), "--numerics", "batched", "-o", str(out)],
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "batched(self.layer_1, x)" in out.read_text()
    bad = subprocess.run([sys.executable, "-m", "compiler", str(path), "--numerics", "fast", "-o",
                          str(tmp_path / "x.py")], cwd=ROOT, capture_output=True, text=True)
    assert bad.returncode == 2 and "invalid choice: 'fast'" in bad.stderr and not (tmp_path / "x.py").exists()
    check = subprocess.run([sys.executable, "-m", "compiler", "check", str(path), "--numerics", "batched",
                            "--batch", "3"], cwd=ROOT, capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert 'numerics "batched": snntorch, spikingjelly must agree bit for bit; bindsnet steps' in check.stdout
    rows = [line.split() for line in check.stdout.splitlines() if line.split()[:1] in (["snntorch"], ["bindsnet"])]
    assert [row[0] for row in rows] == ["snntorch", "bindsnet"] * 2
    assert all(row[-1] == "*" for row in rows if row[0] == "bindsnet")
    assert all(row[1:] == ["100.000%", "-", "0"] for row in rows if row[0] == "snntorch")
    assert check.stdout.rstrip().endswith("snntorch, spikingjelly agree")


def test_batched_modules_are_black_stable_ruff_clean_and_the_ir_round_trips(tmp_path):
    from support.tooling import check_generated

    check_generated({f"batched_{net}": spec | {"numerics": "batched"} for net, spec in NETS.items()}, tmp_path)
