"""Static check of the snnTorch emitter: parse the generated source (ast, not string
search), find the nn.Linear and snn.Leaky constructor calls and hold them to the IR."""

from __future__ import annotations

import ast

import pytest

from emitters import emit_python
from ir.examples import mlp, snntorch_lif
from ir.floats import f32, next_down
from ir.neuron import Neuron
from support.generated import lower_for

from emitter_graphs import dag_graph


def _calls(source: str, module: str, func: str) -> list[ast.Call]:
    """Calls of `module.func(...)`, in source order."""
    return [
        node
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == func
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == module
    ]


def _kwargs(call: ast.Call) -> dict[str, object]:
    return {
        kw.arg: ast.literal_eval(kw.value)
        for kw in call.keywords
        if kw.arg != "spike_grad"
    }


GRAPHS = {
    "lif-subtract-bias": lambda: mlp(
        (40, 30, 10), snntorch_lif(0.95), bias=True, time_steps=20
    ),
    "lif-zero-nobias": lambda: mlp(
        (40, 30, 20, 10),
        Neuron(kind="lif", leak="beta", decay=f32(0.9), v_threshold=0.5, reset="zero"),
        time_steps=20,
    ),
    "if-none": lambda: mlp(
        (40, 10),
        Neuron(kind="if", leak="none", v_threshold=2.0, reset="none"),
        time_steps=20,
    ),
    "dag-mixed": dag_graph,
}


@pytest.mark.parametrize("case", list(GRAPHS))
def test_constructor_calls_match_the_ir(case):
    graph, pipeline = lower_for(GRAPHS[case](), "snntorch")
    source = emit_python(graph, pipeline=pipeline)
    pops = graph.populations()

    linears = _calls(source, "nn", "Linear")
    assert len(linears) == len(pops)
    for call, pop in zip(linears, pops):
        fc = graph.projection(pop.name)
        assert [ast.literal_eval(a) for a in call.args] == [
            fc.in_features,
            fc.out_features,
        ]
        assert _kwargs(call) == {"bias": fc.bias}

    leaky_pops = [p for p in pops if p.impl == "snn.Leaky"]
    leakies = _calls(source, "snn", "Leaky")
    assert len(leakies) == len(leaky_pops)
    for call, pop in zip(leakies, leaky_pops):
        n = pop.neuron
        assert not call.args
        assert _kwargs(call) == {
            "beta": n.decay if n.leak == "beta" else 1.0,
            "threshold": next_down(n.v_threshold),
            "reset_mechanism": n.reset,
            "reset_delay": True,
        }
        grad = {kw.arg: kw.value for kw in call.keywords}.get("spike_grad")
        if n.surrogate is None:
            assert grad is None
        else:
            assert isinstance(grad, ast.Call) and grad.func.value.id == "surrogate"
            assert [ast.literal_eval(kw.value) for kw in grad.keywords] == [
                n.surrogate.alpha
            ]

    # every canonical population gets its own generated neuron class, instantiated once
    canonical = [p for p in pops if p.impl == "canonical"]
    classes = [n.name for n in ast.parse(source).body if isinstance(n, ast.ClassDef)]
    assert len(classes) == len(canonical) + 1


def test_only_the_allowed_imports():
    graph, pipeline = lower_for(dag_graph(), "snntorch")
    tree = ast.parse(emit_python(graph, pipeline=pipeline))
    imports = [
        ast.unparse(n) for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))
    ]
    assert imports == [
        "import torch",
        "import torch.nn as nn",
        "import snntorch as snn",
        "from snntorch import surrogate",
    ]
