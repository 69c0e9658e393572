"""NIR's CubaLIF, LI and I both ways, through the real `nir` package and snnTorch's own exporter.

A file written by the `nir` library with CubaLIF -> Affine -> LI (and I) nodes imports as the
snnTorch family's CUBALIFNode and non-spiking readouts, runs identically in every target and
equals a hand-written snnTorch model of snnTorch's importer reading (snn.Synaptic, and the
readout's `beta·mem + x`); an snn.Synaptic network exported by snnTorch's exporter imports and
equals the original; snnc's own export of those neurons reads back exactly.
"""

from __future__ import annotations


import numpy as np
import pytest
import torch

from compiler.cli import main as snnc
from support import reference, specs
from support.nirfiles import import_file, run_everywhere

nir = pytest.importorskip("nir", reason="the NIR tests need the 'nir' extra (installed by the test set-up)")

DT = 1e-4


def _graph(readout: str, w1, w2, alpha=0.5, beta=0.75):
    n, m = w1.shape[0], w2.shape[0]
    tau_syn, tau_mem = DT / (1 - alpha), DT / (1 - beta)
    full = lambda shape, v: np.full(shape, v, dtype=np.float32)  # noqa: E731
    nodes = {
        "input": nir.Input(input_type={"input": np.array([w1.shape[1]])}),
        "fc1": nir.Affine(weight=w1, bias=np.zeros(n, np.float32)),
        "cuba": nir.CubaLIF(tau_syn=full(n, tau_syn), tau_mem=full(n, tau_mem), r=full(n, tau_mem / DT),
                            v_leak=full(n, 0.0), v_threshold=full(n, 1.0), v_reset=full(n, 0.0),
                            w_in=full(n, tau_syn / DT)),
        "fc2": nir.Affine(weight=w2, bias=np.zeros(m, np.float32)),
        "out": (nir.LI(tau=full(m, tau_mem), r=full(m, tau_mem / DT), v_leak=full(m, 0.0)) if readout == "LI"
                else nir.I(r=full(m, 1 / DT))),
        "output": nir.Output(output_type={"output": np.array([m])}),
    }
    names = list(nodes)
    return nir.NIRGraph(nodes=nodes, edges=list(zip(names, names[1:])))


@pytest.mark.parametrize("readout", ("LI", "I"))
def test_cubalif_and_readout_files_import_and_equal_snntorchs_reading(readout, tmp_path, bindsnet):
    import snntorch as snn

    g = torch.Generator().manual_seed(3)
    w1 = (torch.randn(6, 5, generator=g) * 0.8).numpy()
    w2 = (torch.randn(3, 6, generator=g) * 0.5).numpy()
    path = tmp_path / f"cuba_{readout}.nir"
    nir.write(path, _graph(readout, w1, w2))
    spec, weights = import_file(path, tmp_path)
    x = reference.random_spikes(12, 4, (5,), seed=1, p=0.5)
    got = run_everywhere(spec, weights, x, tmp_path)

    alpha = float(np.float32(1 - DT / np.float32(DT / (1 - 0.5))))
    beta = float(np.float32(1 - DT / np.float32(DT / (1 - 0.75))))
    syn = snn.Synaptic(alpha=alpha, beta=beta, threshold=1.0, reset_mechanism="zero", reset_delay=False)
    cur, mem = syn.init_synaptic()
    out_mem = torch.zeros(4, 3)
    spikes, readouts = [], []
    for t in range(12):
        s, cur, mem = syn(torch.nn.functional.linear(x[t], torch.from_numpy(w1)), cur, mem)
        drive = torch.nn.functional.linear(s, torch.from_numpy(w2))
        out_mem = (beta * out_mem + drive) if readout == "LI" else (out_mem + drive)
        spikes.append(s)
        readouts.append(out_mem)
    pops = list(got)  # cuba, cuba.v, out, out.v
    assert torch.equal(got[pops[0]], torch.stack(spikes))
    assert torch.equal(got[pops[2]], torch.stack(readouts))
    assert 0 < float(torch.stack(spikes).mean()) < 1


def test_snntorchs_exported_synaptic_net_imports_and_equals_the_original(tmp_path, bindsnet):
    import snntorch as snn
    from snntorch.export_nir import export_to_nir

    torch.manual_seed(0)
    # per-neuron alpha and beta: snnTorch's exporter needs them to type the graph (scalars give shape [])
    net = torch.nn.Sequential(torch.nn.Linear(5, 6), snn.Synaptic(
        alpha=torch.full((6,), 0.5), beta=torch.full((6,), 0.75), threshold=torch.ones(6), init_hidden=True,
        reset_mechanism="zero", reset_delay=False))
    with torch.no_grad():
        net[0].weight.mul_(2.0)
    graph = export_to_nir(net, torch.zeros(5))
    path = tmp_path / "synaptic.nir"
    nir.write(path, graph)
    spec, weights = import_file(path, tmp_path)
    x = reference.random_spikes(10, 1, (5,), seed=2, p=0.5)
    got = run_everywhere(spec, weights, x, tmp_path)
    net[1].reset_hidden()
    expected = torch.stack([net(x[t]) for t in range(10)]).detach()
    assert torch.equal(list(got.values())[0], expected)
    assert 0 < float(expected.mean()) < 1


def test_snnc_exports_cuba_and_readouts_and_reads_them_back(tmp_path):
    spec = specs.spec([
        {"type": "linear", "in_features": 4, "out_features": 5},
        {"type": "CUBALIFNode", "alpha": 0.625, "beta": 0.875, "threshold": 0.5, "reset_mechanism": "zero",
         "reset_delay": False},
        {"type": "linear", "in_features": 5, "out_features": 3},
        {"type": "NonSpikingLIFNode", "beta": 0.75},
    ], time_steps=8)
    path = specs.save(spec, tmp_path, "cuba")
    graph = specs.graph(spec, tmp_path)
    w = reference.random_weights(graph, seed=1, scale=2)
    torch.save(w, tmp_path / "w.pt")
    out = tmp_path / "cuba.nir"
    assert snnc([str(path), "--emit", "nir", "--weights", str(tmp_path / "w.pt"), "-o", str(out), "-q"]) == 0
    kinds = sorted(type(node).__name__ for node in nir.read(out).nodes.values())
    assert "CubaLIF" in kinds and "LI" in kinds
    # read by NIR semantics (metadata dropped): the decays come back bit for bit
    graph_nir = nir.read(out)
    graph_nir.metadata = {}
    plain = tmp_path / "plain.nir"
    nir.write(plain, graph_nir)
    back, _ = import_file(plain, tmp_path)
    import json

    layers = json.loads(back.read_text())["layers"]
    cuba = next(layer for layer in layers if layer["type"] == "CUBALIFNode")
    readout = next(layer for layer in layers if layer["type"] == "NonSpikingLIFNode")
    assert (cuba["alpha"], cuba["beta"], cuba["threshold"], readout["beta"]) == (0.625, 0.875, 0.5, 0.75)
