"""The textual IR: deterministic, readable, and read back exactly by ir.parser."""

from __future__ import annotations

import pytest

from compiler.pipeline import run_pipeline
from ir.examples import mlp, snntorch_lif
from ir.neuron import Neuron, Surrogate
from ir.ops import Loc
from ir.parser import ParseError, parse
from ir.printer import print_graph
from passes import DEFAULT_PIPELINE


def _odd_graph():
    """Everything the printer must quote or escape, in one graph."""
    graph = mlp((5, 3), name="Modèle \"x\" // not a comment", power_mode="low_energy", target="bindsnet")
    graph.set_attrs("test", None, spec_hash="ab12", timestep_scale=0.3, emit_order=("input", "layer_1.fc", "layer_1"),
                    backend="torch", step_mode="multi_step", spec_file="specs/a b.json", dt=0.5)
    neuron = Neuron(kind="lif", leak="tc", tc_decay=100.0, v_rest=-65.0, v_threshold=-52.0, reset="zero",
                    v_reset=-65.0, refractory=5, v_init=-65.0, reset_by=1e-05, surrogate=Surrogate("weird name", 2))
    pop = graph.op("layer_1")
    graph.replace_op(pop.replace(neuron=neuron, impl="nodes.LIFNodes", note='say "hi"\n  // x, y]\u2028ok',
                                 written=(("tc_decay", Loc("/layers/1/tc_decay", 3, 7)),
                                          ('we"ird', Loc("/layers/1/we\"ird key", 4, 1)),
                                          ("rest", Loc("/layers/1/rest")))), "test", "line one\nline two")
    graph.note("test", "model", '"quoted" at the start')
    graph.note("test", "layer_1.fc", "  padded  ")
    graph.note("test", "input", "")
    graph.pipeline = ["neuron-substitution", "surrogate-swap"]
    return graph


GRAPHS = {
    "mlp": mlp(),
    "low-energy-after-default-pipeline": run_pipeline(mlp(power_mode="low_energy", device_type="edge_ai_processor",
                                                          target="spikingjelly"), list(DEFAULT_PIPELINE)).graph,
    "odd": _odd_graph(),
}


@pytest.mark.parametrize("key", sorted(GRAPHS))
def test_text_round_trips_exactly(key):
    graph = GRAPHS[key]
    text = print_graph(graph)
    back = parse(text)
    assert print_graph(back) == text
    assert back == graph
    assert (back.decisions, back.changed_by, back.pipeline) == (graph.decisions, graph.changed_by, graph.pipeline)


def test_one_line_per_op_and_no_raw_control_characters():
    text = print_graph(_odd_graph())
    assert all(ch == "\n" or ch.isprintable() for ch in text)
    ops = [line for line in text.split("\n") if line.startswith("%")]
    assert [line.split(" = ")[0] for line in ops] == ["%input", "%layer_1.fc", "%layer_1"]


def test_expected_text_of_a_small_graph():
    graph = mlp((3, 2), name="Tiny")
    graph.replace_op(graph.op("layer_1").replace(loc=Loc("/layers/1", 4, 12)), "neuron-substitution")
    assert print_graph(graph) == """\
// model: "Tiny"
// target: "snntorch"
// source: "snntorch"
// time_steps: 25
// dt: 1.0
// precision: "fp32"
// power_mode: "normal"
// device_type: none
// pipeline:

%input = input[3]  // #/input
%layer_1.fc = dense[3 -> 2] {bias=false} from %input  // #/layers/0
%layer_1 = population lif[2] {leak="beta", decay=0.949999988079071, v_threshold=1.0000001192092896, \
reset="subtract", reset_by=1.0, reset_delay=true, refractory=0, v_init=0.0, surrogate=atan(2.0)} \
from %layer_1.fc  // 4:12 #/layers/1  changed-by: neuron-substitution
"""


def test_floats_are_exact_and_ints_written_for_floats_become_floats():
    text = print_graph(mlp((3, 2))).replace("reset_by=1.0", "reset_by=1")
    neuron = parse(text).op("layer_1").neuron
    assert neuron == snntorch_lif() and isinstance(neuron.reset_by, float)
    assert neuron.decay == 0.949999988079071


def test_banners_and_blank_lines_are_ignored():
    text = "// ----- IR after x ----- //\n\n" + print_graph(mlp()) + "\n\n"
    assert parse(text) == mlp()


@pytest.mark.parametrize("edit, message", [
    (lambda t: t.replace("// dt:", "// dtt:"), "<ir>:5:4: error: unknown header key 'dtt'"),
    (lambda t: t.replace('// model: "Mlp"\n', ""), "missing header model"),
    (lambda t: t.replace("input[784]", "input[784.0]"), "expected an integer, found '784.0'"),
    (lambda t: t.replace("{bias=false}", "{bias=false, bogus=1}"), "unknown dense attribute 'bogus'"),
    (lambda t: t.replace('leak="beta", ', ""), "a population needs leak"),
    (lambda t: t.replace("from %input", "from %nowhere"), "no op named 'nowhere'"),
    (lambda t: t.replace("%layer_2 =", "%layer_1 ="), "duplicate op 'layer_1'"),
    (lambda t: t + "garbage\n", "expected an op"),
    (lambda t: t.replace("input[784]", "input[784] $"), "unexpected character '\\$'"),
    (lambda t: t.replace("dense[784", "conv[784"), "unknown op kind 'conv'"),
])
def test_parse_errors_say_where(edit, message):
    with pytest.raises(ParseError, match=message):
        parse(edit(print_graph(mlp())))


def test_parse_error_position():
    text = print_graph(mlp()).replace("{bias=false}", "{bias=false,, x=1}")
    with pytest.raises(ParseError) as info:
        parse(text)
    line = text.split("\n").index(next(l for l in text.split("\n") if ",," in l)) + 1
    assert (info.value.line, info.value.col) == (line, text.split("\n")[line - 1].index(",,") + 2)
