"""surrogate-swap: atan becomes fast_sigmoid(25.0) under power_mode low_energy."""

# atan on a LIF and on an IF population (both swapped), sigmoid and none (kept).
LOW_ENERGY = """\
// model: "Mixed"
// target: "spikingjelly"
// source: "spikingjelly"
// time_steps: 100
// dt: 1.0
// precision: "fp32"
// power_mode: "low_energy"
// device_type: "high_performance_gpu"
// pipeline:

%input = input[4]  // #/input
%layer_1.fc = dense[4 -> 3] {bias=true} from %input  // 7:5 #/layers/0
%layer_1 = population lif[3] {leak="beta", decay=0.949999988079071, v_threshold=1.0000001192092896, reset="subtract", reset_by=1.0, reset_delay=true, refractory=0, v_init=0.0, surrogate=atan(2.0), written=["beta"@8:31 #/layers/1/beta, "threshold"@8:50 #/layers/1/threshold]} from %layer_1.fc  // 8:5 #/layers/1
%layer_2.fc = dense[3 -> 3] {bias=true} from %layer_1  // 9:5 #/layers/2
%layer_2 = population lif[3] {leak="tau_input", tau=2.0, v_rest=0.0, v_threshold=1.0, reset="zero", v_reset=0.0, refractory=0, v_init=0.0, surrogate=sigmoid(4.0), written=["tau"@10:31 #/layers/3/tau, "decay_input"@10:48 #/layers/3/decay_input]} from %layer_2.fc  // 10:5 #/layers/3
%layer_3.fc = dense[3 -> 2] {bias=true} from %layer_2  // 11:5 #/layers/4
%layer_3 = population lif[2] {leak="tc", tc_decay=100.0, v_rest=-65.0, v_threshold=-52.0, reset="zero", v_reset=-65.0, refractory=5, v_init=-65.0, surrogate=none, written=["tc_decay"@12:31 #/layers/5/tc_decay, "rest"@12:50 #/layers/5/rest, "thresh"@12:64 #/layers/5/thresh]} from %layer_3.fc  // 12:5 #/layers/5
%layer_4.fc = dense[2 -> 2] {bias=true} from %layer_3  // 13:5 #/layers/6
%layer_4 = population if[2] {leak="none", v_threshold=1.0, reset="zero", v_reset=0.0, refractory=0, v_init=0.0, surrogate=atan(2.0)} from %layer_4.fc  // 14:5 #/layers/7
"""

EXPECTED = """\
// model: "Mixed"
// target: "spikingjelly"
// source: "spikingjelly"
// time_steps: 100
// dt: 1.0
// precision: "fp32"
// power_mode: "low_energy"
// device_type: "high_performance_gpu"
// pipeline: surrogate-swap

%input = input[4]  // #/input
%layer_1.fc = dense[4 -> 3] {bias=true} from %input  // 7:5 #/layers/0
%layer_1 = population lif[3] {leak="beta", decay=0.949999988079071, v_threshold=1.0000001192092896, reset="subtract", reset_by=1.0, reset_delay=true, refractory=0, v_init=0.0, surrogate=fast_sigmoid(25.0), written=["beta"@8:31 #/layers/1/beta, "threshold"@8:50 #/layers/1/threshold]} from %layer_1.fc  // 8:5 #/layers/1  changed-by: surrogate-swap
%layer_2.fc = dense[3 -> 3] {bias=true} from %layer_1  // 9:5 #/layers/2
%layer_2 = population lif[3] {leak="tau_input", tau=2.0, v_rest=0.0, v_threshold=1.0, reset="zero", v_reset=0.0, refractory=0, v_init=0.0, surrogate=sigmoid(4.0), written=["tau"@10:31 #/layers/3/tau, "decay_input"@10:48 #/layers/3/decay_input]} from %layer_2.fc  // 10:5 #/layers/3
%layer_3.fc = dense[3 -> 2] {bias=true} from %layer_2  // 11:5 #/layers/4
%layer_3 = population lif[2] {leak="tc", tc_decay=100.0, v_rest=-65.0, v_threshold=-52.0, reset="zero", v_reset=-65.0, refractory=5, v_init=-65.0, surrogate=none, written=["tc_decay"@12:31 #/layers/5/tc_decay, "rest"@12:50 #/layers/5/rest, "thresh"@12:64 #/layers/5/thresh]} from %layer_3.fc  // 12:5 #/layers/5
%layer_4.fc = dense[2 -> 2] {bias=true} from %layer_3  // 13:5 #/layers/6
%layer_4 = population if[2] {leak="none", v_threshold=1.0, reset="zero", v_reset=0.0, refractory=0, v_init=0.0, surrogate=fast_sigmoid(25.0)} from %layer_4.fc  // 14:5 #/layers/7  changed-by: surrogate-swap

// decision surrogate-swap %layer_1: surrogate atan(2.0) -> fast_sigmoid(25.0)
// decision surrogate-swap %layer_4: surrogate atan(2.0) -> fast_sigmoid(25.0)
"""


def test_atan_becomes_fast_sigmoid_others_kept(apply):
    assert apply("surrogate-swap", LOW_ENERGY) == EXPECTED


def test_normal_power_mode_is_a_no_op(apply, unchanged):
    normal = LOW_ENERGY.replace('// power_mode: "low_energy"', '// power_mode: "normal"')
    assert apply("surrogate-swap", normal) == unchanged("surrogate-swap", normal)
