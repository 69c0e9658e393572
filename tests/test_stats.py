"""`snnc stats`: every count checked against an independent count and against NeuroBench's own metrics.

- C1 with given weights (some exactly zero) and inputs (spikes, then real values): every total
  equals a count made here from the generated module's own spikes;
- C1, C7 and two graph specs: parameters, synaptic operations (dense, effective ACs and MACs),
  activation sparsity and footprint against NeuroBench 2.3.0's `ParameterCount`, `Footprint`,
  `SynapticOperations` and `ActivationSparsity` on the same snnTorch module and input;
- the low-power comparison of C2 and C8, the energy table, and bad input.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from compiler import compile_spec
from compiler.tools.stats import ENERGY_45NM, count
from support import reference
from support.generated import import_source

ROOT = Path(__file__).resolve().parents[1]


def _stats(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("SNNC_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "compiler", "stats", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


def _c1_weights() -> dict:
    graph = compile_spec(ROOT / "specs" / "C1.json").graph
    weights = reference.random_weights(graph, seed=3)
    weights["layer_1.weight"][:, :40] = 0.0  # zero weights cost nothing (NeuroBench's rule)
    weights["layer_2.weight"][3, :] = 0.0
    return weights


@pytest.mark.parametrize("real_valued", [False, True], ids=["spikes", "real-valued"])
def test_c1_totals_equal_an_independent_count(real_valued, tmp_path):
    T, B = 12, 5
    weights = _c1_weights()
    inputs = reference.random_spikes(T, B, 784, seed=4, p=0.3)
    if real_valued:
        inputs = inputs * 0.5  # not spikes: the first layer multiplies
    torch.save(weights, tmp_path / "w.pt")
    torch.save(inputs, tmp_path / "x.pt")
    done = _stats("specs/C1.json", "--weights", str(tmp_path / "w.pt"), "--inputs", str(tmp_path / "x.pt"), "--json")
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)

    module = import_source(compile_spec(ROOT / "specs" / "C1.json").source, tmp_path, "c1")
    out = module.run(module.load_weights(module.build_model(), weights), inputs)
    w1, w2 = weights["layer_1.weight"], weights["layer_2.weight"]
    ops1 = float(((inputs != 0).double().sum((0, 1)) * (w1 != 0).double().sum(0)).sum()) / B
    ops2 = float(((out["layer_1"] != 0).double().sum((0, 1)) * (w2 != 0).double().sum(0)).sum()) / B
    params = 784 * 256 + 256 + 256 * 10 + 10
    want_acs, want_macs = (ops2, ops1) if real_valued else (ops1 + ops2, 0.0)
    total = got["total"]
    assert total["params"] == params and total["footprint_bytes"] == 4 * params
    assert total["dense_synaptic_ops"] == T * (784 * 256 + 256 * 10)
    assert total["acs"] == pytest.approx(want_acs, abs=0) and total["macs"] == pytest.approx(want_macs, abs=0)
    assert total["effective_synaptic_ops"] == total["acs"] + total["macs"]
    assert total["neuron_updates"] == T * (256 + 10)
    spikes = out["layer_1"].sum() + out["layer_2"].sum()
    assert total["firing_rate"] == pytest.approx(float(spikes) / (T * B * 266), rel=1e-12)
    assert total["activation_sparsity"] == pytest.approx(1 - total["firing_rate"], rel=1e-12)
    e = ENERGY_45NM["fp32"]
    assert total["energy_pj"] == pytest.approx(want_macs * e["mac"] + want_acs * e["ac"], rel=1e-12)
    layers = {layer["name"]: layer for layer in got["layers"]}
    assert [layer["kind"] for layer in got["layers"]] == ["linear", "population", "linear", "population"]
    assert layers["layer_1"]["firing_rate"] == pytest.approx(float(out["layer_1"].double().mean()), rel=1e-12)


def _neurobench(spec: Path, tmp_path: Path, T: int = 6, B: int = 3):
    """NeuroBench's metrics on the snnTorch module of `spec`, and snnc's counts on the same run."""
    from neurobench.benchmarks import Benchmark
    from neurobench.metrics.static import Footprint, ParameterCount
    from neurobench.metrics.workload import ActivationSparsity, SynapticOperations
    from neurobench.models import SNNTorchModel

    compiled = compile_spec(spec, "snntorch")
    module = import_source(compiled.source, tmp_path, "nb")
    weights = reference.random_weights(compiled.graph, seed=0)
    model = module.load_weights(module.build_model(), weights)
    neuron_buffers = sum(b.numel() * b.element_size() for b in model.buffers())
    last = list(module.POPULATIONS)[-1]

    class Net(torch.nn.Module):  # NeuroBench's data are [B, T, ...]; grad=True runs snnTorch's own neurons
        def __init__(self):
            super().__init__()
            self.inner = model

        def forward(self, data):
            return module.run(self.inner, data.transpose(0, 1), grad=True)[last]

    gen = torch.Generator().manual_seed(1)
    data = (torch.rand(B, T, *module.INPUT_SHAPE, generator=gen) < 0.3).float()
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(data, torch.zeros(B)), batch_size=B)
    bench = Benchmark(SNNTorchModel(Net(), custom_forward=True), loader, [], [],
                      [[ParameterCount, Footprint], [SynapticOperations, ActivationSparsity]])
    theirs = bench.run(verbose=False) if "verbose" in Benchmark.run.__code__.co_varnames else bench.run()
    ours = count(spec, "snntorch", weights=weights, inputs=data.transpose(0, 1).contiguous())
    return theirs, ours, neuron_buffers


@pytest.mark.parametrize("spec", ["specs/C1.json", "specs/C7.json", "tests/valid/recurrent_rleaky.json",
                                  "tests/valid/branching_named.json"])
def test_counts_agree_with_neurobench(spec, tmp_path):
    pytest.importorskip("neurobench")
    theirs, report, neuron_buffers = _neurobench(ROOT / spec, tmp_path)
    ours = report.total
    assert ours["params"] == theirs["ParameterCount"]
    # NeuroBench counts the bytes as stored (float32, also for an FP16 model) and snn.Leaky's buffers too
    assert ours["params"] * 4 + neuron_buffers == theirs["Footprint"]
    assert ours["footprint_bytes"] == ours["params"] * (2 if report.precision == "fp16" else 4)
    synops = theirs["SynapticOperations"]
    assert ours["dense_synaptic_ops"] == synops["Dense"]
    assert ours["acs"] == synops["Effective_ACs"] and ours["macs"] == synops["Effective_MACs"]
    assert ours["activation_sparsity"] == pytest.approx(theirs["ActivationSparsity"], rel=1e-12)


def test_the_low_power_passes_are_counted_one_by_one():
    done = _stats("specs/C8.json", "--batch", "2", "--json")
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    stages = {stage["stage"]: stage for stage in got["passes"]}
    assert list(stages) == ["without low-power passes", "+ neuron-substitution", "+ precision-lowering",
                            "+ timestep-scaling"]
    without, fp16, last = (stages[k] for k in ("without low-power passes", "+ precision-lowering",
                                               "+ timestep-scaling"))
    assert without["precision"] == "fp32" and fp16["precision"] == "fp16"
    assert without["time_steps"] == 25 and last["time_steps"] == 10 and last["total"] == got["total"]
    assert last["total"]["dense_synaptic_ops"] * 25 == without["total"]["dense_synaptic_ops"] * 10
    e16 = ENERGY_45NM["fp16"]
    assert fp16["total"]["energy_pj"] == pytest.approx(fp16["total"]["acs"] * e16["ac"]
                                                       + fp16["total"]["macs"] * e16["mac"])
    text = _stats("specs/C2.json", "--batch", "2", "--time-steps", "5")
    assert "what the low-power passes change" in text.stdout and "+ precision-lowering" in text.stdout


def test_an_energy_table_overrides_the_default(tmp_path):
    table = tmp_path / "e.json"
    table.write_text('{"fp32": {"ac": 1.0}}')
    done = _stats("specs/C1.json", "--batch", "2", "--time-steps", "3", "--json", "--energy-table", str(table))
    got = json.loads(done.stdout)
    assert got["energy_table_pj"]["fp32"] == {"mac": 4.6, "ac": 1.0}
    assert got["total"]["energy_pj"] == pytest.approx(got["total"]["acs"] * 1.0)


@pytest.mark.parametrize("content, message", [
    ('{"fp32": {"ac": -1}}', "/fp32/ac: expected a finite number"),
    ('{"fp64": {"ac": 1}}', "/fp64: unknown precision"),
    ('{"fp32": {"add": 1}}', "/fp32/add: unknown key"),
    ('{"fp32": ', "e.json:1:"),
    ("[1]", "must be an object"),
])
def test_a_bad_energy_table_is_one_located_line(content, message, tmp_path):
    table = tmp_path / "e.json"
    table.write_text(content)
    done = _stats("specs/C1.json", "--energy-table", str(table))
    assert done.returncode == 1 and message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and not done.stdout


def test_bad_input_gets_a_located_error_and_writes_nothing(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"model_name": "x",}')
    done = _stats(str(bad), cwd=tmp_path)
    assert done.returncode == 1 and "bad.json:1:" in done.stderr and "Traceback" not in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.json"]
    for args, message in ((("--target", "nest"), "unknown target"), (("--rate", "nan"), "--rate nan"),
                          (("--passes", "bogus"), "unknown pass")):
        done = _stats("specs/C1.json", *args)
        assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr
