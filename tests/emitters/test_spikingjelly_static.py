"""Static check of the generated SpikingJelly code: parse it (ast), find the layer.Linear
and neuron.* constructor calls, and check them against the IR without running anything."""

from __future__ import annotations

import ast

import pytest

from emitters import emit_python
from ir.examples import mlp, snntorch_lif
from ir.neuron import Neuron, Surrogate
from support.generated import lower_for

SIZES = (40, 30, 10)


def calls(src: str, owner: str) -> list[ast.Call]:
    """Calls `owner.X(...)` in source order."""
    found = [
        node for node in ast.walk(ast.parse(src))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name) and node.func.value.id == owner
    ]
    return sorted(found, key=lambda c: (c.lineno, c.col_offset))


def kwargs(call: ast.Call) -> dict[str, ast.expr]:
    return {k.arg: k.value for k in call.keywords}


def number(node: ast.expr) -> object:
    """The value of a (possibly negated) numeric literal; fails on anything else."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -number(node.operand)
    assert isinstance(node, ast.Constant), ast.dump(node)
    return node.value


def compile_src(neuron: Neuron, bias: bool) -> str:
    graph, pipeline = lower_for(mlp(SIZES, neuron, bias=bias, target="spikingjelly"), "spikingjelly")
    return emit_python(graph, pipeline=pipeline)


@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("neuron, cls, tau, decay_input, v_reset", [
    (Neuron(kind="lif", leak="tau_input", tau=2.0, v_rest=0.0, v_threshold=1.0, reset="zero"),
     "LIFNode", 2.0, True, 0.0),
    (Neuron(kind="lif", leak="tau", tau=4.0, v_rest=-0.5, v_init=-0.5, v_threshold=0.5, reset="zero", v_reset=-0.5,
            surrogate=Surrogate("atan", 2.0)), "LIFNode", 4.0, False, -0.5),
    (Neuron(kind="lif", leak="tau", tau=3.0, v_rest=0.0, v_threshold=2.0, reset="subtract", reset_by=2.0),
     "LIFNode", 3.0, False, None),
    (Neuron(kind="if", leak="none", v_threshold=1.0, reset="zero"), "IFNode", None, None, 0.0),
    (Neuron(kind="if", leak="none", v_threshold=1.0, reset="subtract", reset_by=1.0), "IFNode", None, None, None),
])
def test_native_constructor_calls(neuron, cls, tau, decay_input, v_reset, bias):
    src = compile_src(neuron, bias)
    linears = calls(src, "layer")
    assert [c.func.attr for c in linears] == ["Linear", "Linear"]
    assert [[number(a) for a in c.args] for c in linears] == [[40, 30], [30, 10]]
    assert all(number(kwargs(c)["bias"]) is bias for c in linears)
    neurons = calls(src, "neuron")
    assert [c.func.attr for c in neurons] == [cls, cls]
    for c in neurons:
        kw = kwargs(c)
        assert not c.args and "backend" not in kw
        assert number(kw["v_threshold"]) == neuron.v_threshold
        if v_reset is None:
            assert isinstance(kw["v_reset"], ast.Constant) and kw["v_reset"].value is None
        else:
            assert number(kw["v_reset"]) == v_reset
        if tau is None:
            assert "tau" not in kw and "decay_input" not in kw
        else:
            assert number(kw["tau"]) == tau
            assert kw["decay_input"].value is decay_input
        assert kw["step_mode"].value == "m"
        # SpikingJelly asserts isinstance(..., float): every numeric argument is a float literal
        for key, value in kw.items():
            if key in ("v_threshold", "v_reset", "tau") and not (isinstance(value, ast.Constant) and value.value is None):
                assert type(number(value)) is float, key
        sg = kw["surrogate_function"]
        assert isinstance(sg, ast.Call) and sg.func.value.id == "surrogate"
        assert all(type(number(k.value)) is float for k in sg.keywords)


def test_canonical_population_uses_generated_basenode_subclass():
    src = compile_src(snntorch_lif(0.9), bias=False)
    tree = ast.parse(src)
    (cls,) = [n for n in tree.body if isinstance(n, ast.ClassDef)]
    assert cls.name == "CanonicalNode"
    base = cls.bases[0]
    assert (base.value.id, base.attr) == ("neuron", "BaseNode")
    assert not calls(src, "neuron")[1:] and [c.func.attr for c in calls(src, "neuron")] == []
    nodes = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
             and n.func.id == "CanonicalNode"]
    assert [n.args[0].id for n in nodes] == ["layer_1_step", "layer_2_step"]
    for n in nodes:
        assert all(type(number(k.value)) is float for k in n.keywords if k.arg in ("v_init", "v_threshold"))
    steps = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    assert {"layer_1_step", "layer_2_step", "build_model", "load_weights", "export_weights", "run"} <= steps


def test_only_allowed_imports():
    src = compile_src(snntorch_lif(0.9), bias=True)
    imports = [n for n in ast.parse(src).body if isinstance(n, (ast.Import, ast.ImportFrom))]
    seen = set()
    for n in imports:
        if isinstance(n, ast.Import):
            seen |= {(a.name, a.asname) for a in n.names}
        else:
            assert n.module == "spikingjelly.activation_based"
            assert {a.name for a in n.names} <= {"neuron", "layer", "functional", "surrogate"}
    assert seen <= {("torch", None), ("torch.nn", "nn")}
