"""The textual IR: deterministic, readable, and read back exactly by ir.parser."""

from __future__ import annotations

from pathlib import Path

import pytest

from compiler.frontend import load_spec
from passes.manager import run_pipeline
from ir.examples import csnn, mlp
from ir.neuron import BindsnetNeuron, Surrogate
from ir.ops import Loc
from ir.parser import ParseError, parse
from ir.printer import print_graph
from ir.verify import verify
from passes import DEFAULT_PIPELINE
from support.filecheck import check

ROOT = Path(__file__).resolve().parents[1]


def _odd_graph():
    """Everything the printer must quote or escape, in one graph."""
    graph = mlp((5, 3), name="Modèle \"x\" // not a comment", power_mode="low_energy", target="bindsnet")
    graph.set_attrs("test", None, spec_hash="ab12", timestep_scale=0.3, backend="torch", step_mode="multi_step",
                    spec_file="specs/a b.json", dt=0.5)
    neuron = BindsnetNeuron(kind="lif", thresh=-52.0, reset=-65.0, rest=-65.0, tc_decay=100.0, refrac=5.0, dt=0.5,
                            surrogate=Surrogate("weird name", 2.0))
    pop = graph.op("layer_1")
    graph.replace_op(pop.replace(neuron=neuron, impl="nodes.LIFNodes", note='say "hi"\n  // x, y]\u2028ok',
                                 written=(("tc_decay", Loc("/layers/1/tc_decay", 3, 7)),
                                          ('we"ird', Loc("/layers/1/we\"ird key", 4, 1)),
                                          ("rest", Loc("/layers/1/rest")))), "test", "line one\nline two")
    graph.note("test", "model", '"quoted" at the start')
    graph.note("test", "linear_0", "  padded  ")
    graph.note("test", "input", "")
    graph.pipeline = ["neuron-substitution", "surrogate-swap"]
    return graph


def _lowered(spec: str, target: str):
    return run_pipeline(load_spec(ROOT / spec, target=target).graph, list(DEFAULT_PIPELINE)).graph


GRAPHS = {
    "mlp": mlp(),
    "csnn": csnn(),
    "low-energy-after-default-pipeline": run_pipeline(mlp(power_mode="low_energy", device_type="edge_ai_processor",
                                                          target="spikingjelly"), list(DEFAULT_PIPELINE)).graph,
    "odd": _odd_graph(),
    "recurrent-bindsnet-links": _lowered("tests/valid/recurrent_rleaky.json", "bindsnet"),
    "recurrent-snntorch": _lowered("tests/valid/recurrent_rleaky.json", "snntorch"),
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
    assert [line.split(" = ")[0] for line in ops] == ["%input", "%linear_0", "%layer_1"]


def test_expected_text_of_a_small_graph():
    """The layout: the always-present header keys in order and nothing else, a blank line, one op per
    line (kind, operands, shape, attributes, location: `line:col #pointer`, or the pointer alone when the
    position is unknown, then who changed it), and nothing before or after: no decisions section when
    there are none."""
    graph = mlp((3, 2), name="Tiny")
    graph.replace_op(graph.op("layer_1").replace(loc=Loc("/layers/1", 4, 12)), "neuron-substitution")
    check(print_graph(graph), """
        CHECK-NOT:  {{.}}
        CHECK:      {{^}}// model: "Tiny"{{$}}
        CHECK-NEXT: {{^}}// target: "snntorch"{{$}}
        CHECK-NEXT: {{^}}// source: "snntorch"{{$}}
        CHECK-NEXT: {{^}}// time_steps: 25{{$}}
        CHECK-NEXT: {{^}}// dt: 1.0{{$}}
        CHECK-NEXT: {{^}}// precision: "fp32"{{$}}
        CHECK-NEXT: {{^}}// power_mode: "normal"{{$}}
        CHECK-NEXT: {{^}}// device_type: none{{$}}
        CHECK-NEXT: {{^}}// pipeline:{{$}}
        CHECK-NEXT: {{^$}}
        CHECK-NEXT: {{^}}%input = input : [3]  // #/input_shape{{$}}
        CHECK-NEXT: {{^}}%linear_0 = linear(%input) : [2] {
        CHECK-SAME: in_features=3, out_features=2
        CHECK-SAME: bias=false
        CHECK-SAME: key="layer_1"
        CHECK-SAME: }  // #/layers/0{{$}}
        CHECK-NEXT: {{^}}%layer_1 = population(%linear_0) : [2] {family="snntorch", kind="lif", beta=0.949999988079071,
        CHECK-SAME: threshold=1.0, reset="subtract", reset_delay=true, late_terms=0, surrogate=atan(2.0, "snntorch")
        CHECK-SAME: }  // 4:12 #/layers/1  changed-by: neuron-substitution{{$}}
        CHECK-NOT:  {{.}}
    """)


def test_feedback_operands_schedule_and_links_are_written_and_read():
    graph = GRAPHS["recurrent-bindsnet-links"]
    text = print_graph(graph)
    assert "%h = population(%fc1, %rec)" in text and "%rec = linear(%h[t-1])" in text
    assert '// schedule: [["step", "fc1", "rec", "h", "fc2", "out"]]' in text
    assert '// link "h_to_h" {target="h", index=1, sources=[["h", 0]], ops=["rec"], offsets=[0], ' \
           'cls="generated", via="h"}' in text
    back = parse(text)
    assert back.plan == graph.plan and back.schedule == graph.schedule
    verify(back)


def test_shapes_are_lists_and_conv_attributes_pairs():
    text = print_graph(csnn())
    assert "%conv = conv2d(%input) : [4, 10, 10] {in_channels=1, out_channels=4, kernel_size=[3, 3], " \
           "stride=[1, 1], padding=[0, 0], bias=true, key=\"conv\"}" in text
    assert "%pool = maxpool2d(%conv) : [4, 5, 5] {mode=\"max\", kernel_size=[2, 2], stride=[2, 2]" in text
    assert parse(text).op("pool").kernel_size == (2, 2)


def test_banners_and_blank_lines_are_ignored():
    text = "// ----- IR after x ----- //\n\n" + print_graph(mlp()) + "\n\n"
    assert parse(text) == mlp()


@pytest.mark.parametrize("edit, message", [
    (lambda t: t.replace("// dt:", "// dtt:"), "<ir>:5:4: error: unknown header key 'dtt'"),
    (lambda t: t.replace('// model: "Mlp"\n', ""), "missing header model"),
    (lambda t: t.replace("input : [784]", "input : [784.0]"), "a shape is a list of integers"),
    (lambda t: t.replace("= linear(%input) : [256] {", "= linear(%input) : [256] {bogus=1, ", 1),
     "bad linear attributes"),
    (lambda t: t.replace('family="snntorch", ', "", 1), "a population needs a known family"),
    (lambda t: t.replace("%layer_2 =", "%layer_1 ="), "duplicate op 'layer_1'"),
    (lambda t: t + "garbage\n", "expected an op"),
    (lambda t: t.replace("input : [784]", "input : [784] $"), "unexpected character '\\$'"),
    (lambda t: t.replace("= linear(%input)", "= dense(%input)"), "unknown op kind 'dense'"),
    (lambda t: t.replace("(%input)", "(%input[t-2])"), "expected t-1"),
    (lambda t: t.replace("// pipeline:", '// widget "w" {size=1}\n// pipeline:'), "unknown plan record 'widget'"),
    (lambda t: t.replace("// pipeline:", '// link "w" {target="h"}\n// pipeline:'), "a link has target, index, "),
])
def test_parse_errors_say_where(edit, message):
    with pytest.raises(ParseError, match=message):
        parse(edit(print_graph(mlp())))


def test_an_unknown_operand_parses_and_the_verifier_names_it():
    graph = parse(print_graph(mlp()).replace("(%input)", "(%nowhere)"))
    with pytest.raises(Exception, match="reads unknown op 'nowhere'"):
        verify(graph)


def test_parse_error_position():
    text = print_graph(mlp()).replace(", out_features=", ",, out_features=", 1)
    with pytest.raises(ParseError) as info:
        parse(text)
    line = text.split("\n").index(next(l for l in text.split("\n") if ",," in l)) + 1
    assert (info.value.line, info.value.col) == (line, text.split("\n")[line - 1].index(",,") + 2)
