"""The JSON (node-link) and DOT forms of the IR: deterministic and well formed."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from compiler.pipeline import run_pipeline
from ir.dot import to_dot
from ir.examples import mlp
from ir.json_form import dumps
from ir.parser import parse
from ir.printer import print_graph
from passes import DEFAULT_PIPELINE


def _low_energy():
    return run_pipeline(mlp(power_mode="low_energy", target="bindsnet", name='Low "power"\nmodel'),
                        list(DEFAULT_PIPELINE)).graph


def test_json_is_sorted_node_link_data():
    text = dumps(_low_energy())
    data = json.loads(text)
    assert text == json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert [n["id"] for n in data["nodes"]] == ["input", "layer_1", "layer_1.fc", "layer_2", "layer_2.fc"]
    assert data["edges"] == sorted(data["edges"], key=lambda e: (e["source"], e["target"]))
    layer_1 = data["nodes"][1]
    assert layer_1["neuron"]["kind"] == "if" and layer_1["changed_by"] == "select-neuron-class"
    assert data["graph"]["model"]["precision"] == "fp16-cuda"
    assert data["graph"]["pipeline"] == list(DEFAULT_PIPELINE)
    assert data["graph"]["decisions"][0]["pass_name"] == "neuron-substitution"


def test_json_does_not_depend_on_insertion_order():
    graph = _low_energy()
    head, ops, decisions = print_graph(graph).split("\n\n")
    reordered = parse(head + "\n\n" + "\n".join(reversed(ops.split("\n"))) + "\n\n" + decisions)
    assert list(reordered.nx) == list(reversed(list(graph.nx)))
    assert dumps(reordered) == dumps(graph)


# A small DOT grammar: enough to check that every statement is well formed.
_ID = r'"(?:[^"\\]|\\.)*"'
_ATTRS = rf'\[(?:\w+=(?:{_ID}|[\w.]+)(?:, )?)*\]'
_STATEMENT = re.compile(rf'  (?:(?:graph|node|edge) {_ATTRS}|{_ID} {_ATTRS}|{_ID} -> {_ID} {_ATTRS});')


def test_dot_statements_are_well_formed_and_deterministic():
    graph = _low_energy()
    text = to_dot(graph)
    assert text == to_dot(graph)
    lines = text.rstrip("\n").split("\n")
    assert re.fullmatch(rf"digraph {_ID} {{", lines[0]) and lines[-1] == "}"
    bad = [line for line in lines[1:-1] if not _STATEMENT.fullmatch(line)]
    assert bad == []
    assert '"layer_1.fc" -> "layer_1" [label="256"];' in text
    assert "[neuron-substitution] LIF -> IF" in text and "IF [256]" in text
    assert 'Low \\"power\\"\\nmodel' in text


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' is not installed (apt-get install graphviz)")
def test_graphviz_accepts_the_dot():
    done = subprocess.run(["dot", "-Tsvg"], input=to_dot(_low_energy()).encode(), capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr.decode()
    assert b"<svg" in done.stdout
