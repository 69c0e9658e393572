"""timestep-scaling: time_steps scaled (default 0.4) on an edge_ai_processor."""

import pytest

from passes.manager import run_pipeline
from ir.ops import Loc
from ir.parser import parse
from support.filecheck import check

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

%input = input : [3]  // 7:39 #/layers/0/in_features
%linear_0 = linear(%input) : [2] {in_features=3, out_features=2, bias=false, key="layer_1", layout="out_in", bias_add="fused"}  // 7:5 #/layers/0
%layer_1 = population(%linear_0) : [2] {family="snntorch", kind="lif", beta=0.949999988079071, threshold=1.0, reset="subtract", reset_delay=true, late_terms=0, surrogate=atan(2.0, "snntorch"), written=["beta"@8:33 #/layers/1/beta]}  // 8:5 #/layers/1
%linear_2 = linear(%layer_1) : [2] {in_features=2, out_features=2, bias=false, key="layer_2", layout="out_in", bias_add="fused"}  // 9:5 #/layers/2
%layer_2 = population(%linear_2) : [2] {family="snntorch", kind="lif", beta=0.949999988079071, threshold=1.0, reset="subtract", reset_delay=true, late_terms=0, surrogate=atan(2.0, "snntorch"), written=["beta"@10:33 #/layers/3/beta]}  // 10:5 #/layers/3
"""


def test_edge_device_scales_100_steps_to_40(apply):
    # A model attribute and its decision; no op is touched.
    check(apply("timestep-scaling", EDGE), """
        CHECK:      // time_steps: 40
        CHECK:      // pipeline: timestep-scaling
        CHECK:      // changed-by: timestep-scaling
        CHECK-NOT:  changed-by
        CHECK:      // decision timestep-scaling %model: time_steps 100 -> 40 (scale 0.4){{$}}
        CHECK-NOT:  decision
    """)


@pytest.mark.parametrize("steps, scale, expected", [(10, 0.25, 2), (30, 0.25, 8), (25, 0.01, 1), (7, 1.0, 7)])
def test_explicit_scale_rounds_ties_to_even_and_keeps_one_step(steps, scale, expected):
    text = EDGE.replace("// time_steps: 100", f"// time_steps: {steps}")
    text = text.replace("// pipeline:", f"// timestep_scale: {scale!r}\n// pipeline:")
    assert run_pipeline(parse(text), ["timestep-scaling"]).graph.attrs.time_steps == expected


def test_other_devices_are_a_no_op(apply, unchanged):
    gpu = EDGE.replace('"edge_ai_processor"', '"high_performance_gpu"')
    assert apply("timestep-scaling", gpu) == unchanged("timestep-scaling", gpu)


def test_very_few_steps_left_is_a_warning():
    few = EDGE.replace("// time_steps: 100", "// time_steps: 7").replace(
        '// device_type: "edge_ai_processor"', '// device_type: "edge_ai_processor"\n// timestep_scale: 0.1')
    result = run_pipeline(parse(few), ["timestep-scaling"])
    assert result.graph.attrs.time_steps == 1
    assert result.warnings == [(Loc("/hardware_constraints/timestep_scale"),
                                "time_steps 7 -> 1 by timestep-scaling: only 1 step left, too few for spikes "
                                "to cross the network")]
    assert run_pipeline(parse(EDGE), ["timestep-scaling"]).warnings == []
