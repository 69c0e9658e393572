"""precision-lowering: FP16 on CUDA (decided at run time) under power_mode low_energy."""

LOW_ENERGY = """\
// model: "Small"
// target: "snntorch"
// source: "snntorch"
// time_steps: 25
// dt: 1.0
// precision: "fp32"
// power_mode: "low_energy"
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
// target: "snntorch"
// source: "snntorch"
// time_steps: 25
// dt: 1.0
// precision: "fp16-cuda"
// power_mode: "low_energy"
// device_type: none
// pipeline: precision-lowering
// changed-by: precision-lowering

%input = input[3]  // #/input
%layer_1.fc = dense[3 -> 2] {bias=false} from %input  // #/layers/0
%layer_1 = population lif[2] {leak="beta", decay=0.949999988079071, v_threshold=1.0000001192092896, reset="subtract", reset_by=1.0, reset_delay=true, refractory=0, v_init=0.0, surrogate=atan(2.0)} from %layer_1.fc  // #/layers/1
%layer_2.fc = dense[2 -> 2] {bias=false} from %layer_1  // #/layers/2
%layer_2 = population lif[2] {leak="beta", decay=0.949999988079071, v_threshold=1.0000001192092896, reset="subtract", reset_by=1.0, reset_delay=true, refractory=0, v_init=0.0, surrogate=atan(2.0)} from %layer_2.fc  // #/layers/3

// decision precision-lowering %model: precision fp16-cuda: FP16 when CUDA is present at run time, else FP32
"""


def test_low_energy_asks_for_fp16_on_cuda(apply):
    assert apply("precision-lowering", LOW_ENERGY) == EXPECTED


def test_normal_power_mode_is_a_no_op(apply, unchanged):
    normal = LOW_ENERGY.replace('// power_mode: "low_energy"', '// power_mode: "normal"')
    assert apply("precision-lowering", normal) == unchanged("precision-lowering", normal)
