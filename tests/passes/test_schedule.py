"""schedule: layer-by-layer stages outside feedback cycles, one step stage per cycle."""

from ir.examples import csnn, mlp
from ir.parser import parse
from passes.schedule import stages_of
from support.filecheck import check

# snnTorch's RLeaky network: rec reads h one step late, h reads fc1 and rec.
RECURRENT = """\
// model: "Recurrent"
// target: "snntorch"
// source: "snntorch"
// time_steps: 20
// dt: 1.0
// precision: "fp32"
// power_mode: "normal"
// device_type: none
// pipeline:

%input = input : [8]  // 8:19 #/layers/0/in_features
%fc1 = linear(%input) : [6] {in_features=8, out_features=6, bias=true, key="fc1", layout="out_in", bias_add="fused"}  // 6:3 #/layers/0
%rec = linear(%h[t-1]) : [6] {in_features=6, out_features=6, bias=true, key="rec", layout="out_in", bias_add="fused"}  // 12:3 #/layers/1
%h = population(%fc1, %rec) : [6] {family="snntorch", kind="lif", beta=0.8999999761581421, threshold=1.0, reset="subtract", reset_delay=true, late_terms=1, surrogate=atan(2.0, "snntorch"), written=["beta"@20:12 #/layers/2/beta]}  // 18:3 #/layers/2
%fc2 = linear(%h) : [2] {in_features=6, out_features=2, bias=true, key="fc2", layout="out_in", bias_add="fused"}  // 23:3 #/layers/3
%out = population(%fc2) : [2] {family="snntorch", kind="lif", beta=0.8999999761581421, threshold=1.0, reset="subtract", reset_delay=true, late_terms=0, surrogate=atan(2.0, "snntorch"), written=["beta"@31:12 #/layers/4/beta]}  // 29:3 #/layers/4
"""


def test_a_feedback_cycle_is_one_step_stage_the_rest_layers(apply):
    # The schedule is a model attribute, with its decision; no op is touched.
    check(apply("schedule", RECURRENT), """
        CHECK:      // pipeline: schedule
        CHECK-NEXT: // schedule: [["layer", "fc1"], ["step", "rec", "h"], ["layer", "fc2"], ["layer", "out"]]{{$}}
        CHECK-NEXT: // changed-by: schedule
        CHECK-NOT:  changed-by
        CHECK:      // decision schedule %model: step-by-step for feedback cycles: rec, h; layer-by-layer elsewhere{{$}}
        CHECK-NOT:  decision
    """)


def test_bindsnet_steps_the_whole_graph_in_graph_order(apply):
    out = parse(apply("schedule", RECURRENT.replace('// target: "snntorch"', '// target: "bindsnet"')))
    assert [(s.mode, s.ops) for s in out.schedule] == [("step", ("fc1", "rec", "h", "fc2", "out"))]


def test_feedforward_graphs_are_all_layer_stages():
    for graph in (mlp(), csnn(), csnn(pool_spikes=True)):
        stages = stages_of(graph)
        assert all(s.mode == "layer" and len(s.ops) == 1 for s in stages)
        assert [s.ops[0] for s in stages] == graph.order()[1:]
