"""Static checks of generated BindsNET code: parsed with `ast`, never string search.

Order (layers, then connections, then monitors), counts, sizes and parameter values
against the IR, and every keyword passed to a BindsNET class or Network method exists
in its signature (BindsNET's **kwargs would silently swallow a misspelt one).
"""

from __future__ import annotations

import ast
import inspect

import pytest

from emitters import emit_python
from ir.examples import snntorch_lif
from ir.floats import f32, next_up
from ir.graph import Graph, ModelAttrs, projection_name
from ir.neuron import Neuron
from ir.ops import DenseOp, InputOp, Loc, PopulationOp
from support.generated import lower_for

TC = Neuron(kind="lif", leak="tc", tc_decay=100.0, v_rest=-65.0, v_threshold=-52.0, reset="zero",
            v_reset=-65.0, refractory=5, v_init=-65.0)
BETA = Neuron(kind="lif", leak="beta", decay=f32(0.9), v_threshold=next_up(1.0), reset="zero")
IF = Neuron(kind="if", leak="none", v_threshold=-50.0, reset="zero", v_reset=-60.0, refractory=2, v_init=-60.0)


@pytest.fixture(scope="module")
def generated():
    g = Graph(ModelAttrs(model_name="Static", source_simulator="bindsnet", target="bindsnet", time_steps=20))
    g.add_op(InputOp("input", 40, Loc("/input")))
    chain = [("hidden", 30, TC, True), ("beta", 20, BETA, False), ("integ", 16, IF, True), ("out", 10, snntorch_lif(), False)]
    prev, n_prev = "input", 40
    for k, (pop, n, neuron, bias) in enumerate(chain):
        fc = projection_name(pop)
        g.add_op(DenseOp(fc, n_prev, n, bias, Loc(f"/layers/{2 * k}")))
        g.add_op(PopulationOp(pop, n, neuron, Loc(f"/layers/{2 * k + 1}")))
        g.add_edge(prev, fc)
        g.add_edge(fc, pop)
        prev, n_prev = pop, n
    lowered, pipeline = lower_for(g, "bindsnet")
    return lowered, ast.parse(emit_python(lowered, pipeline=pipeline))


def _build_calls(tree: ast.Module) -> list[ast.Call]:
    (fn,) = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "build_model"]
    calls = [n for n in ast.walk(fn) if isinstance(n, ast.Call)]
    return sorted(calls, key=lambda c: (c.lineno, c.col_offset))


def _callee(call: ast.Call) -> str:
    f = call.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""


def _kw(call: ast.Call) -> dict[str, object]:
    return {k.arg: ast.literal_eval(k.value) for k in call.keywords
            if isinstance(k.value, (ast.Constant, ast.UnaryOp, ast.List, ast.Tuple))}


def test_order_and_counts(generated):
    lowered, tree = generated
    calls = _build_calls(tree)
    kinds = [_callee(c) for c in calls if _callee(c) in ("add_layer", "add_connection", "add_monitor")]
    n_pop = len(lowered.populations())
    assert kinds == ["add_layer"] * (n_pop + 1) + ["add_connection"] * n_pop + ["add_monitor"] * n_pop
    layer_names = [_kw(c)["name"] for c in calls if _callee(c) == "add_layer"]
    assert layer_names == [n for n in lowered.attrs.emit_order if not n.endswith(".fc")]
    conns = [(_kw(c)["source"], _kw(c)["target"]) for c in calls if _callee(c) == "add_connection"]
    assert conns == [(lowered.source_of(lowered.projection(p.name).name).name, p.name) for p in lowered.populations()]
    monitors = [c for c in calls if _callee(c) == "add_monitor"]
    assert [_kw(c)["name"] for c in monitors] == [p.name for p in lowered.populations()]


def test_layer_classes_sizes_and_parameters(generated):
    lowered, tree = generated
    calls = _build_calls(tree)
    ctors = {_kw(c)["name"]: c.args[0] for c in calls if _callee(c) == "add_layer"}
    assert _callee(ctors["input"]) == "Input" and _kw(ctors["input"])["n"] == 40
    for pop in lowered.populations():
        ctor, n = ctors[pop.name], pop.neuron
        kw = _kw(ctor)
        assert kw["n"] == pop.size
        if pop.impl == "nodes.LIFNodes":
            assert _callee(ctor) == "LIFNodes"
            rest = n.v_rest if n.leak == "tc" else 0.0
            assert (kw["thresh"], kw["rest"], kw["reset"], kw["refrac"]) == (n.v_threshold, rest, n.v_reset, n.refractory * 1.0)
            if n.leak == "tc":
                assert kw["tc_decay"] == n.tc_decay
        elif pop.impl == "nodes.IFNodes":
            assert _callee(ctor) == "IFNodes"
            assert (kw["thresh"], kw["reset"], kw["refrac"]) == (n.v_threshold, n.v_reset, n.refractory * 1.0)
        else:
            assert _callee(ctor) == "CanonicalNodes" and kw["v_init"] == n.v_init
        assert kw.get("traces", False) is False
    # leak 'beta': the decay buffer is overwritten with beta exactly, right after add_layer
    (fn,) = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "build_model"]
    assigns = [s for s in fn.body if isinstance(s, ast.Assign)
               and isinstance(s.targets[0], ast.Attribute) and s.targets[0].attr == "decay"]
    assert len(assigns) == 1
    assert ast.literal_eval(assigns[0].value.args[0]) == BETA.decay


def test_connection_sizes(generated):
    lowered, tree = generated
    calls = _build_calls(tree)
    linears = [c for c in calls if _callee(c) == "Linear"]
    want = [(lowered.projection(p.name).in_features, lowered.projection(p.name).out_features,
             lowered.projection(p.name).bias) for p in lowered.populations()]
    got = [(ast.literal_eval(c.args[0]), ast.literal_eval(c.args[1]), _kw(c)["bias"]) for c in linears]
    assert got == want
    connections = [c for c in calls if _callee(c) in ("Connection", "AffineConnection")]
    assert [("b" in {k.arg for k in c.keywords}) for c in connections] == [b for _, _, b in want]
    # a bias is added inside the product (addmm), like nn.Linear, by the generated subclass
    assert [_callee(c) == "AffineConnection" for c in connections] == [b for _, _, b in want]


def test_every_keyword_exists_in_the_signature(generated, bindsnet):
    from bindsnet.network import Network
    from bindsnet.network.monitors import Monitor
    from bindsnet.network.nodes import IFNodes, Input, LIFNodes
    from bindsnet.network.topology import Connection

    targets = {"Network": Network.__init__, "Input": Input.__init__, "LIFNodes": LIFNodes.__init__,
               "IFNodes": IFNodes.__init__, "Connection": Connection.__init__,
               "AffineConnection": Connection.__init__, "Monitor": Monitor.__init__,
               "add_layer": Network.add_layer, "add_connection": Network.add_connection,
               "add_monitor": Network.add_monitor, "run": Network.run}
    _, tree = generated
    seen = set()
    for call in (n for n in ast.walk(tree) if isinstance(n, ast.Call)):
        callee = _callee(call)
        if callee not in targets or (callee == "run" and not isinstance(call.func, ast.Attribute)):
            continue
        if callee == "run" and getattr(call.func.value, "id", None) != "model":
            continue
        fn = targets[callee]
        params = {n for n, p in inspect.signature(fn).parameters.items() if p.kind is not p.VAR_KEYWORD}
        source = inspect.getsource(fn)
        for kw in call.keywords:
            # Connection documents w and b as keyword arguments it reads from **kwargs
            ok = kw.arg in params or f'kwargs.get("{kw.arg}"' in source
            assert ok, f"{callee}() has no keyword {kw.arg!r}"
            seen.add((callee, kw.arg))
    assert {("LIFNodes", "tc_decay"), ("IFNodes", "refrac"), ("Connection", "w"), ("AffineConnection", "b"),
            ("Network", "dt"), ("run", "one_step")} <= seen
