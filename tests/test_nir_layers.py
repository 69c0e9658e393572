"""NIR and the training layers: Conv1d and Delay both ways, batch norm folded on export, dropout gone.

Through the real `nir` package: a file written by the `nir` library with Conv1d and Delay
nodes imports and runs identically in every target, equal to an independent torch model of
the NIR semantics; an snnc export of a model with batch norm and dropout is its eval-mode
model (batch norm folded as the fold-batchnorm pass folds it), and importing it back gives
the folded module's spikes and membranes bit for bit.
"""

from __future__ import annotations


import numpy as np
import pytest
import torch
import torch.nn.functional as F

from compiler.cli import main as snnc
from support import reference, specs
from support.nirfiles import import_file, run_everywhere
from support.generated import compile_and_import

nir = pytest.importorskip("nir", reason="the NIR tests need the 'nir' extra (installed by the test set-up)")

DT = 1e-4


def test_a_nir_file_with_conv1d_and_delay_runs_identically_everywhere(tmp_path, bindsnet):
    """Input [2, 12] -> Conv1d(k3, pad 1) -> IF -> Delay(2 steps) -> Flatten -> Affine -> IF, written by the
    nir library; every target equals a torch loop of NIR's semantics (snnTorch's reading of IF)."""
    g = torch.Generator().manual_seed(0)
    w1 = (torch.randn(3, 2, 3, generator=g) * 0.6).numpy()
    b1 = (torch.randn(3, generator=g) * 0.1).numpy()
    w2 = (torch.randn(4, 36, generator=g) * 0.3).numpy()
    b2 = np.zeros(4, np.float32)
    nodes = {
        "input": nir.Input(input_type={"input": np.array([2, 12])}),
        "conv": nir.Conv1d(input_shape=12, weight=w1, stride=1, padding=1, dilation=1, groups=1, bias=b1),
        "if1": nir.IF(r=np.full((3, 12), 1 / DT, np.float32), v_threshold=np.ones((3, 12), np.float32),
                      v_reset=np.zeros((3, 12), np.float32)),
        "delay": nir.Delay(delay=np.full((3, 12), 2 * DT, np.float32)),
        "flat": nir.Flatten(input_type={"input": np.array([3, 12])}, start_dim=0, end_dim=-1),
        "fc": nir.Affine(weight=w2, bias=b2),
        "if2": nir.IF(r=np.full(4, 1 / DT, np.float32), v_threshold=np.ones(4, np.float32),
                      v_reset=np.zeros(4, np.float32)),
        "output": nir.Output(output_type={"output": np.array([4])}),
    }
    names = list(nodes)
    path = tmp_path / "conv1d_delay.nir"
    nir.write(path, nir.NIRGraph(nodes=nodes, edges=list(zip(names, names[1:]))))
    spec, weights = import_file(path, tmp_path)
    x = reference.random_spikes(10, 3, (2, 12), seed=4, p=0.5)
    got = run_everywhere(spec, weights, x, tmp_path)

    v1, v2, s1_seq, s2_seq = torch.zeros(3, 3, 12), torch.zeros(3, 4), [], []
    for t in range(10):
        v1 = v1 + F.conv1d(x[t], torch.from_numpy(w1), torch.from_numpy(b1), padding=1)
        s1 = (v1 > 1.0).float()
        v1 = v1 * (1 - s1)
        s1_seq.append(s1)
        late = s1_seq[t - 2] if t >= 2 else torch.zeros_like(s1)
        v2 = v2 + F.linear(late.flatten(1), torch.from_numpy(w2), torch.from_numpy(b2))
        s2 = (v2 > 1.0).float()
        v2 = v2 * (1 - s2)
        s2_seq.append(s2)
    pops = list(got)
    assert torch.equal(got[pops[0]], torch.stack(s1_seq)) and torch.equal(got[pops[2]], torch.stack(s2_seq))
    assert 0 < float(torch.stack(s2_seq).mean()) < 1


def test_a_delay_that_is_not_whole_steps_is_refused(tmp_path):
    nodes = {"input": nir.Input(input_type={"input": np.array([3])}),
             "delay": nir.Delay(delay=np.full(3, 1.5 * DT, np.float32)),
             "fc": nir.Affine(weight=np.eye(3, dtype=np.float32), bias=np.zeros(3, np.float32)),
             "if": nir.IF(r=np.full(3, 1 / DT, np.float32), v_threshold=np.ones(3, np.float32),
                          v_reset=np.zeros(3, np.float32)),
             "output": nir.Output(output_type={"output": np.array([3])})}
    names = list(nodes)
    path = tmp_path / "half.nir"
    nir.write(path, nir.NIRGraph(nodes=nodes, edges=list(zip(names, names[1:]))))
    out = tmp_path / "half.json"
    assert snnc(["import-nir", str(path), "-o", str(out), "-q"]) == 1
    assert not out.exists()


BN_SPEC = specs.spec([
    {"type": "conv1d", "name": "conv1", "in_channels": 2, "out_channels": 4, "kernel_size": 3, "padding": 1},
    {"type": "batchnorm1d", "name": "bn1", "num_features": 4},
    {"type": "LIFNode", "beta": 0.5, "reset_mechanism": "zero", "reset_delay": False},
    {"type": "dropout", "p": 0.5},
    {"type": "delay", "steps": 2},
    {"type": "flatten"},
    {"type": "linear", "name": "fc", "in_features": 64, "out_features": 6},
    {"type": "batchnorm1d", "name": "bn2", "num_features": 6, "affine": False},
    {"type": "IFNode", "reset_mechanism": "zero", "reset_delay": False},
], time_steps=8, input_shape=[2, 16])


def test_export_folds_batch_norm_and_drops_dropout_and_reimport_equals_the_folded_model(tmp_path, bindsnet):
    path = specs.save(BN_SPEC, tmp_path, "bn")
    graph = specs.graph(BN_SPEC, tmp_path)
    w = reference.random_weights(graph, seed=2, scale=2)
    torch.save(w, tmp_path / "w.pt")
    out = tmp_path / "bn.nir"
    assert snnc([str(path), "--emit", "nir", "--weights", str(tmp_path / "w.pt"), "-o", str(out), "-q"]) == 0
    kinds = {name: type(node).__name__ for name, node in nir.read(out).nodes.items()}
    assert "Conv1d" in kinds.values() and "Delay" in kinds.values()
    assert not any("norm" in k.lower() or "dropout" in k.lower() for k in kinds)
    spec, weights = import_file(out, tmp_path)
    x = reference.random_spikes(8, 3, (2, 16), seed=1, p=0.5)
    imported = run_everywhere(spec, weights, x, tmp_path)

    folded = compile_and_import(path, "snntorch", tmp_path, passes="fold-batchnorm,schedule,lower-to-target")
    model = folded.load_weights(folded.build_model(), w)
    model.eval()
    expected = folded.run(model, x, membrane=True)
    # the imported model runs 8 steps of the same network; its populations are named after the NIR nodes
    for (key, value), (_, mine) in zip(sorted(expected.items()), sorted(imported.items()), strict=True):
        assert torch.equal(value, mine), key
    assert 0 < float(expected["layer_2"].mean()) < 1


def test_a_batch_norm_that_cannot_be_folded_is_refused_naming_it(tmp_path):
    spec = specs.spec([
        {"type": "linear", "in_features": 4, "out_features": 4},
        {"type": "LIFNode", "beta": 0.5, "reset_mechanism": "zero"},
        {"type": "batchnorm1d", "name": "after_spikes", "num_features": 4},
        {"type": "linear", "in_features": 4, "out_features": 2},
        {"type": "LIFNode", "beta": 0.5, "reset_mechanism": "zero"},
    ], time_steps=4)
    path = specs.save(spec, tmp_path, "unfoldable")
    graph = specs.graph(spec, tmp_path)
    torch.save(reference.random_weights(graph), tmp_path / "w.pt")
    out = tmp_path / "x.nir"
    assert snnc([str(path), "--emit", "nir", "--weights", str(tmp_path / "w.pt"), "-o", str(out), "-q"]) == 1
    assert not out.exists()
