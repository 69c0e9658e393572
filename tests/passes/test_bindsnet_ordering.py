"""bindsnet-ordering: the emit order of a BindsNET network is the topological order."""

from compiler.pipeline import run_pipeline
from ir.parser import parse

BINDSNET = """\
// model: "Small"
// target: "bindsnet"
// source: "snntorch"
// time_steps: 25
// dt: 1.0
// precision: "fp32"
// power_mode: "normal"
// device_type: none
// pipeline:

%input = input[3]  // #/input
%layer_1.fc = dense[3 -> 2] {bias=false} from %input  // #/layers/0
%layer_1 = population lif[2] {leak="beta", decay=0.949999988079071, v_threshold=1.0000001192092896, reset="subtract", reset_by=1.0, reset_delay=true, refractory=0, v_init=0.0, surrogate=atan(2.0)} from %layer_1.fc  // #/layers/1
%layer_2.fc = dense[2 -> 2] {bias=false} from %layer_1  // #/layers/2
%layer_2 = population lif[2] {leak="beta", decay=0.949999988079071, v_threshold=1.0000001192092896, reset="subtract", reset_by=1.0, reset_delay=true, refractory=0, v_init=0.0, surrogate=atan(2.0)} from %layer_2.fc  // #/layers/3
"""

EXPECTED = """\
// model: "Small"
// target: "bindsnet"
// source: "snntorch"
// time_steps: 25
// dt: 1.0
// precision: "fp32"
// power_mode: "normal"
// device_type: none
// emit_order: ["input", "layer_1.fc", "layer_1", "layer_2.fc", "layer_2"]
// pipeline: bindsnet-ordering
// changed-by: bindsnet-ordering

%input = input[3]  // #/input
%layer_1.fc = dense[3 -> 2] {bias=false} from %input  // #/layers/0
%layer_1 = population lif[2] {leak="beta", decay=0.949999988079071, v_threshold=1.0000001192092896, reset="subtract", reset_by=1.0, reset_delay=true, refractory=0, v_init=0.0, surrogate=atan(2.0)} from %layer_1.fc  // #/layers/1
%layer_2.fc = dense[2 -> 2] {bias=false} from %layer_1  // #/layers/2
%layer_2 = population lif[2] {leak="beta", decay=0.949999988079071, v_threshold=1.0000001192092896, reset="subtract", reset_by=1.0, reset_delay=true, refractory=0, v_init=0.0, surrogate=atan(2.0)} from %layer_2.fc  // #/layers/3

// decision bindsnet-ordering %model: emit order: input, layer_1.fc, layer_1, layer_2.fc, layer_2
"""


def test_bindsnet_gets_the_topological_emit_order(apply):
    assert apply("bindsnet-ordering", BINDSNET) == EXPECTED


def test_order_does_not_depend_on_the_order_ops_are_written():
    head, ops = BINDSNET.split("\n\n")
    shuffled = head + "\n\n" + "\n".join(reversed(ops.strip().split("\n"))) + "\n"
    graph = run_pipeline(parse(shuffled), ["bindsnet-ordering"]).graph
    assert graph.attrs.emit_order == ("input", "layer_1.fc", "layer_1", "layer_2.fc", "layer_2")


def test_other_targets_are_a_no_op(apply, unchanged):
    snntorch = BINDSNET.replace('// target: "bindsnet"', '// target: "snntorch"')
    assert apply("bindsnet-ordering", snntorch) == unchanged("bindsnet-ordering", snntorch)
