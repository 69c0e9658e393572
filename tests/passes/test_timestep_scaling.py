"""timestep-scaling: time_steps scaled (default 0.4) on an edge_ai_processor."""

import pytest

from compiler.pipeline import run_pipeline
from ir.parser import parse

EDGE = """\
// model: "Small"
// target: "snntorch"
// source: "snntorch"
// time_steps: 100
// dt: 1.0
// precision: "fp32"
// power_mode: "normal"
// device_type: "edge_ai_processor"
// pipeline:

%input = input[3]  // #/input
%layer_1.fc = dense[3 -> 2] {bias=false} from %input  // #/layers/0
%layer_1 = population lif[2] {leak="beta", decay=0.949999988079071, v_threshold=1.0000001192092896, reset="subtract", reset_by=1.0, reset_delay=true, refractory=0, v_init=0.0, surrogate=atan(2.0)} from %layer_1.fc  // #/layers/1
%layer_2.fc = dense[2 -> 2] {bias=false} from %layer_1  // #/layers/2
%layer_2 = population lif[2] {leak="beta", decay=0.949999988079071, v_threshold=1.0000001192092896, reset="subtract", reset_by=1.0, reset_delay=true, refractory=0, v_init=0.0, surrogate=atan(2.0)} from %layer_2.fc  // #/layers/3
"""

EXPECTED = """\
// model: "Small"
// target: "snntorch"
// source: "snntorch"
// time_steps: 40
// dt: 1.0
// precision: "fp32"
// power_mode: "normal"
// device_type: "edge_ai_processor"
// pipeline: timestep-scaling
// changed-by: timestep-scaling

%input = input[3]  // #/input
%layer_1.fc = dense[3 -> 2] {bias=false} from %input  // #/layers/0
%layer_1 = population lif[2] {leak="beta", decay=0.949999988079071, v_threshold=1.0000001192092896, reset="subtract", reset_by=1.0, reset_delay=true, refractory=0, v_init=0.0, surrogate=atan(2.0)} from %layer_1.fc  // #/layers/1
%layer_2.fc = dense[2 -> 2] {bias=false} from %layer_1  // #/layers/2
%layer_2 = population lif[2] {leak="beta", decay=0.949999988079071, v_threshold=1.0000001192092896, reset="subtract", reset_by=1.0, reset_delay=true, refractory=0, v_init=0.0, surrogate=atan(2.0)} from %layer_2.fc  // #/layers/3

// decision timestep-scaling %model: time_steps 100 -> 40 (scale 0.4)
"""


def test_edge_device_scales_100_steps_to_40(apply):
    assert apply("timestep-scaling", EDGE) == EXPECTED


@pytest.mark.parametrize("steps, scale, expected", [(10, 0.25, 2), (30, 0.25, 8), (25, 0.01, 1), (7, 1.0, 7)])
def test_explicit_scale_rounds_ties_to_even_and_keeps_one_step(steps, scale, expected):
    text = EDGE.replace("// time_steps: 100", f"// time_steps: {steps}")
    text = text.replace("// pipeline:", f"// timestep_scale: {scale!r}\n// pipeline:")
    assert run_pipeline(parse(text), ["timestep-scaling"]).graph.attrs.time_steps == expected


def test_other_devices_are_a_no_op(apply, unchanged):
    gpu = EDGE.replace('"edge_ai_processor"', '"high_performance_gpu"')
    assert apply("timestep-scaling", gpu) == unchanged("timestep-scaling", gpu)
