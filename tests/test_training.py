"""Training: the same gradients in snnTorch and SpikingJelly, the same weights after training,
data-parallel training, and the digits demo end to end.

The gradient matrix: a spec in each vocabulary x {LIF, IF} x {zero (a reset to a value),
subtract} reset x two surrogates, compiled for snnTorch and for SpikingJelly, the same
weights, input and loss (spike counts and membranes). Every weight gradient must be
bit-identical (the maximum relative difference is printed: 0).
"""

from __future__ import annotations

import itertools
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from support import reference, specs

VOCABS = {  # vocabulary -> (LIF keys, IF keys, {reset: keys}, surrogates)
    "snnTorch": ({"beta": 0.8}, {}, {"zero": {"reset_mechanism": "zero"}, "subtract": {"reset_mechanism": "subtract"}},
                 ("atan", "fast_sigmoid")),
    "SpikingJelly": ({"tau": 2.0}, {}, {"zero": {"v_reset": 0.0}, "subtract": {"v_reset": None}}, ("atan", "sigmoid")),
    "BindsNET": ({"tc_decay": 5.0, "rest": 0.0}, {}, {"zero": {"thresh": 1.0, "reset": 0.0, "refrac": 1}},
                 ("atan", "fast_sigmoid")),
}
CASES = [(vocab, kind, reset, surrogate) for vocab, (_, _, resets, surrogates) in VOCABS.items()
         for kind, reset, surrogate in itertools.product(("lif", "if"), resets, surrogates)]


def _spec(vocab: str, kind: str, reset: str, surrogate: str, time_steps: int = 15) -> dict:
    lif, if_, resets, _ = VOCABS[vocab]
    neuron = {"type": "LIFNode" if kind == "lif" else "IFNode", **(lif if kind == "lif" else if_), **resets[reset],
              "surrogate_function": surrogate}
    return specs.spec([{"type": "linear", "in_features": 20, "out_features": 16}, neuron,
                       {"type": "linear", "in_features": 16, "out_features": 5}, dict(neuron)], vocab,
                      time_steps=time_steps)


def _gradients(module, weights, x, out_pop):
    model = module.load_weights(module.build_model(), weights)
    out = module.run(model, x, membrane=True, grad=True)
    loss = (out[out_pop].sum(0) * torch.arange(1.0, 6.0)).sum() + 0.05 * out[out_pop + ".v"].pow(2).sum()
    loss.backward()
    grads = {}
    for key, (tensor, transposed) in module.weight_slots(model).items():
        grads[key] = tensor.grad.t() if transposed else tensor.grad
    return grads


@pytest.mark.parametrize("vocab, kind, reset, surrogate", CASES, ids=["-".join(c) for c in CASES])
def test_snntorch_and_spikingjelly_gradients_are_bit_identical(vocab, kind, reset, surrogate, tmp_path):
    spec = _spec(vocab, kind, reset, surrogate)
    mods = specs.modules(spec, tmp_path, targets=("snntorch", "spikingjelly"))
    graph = specs.graph(spec, tmp_path)
    w = reference.random_weights(graph, seed=1, scale=2.0)
    x = reference.random_spikes(15, 8, 20, seed=2, p=0.4)
    out_pop = graph.populations()[-1].name
    a, b = (_gradients(mods[t], w, x, out_pop) for t in ("snntorch", "spikingjelly"))
    worst = max(((a[k] - b[k]).abs().max() / a[k].abs().max().clamp_min(1e-30)).item() for k in a)
    print(f"\n{vocab} {kind} {reset} {surrogate}: max relative gradient difference {worst:.3g}")
    for key in a:
        assert torch.isfinite(a[key]).all() and a[key].abs().sum() > 0, key
        assert torch.equal(a[key], b[key]), (key, worst)


def test_training_in_either_target_gives_the_same_weights(tmp_path):
    """Ten Adam steps from the same start on the same batches: the final weights are identical."""
    spec = _spec("snnTorch", "lif", "subtract", "atan", time_steps=12)
    mods = specs.modules(spec, tmp_path, targets=("snntorch", "spikingjelly"))
    finals = {}
    for target, module in mods.items():
        torch.manual_seed(0)
        model = module.build_model()
        opt = torch.optim.Adam(model.parameters(), lr=0.01)
        gen = torch.Generator().manual_seed(5)
        for _ in range(10):
            x = (torch.rand(12, 8, 20, generator=gen) < 0.3).float()
            labels = torch.randint(0, 5, (8,), generator=gen)
            counts = module.run(model, x, grad=True)[list(module.POPULATIONS)[-1]].sum(0)
            loss = torch.nn.functional.cross_entropy(counts, labels)
            opt.zero_grad()
            loss.backward()
            opt.step()
        finals[target] = module.export_weights(model)
    start = mods["snntorch"].export_weights((torch.manual_seed(0), mods["snntorch"].build_model())[1])
    for key in finals["snntorch"]:
        assert not torch.equal(finals["snntorch"][key], start[key]), key  # it trained
        assert torch.equal(finals["snntorch"][key], finals["spikingjelly"][key]), key


@pytest.mark.parametrize("target", ("snntorch", "spikingjelly"))
def test_data_parallel_training_on_two_processes(target, tmp_path):
    """DistributedDataParallel (gloo, CPU, 2 processes) around the generated module: the loss falls and
    both ranks end with the same weights."""
    import torch.multiprocessing as mp

    from support import ddp_worker
    from support.generated import compile_and_import

    spec = specs.spec([{"type": "linear", "in_features": 12, "out_features": 24}, {"type": "LIFNode", "beta": 0.9},
                       {"type": "linear", "in_features": 24, "out_features": 4}, {"type": "LIFNode", "beta": 0.9}],
                      time_steps=10)
    path = specs.save(spec, tmp_path)
    module = compile_and_import(path, target, tmp_path)
    context = mp.spawn(ddp_worker.train, args=(2, module.__file__, str(tmp_path / "init"), str(tmp_path)), nprocs=2,
                       join=False)
    deadline = time.monotonic() + 300
    while not context.join(timeout=5):
        if time.monotonic() > deadline:
            for process in context.processes:
                process.kill()
            pytest.fail("the two data-parallel processes did not finish in 300 s")
    ranks = [torch.load(tmp_path / f"rank{r}.pt") for r in range(2)]
    for r in ranks:
        losses = r["losses"]
        assert sum(losses[-5:]) / 5 < 0.7 * sum(losses[:5]) / 5, losses
    for key in ranks[0]["weights"]:
        assert torch.equal(ranks[0]["weights"][key], ranks[1]["weights"][key]), key


def test_the_digits_demo_runs_and_every_target_scores_the_same(tmp_path):
    root = Path(__file__).parents[1]
    out = tmp_path / "demo.png"
    done = subprocess.run([sys.executable, "-m", "compiler.tools.demo", "--epochs", "2", "--out", str(out)], cwd=root,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    rows = [line.split() for line in done.stdout.splitlines() if line.split()[:1] in (["snntorch"], ["spikingjelly"],
                                                                                      ["bindsnet"])]
    assert len(rows) == 3 and all(row[2] == "True" for row in rows), done.stdout
    accuracies = {row[1] for row in rows}
    assert len(accuracies) == 1 and float(accuracies.pop().rstrip("%")) > 80.0, done.stdout
    assert out.stat().st_size > 10_000
