"""The JSON (node-link) and DOT forms of the IR: deterministic and well formed."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from passes.manager import run_pipeline
from ir.dot import to_dot
from pathlib import Path

from compiler.frontend import load_spec
from ir.examples import mlp
from ir.json_form import dumps
from ir.parser import parse
from ir.printer import print_graph
from passes import DEFAULT_PIPELINE


def _low_energy():
    return run_pipeline(mlp(power_mode="low_energy", target="bindsnet", name='Low "power"\nmodel'),
                        list(DEFAULT_PIPELINE)).graph


def _recurrent():
    spec = Path(__file__).parent / "valid" / "recurrent_rleaky.json"
    return run_pipeline(load_spec(spec).graph, list(DEFAULT_PIPELINE)).graph


def test_json_is_sorted_node_link_data():
    text = dumps(_low_energy())
    data = json.loads(text)
    assert text == json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    assert [n["id"] for n in data["nodes"]] == ["input", "linear_0", "layer_1", "linear_2", "layer_2"]
    assert data["edges"] == sorted(data["edges"], key=lambda e: (e["source"], e["target"]))
    layer_1 = data["nodes"][2]
    assert layer_1["neuron"]["kind"] == "if" and layer_1["neuron"]["family"] == "snntorch"
    assert layer_1["changed_by"] == "lower-to-target" and layer_1["shape"] == [256]
    assert data["graph"]["plan"][0]["record"] == "link" and data["graph"]["plan"][0]["cls"] == "Connection"
    assert data["graph"]["model"]["precision"] == "fp16-cuda"
    assert data["graph"]["pipeline"] == list(DEFAULT_PIPELINE)
    assert data["graph"]["decisions"][0]["pass_name"] == "neuron-substitution"


def test_json_marks_feedback_edges_and_operand_order():
    data = json.loads(dumps(_recurrent()))
    edges = {(e["source"], e["target"]): e["delay"] for e in data["edges"]}
    assert edges[("h", "rec")] == 1 and edges[("rec", "h")] == 0 and edges[("fc1", "h")] == 0
    h = next(n for n in data["nodes"] if n["id"] == "h")
    assert h["operands"] == [{"src": "fc1", "delay": 0}, {"src": "rec", "delay": 0}]
    assert h["neuron"]["late_terms"] == 1 and data["graph"]["schedule"][1] == ["step", "rec", "h"]


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
    assert '"linear_0" -> "layer_1" [label="[256]"];' in text
    assert "[neuron-substitution] LIF -> IF" in text and "snntorch IF [256]" in text
    assert 'Low \\"power\\"\\nmodel' in text


def test_dot_draws_feedback_edges_distinctly():
    text = to_dot(_recurrent())
    assert '"h" -> "rec" [label="t-1", style=dashed, color="royalblue", constraint=false];' in text
    assert '"fc1" -> "h" [label="[6]"];' in text
    bad = [line for line in text.rstrip("\n").split("\n")[1:-1] if not _STATEMENT.fullmatch(line)]
    assert bad == []


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz 'dot' is not installed (apt-get install graphviz)")
def test_graphviz_accepts_the_dot():
    done = subprocess.run(["dot", "-Tsvg"], input=to_dot(_low_energy()).encode(), capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr.decode()
    assert b"<svg" in done.stdout
