"""The eight configurations C1-C8, compiled for their own simulator and executed.

For each config: the generated module runs in its real simulator on random input
(spikes of the right shape, values in {0, 1}); weights round-trip exactly; the file
is black-stable; and a static check reads the generated syntax tree (not its text)
to confirm the layer count, neuron classes and parameter values the IR says —
the paper's "structural agreement by static analysis". Low-power builds must really
differ: IF neurons without a decay parameter, the fast-sigmoid surrogate where the
target has surrogates, 40 steps on the edge device, and an FP16 path guarded by CUDA.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import torch

from compiler.build import compile_spec
from emitters.toolkit import format_source
from support.generated import import_source

SPECS = Path(__file__).resolve().parents[1] / "specs"
CONFIGS = ("C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8")
LOW_POWER = {"C2", "C4", "C6", "C8"}
DECAY_KEYWORDS = {"tau", "tc_decay", "decay_input", "rest"}


@pytest.fixture(scope="module")
def built():
    return {c: compile_spec(SPECS / f"{c}.json") for c in CONFIGS}


def _calls(tree: ast.AST) -> list[ast.Call]:
    return [n for n in ast.walk(tree) if isinstance(n, ast.Call)]


def _name(call: ast.Call) -> str:
    f = call.func
    return f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")


def _kw(call: ast.Call) -> dict:
    out = {}
    for k in call.keywords:
        try:
            out[k.arg] = ast.literal_eval(k.value)
        except ValueError:
            out[k.arg] = ast.unparse(k.value)
    return out


def _population_ctors(tree: ast.Module, pops, attrs: dict[str, str]) -> list[ast.Call]:
    """The constructor call of each population's module (`self.<attrs[name]>`), seen through a factory
    function."""
    factories = {f.name: f.body[-1].value for f in tree.body if isinstance(f, ast.FunctionDef)
                 and isinstance(f.body[-1], ast.Return) and isinstance(f.body[-1].value, ast.Call)}
    built = {}
    for node in ast.walk(tree):
        if (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)
                and isinstance(node.targets[0], ast.Attribute) and isinstance(node.targets[0].value, ast.Name)
                and node.targets[0].value.id == "self"):
            call = node.value
            built[node.targets[0].attr] = factories.get(_name(call), call) if not call.args else call
    return [built[attrs[p.name]] for p in pops]


@pytest.mark.parametrize("config", CONFIGS)
def test_runs_in_its_simulator(config, built, tmp_path, bindsnet):
    b = built[config]
    mod = import_source(b.source, tmp_path, config)
    torch.manual_seed(0)
    model = mod.build_model()
    x = (torch.rand(mod.TIME_STEPS, 8, *mod.INPUT_SHAPE) < 0.3).float()
    out = mod.run(model, x)
    assert list(out) == list(mod.POPULATIONS) == [p.name for p in b.graph.populations()]
    for pop, shape in mod.POPULATIONS.items():
        s = out[pop]
        assert s.shape == (mod.TIME_STEPS, 8, *shape) and s.dtype == torch.float32
        assert bool(((s == 0) | (s == 1)).all())
    weights = {k: torch.randn(v.shape) for k, v in mod.export_weights(model).items()}
    again = mod.export_weights(mod.load_weights(model, weights))
    assert again.keys() == weights.keys()
    assert all(torch.equal(again[k], weights[k]) for k in weights)
    assert format_source(b.source) == b.source


@pytest.mark.parametrize("config", CONFIGS)
def test_static_structure_matches_the_ir(config, built):
    b = built[config]
    g = b.graph
    tree = ast.parse(b.source)
    calls = _calls(tree)
    pops = g.populations()
    target = g.attrs.target
    if target == "snntorch":
        projections = [c for c in calls if _name(c) in ("Linear", "Conv2d")]
        from emitters.forward import module_names

        neurons = _population_ctors(tree, pops, module_names(g))  # through the shared factories
        assert [_name(c) for c in neurons] == ["Leaky"] * len(pops) and all(p.impl == "snn.Leaky" for p in pops)
        for call, pop in zip(neurons, pops):
            n, kw = pop.neuron, _kw(call)
            assert kw["threshold"] == n.threshold and kw["reset_mechanism"] == n.reset
            assert kw["beta"] == (n.beta if n.kind == "lif" else 1.0) and kw["reset_delay"] == n.reset_delay
    elif target == "spikingjelly":
        projections = [c for c in calls if _name(c) in ("Linear", "Conv2d")]
        neurons = [c for c in calls if _name(c) in ("LIFNode", "IFNode")]
        assert [_name(c) for c in neurons] == [("LIFNode" if p.neuron.kind == "lif" else "IFNode") for p in pops]
        for call, pop in zip(neurons, pops):
            n, kw = pop.neuron, _kw(call)
            assert kw["v_threshold"] == n.v_threshold and kw["v_reset"] == n.v_reset
            assert kw["detach_reset"] == n.detach_reset and kw["step_mode"] == "m"
            if n.kind == "lif":
                assert kw["tau"] == n.tau and kw["decay_input"] == n.decay_input
    else:
        projections = [c for c in calls if _name(c) in ("Connection", "Conv2dConnection", "GraphConnection")]
        neurons = [c for c in calls if _name(c) in ("LIFNodes", "IFNodes")]
        assert [_name(c) for c in neurons] == [("LIFNodes" if p.neuron.kind == "lif" else "IFNodes") for p in pops]
        for call, pop in zip(neurons, pops):
            n, kw = pop.neuron, _kw(call)
            assert (kw["thresh"], kw["reset"], kw["refrac"], kw["shape"]) == (n.thresh, n.reset, n.refrac, pop.shape)
            if n.kind == "lif":
                assert (kw["tc_decay"], kw["rest"]) == (n.tc_decay, n.rest)
    if target == "bindsnet":
        assert len(projections) == len(g.plan) == len(pops)
    else:
        assert len(projections) == len(g.parametric())
        sizes = [(ast.literal_eval(c.args[0]), ast.literal_eval(c.args[1]), _kw(c).get("bias", True)) for c in projections]
        assert sizes == [(op.attrs().get("in_features", op.attrs().get("in_channels")),
                          op.attrs().get("out_features", op.attrs().get("out_channels")), op.bias)
                         for op in g.parametric()]
    consts = {t.id: ast.literal_eval(s.value) for s in tree.body if isinstance(s, ast.Assign)
              for t in s.targets if isinstance(t, ast.Name) and t.id.isupper() and isinstance(s.value, ast.Constant)}
    assert consts["TIME_STEPS"] == g.attrs.time_steps and consts["TARGET"] == target


@pytest.mark.parametrize("config", CONFIGS)
def test_low_power_builds_really_differ(config, built):
    b = built[config]
    g = b.graph
    tree = ast.parse(b.source)
    calls = _calls(tree)
    neuron_calls = [c for c in calls if _name(c) in ("Leaky", "LIFNode", "IFNode", "LIFNodes", "IFNodes")]
    autocast = [c for c in calls if _name(c) == "autocast"]
    if config in LOW_POWER:
        assert all(p.neuron.kind == "if" for p in g.populations())
        assert {_name(c) for c in neuron_calls} <= {"Leaky", "IFNode", "IFNodes"}
        for call in neuron_calls:
            keywords = set(_kw(call))
            assert not keywords & DECAY_KEYWORDS, f"decay parameter in {ast.unparse(call)}"
            if _name(call) == "Leaky":
                assert _kw(call)["beta"] == 1.0  # snnTorch's IF: no decay
        if g.attrs.target == "snntorch":
            assert any(_name(c) == "fast_sigmoid" for c in calls)
        if g.attrs.target == "spikingjelly":  # no native fast sigmoid: a generated exact one, never SoftSign
            assert not any(_name(c) == "SoftSign" for c in calls)
            assert "FastSigmoidSpikeGE" in b.source and "fast_sigmoid_surrogate" in b.source
        assert g.attrs.precision == "fp16-cuda"
        # FP16 only under autocast, and only when the data is on CUDA
        assert autocast and all("cuda" in ast.unparse(c) for c in autocast)
        guards = [n for n in ast.walk(tree) if isinstance(n, (ast.If, ast.BoolOp, ast.keyword))
                  and "is_cuda" in ast.unparse(n) and "PRECISION" in ast.unparse(n)]
        assert guards
    else:
        assert all(p.neuron.kind == "lif" for p in g.populations())
        assert g.attrs.precision == "fp32"
    assert g.attrs.time_steps == {"C4": 40, "C7": 25, "C8": 10}.get(config, 100)


def test_the_config_table_says_what_each_module_computes_in(built, tmp_path, monkeypatch, capsys, bindsnet):
    """`make all-configs`' precision column. Under the CUDA autocast of `run`, torch runs products in
    FP16; BindsNET's nodes add their input into FP32 buffers, so only its connections are FP16.
    CPU autocast (bfloat16, the same op lists) shows it without a GPU."""
    from bindsnet.network.topology import Connection

    from compiler.tools import configs

    mod = import_source(built["C6"].source, tmp_path, "C6")
    assert mod.PRECISION == "fp16-cuda" and "torch.autocast(\"cuda\"" in built["C6"].source
    products = []
    compute = Connection.compute
    monkeypatch.setattr(Connection, "compute", lambda self, s: products.append(compute(self, s)) or products[-1])
    model = mod.build_model()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = mod.simulate(model, (torch.rand(3, 2, *mod.INPUT_SHAPE) < 0.3).float())
    assert products and all(p.dtype == torch.bfloat16 for p in products)  # the connections: low precision
    assert all(out[f"{pop}.v"].dtype == torch.float32 for pop in mod.POPULATIONS)  # the nodes: FP32
    assert configs.precision(built["C6"].graph.attrs) == "FP16 connections on CUDA (nodes FP32), FP32 on CPU"

    monkeypatch.chdir(tmp_path)  # the table's builds go to build/ here
    assert configs.main([str(SPECS / f"{c}.json") for c in ("C2", "C5", "C6")]) == 0
    rows = {line.split()[0]: line for line in capsys.readouterr().out.splitlines()[2:]}
    assert "  FP16 on CUDA, FP32 on CPU  " in rows["C2"]
    assert "  FP32  " in rows["C5"]
    assert "  FP16 connections on CUDA (nodes FP32), FP32 on CPU  " in rows["C6"]
    assert (tmp_path / "build" / "BindsNetLowPowerModel_bindsnet.py").exists()
