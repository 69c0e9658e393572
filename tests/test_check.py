"""The `check` command: compiles for every target, runs them, and says whether they agree."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import torch

from compiler.tools.check import compare

ROOT = Path(__file__).resolve().parents[1]


def _check(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "compiler", "check", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)


def test_compare_reports_agreement_first_step_and_membrane_gap():
    a = torch.zeros(4, 2, 3)
    b = a.clone()
    b[2, 1, 0] = 1.0
    va, vb = torch.zeros(4, 2, 3), torch.zeros(4, 2, 3)
    vb[3, 0, 2] = 0.25
    result = compare({"p": a, "p.v": va}, {"p": b, "p.v": vb}, ["p"])
    agreement, first, dv = result["p"]
    assert abs(agreement - 23 / 24) < 1e-6
    assert first == 2
    assert dv == 0.25
    assert compare({"p": a, "p.v": va}, {"p": a, "p.v": va}, ["p"])["p"] == (1.0, None, 0.0)


def test_check_passes_on_a_paper_config():
    result = _check(str(ROOT / "specs" / "C3.json"), "--time-steps", "12", "--batch", "16", "--quantized")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "all targets agree" in result.stdout
    rows = [line.split() for line in result.stdout.splitlines() if line.strip().startswith(("snntorch", "spikingjelly", "bindsnet"))]
    assert len(rows) == 6  # 3 targets x 2 populations
    assert all(row[1] == "100.000%" and row[2] == "-" for row in rows)


def test_check_rejects_a_bad_spec_and_unknown_target(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"model_name": "x",}', encoding="utf-8")
    result = _check(str(bad))
    assert result.returncode == 1
    assert "bad.json:1:" in result.stderr and "Traceback" not in result.stderr
    result = _check(str(ROOT / "specs" / "C1.json"), "--targets", "nest")
    assert result.returncode == 2
    assert "unknown target" in result.stderr


def test_check_runs_your_weights_and_inputs_and_draws_them(tmp_path):
    """Trained weights (.pt from export_weights) and recorded inputs (.npz, [T, *INPUT_SHAPE]) are used as given:
    with all-zero weights and inputs nothing fires; a picture is written."""
    import numpy as np

    weights = {"layer_1.weight": torch.zeros(256, 784), "layer_1.bias": torch.full((256,), 0.3),
               "layer_2.weight": torch.zeros(10, 256), "layer_2.bias": torch.zeros(10)}
    torch.save(weights, tmp_path / "w.pt")
    np.savez(tmp_path / "x.npz", spikes=np.zeros((9, 784), np.float32))
    result = _check(str(ROOT / "specs" / "C1.json"), "--weights", str(tmp_path / "w.pt"), "--inputs",
                    str(tmp_path / "x.npz"), "--plot", str(tmp_path / "p.png"))
    assert result.returncode == 0, result.stderr
    assert "T=9, batch=1" in result.stdout and "w.pt" in result.stdout
    rates = [line for line in result.stdout.splitlines() if "firing rate" in line]
    assert "firing rate 0.0000" in rates[1] and "firing rate 0.0000" not in rates[0]  # the bias alone drives layer_1
    assert (tmp_path / "p.png").stat().st_size > 5000
    bad = _check(str(ROOT / "specs" / "C1.json"), "--inputs", str(tmp_path / "w.pt"))
    assert bad.returncode == 1 and "expected one tensor" in bad.stderr and "Traceback" not in bad.stderr


def test_the_picture_marks_where_targets_differ(tmp_path):
    from compiler.tools.raster import draw_agreement, first_disagreeing_sample

    a = {"p": torch.zeros(5, 3, 4)}
    b = {"p": a["p"].clone()}
    b["p"][2, 1, 3] = 1.0
    assert first_disagreeing_sample({"x": a, "y": b}, "x", ["p"]) == 1
    png = draw_agreement({"x": a, "y": b}, "x", ["p"], "a $hostile$ \\frac{ title")  # no maths parsing
    assert png.startswith(b"\x89PNG") and len(png) > 5000


def test_the_picture_ticks_whole_steps_and_neurons_only():
    import matplotlib.pyplot as plt

    from compiler.tools.raster import agreement_figure

    for steps in (1, 3, 7, 40):  # 3 steps got ticks at -0.5, 0, 0.5, ... before
        runs = {"x": {"p": torch.zeros(steps, 2, 5)}, "y": {"p": torch.zeros(steps, 2, 5)}}
        runs["y"]["p"][0, 0, 1] = 1.0
        fig = agreement_figure(runs, "x", ["p"], "ticks")
        for ax in fig.axes:
            for ticks, (low, high), whole in ((ax.get_xticks(), ax.get_xlim(), steps),
                                              (ax.get_yticks(), ax.get_ylim(), 5)):
                shown = [float(t) for t in ticks if low <= t <= high]
                assert shown and all(t.is_integer() and 0 <= t < whole for t in shown), (steps, shown)
        plt.close(fig)


def test_weights_may_be_a_generated_models_own_state_dict(tmp_path):
    """`--weights` takes what researchers save: torch.save(model.state_dict()) of a generated model
    (neuron buffers included), for check, stats and NIR export alike."""
    from compiler import compile_spec

    module = compile_spec(ROOT / "specs" / "C3.json", target="spikingjelly").load()
    model = module.build_model()
    torch.save(model.state_dict(), tmp_path / "state.pt")
    torch.save(module.export_weights(model), tmp_path / "contract.pt")
    assert set(torch.load(tmp_path / "state.pt")) != set(module.WEIGHTS)
    runs = {}
    for name in ("state", "contract"):
        result = _check(str(ROOT / "specs" / "C3.json"), "--weights", str(tmp_path / f"{name}.pt"), "--time-steps",
                        "4", "--batch", "2")
        assert result.returncode == 0, result.stderr
        runs[name] = [line for line in result.stdout.splitlines() if "firing rate" in line]
    assert runs["state"] == runs["contract"]
    stats = subprocess.run([sys.executable, "-m", "compiler", "stats", str(ROOT / "specs" / "C3.json"), "--weights",
                            str(tmp_path / "state.pt"), "--time-steps", "3", "--batch", "2", "--json"], cwd=ROOT,
                           capture_output=True, text=True, timeout=600)
    assert stats.returncode == 0, stats.stderr
    if importlib.util.find_spec("nir") is not None:
        done = subprocess.run([sys.executable, "-m", "compiler", str(ROOT / "specs" / "C3.json"), "--emit", "nir",
                               "--weights", str(tmp_path / "state.pt"), "-o", str(tmp_path / "c3.nir"), "-q"],
                              cwd=ROOT, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr
    bad = {"nonsense.weight": torch.zeros(3)}
    torch.save(bad, tmp_path / "bad.pt")
    result = _check(str(ROOT / "specs" / "C3.json"), "--weights", str(tmp_path / "bad.pt"))
    assert result.returncode == 1 and "do not fit the model" in result.stderr and "Traceback" not in result.stderr
