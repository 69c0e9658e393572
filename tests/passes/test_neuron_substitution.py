"""neuron-substitution: LIF populations become IF under power_mode low_energy."""

from compiler.pipeline import run_pipeline
from ir.ops import Loc
from ir.parser import parse

# One population per leak form (snnTorch beta, SpikingJelly tau with decay_input,
# BindsNET tc with rest) and one IF population, which is left alone.
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
// pipeline: neuron-substitution

%input = input[4]  // #/input
%layer_1.fc = dense[4 -> 3] {bias=true} from %input  // 7:5 #/layers/0
%layer_1 = population if[3] {leak="none", v_threshold=1.0000001192092896, reset="subtract", reset_by=1.0, reset_delay=true, refractory=0, v_init=0.0, surrogate=atan(2.0), written=["beta"@8:31 #/layers/1/beta, "threshold"@8:50 #/layers/1/threshold]} from %layer_1.fc  // 8:5 #/layers/1  changed-by: neuron-substitution
%layer_2.fc = dense[3 -> 3] {bias=true} from %layer_1  // 9:5 #/layers/2
%layer_2 = population if[3] {leak="none", v_threshold=1.0, reset="zero", v_reset=0.0, refractory=0, v_init=0.0, surrogate=sigmoid(4.0), written=["tau"@10:31 #/layers/3/tau, "decay_input"@10:48 #/layers/3/decay_input]} from %layer_2.fc  // 10:5 #/layers/3  changed-by: neuron-substitution
%layer_3.fc = dense[3 -> 2] {bias=true} from %layer_2  // 11:5 #/layers/4
%layer_3 = population if[2] {leak="none", v_threshold=-52.0, reset="zero", v_reset=-65.0, refractory=5, v_init=-65.0, surrogate=none, written=["tc_decay"@12:31 #/layers/5/tc_decay, "rest"@12:50 #/layers/5/rest, "thresh"@12:64 #/layers/5/thresh]} from %layer_3.fc  // 12:5 #/layers/5  changed-by: neuron-substitution
%layer_4.fc = dense[2 -> 2] {bias=true} from %layer_3  // 13:5 #/layers/6
%layer_4 = population if[2] {leak="none", v_threshold=1.0, reset="zero", v_reset=0.0, refractory=0, v_init=0.0, surrogate=atan(2.0)} from %layer_4.fc  // 14:5 #/layers/7

// decision neuron-substitution %layer_1: LIF -> IF: leak 'beta' removed (decay=0.949999988079071); spec keys dropped: beta
// decision neuron-substitution %layer_2: LIF -> IF: leak 'tau_input' removed (tau=2.0, v_rest=0.0); spec keys dropped: tau, decay_input
// decision neuron-substitution %layer_3: LIF -> IF: leak 'tc' removed (tc_decay=100.0, v_rest=-65.0); spec keys dropped: tc_decay, rest
"""


def test_every_lif_becomes_if_keeping_threshold_reset_and_v_init(apply):
    assert apply("neuron-substitution", LOW_ENERGY) == EXPECTED


def test_normal_power_mode_is_a_no_op(apply, unchanged):
    normal = LOW_ENERGY.replace('// power_mode: "low_energy"', '// power_mode: "normal"')
    assert apply("neuron-substitution", normal) == unchanged("neuron-substitution", normal)


def test_one_warning_at_each_dropped_spec_key():
    warnings = run_pipeline(parse(LOW_ENERGY), ["neuron-substitution"]).warnings
    assert warnings == [
        (Loc("/layers/1/beta", 8, 31), "beta dropped by neuron-substitution: IF neurons have no decay"),
        (Loc("/layers/3/tau", 10, 31), "tau dropped by neuron-substitution: IF neurons have no decay"),
        (Loc("/layers/3/decay_input", 10, 48),
         "decay_input dropped by neuron-substitution: IF neurons have no decay, so the input is no longer divided by tau"),
        (Loc("/layers/5/tc_decay", 12, 31), "tc_decay dropped by neuron-substitution: IF neurons have no decay"),
        (Loc("/layers/5/rest", 12, 50),
         "rest dropped by neuron-substitution: IF neurons have no resting potential to decay towards"),
    ]


def test_running_twice_warns_once():
    warnings = run_pipeline(parse(LOW_ENERGY), ["neuron-substitution", "neuron-substitution"]).warnings
    assert len(warnings) == 5
