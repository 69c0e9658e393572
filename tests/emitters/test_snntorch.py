"""The snnTorch emitter, executed in real snnTorch 1.0.0 (no mocks).

Every generated module is held bit for bit (spikes AND membranes, torch.equal) to
the pure-torch reference of the canonical network (tests/support/reference.py),
for native `snn.Leaky` populations and generated canonical ones.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
import torch

import snntorch as snn
import torch.nn as nn

from emitters import emit_python
from emitters.toolkit import format_source
from ir.examples import mlp, snntorch_lif
from ir.graph import Graph, projection_name
from ir.neuron import Surrogate
from ir.ops import DenseOp
from ir.verify import verify
from support import reference
from support.generated import emit_and_import, import_source, lower_for

from emitter_graphs import NEURONS, SIZES, T, dag_graph

B = 16


def _inputs(seed: int = 1) -> torch.Tensor:
    return reference.random_spikes(T, B, SIZES[0], seed=seed)


def _assert_matches_reference(mod, graph: Graph, weights, inputs) -> dict:
    mod.load_weights(model := mod.build_model(), weights)
    got = mod.run(model, inputs, membrane=True)
    want = reference.run(graph, weights, inputs)
    assert sorted(got) == sorted(want)
    for key in want:
        assert got[key].dtype == torch.float32, key
        assert torch.equal(
            got[key], want[key]
        ), f"{key}: {int((got[key] != want[key]).sum())} of {want[key].numel()} differ"
    return want


@pytest.mark.parametrize("quantized", [False, True], ids=["cont", "quant"])
@pytest.mark.parametrize("bias", [False, True], ids=["nobias", "bias"])
@pytest.mark.parametrize("case", list(NEURONS))
def test_bit_exact_against_reference(case, bias, quantized, tmp_path):
    neuron, impl = NEURONS[case]
    graph = mlp(SIZES, neuron, bias=bias, time_steps=T, name="Net")
    lowered, _ = lower_for(graph, "snntorch")
    assert {p.impl for p in lowered.populations()} == {impl}
    mod = emit_and_import(graph, "snntorch", tmp_path)
    weights = reference.random_weights(graph, seed=3, quantized=quantized)
    want = _assert_matches_reference(mod, graph, weights, _inputs())
    assert want["layer_1"].sum() > 0, "the test drives no spikes at all"


def test_quantized_weights_hit_the_threshold_exactly(tmp_path):
    """The tie case is really exercised: with reset 'none' the membrane equals v_threshold."""
    neuron = NEURONS["leaky-none"][0]
    graph = mlp(SIZES, neuron, time_steps=T, name="Ties")
    weights = reference.random_weights(graph, seed=3, quantized=True)
    want = _assert_matches_reference(
        emit_and_import(graph, "snntorch", tmp_path), graph, weights, _inputs()
    )
    ties = sum(
        int((want[p + ".v"] == neuron.v_threshold).sum())
        for p in ("layer_1", "layer_2")
    )
    assert ties > 0


@pytest.mark.parametrize("quantized", [False, True], ids=["cont", "quant"])
def test_dag_with_fan_out_and_skip(quantized, tmp_path):
    graph = dag_graph()
    mod = emit_and_import(graph, "snntorch", tmp_path)
    weights = reference.random_weights(graph, seed=5, quantized=quantized)
    want = _assert_matches_reference(mod, graph, weights, _inputs(2))
    assert list(mod.POPULATIONS) == [p.name for p in graph.populations()]
    assert all(want[p].sum() > 0 for p in ("h1", "o1", "h3"))


def test_population_names_that_shadow_contract_and_imports(tmp_path):
    """User names like `run`, `snn`, `torch`, `forward` stay dict keys; identifiers are mangled."""
    g = mlp((12, 9, 8, 7, 6, 5), snntorch_lif(0.9), time_steps=T, name="run")
    renames = {
        "layer_1": "run",
        "layer_2": "snn",
        "layer_3": "torch",
        "layer_4": "forward",
        "layer_5": "self",
    }
    h = Graph(g.attrs)
    for op in g.ops():
        new = op.replace(name=renames.get(op.name, op.name))
        if isinstance(op, DenseOp):
            new = op.replace(name=projection_name(renames[g.successors(op.name)[0]]))
        h.add_op(new)
    for a, b in g.nx.edges:
        ren = lambda n: renames.get(
            n, projection_name(renames[g.successors(n)[0]]) if n.endswith(".fc") else n
        )
        h.add_edge(ren(a), ren(b))
    verify(h)
    mod = emit_and_import(h, "snntorch", tmp_path)
    weights = reference.random_weights(h, seed=1)
    inputs = reference.random_spikes(T, B, 12, seed=1)
    _assert_matches_reference(mod, h, weights, inputs)
    assert list(mod.POPULATIONS) == ["run", "snn", "torch", "forward", "self"]
    assert callable(mod.run) and callable(mod.build_model)


# -- the module contract -------------------------------------------------------


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    graph = mlp(SIZES, snntorch_lif(0.95), bias=True, time_steps=T, name="Contract")
    lowered, pipeline = lower_for(graph, "snntorch")
    source = emit_python(lowered, pipeline=pipeline)
    path = tmp_path_factory.mktemp("contract")
    return graph, source, import_source(source, path), path


def test_contract_shapes_and_binary_spikes(generated):
    graph, _, mod, _ = generated
    assert (mod.MODEL_NAME, mod.TARGET, mod.TIME_STEPS, mod.INPUT_SIZE) == (
        "Contract",
        "snntorch",
        T,
        SIZES[0],
    )
    model = mod.build_model()
    assert isinstance(model, nn.Module)
    out = mod.run(model, _inputs()[:7])  # T differs from TIME_STEPS
    assert sorted(out) == ["layer_1", "layer_2"]
    for pop, n in (("layer_1", 30), ("layer_2", 10)):
        assert out[pop].shape == (7, B, n) and out[pop].dtype == torch.float32
        assert set(out[pop].unique().tolist()) <= {0.0, 1.0}
    again = mod.run(model, _inputs()[:7])  # state reset first: same answer twice
    assert all(torch.equal(out[k], again[k]) for k in out)


def test_contract_weights_round_trip(generated):
    graph, _, mod, _ = generated
    weights = reference.random_weights(graph, seed=7)
    model = mod.load_weights(mod.build_model(), weights)
    exported = mod.export_weights(model)
    assert sorted(exported) == sorted(weights)
    for key, value in exported.items():
        assert (
            value.dtype == torch.float32
            and value.device.type == "cpu"
            and value.is_contiguous()
        )
        assert torch.equal(value, weights[key])
    again = mod.export_weights(
        mod.load_weights(
            mod.build_model(), {k: v.tolist() for k, v in exported.items()}
        )
    )
    assert all(torch.equal(again[k], exported[k]) for k in exported)
    np_weights = {k: v.numpy() for k, v in exported.items()}
    assert all(
        torch.equal(
            mod.export_weights(mod.load_weights(mod.build_model(), np_weights))[k],
            exported[k],
        )
        for k in exported
    )


@pytest.mark.parametrize(
    "change, key",
    [
        (lambda w: w.pop("layer_2.bias"), "layer_2.bias"),
        (lambda w: w.update({"layer_3.weight": torch.zeros(1, 1)}), "layer_3.weight"),
        (lambda w: w.update({"layer_1.weight": torch.zeros(30, 41)}), "layer_1.weight"),
    ],
)
def test_contract_load_weights_errors_name_the_key(generated, change, key):
    graph, _, mod, _ = generated
    weights = reference.random_weights(graph, seed=7)
    change(weights)
    with pytest.raises(ValueError, match=key.replace(".", r"\.")):
        mod.load_weights(mod.build_model(), weights)


def test_generated_source_is_black_stable_and_compiles(generated):
    _, source, _, _ = generated
    assert format_source(source) == source
    compile(source, "generated.py", "exec")
    lowered, pipeline = lower_for(dag_graph(), "snntorch")
    dag_src = emit_python(lowered, pipeline=pipeline)
    assert format_source(dag_src) == dag_src
    compile(dag_src, "dag.py", "exec")


def test_generated_script_runs(generated):
    _, source, _, path = generated
    script = path / "generated.py"
    script.write_text(source, encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert "layer_1 firing rate" in proc.stdout and "layer_2 firing rate" in proc.stdout


def test_unknown_impl_is_refused():
    g, p = lower_for(mlp(SIZES, time_steps=T), "snntorch")
    pop = g.populations()[0]
    g.replace_op(pop.replace(impl="neuron.LIFNode"), "test")
    with pytest.raises(ValueError, match="neuron.LIFNode"):
        emit_python(g, pipeline=p)


def test_unknown_surrogate_is_refused():
    neuron = snntorch_lif(0.9).replace(surrogate=Surrogate("erf", 2.0))
    g, p = lower_for(mlp(SIZES, neuron, time_steps=T), "snntorch")
    with pytest.raises(ValueError, match="erf"):
        emit_python(g, pipeline=p)


# -- hand-written, idiomatic snnTorch ----------------------------------------------


class TutorialNet(nn.Module):
    """snnTorch tutorial style: one Linear and one Leaky per layer, stepped in time."""

    def __init__(self, num_inputs, num_hidden, num_outputs, beta=0.95):
        super().__init__()
        self.fc1 = nn.Linear(num_inputs, num_hidden)
        self.lif1 = snn.Leaky(beta=beta)
        self.fc2 = nn.Linear(num_hidden, num_outputs)
        self.lif2 = snn.Leaky(beta=beta)

    def forward(self, x):
        mem1 = self.lif1.reset_mem()
        mem2 = self.lif2.reset_mem()
        spk1_rec, spk2_rec, mem2_rec = [], [], []
        for step in range(x.shape[0]):
            cur1 = self.fc1(x[step])
            spk1, mem1 = self.lif1(cur1, mem1)
            cur2 = self.fc2(spk1)
            spk2, mem2 = self.lif2(cur2, mem2)
            spk1_rec.append(spk1)
            spk2_rec.append(spk2)
            mem2_rec.append(mem2)
        return torch.stack(spk1_rec), torch.stack(spk2_rec), torch.stack(mem2_rec)


@pytest.mark.parametrize("quantized", [False, True], ids=["cont", "quant"])
def test_matches_hand_written_tutorial_snntorch(quantized, tmp_path):
    sizes = (100, 64, 10)
    graph = mlp(sizes, snntorch_lif(0.95), bias=True, time_steps=T, name="Tutorial")
    mod = emit_and_import(graph, "snntorch", tmp_path)
    weights = reference.random_weights(graph, seed=11, quantized=quantized, scale=3.0)
    inputs = reference.random_spikes(T, B, sizes[0], seed=4, p=0.3)

    net = TutorialNet(*sizes, beta=0.95)
    net.load_state_dict(
        {
            "fc1.weight": weights["layer_1.weight"],
            "fc1.bias": weights["layer_1.bias"],
            "fc2.weight": weights["layer_2.weight"],
            "fc2.bias": weights["layer_2.bias"],
        },
        strict=False,
    )
    with torch.no_grad():
        spk1, spk2, mem2 = net(inputs)
    got = mod.run(mod.load_weights(mod.build_model(), weights), inputs, membrane=True)
    assert spk1.sum() > 0 and spk2.sum() > 0
    assert torch.equal(got["layer_1"], spk1)
    assert torch.equal(got["layer_2"], spk2)
    assert torch.equal(
        got["layer_2.v"], mem2
    )  # delayed subtract: Leaky's mem is the canonical v


def test_leaky_delayed_subtract_with_negative_threshold(tmp_path):
    """Leaky would reset its initial membrane of 0 at t=0 here, so the pass picks the canonical class."""
    graph = mlp(SIZES, snntorch_lif(0.9, -0.5), time_steps=T, name="Neg")
    weights = reference.random_weights(graph, seed=3)
    _assert_matches_reference(
        emit_and_import(graph, "snntorch", tmp_path), graph, weights, _inputs()
    )


@pytest.mark.parametrize("neuron_id", ["leaky-subtract-delayed", "leaky-zero", "leaky-none", "if-zero"])
def test_training_path_matches_inference_path(neuron_id, tmp_path):
    """forward() with autograd steps snn.Leaky (surrogate gradients); run() uses the generated
    step functions. Both must give the same spikes, and gradients must reach the weights."""
    neuron, impl = NEURONS[neuron_id]
    assert impl == "snn.Leaky"
    graph = mlp(SIZES, neuron, time_steps=T, name="Train")
    mod = emit_and_import(graph, "snntorch", tmp_path)
    model = mod.load_weights(mod.build_model(), reference.random_weights(graph, seed=5))
    inputs = _inputs()
    fast = mod.run(model, inputs, membrane=True)
    out = model(inputs)
    for pop in ("layer_1", "layer_2"):
        assert torch.equal(out[pop].detach(), fast[pop])
        assert torch.equal(out[pop + ".v"].detach(), fast[pop + ".v"])
    out["layer_2"].sum().backward()
    assert model.fc_layer_1.weight.grad is not None and model.fc_layer_1.weight.grad.abs().sum() > 0
