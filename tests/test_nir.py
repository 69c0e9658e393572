"""NIR in and out, through the real `nir` package and the simulators' own exporters and importers.

Import: graphs written by snnTorch's and SpikingJelly's exporters (an MLP, a recurrent
RLeaky net, conv nets) become specs whose three targets agree 100 %, and equal the
original snnTorch network spike for spike when it follows the recipe (per-neuron beta
and threshold, zero reset without reset_delay, one unbatched sample), and snnTorch's
own importer where it reads the file (not its own RLeaky files); snnTorch's default
subtract reset cannot be told from a zero reset in the file, and import-nir says so.
Export: a zero-reset spec read back by snnTorch's importer gives snnc's spikes; a
recurrent population is written as an RLeaky sub-graph that snnTorch's and
SpikingJelly's importers run; export then import is exact for every family. What NIR
cannot say is refused, broken files get one-line errors and nothing is written.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch

from compiler.cli import main as snnc
from support import reference, specs
from support.generated import compile_and_import
from ir.targets import names as target_names

nir = pytest.importorskip("nir", reason="the NIR tests need the 'nir' extra (installed by the test set-up)")
TARGETS = target_names()
T, B = 40, 16


def spikes(shape, seed=0, p=0.3) -> torch.Tensor:
    return reference.random_spikes(T, B, shape, seed=seed, p=p)


def boosted(net: torch.nn.Module, factor: float) -> torch.nn.Module:
    """Exported nets with default init barely fire on sparse input: scale the weights so they do."""
    torch.manual_seed(0)
    with torch.no_grad():
        for m in net.modules():
            if isinstance(m, (torch.nn.Linear, torch.nn.Conv2d)):
                m.weight.normal_(0, factor / m.weight[0].numel() ** 0.5)
    return net


def import_nir(path: Path, tmp: Path, *args: str) -> tuple[Path, dict]:
    spec = tmp / f"{path.stem}.json"
    assert snnc(["import-nir", str(path), "-o", str(spec), "-q", *args]) == 0
    weights = {k: torch.from_numpy(v) for k, v in np.load(spec.with_name(spec.stem + ".weights.npz")).items()}
    return spec, weights


def run_targets(spec: Path, weights: dict, x: torch.Tensor, tmp: Path) -> dict:
    """Every target's spikes and membranes; asserts they are identical, returns snnTorch's."""
    results = {}
    for target in TARGETS:
        module = compile_and_import(spec, target, tmp)
        results[target] = module.run(module.load_weights(module.build_model(), weights), x, membrane=True)
    first = results["snntorch"]
    for target, got in results.items():
        assert got.keys() == first.keys()
        for key in first:
            assert torch.equal(got[key], first[key]), (target, key)
    return first


def last_population(spec: Path) -> str:
    return [layer["name"] for layer in json.loads(spec.read_text())["layers"] if layer["type"].endswith("Node")][-1]


def run_stateful(net, x: torch.Tensor) -> torch.Tensor:
    """A snnTorch net with init_hidden (or nirtorch's executor) fed one step at a time."""
    import snntorch.utils

    snntorch.utils.reset(net)
    out = []
    with torch.no_grad():
        for t in range(x.shape[0]):
            y = net(x[t])
            out.append(y[0] if isinstance(y, tuple) else y)
    return torch.stack(out)


def agreement(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a == b).float().mean()) * 100


def run_importer(simulator: str, path: Path, x: torch.Tensor) -> torch.Tensor:
    """The output spikes of snnTorch's or SpikingJelly's `import_from_nir` model of the file at `path`, run one step
    at a time with its returned state passed back (both return nirtorch's (output, state) GraphModule)."""
    if simulator == "snntorch":
        from snntorch.import_nir import import_from_nir

        model = import_from_nir(nir.read(path))
    else:
        from spikingjelly.activation_based.nir_exchange import import_from_nir

        model = import_from_nir(nir.read(path), dt=1e-4)
    out, state = [], None
    with torch.no_grad():
        for t in range(x.shape[0]):
            y, state = model(x[t], state)
            out.append(y)
    return torch.stack(out)


# --- import: graphs from the simulators' own exporters ---------------------------------------------------------


def _leaky(n, **kw):
    import snntorch as snn

    return snn.Leaky(beta=torch.full(n, 0.8), threshold=torch.ones(n), init_hidden=True, reset_mechanism="zero",
                     reset_delay=False, **kw)


def test_snntorch_mlp_equals_the_original_and_snntorchs_importer(tmp_path):
    """The recipe: every snn.Leaky with per-neuron beta and threshold tensors (the layer's shape),
    reset_mechanism='zero', reset_delay=False; export_to_nir with one unbatched sample (for conv nets,
    torch.nn.Flatten(0), see the conv test). Imported, the three targets equal the original network and snnTorch's
    own importer spike for spike (100 %)."""
    from snntorch.export_nir import export_to_nir
    from snntorch.import_nir import import_from_nir

    net = boosted(torch.nn.Sequential(torch.nn.Linear(16, 24), _leaky((24,)), torch.nn.Linear(24, 4),
                                      _leaky((4,), output=True)), 3.0)
    path = tmp_path / "mlp.nir"
    nir.write(path, export_to_nir(net, torch.randn(16)))
    spec, w = import_nir(path, tmp_path)
    x = spikes(16)
    ours = run_targets(spec, w, x, tmp_path)[last_population(spec)]
    assert 0.05 < ours.mean() < 0.95
    assert torch.equal(ours, run_stateful(net, x))
    assert torch.equal(ours, run_stateful(import_from_nir(nir.read(path)), x))


def test_snntorch_rleaky_equals_the_original(tmp_path):
    """snnTorch's exporter builds RLeaky as a sub-graph (input -> lif <-> w_rec, lif -> output), which nirtorch 2.6
    inlines into the top level as nodes '1.lif' and '1.w_rec'. snnc cuts the cycle on the edge out of the LIF and
    adds the recurrent term after the charge, as RLeaky does (its bias enters at t = 0): equal to the original.

    snnTorch's own importer cannot read this file: it wraps the top-level LIF <-> Affine cycle into a sub-graph
    node (its input wired into w_rec, not the LIF), puts it after the nodes that the file sorts by name
    ('0', 'input', 'output', '1'), and nirtorch, meeting the sub-graph before '0' feeds it, builds it once, defers
    it, and builds the already built GraphModule again: "'GraphModule' object has no attribute 'items'".
    SpikingJelly's importer reads it with nirtorch, which delays the edge w_rec -> lif (the recurrent Affine's
    output from the previous step, zeros first): w_rec's bias is missing at t = 0, so it differs (figure printed)."""
    import snntorch as snn
    from snntorch.export_nir import export_to_nir
    from snntorch.import_nir import import_from_nir

    torch.manual_seed(0)  # the biases keep torch's initialisation: the figure should not depend on test order
    rleaky = snn.RLeaky(beta=torch.full((12,), 0.9), threshold=torch.ones(12), linear_features=12, init_hidden=True,
                        reset_mechanism="zero", reset_delay=False, output=True)
    net = boosted(torch.nn.Sequential(torch.nn.Linear(8, 12), rleaky), 2.0)
    with torch.no_grad():
        rleaky.recurrent.bias.fill_(0.05)
    path = tmp_path / "rleaky.nir"
    nir.write(path, export_to_nir(net, torch.randn(8)))
    spec, w = import_nir(path, tmp_path)
    text = json.loads(spec.read_text())
    assert "connections" in text
    x = spikes(8, p=0.4)
    ours = run_targets(spec, w, x, tmp_path)[last_population(spec)]
    assert 0.05 < ours.mean() < 0.95
    assert torch.equal(ours, run_stateful(net, x))
    assert {"1.lif", "1.w_rec"} <= set(nir.read(path).nodes)
    with pytest.raises(AttributeError, match="'GraphModule' object has no attribute 'items'"):
        import_from_nir(nir.read(path))
    figure = agreement(run_importer("spikingjelly", path, x), ours)
    print(f"\nsnnTorch's RLeaky file: SpikingJelly's importer vs the original: {figure:.2f} % of output spikes equal")
    assert figure < 100.0


def _default_leaky(n, **kw):
    import snntorch as snn

    return snn.Leaky(beta=torch.full(n, 0.8), threshold=torch.ones(n), init_hidden=True, **kw)


def test_snntorchs_exporter_needs_per_neuron_beta_and_threshold_and_an_unbatched_sample():
    """The recipe's reasons (snnTorch 1.0.0, nirtorch 2.6): the tutorial's snn.Leaky(beta=0.9) gives a LIF of
    shape [] that fails nir's type inference; a per-neuron beta with a scalar threshold (or the reverse) fails
    'All parameters must have the same shape'; a batched sample leaks its batch axis into the Input node and
    fails type inference. Per-neuron tensors for both, and one unbatched sample, export."""
    import snntorch as snn
    from snntorch.export_nir import export_to_nir

    def net(**kw):
        return torch.nn.Sequential(torch.nn.Linear(8, 4), snn.Leaky(init_hidden=True, output=True, **kw))

    with pytest.raises(ValueError, match="Type inference error"):
        export_to_nir(net(beta=0.9), torch.randn(8))
    with pytest.raises(AssertionError, match="All parameters must have the same shape"):
        export_to_nir(net(beta=torch.full((4,), 0.9)), torch.randn(8))
    with pytest.raises(ValueError, match="Type inference error"):
        export_to_nir(net(beta=torch.full((4,), 0.9), threshold=torch.ones(4)), torch.randn(1, 8))
    graph = export_to_nir(net(beta=torch.full((4,), 0.9), threshold=torch.ones(4)), torch.randn(8))
    assert graph.metadata == {}  # and no reset mechanism anywhere: every Leaky is LIF(v_reset=0)


def test_snntorch_default_reset_imports_as_snntorchs_importer_reads_it(tmp_path, capsys):
    """snnTorch's defaults (reset_mechanism 'subtract', reset_delay True) export without complaint as the same
    LIF(v_reset=0) that a zero reset gives, and no metadata: import-nir warns, naming the nodes, and reads a reset
    to 0 at the spike, as snnTorch's own importer does. The targets equal snnTorch's importer 100 %, the original
    network less (figure printed)."""
    from snntorch.export_nir import export_to_nir

    torch.manual_seed(0)  # the biases keep torch's initialisation: the figure should not depend on test order
    net = boosted(torch.nn.Sequential(torch.nn.Linear(16, 24), _default_leaky((24,)), torch.nn.Linear(24, 4),
                                      _default_leaky((4,), output=True)), 3.0)
    path = tmp_path / "default.nir"
    nir.write(path, export_to_nir(net, torch.randn(16)))
    spec = tmp_path / "default.json"
    assert snnc(["import-nir", str(path), "-o", str(spec)]) == 0
    warnings = [line for line in capsys.readouterr().err.splitlines() if ": warning: " in line]
    assert warnings == [f"{path}: warning: nodes '1', '3' (LIF): written as snnTorch's exporter writes every "
                        "snn.Leaky (float32, r = tau/dt, v_reset 0), which records no reset mechanism: read as a reset "
                        "to v_reset (0) at the spike, as snnTorch's own importer reads it; a source network with "
                        "snnTorch's default reset_mechanism='subtract' (or reset_delay=True in an snn.RLeaky) will not "
                        "equal the imported model"], warnings
    spec, w = import_nir(path, tmp_path)
    x = spikes(16)
    ours = run_targets(spec, w, x, tmp_path)[last_population(spec)]
    assert 0.05 < ours.mean() < 0.95
    assert torch.equal(ours, run_importer("snntorch", path, x))
    figure = agreement(ours, run_stateful(net, x))
    print(f"\nsnnTorch defaults (subtract reset): imported vs the original network: {figure:.2f} % of output spikes")
    assert figure < 100.0


def test_snntorch_conv_net_equals_the_original(tmp_path):
    from snntorch.export_nir import export_to_nir

    net = boosted(torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3), torch.nn.AvgPool2d(2), _leaky((4, 5, 5)),
        torch.nn.Flatten(0), torch.nn.Linear(100, 3), _leaky((3,), output=True)), 4.0)
    path = tmp_path / "conv.nir"
    nir.write(path, export_to_nir(net, torch.randn(1, 12, 12)))  # snnTorch exports unbatched samples only
    spec, w = import_nir(path, tmp_path)
    x = spikes((1, 12, 12), p=0.4)
    result = run_targets(spec, w, x, tmp_path)
    ours = result[last_population(spec)]
    assert 0.05 < ours.mean() < 0.95
    expected = torch.stack([run_stateful(net, x[:, b]) for b in range(B)], 1)  # Flatten(0): one sample at a time
    assert torch.equal(ours, expected)


@pytest.mark.parametrize("kind", ("mlp", "conv"))
def test_spikingjelly_exports_agree_in_all_targets(kind, tmp_path):
    """SpikingJelly writes LIF as tau = tau_sj*dt with r = 1 (decay_input) or tau_sj, IF with r = 1/dt. snnc reads
    them as snnTorch's importer would (beta = 1 - dt/tau, threshold / (r*dt/tau), fires on >); SpikingJelly's own
    importer runs v + (x - v)/tau and fires on >=, so the two differ on rounding and ties (figure printed)."""
    from spikingjelly.activation_based import layer, neuron
    from spikingjelly.activation_based.nir_exchange import export_to_nir, import_from_nir

    if kind == "mlp":
        net = torch.nn.Sequential(layer.Linear(16, 24), neuron.LIFNode(tau=2.0), layer.Linear(24, 12),
                                  neuron.LIFNode(tau=4.0, decay_input=False), layer.Linear(12, 4), neuron.IFNode())
        shape = (16,)
    else:
        net = torch.nn.Sequential(layer.Conv2d(1, 4, 3, padding=1), neuron.IFNode(), layer.AvgPool2d(2),
                                  layer.Flatten(), layer.Linear(144, 3), neuron.LIFNode(tau=3.0, decay_input=False))
        shape = (1, 12, 12)
    boosted(net, 3.0)
    path = tmp_path / f"sj_{kind}.nir"
    nir.write(path, export_to_nir(net, torch.randn(1, *shape)))
    spec, w = import_nir(path, tmp_path)
    x = spikes(shape, p=0.4)
    ours = run_targets(spec, w, x, tmp_path)[last_population(spec)]
    assert 0.02 < ours.mean() < 0.98
    theirs, state = [], None
    sj = import_from_nir(nir.read(path), dt=1e-4)
    with torch.no_grad():
        for t in range(T):
            y, state = sj(x[t], state)
            theirs.append(y)
    figure = agreement(ours, torch.stack(theirs))
    print(f"\n{kind}: snnc vs SpikingJelly's importer: {figure:.2f} % of output spikes equal")
    assert figure > 80.0


def test_a_direct_nir_graph_with_fan_in_skip_and_identity_edges(tmp_path):
    """A graph written with `nir` directly: a skip connection summed into a LIF, a LIF feeding a LIF (an identity
    edge), Scale and SumPool-free parts; three targets agree and the reference interpreter agrees."""
    rng = np.random.default_rng(0)
    f32 = lambda *s: rng.normal(0, 0.8, s).astype(np.float32)  # noqa: E731
    lif = lambda n, tau=5e-4: nir.LIF(tau=np.full(n, tau, np.float32), r=np.full(n, tau / 1e-4, np.float32),  # noqa
                                      v_leak=np.zeros(n, np.float32), v_threshold=np.ones(n, np.float32),
                                      v_reset=np.zeros(n, np.float32))
    nodes = {
        "in": nir.Input(input_type={"input": np.array([10])}),
        "a": nir.Affine(weight=f32(8, 10), bias=f32(8)), "l1": lif(8),
        "b": nir.Linear(weight=f32(8, 8)), "skip": nir.Linear(weight=f32(8, 10)), "l2": lif(8, 2e-4),
        "l3": nir.IF(r=np.full(8, 1e4, np.float32), v_threshold=np.full(8, 0.5, np.float32),
                     v_reset=np.zeros(8, np.float32)),
        "s": nir.Scale(scale=np.full(8, 0.5, np.float32)),
        "out": nir.Output(output_type={"output": np.array([8])}),
    }
    edges = [("in", "a"), ("a", "l1"), ("l1", "b"), ("b", "l2"), ("in", "skip"), ("skip", "l2"), ("l2", "l3"),
             ("l3", "s"), ("s", "l1"), ("l3", "out")]
    path = tmp_path / "direct.nir"
    nir.write(path, nir.NIRGraph(nodes=nodes, edges=edges))
    spec, w = import_nir(path, tmp_path)
    text = json.loads(spec.read_text())
    kinds = [layer["type"] for layer in text["layers"]]
    assert kinds.count("scale") == 2  # NIR's Scale, and the identity on the l2 -> l3 edge
    x = spikes(10, p=0.4)
    result = run_targets(spec, w, x, tmp_path)
    graph = specs.graph(text, tmp_path)
    expected = reference.run(graph, w, x)
    for key in expected:
        assert torch.equal(result[key], expected[key]), key
    assert 0.02 < result["l3"].mean() < 0.98


# --- export -----------------------------------------------------------------------------------------------------


def compile_with_weights(spec_dict: dict, tmp: Path, seed: int = 0):
    path = specs.save(spec_dict, tmp)
    module = compile_and_import(path, "snntorch", tmp)
    graph = specs.graph(spec_dict, tmp)
    w = reference.random_weights(graph, seed=seed, scale=2.5)
    torch.save(w, tmp / "w.pt")
    return path, module, w


ZERO_RESET = specs.spec([
    {"type": "linear", "in_features": 16, "out_features": 24},
    {"type": "LIFNode", "beta": 0.8, "reset_mechanism": "zero", "reset_delay": False},
    {"type": "linear", "in_features": 24, "out_features": 6},
    {"type": "LIFNode", "beta": 0.95, "threshold": 0.75, "reset_mechanism": "zero", "reset_delay": False},
], time_steps=T)


def test_export_is_read_back_by_snntorchs_importer(tmp_path):
    from snntorch.import_nir import import_from_nir

    path, module, w = compile_with_weights(ZERO_RESET, tmp_path)
    out = tmp_path / "m.nir"
    assert snnc([str(path), "--emit", "nir", "--weights", str(tmp_path / "w.pt"), "-o", str(out), "-q"]) == 0
    x = spikes(16)
    ours = module.run(module.load_weights(module.build_model(), w), x)["layer_2"]
    assert 0.05 < ours.mean() < 0.95
    theirs = run_stateful(import_from_nir(nir.read(out)), x)
    assert torch.equal(ours, theirs)  # the exported tau gives beta back bit for bit


RECURRENT = specs.spec([
    {"type": "conv2d", "in_channels": 1, "out_channels": 3, "kernel_size": 3, "name": "conv"},
    {"type": "avgpool2d", "kernel_size": 2},
    {"type": "IFNode", "name": "p1", "reset_mechanism": "zero", "reset_delay": False},
    {"type": "flatten"},
    {"type": "linear", "in_features": 48, "out_features": 10, "name": "fc"},
    {"type": "linear", "in_features": 10, "out_features": 10, "name": "rec"},
    {"type": "LIFNode", "beta": 0.9, "name": "h", "reset_mechanism": "zero", "reset_delay": False},
    {"type": "linear", "in_features": 10, "out_features": 4, "name": "head"},
    {"type": "LIFNode", "beta": 0.7, "name": "out", "reset_mechanism": "zero", "reset_delay": False},
], time_steps=T, input_shape=[1, 10, 10], connections=[
    {"source": "fc", "target": "h"}, {"source": "rec", "target": "h"}, {"source": "h", "target": "rec"},
    {"source": "h", "target": "head"}])
SPIKINGJELLY = specs.spec([
    {"type": "linear", "in_features": 16, "out_features": 12},
    {"type": "LIFNode", "tau": 3.0, "decay_input": False},
    {"type": "linear", "in_features": 12, "out_features": 4},
    {"type": "IFNode", "v_reset": 0.0},
], "SpikingJelly", time_steps=T)
BINDSNET = specs.spec([
    {"type": "linear", "in_features": 16, "out_features": 12},
    {"type": "LIFNode", "thresh": 1.0, "rest": 0.0, "reset": 0.0, "refrac": 2, "tc_decay": 5.0},
], "BindsNET", time_steps=T)


@pytest.mark.parametrize("spec_dict, shape", [(ZERO_RESET, (16,)), (RECURRENT, (1, 10, 10)), (SPIKINGJELLY, (16,)),
                                              (BINDSNET, (16,))], ids=("snntorch", "conv-recurrent", "spikingjelly",
                                                                       "bindsnet"))
def test_export_then_import_is_exact(spec_dict, shape, tmp_path):
    path, module, w = compile_with_weights(spec_dict, tmp_path)
    out = tmp_path / "m.nir"
    assert snnc([str(path), "--emit", "nir", "--weights", str(tmp_path / "w.pt"), "-o", str(out), "-q"]) == 0
    back, w2 = import_nir(out, tmp_path)
    assert back.read_text() == path.read_text()  # snnc's metadata: the spec itself comes back
    x = spikes(shape, p=0.4)
    expected = module.run(module.load_weights(module.build_model(), w), x, membrane=True)
    got = run_targets(back, w2, x, tmp_path)
    for key in expected:
        assert torch.equal(got[key], expected[key]), key


@pytest.mark.parametrize("spec_dict, shape", [(ZERO_RESET, (16,)), (RECURRENT, (1, 10, 10))],
                         ids=("mlp", "conv-recurrent"))
def test_export_then_import_without_metadata_is_exact(spec_dict, shape, tmp_path):
    """Without snnc's metadata (another tool rewrote the file), NIR semantics alone bring back the same spikes
    and membranes for zero-reset snnTorch-family models: the exported tau round-trips beta exactly."""
    path, module, w = compile_with_weights(spec_dict, tmp_path)
    out = tmp_path / "m.nir"
    assert snnc([str(path), "--emit", "nir", "--weights", str(tmp_path / "w.pt"), "-o", str(out), "-q"]) == 0
    graph = nir.read(out)
    graph.metadata = {}
    nir.write(out, graph)
    back, w2 = import_nir(out, tmp_path)
    assert back.read_text() != path.read_text()
    x = spikes(shape, p=0.4)
    expected = module.run(module.load_weights(module.build_model(), w), x, membrane=True)
    got = run_targets(back, w2, x, tmp_path)
    for key in expected:  # NIR nodes carry the ops' names, so the populations keep theirs
        assert torch.equal(got[key], expected[key]), key


VALID = Path(__file__).parent / "valid"


def _zero_reset(name: str) -> dict:
    spec = json.loads((VALID / name).read_text())
    for layer in spec["layers"]:
        if layer["type"] == "LIFNode":
            layer.update(reset_mechanism="zero", reset_delay=False)
    return {**spec, "time_steps": T}


@pytest.mark.parametrize("bias", ("zero", "random"))
def test_recurrent_populations_run_in_snntorchs_and_spikingjellys_importers(bias, tmp_path):
    """A population with one feedback linear (tests/valid/recurrent_rleaky.json: fc1, rec, h with h -> rec, the
    snn.RLeaky order) is written as snnTorch's exporter builds an RLeaky: a sub-graph node 'h' holding
    input -> h <-> rec, h -> output, with the file's nodes kept in graph order (nir.write alone sorts them by name,
    and nirtorch cannot run a sub-graph node met before the nodes feeding it). Both importers then read it.

    Both run it with nirtorch, which delays the edge rec -> h (rec's output from the previous step, bias included,
    zeros first) where snnc and snn.RLeaky delay h -> rec (h's spikes; rec's bias reaches h at every step, t = 0
    included). Not the reset order, not the threshold: with rec's bias zero both importers give snnc's spikes
    exactly; with a bias they give exactly the spikes of the spec that lists rec after h
    (tests/valid/recurrent_feedback_after_the_layer.json, whose feedback edge is rec -> h), and differ from
    snnc's RLeaky-order model from the first spike the missing bias changes (figure printed)."""
    rleaky, after = _zero_reset("recurrent_rleaky.json"), _zero_reset("recurrent_feedback_after_the_layer.json")
    path, module, w = compile_with_weights(rleaky, tmp_path)
    if bias == "zero":
        w["rec.bias"] = torch.zeros_like(w["rec.bias"])
        torch.save(w, tmp_path / "w.pt")
    out = tmp_path / "m.nir"
    assert snnc([str(path), "--emit", "nir", "--weights", str(tmp_path / "w.pt"), "-o", str(out), "-q"]) == 0
    graph = nir.read(out)
    assert list(graph.nodes) == ["input", "fc1", "h", "fc2", "out", "output"]
    assert isinstance(graph.nodes["h"], nir.NIRGraph) and set(graph.nodes["h"].nodes) == {"input", "h", "rec", "output"}
    x = spikes(8, p=0.4)
    ours = module.run(module.load_weights(module.build_model(), w), x)["out"]
    late_module = specs.module(after, "snntorch", tmp_path)
    late = late_module.run(late_module.load_weights(late_module.build_model(), w), x)["out"]
    assert 0.05 < ours.mean() < 0.95
    theirs = {simulator: run_importer(simulator, out, x) for simulator in ("snntorch", "spikingjelly")}
    if bias == "zero":
        assert torch.equal(ours, late)
        for simulator, got in theirs.items():
            assert torch.equal(got, ours), simulator
        return
    figure = agreement(ours, late)
    print(f"\nrec's bias one step late (both importers) vs snnc's RLeaky order: {figure:.2f} % of output spikes equal")
    assert figure < 100.0
    for simulator, got in theirs.items():
        assert torch.equal(got, late), simulator
    path, _, _ = compile_with_weights(after, tmp_path)  # the same weight keys; exported, the importers agree
    torch.save(w, tmp_path / "w.pt")
    assert snnc([str(path), "--emit", "nir", "--weights", str(tmp_path / "w.pt"), "-o", str(out), "-q"]) == 0
    for simulator in theirs:
        assert torch.equal(run_importer(simulator, out, x), late), simulator


def test_export_names_where_snntorchs_and_spikingjellys_importers_differ(tmp_path, capsys):
    """The two orders of a biased recurrent linear each get an export warning saying which readers differ."""
    for name, words in (("recurrent_rleaky.json", "warning: layers/1: NIR export: snnTorch's and SpikingJelly's "
                                                  "importers (nirtorch) delay rec -> h rather than h -> rec: rec's "
                                                  "bias reaches h one step late there (zero at the first step)"),
                        ("recurrent_feedback_after_the_layer.json", "(snnTorch's and SpikingJelly's importers "
                                                                    "delay the edge into the neuron, as this model "
                                                                    "does, and agree)")):
        path, _, _ = compile_with_weights(_zero_reset(name), tmp_path)
        out = tmp_path / "m.nir"
        assert snnc([str(path), "--emit", "nir", "--weights", str(tmp_path / "w.pt"), "-o", str(out)]) == 0
        err = capsys.readouterr().err
        assert words in err, err


def test_import_warns_where_snnc_metadata_says_the_source_reset_otherwise(tmp_path, capsys):
    """A file snnc wrote but someone edited is read by NIR semantics (a reset to 0 at the spike); where its snnc
    metadata says a layer reset otherwise, import-nir names the node and says what differs."""
    spec = _zero_reset("recurrent_rleaky.json")
    for layer in spec["layers"]:
        if layer["type"] == "LIFNode":
            layer["reset_delay"] = True  # h: an RLeaky (feedback); out: a Leaky
    path, _, _ = compile_with_weights(spec, tmp_path)
    out = tmp_path / "m.nir"
    assert snnc([str(path), "--emit", "nir", "--weights", str(tmp_path / "w.pt"), "-o", str(out), "-q"]) == 0
    graph = nir.read(out)
    graph.nodes["out"].v_threshold = graph.nodes["out"].v_threshold * np.float32(2)  # edited after snnc wrote it
    nir.write(out, graph)
    assert snnc(["import-nir", str(out), "-o", str(tmp_path / "back.json")]) == 0
    warnings = [line for line in capsys.readouterr().err.splitlines() if ": warning: " in line]
    assert warnings == [
        f"{out}: warning: the graph's snnc metadata no longer matches its nodes (edited after snnc wrote it?); "
        "reading it by NIR semantics instead",
        f"{out}: warning: node 'h.h' (LIF): snnc's metadata says its source layer h used reset_delay=True with "
        "feedback (snn.RLeaky), which zeroes the step after a spike, input included; NIR cannot say that, so the "
        "imported model resets to v_reset (0) at the spike and will not equal the source model",
        f"{out}: warning: node 'out' (LIF): snnc's metadata says its source layer out used reset_delay=True, which "
        "NIR cannot say: the imported model resets to v_reset (0) at the spike; its spikes equal the source's, but "
        "its membrane after a spike is 0 where the source's still holds the value that fired"], warnings
    graph.metadata["snnc.spec"] = graph.metadata["snnc.spec"].replace('"reset_mechanism": "zero"',
                                                                      '"reset_mechanism": "subtract"', 1)
    nir.write(out, graph)
    assert snnc(["import-nir", str(out), "-o", str(tmp_path / "back.json")]) == 0
    err = capsys.readouterr().err
    assert (f"{out}: warning: node 'h.h' (LIF): snnc's metadata says its source layer h reset by subtracting the "
            "threshold (reset_mechanism 'subtract'); NIR cannot say that") in err, err


def test_export_is_deterministic(tmp_path):
    path, _, _ = compile_with_weights(RECURRENT, tmp_path)
    outs = []
    for k in range(2):
        out = tmp_path / f"m{k}.nir"
        assert snnc([str(path), "--emit", "nir", "--weights", str(tmp_path / "w.pt"), "-o", str(out), "-q"]) == 0
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
    graph = nir.read(tmp_path / "m0.nir")
    assert {"snnc.spec", "snnc.passes", "snnc.dt"} <= set(graph.metadata)


def test_c1_subtract_reset_is_refused_naming_the_reset(tmp_path, capsys):
    spec = Path(__file__).parents[1] / "specs" / "C1.json"
    graph = specs.graph(json.loads(spec.read_text()), tmp_path)
    np.savez(tmp_path / "w.npz", **{k: np.zeros(s, np.float32) for k, s in graph.weight_shapes().items()})
    out = tmp_path / "c1.nir"
    assert snnc([str(spec), "--emit", "nir", "--weights", str(tmp_path / "w.npz"), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert "reset_mechanism 'subtract' has no NIR form" in err and "C1.json:" in err
    assert not out.exists()


def test_every_refused_layer_is_named(tmp_path, capsys):
    spec = Path(__file__).parents[1] / "specs" / "C1.json"  # two subtract-reset LIF layers
    graph = specs.graph(json.loads(spec.read_text()), tmp_path)
    np.savez(tmp_path / "w.npz", **{k: np.zeros(s, np.float32) for k, s in graph.weight_shapes().items()})
    out = tmp_path / "c1.nir"
    assert snnc([str(spec), "--emit", "nir", "--weights", str(tmp_path / "w.npz"), "-o", str(out)]) == 1
    err = capsys.readouterr().err
    located = re.findall(r"C1\.json:(\d+):\d+: error: (layers/\d+): NIR export: reset_mechanism 'subtract' has no "
                         r"NIR form", err)
    assert located == [("9", "layers/1"), ("11", "layers/3")], err  # each at its own layer's line
    assert err.count(": error: ") == 2
    assert not out.exists()


def test_a_reader_difference_in_several_layers_is_one_warning(tmp_path, capsys):
    two = specs.spec([
        {"type": "linear", "in_features": 16, "out_features": 12},
        {"type": "IFNode", "thresh": 1.0, "reset": 0.0, "refrac": 0},
        {"type": "linear", "in_features": 12, "out_features": 4},
        {"type": "IFNode", "thresh": 1.0, "reset": 0.0, "refrac": 0},
    ], "BindsNET", time_steps=T)
    path, _, _ = compile_with_weights(two, tmp_path)
    out = tmp_path / "m.nir"
    assert snnc([str(path), "--emit", "nir", "--weights", str(tmp_path / "w.pt"), "-o", str(out)]) == 0
    warnings = [line for line in capsys.readouterr().err.splitlines() if ": warning: " in line]
    assert len(warnings) == 1, warnings
    assert warnings[0].endswith("BindsNET fires on v >= thresh, NIR on v > v_threshold: NIR readers differ where v "
                                "equals thresh exactly (the same for 2 layers: layer_1 and layer_2)"), warnings


def test_export_warns_where_nir_readers_differ(tmp_path, capsys):
    for spec_dict, words in ((SPIKINGJELLY, "v >= v_threshold"), (BINDSNET, "refrac=2.0")):
        path, _, _ = compile_with_weights(spec_dict, tmp_path)
        out = tmp_path / "m.nir"
        assert snnc([str(path), "--emit", "nir", "--weights", str(tmp_path / "w.pt"), "-o", str(out)]) == 0
        err = capsys.readouterr().err
        assert "warning: " in err and words in err, err


def test_export_weights_are_checked(tmp_path, capsys):
    path = specs.save(ZERO_RESET, tmp_path)
    np.savez(tmp_path / "w.npz", **{"layer_1.weight": np.zeros((24, 16), np.float32)})
    out = tmp_path / "m.nir"
    assert snnc([str(path), "--emit", "nir", "--weights", str(tmp_path / "w.npz"), "-o", str(out)]) == 1
    err = capsys.readouterr().err.strip()
    assert "missing 'layer_1.bias'" in err and len(err.splitlines()) == 1
    assert not out.exists()
    assert snnc([str(path), "--emit", "nir", "-o", str(out)]) == 2
    assert "--emit nir needs --weights" in capsys.readouterr().err


# --- broken files ---------------------------------------------------------------------------------------------


def _write(path: Path, nodes: dict, edges: list) -> Path:
    nir.write(path, nir.NIRGraph(nodes=nodes, edges=edges, type_check=False))
    return path


def _lif(n: int):
    return nir.LIF(tau=np.full(n, 5e-4, np.float32), r=np.full(n, 5.0, np.float32), v_leak=np.zeros(n, np.float32),
                   v_threshold=np.ones(n, np.float32), v_reset=np.zeros(n, np.float32))


def _broken(tmp: Path) -> dict[str, tuple[Path, str]]:
    io_nodes = {"input": nir.Input(input_type={"input": np.array([4])}),
                "output": nir.Output(output_type={"output": np.array([3])})}
    affine = nir.Affine(weight=np.ones((3, 4), np.float32), bias=np.zeros(3, np.float32))
    garbage = tmp / "garbage.nir"
    garbage.write_bytes(b"not an HDF5 file at all")
    good = _write(tmp / "good.nir", {**io_nodes, "a": affine, "l": _lif(3)},
                  [("input", "a"), ("a", "l"), ("l", "output")])
    truncated = tmp / "truncated.nir"
    truncated.write_bytes(good.read_bytes()[:700])
    cuba = nir.CubaLIF(tau_syn=np.full(3, 1e-3), tau_mem=np.full(3, 1e-3), r=np.full(3, 10.0),
                       v_leak=np.full(3, 0.5), v_threshold=np.ones(3), v_reset=np.zeros(3))
    mixed = _lif(3)
    mixed.v_threshold = np.array([1.0, 2.0, 1.0], np.float32)
    return {
        "not-hdf5": (garbage, "not a NIR file"),
        "truncated": (truncated, "cannot read this NIR graph"),
        "missing-node": (_write(tmp / "missing.nir", {**io_nodes, "a": affine},
                                [("input", "a"), ("a", "l"), ("l", "output")]), "'l', which the graph does not have"),
        "shape-mismatch": (_write(tmp / "shape.nir", {**io_nodes, "a": affine,
                                                       "b": nir.Linear(weight=np.ones((3, 5), np.float32)),
                                                       "l": _lif(3)},
                                  [("input", "a"), ("a", "b"), ("b", "l"), ("l", "output")]),
                           "node 'b' (Linear): its weight takes [5] but it receives [3]"),
        "cuba-lif": (_write(tmp / "cuba.nir", {**io_nodes, "a": affine, "c": cuba},
                            [("input", "a"), ("a", "c"), ("c", "output")]), "node 'c' (CubaLIF): v_leak"),
        "per-neuron": (_write(tmp / "mixed.nir", {**io_nodes, "a": affine, "l": mixed},
                              [("input", "a"), ("a", "l"), ("l", "output")]), "v_threshold differs across neurons"),
        "no-input": (_write(tmp / "noinput.nir", {"output": io_nodes["output"], "a": affine, "l": _lif(3)},
                            [("a", "l"), ("l", "output")]), "0 Input nodes"),
        "ends-in-affine": (_write(tmp / "affine_out.nir", {**io_nodes, "a": affine}, [("input", "a"), ("a", "output")]),
                           "a graph must end in one"),
        "cycle-without-neuron": (_write(tmp / "cycle.nir", {**io_nodes, "a": affine, "s": nir.Linear(
            weight=np.eye(3, dtype=np.float32)), "t": nir.Scale(scale=np.full(3, 0.5, np.float32)), "l": _lif(3)},
            [("input", "a"), ("a", "s"), ("s", "t"), ("t", "s"), ("s", "l"), ("l", "output")]),
            "has no LIF or IF node"),
        "dangling": (_write(tmp / "dangling.nir", {**io_nodes, "a": affine, "l": _lif(3),
                                                   "x": nir.Linear(weight=np.ones((2, 3), np.float32))},
                            [("input", "a"), ("a", "l"), ("l", "output"), ("l", "x")]), "'x' (Linear) feeds nothing"),
        "negative-r": (_write(tmp / "negr.nir", {**io_nodes, "a": affine, "l": nir.LIF(
            tau=np.full(3, 5e-4, np.float32), r=np.full(3, -5.0, np.float32), v_leak=np.zeros(3, np.float32),
            v_threshold=np.ones(3, np.float32), v_reset=np.zeros(3, np.float32))},
            [("input", "a"), ("a", "l"), ("l", "output")]), "makes the input weight r*dt/tau non-positive"),
        "float32-overflow": (_write(tmp / "big.nir", {**io_nodes, "a": nir.Affine(weight=np.full((3, 4), 1e300),
                                                                                   bias=np.zeros(3)), "l": _lif(3)},
                                    [("input", "a"), ("a", "l"), ("l", "output")]), "outside the float32 range"),
        "names-collide-when-inlined": (_write(tmp / "collide.nir", {
            **io_nodes, "a": affine, "g.l": _lif(3),
            "g": nir.NIRGraph(nodes={"i": nir.Input(input_type={"input": np.array([3])}), "l": _lif(3),
                                     "o": nir.Output(output_type={"output": np.array([3])})},
                              edges=[("i", "l"), ("l", "o")], type_check=False)},
            [("input", "a"), ("a", "g"), ("g", "g.l"), ("g.l", "output")]), "two nodes are called 'g.l'"),
        "tau-below-dt": (_write(tmp / "fast.nir", {**io_nodes, "a": affine, "l": nir.LIF(
            tau=np.full(3, 5e-5, np.float32), r=np.full(3, 0.5, np.float32), v_leak=np.zeros(3, np.float32),
            v_threshold=np.ones(3, np.float32), v_reset=np.zeros(3, np.float32))},
            [("input", "a"), ("a", "l"), ("l", "output")]), "give the exporter's time step with --dt"),
    }


def test_broken_nir_files_get_one_line_errors_and_nothing_written(tmp_path, capsys):
    cases = _broken(tmp_path)
    for name, (path, words) in cases.items():
        out = tmp_path / f"{name}.json"
        code = snnc(["import-nir", str(path), "-o", str(out)])
        err = capsys.readouterr().err.strip()
        assert code == 1, (name, err)
        assert len(err.splitlines()) == 1 and err.startswith(f"{path}: error: "), (name, err)
        assert words in err, (name, err)
        assert not out.exists() and not out.with_name(f"{name}.weights.npz").exists(), name


def test_import_is_deterministic_and_never_writes_over_its_input(tmp_path, capsys):
    path = _write(tmp_path / "good.nir", {"input": nir.Input(input_type={"input": np.array([4])}),
                                          "a": nir.Affine(weight=np.ones((3, 4), np.float32),
                                                          bias=np.zeros(3, np.float32)),
                                          "l": _lif(3), "output": nir.Output(output_type={"output": np.array([3])})},
                  [("input", "a"), ("a", "l"), ("l", "output")])
    outs = []
    for k in range(2):
        assert snnc(["import-nir", str(path), "-o", str(tmp_path / f"s{k}.json"), "-q"]) == 0
        outs.append(((tmp_path / f"s{k}.json").read_bytes(), (tmp_path / f"s{k}.weights.npz").read_bytes()))
    assert outs[0] == outs[1]
    before = path.read_bytes()
    assert snnc(["import-nir", str(path), "-o", str(path)]) == 1
    assert "over the input" in capsys.readouterr().err and path.read_bytes() == before
