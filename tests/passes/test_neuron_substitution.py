"""neuron-substitution: LIF populations become IF of their own family under power_mode low_energy."""

from passes.manager import run_pipeline
from ir.ops import Loc
from ir.parser import parse
from support.filecheck import check

# One LIF population per family (snnTorch beta, SpikingJelly tau with decay_input,
# BindsNET tc_decay with rest) and one IF population, which is left alone.
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

%input = input : [4]  // 8:39 #/layers/0/in_features
%linear_0 = linear(%input) : [3] {in_features=4, out_features=3, bias=true, key="layer_1", layout="out_in", bias_add="fused"}  // 8:5 #/layers/0
%layer_1 = population(%linear_0) : [3] {family="snntorch", kind="lif", beta=0.949999988079071, threshold=1.0, reset="subtract", reset_delay=true, late_terms=0, surrogate=atan(2.0, "snntorch"), written=["beta"@9:33 #/layers/1/beta, "threshold"@9:52 #/layers/1/threshold]}  // 9:5 #/layers/1
%linear_2 = linear(%layer_1) : [3] {in_features=3, out_features=3, bias=true, key="layer_2", layout="out_in", bias_add="fused"}  // 10:5 #/layers/2
%layer_2 = population(%linear_2) : [3] {family="spikingjelly", kind="lif", tau=2.0, decay_input=true, v_threshold=1.0, v_reset=0.0, detach_reset=false, surrogate=sigmoid(4.0, "spikingjelly"), written=["tau"@11:32 #/layers/3/tau, "decay_input"@11:52 #/layers/3/decay_input]}  // 11:5 #/layers/3
%linear_4 = linear(%layer_2) : [2] {in_features=3, out_features=2, bias=true, key="layer_3", layout="out_in", bias_add="fused"}  // 12:5 #/layers/4
%layer_3 = population(%linear_4) : [2] {family="bindsnet", kind="lif", thresh=-52.0, reset=-65.0, rest=-65.0, tc_decay=100.0, refrac=5.0, dt=1.0, surrogate=atan(2.0, "snntorch"), written=["tc_decay"@13:37 #/layers/5/tc_decay, "rest"@13:52 #/layers/5/rest, "thresh"@13:69 #/layers/5/thresh]}  // 13:5 #/layers/5
%linear_6 = linear(%layer_3) : [2] {in_features=2, out_features=2, bias=true, key="layer_4", layout="out_in", bias_add="fused"}  // 14:5 #/layers/6
%layer_4 = population(%linear_6) : [2] {family="spikingjelly", kind="if", v_threshold=1.0, v_reset=0.0, detach_reset=false, surrogate=atan(2.0, "spikingjelly"), written=["surrogate_function"@15:46 #/layers/7/surrogate_function]}  // 15:5 #/layers/7
"""


def test_every_lif_becomes_the_if_of_its_family(apply):
    out = apply("neuron-substitution", LOW_ENERGY)
    # Each LIF is now the IF of its own family: its threshold, reset and surrogate kept, the spec keys it was
    # written with kept (warnings point at them), the op marked; linears and the IF population untouched.
    check(out, """
        CHECK:      // pipeline: neuron-substitution
        CHECK-NOT:  changed-by
        CHECK:      %layer_1 = population(%linear_0) : [3] {family="snntorch", kind="if",
        CHECK-SAME: threshold=1.0, reset="subtract", reset_delay=true, late_terms=0, surrogate=atan(2.0, "snntorch")
        CHECK-SAME: written=["beta"@9:33 #/layers/1/beta, "threshold"@9:52 #/layers/1/threshold]
        CHECK-SAME: changed-by: neuron-substitution
        CHECK-NOT:  changed-by
        CHECK:      %layer_2 = population(%linear_2) : [3] {family="spikingjelly", kind="if",
        CHECK-SAME: v_threshold=1.0, v_reset=0.0, detach_reset=false, surrogate=sigmoid(4.0, "spikingjelly")
        CHECK-SAME: written=["tau"@11:32 #/layers/3/tau, "decay_input"@11:52 #/layers/3/decay_input]
        CHECK-SAME: changed-by: neuron-substitution
        CHECK-NOT:  changed-by
        CHECK:      %layer_3 = population(%linear_4) : [2] {family="bindsnet", kind="if",
        CHECK-SAME: thresh=-52.0, reset=-65.0, refrac=5.0, dt=1.0, surrogate=atan(2.0, "snntorch")
        CHECK-SAME: written=["tc_decay"@13:37 #/layers/5/tc_decay, "rest"@13:52 #/layers/5/rest,
        CHECK-SAME: "thresh"@13:69 #/layers/5/thresh]
        CHECK-SAME: changed-by: neuron-substitution
        CHECK-NOT:  changed-by
        CHECK:      %layer_4 = population(%linear_6) : [2] {family="spikingjelly", kind="if",
        CHECK-NOT:  changed-by
        CHECK:      // decision neuron-substitution %layer_1: LIF -> IF (snntorch): beta=0.949999988079071 removed;
        CHECK-SAME: spec keys dropped: beta{{$}}
        CHECK-NEXT: // decision neuron-substitution %layer_2: LIF -> IF (spikingjelly):
        CHECK-SAME: tau=2.0, decay_input=True removed; spec keys dropped: tau, decay_input{{$}}
        CHECK-NEXT: // decision neuron-substitution %layer_3: LIF -> IF (bindsnet): rest=-65.0, tc_decay=100.0 removed;
        CHECK-SAME: spec keys dropped: tc_decay, rest{{$}}
        CHECK-NOT:  decision
    """)
    # The leak parameters are gone from every op (only the decisions, after the ops, name them).
    check(out, """
        CHECK-NOT: beta=
        CHECK-NOT: tau=
        CHECK-NOT: decay_input=
        CHECK-NOT: tc_decay=
        CHECK-NOT: rest=
        CHECK:     // decision
    """)


def test_normal_power_mode_is_a_no_op(apply, unchanged):
    normal = LOW_ENERGY.replace('// power_mode: "low_energy"', '// power_mode: "normal"')
    assert apply("neuron-substitution", normal) == unchanged("neuron-substitution", normal)


def test_one_warning_at_each_dropped_spec_key():
    warnings = run_pipeline(parse(LOW_ENERGY), ["neuron-substitution"]).warnings
    assert warnings == [
        (Loc("/layers/1/beta", 9, 33), "beta dropped by neuron-substitution: IF neurons have no decay"),
        (Loc("/layers/3/tau", 11, 32), "tau dropped by neuron-substitution: IF neurons have no decay"),
        (Loc("/layers/3/decay_input", 11, 52),
         "decay_input dropped by neuron-substitution: IF neurons have no decay, so the input is no longer divided by tau"),
        (Loc("/layers/5/tc_decay", 13, 37), "tc_decay dropped by neuron-substitution: IF neurons have no decay"),
        (Loc("/layers/5/rest", 13, 52),
         "rest dropped by neuron-substitution: IF neurons have no resting potential to decay towards"),
    ]


def test_running_twice_is_refused_by_the_pass_manager():
    import pytest

    from passes.manager import PipelineError, parse_pipeline

    with pytest.raises(PipelineError, match="appears twice"):
        parse_pipeline("neuron-substitution,neuron-substitution")
