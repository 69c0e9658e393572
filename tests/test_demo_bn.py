"""`make demo-bn` in short (compiler.tools.demo with specs/digits_bn.json): SpikingJelly's conv_fashion_mnist
CSNN with batch normalisation, on scikit-learn's 8x8 digits, trained two epochs in the SpikingJelly
module in training mode, then evaluated in eval mode in all three targets with the exported weights
(running statistics included): the same accuracy, above chance, with the same spikes everywhere, and
running statistics that training moved away from a fresh model's."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest
import torch

from compiler import compile_spec
from compiler.tools.demo import TARGETS, build_parser, main, running_statistics

SPEC = Path(__file__).resolve().parents[1] / "specs" / "digits_bn.json"


@pytest.fixture(scope="module")
def short_run(tmp_path_factory, bindsnet):
    """The demo's stdout, its figure and its saved weights after two epochs (one run for the module)."""
    tmp = tmp_path_factory.mktemp("demo_bn")
    out, saved = tmp / "demo_bn.png", tmp / "weights.pt"
    argv = ["--spec", str(SPEC), "--train-in", "spikingjelly", "--encoding", "direct", "--epochs", "2",
            "--out", str(out), "--save-weights", str(saved)]
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        assert main(argv) == 0
    return stdout.getvalue(), out, torch.load(saved)


def test_every_target_scores_the_same_above_chance_with_the_same_spikes(short_run):
    stdout, figure, _ = short_run
    rows = [line.split() for line in stdout.splitlines() if line.split()[:1] in [[t] for t in TARGETS]]
    assert [row[0] for row in rows] == list(TARGETS), stdout
    assert all(row[2] == "True" for row in rows), stdout  # spikes identical to the training target's
    accuracies = {row[1] for row in rows}
    assert len(accuracies) == 1, stdout
    assert float(accuracies.pop().rstrip("%")) > 50.0, stdout  # chance is 10 %
    assert "trained in spikingjelly: 2 epochs" in stdout
    assert figure.read_bytes().startswith(b"\x89PNG") and figure.stat().st_size > 10_000


def test_training_moved_the_running_statistics_and_eval_mode_uses_them(short_run):
    stdout, _, weights = short_run
    module = compile_spec(SPEC, target="spikingjelly").load()
    fresh = module.build_model()
    before = running_statistics(module.export_weights(fresh))
    assert sorted(before) == ["bn1", "bn2"]
    for name, (mean, var) in before.items():  # torch's initial running statistics
        assert torch.equal(mean, torch.zeros_like(mean)) and torch.equal(var, torch.ones_like(var))
    for name in before:
        assert not torch.equal(weights[f"{name}.running_mean"], before[name][0]), name
        assert not torch.equal(weights[f"{name}.running_var"], before[name][1]), name
        assert (weights[f"{name}.running_var"] > 0).all(), name
    assert "running statistics after training" in stdout
    # the trained weights, running statistics included, give other spikes in eval mode (the running
    # statistics) than in training mode (the batch's), and eval mode leaves the statistics as loaded
    model = module.load_weights(module.build_model(), weights)
    inputs = torch.rand(module.TIME_STEPS, 4, *module.INPUT_SHAPE, generator=torch.Generator().manual_seed(0))
    model.eval()
    evaluated = module.run(model, inputs, membrane=True)
    assert all(torch.equal(module.export_weights(model)[k], weights[k]) for k in weights)
    model.train()
    trained = module.run(model, inputs, membrane=True)
    assert not torch.equal(evaluated["sn1.v"], trained["sn1.v"])


def test_the_options_of_demo_bn_and_the_defaults_of_demo():
    args = build_parser().parse_args([])
    assert (args.spec, args.encoding, args.save_weights) == ("specs/digits.json", "rate", None)
    makefile = (SPEC.parents[1] / "Makefile").read_text()
    recipe = makefile.split("\ndemo-bn:", 1)[1].split("\n\n", 1)[0]
    assert "--spec specs/digits_bn.json" in recipe and "--encoding direct" in recipe
    assert "--train-in spikingjelly" in recipe
