"""precision-lowering: FP16 on CUDA (decided at run time) under power_mode low_energy."""

from support.filecheck import check
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


def test_low_energy_asks_for_fp16_on_cuda(apply):
    # A model attribute and its decision; no op is touched.
    check(apply("precision-lowering", LOW_ENERGY), """
        CHECK:      // precision: "fp16-cuda"
        CHECK:      // pipeline: precision-lowering
        CHECK:      // changed-by: precision-lowering
        CHECK-NOT:  changed-by
        CHECK:      // decision precision-lowering %model: precision fp16-cuda: FP16 when CUDA is present at run time,
        CHECK-SAME: else FP32{{$}}
        CHECK-NOT:  decision
    """)


def test_normal_power_mode_is_a_no_op(apply, unchanged):
    normal = LOW_ENERGY.replace('// power_mode: "low_energy"', '// power_mode: "normal"')
    assert apply("precision-lowering", normal) == unchanged("precision-lowering", normal)
