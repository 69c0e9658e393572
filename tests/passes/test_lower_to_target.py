"""lower-to-target: native classes where exact, canonical code elsewhere, every choice recorded."""

import pytest

from compiler.pipeline import InternalError, run_pipeline
from ir.parser import parse

from test_schedule import RECURRENT

SNNTORCH = """\
// model: "Recurrent"
// target: "snntorch"
// source: "snntorch"
// time_steps: 20
// dt: 1.0
// precision: "fp32"
// power_mode: "normal"
// device_type: none
// container: "nn.Module"
// pipeline: schedule,lower-to-target
// schedule: [["layer", "fc1"], ["step", "rec", "h"], ["layer", "fc2"], ["layer", "out"]]
// changed-by: lower-to-target

%input = input : [8]  // 8:19 #/layers/0/in_features
%fc1 = linear(%input) : [6] {in_features=8, out_features=6, bias=true, key="fc1", layout="out_in", bias_add="fused", impl="nn.Linear"}  // 6:3 #/layers/0  changed-by: lower-to-target
%rec = linear(%h[t-1]) : [6] {in_features=6, out_features=6, bias=true, key="rec", layout="out_in", bias_add="fused", impl="snn.RLeaky.recurrent"}  // 12:3 #/layers/1  changed-by: lower-to-target
%h = population(%fc1, %rec) : [6] {family="snntorch", kind="lif", beta=0.8999999761581421, threshold=1.0, reset="subtract", reset_delay=true, late_terms=1, surrogate=atan(2.0, "snntorch"), impl="snn.RLeaky", written=["beta"@20:12 #/layers/2/beta]}  // 18:3 #/layers/2  changed-by: lower-to-target
%fc2 = linear(%h) : [2] {in_features=6, out_features=2, bias=true, key="fc2", layout="out_in", bias_add="fused", impl="nn.Linear"}  // 23:3 #/layers/3  changed-by: lower-to-target
%out = population(%fc2) : [2] {family="snntorch", kind="lif", beta=0.8999999761581421, threshold=1.0, reset="subtract", reset_delay=true, late_terms=0, surrogate=atan(2.0, "snntorch"), impl="snn.Leaky", written=["beta"@31:12 #/layers/4/beta]}  // 29:3 #/layers/4  changed-by: lower-to-target

// decision schedule %model: step-by-step for feedback cycles: rec, h; layer-by-layer elsewhere
// decision lower-to-target %fc1: nn.Linear: nn.Linear, one time step at a time
// decision lower-to-target %rec: nn.Linear: nn.Linear, one time step at a time
// decision lower-to-target %h: snn.RLeaky: snn.RLeaky computes exactly this: beta*mem + input, then its recurrent nn.Linear
// decision lower-to-target %rec: snn.RLeaky.recurrent: the recurrent nn.Linear of h's snn.RLeaky
// decision lower-to-target %fc2: nn.Linear: nn.Linear, one time step at a time
// decision lower-to-target %out: snn.Leaky: snn.Leaky computes exactly this (snntorch family)
// decision lower-to-target %model: container: nn.Module with a forward over the schedule
"""

BINDSNET = """\
// model: "Recurrent"
// target: "bindsnet"
// source: "snntorch"
// time_steps: 20
// dt: 1.0
// precision: "fp32"
// power_mode: "normal"
// device_type: none
// container: "Network"
// pipeline: schedule,lower-to-target
// schedule: [["step", "fc1", "rec", "h", "fc2", "out"]]
// link "input_to_h" {target="h", index=0, sources=[["input", 0]], ops=["fc1"], offsets=[0], cls="generated", via="input"}
// link "h_to_h" {target="h", index=1, sources=[["h", 0]], ops=["rec"], offsets=[0], cls="generated", via="h"}
// link "h_to_out" {target="out", index=0, sources=[["h", 0]], ops=["fc2"], offsets=[0], cls="generated", via="h"}
// changed-by: lower-to-target

%input = input : [8]  // 8:19 #/layers/0/in_features
%fc1 = linear(%input) : [6] {in_features=8, out_features=6, bias=true, key="fc1", layout="out_in", bias_add="fused"}  // 6:3 #/layers/0
%rec = linear(%h[t-1]) : [6] {in_features=6, out_features=6, bias=true, key="rec", layout="out_in", bias_add="fused"}  // 12:3 #/layers/1
%h = population(%fc1, %rec) : [6] {family="snntorch", kind="lif", beta=0.8999999761581421, threshold=1.0, reset="subtract", reset_delay=true, late_terms=1, surrogate=atan(2.0, "snntorch"), impl="canonical", written=["beta"@20:12 #/layers/2/beta]}  // 18:3 #/layers/2  changed-by: lower-to-target
%fc2 = linear(%h) : [2] {in_features=6, out_features=2, bias=true, key="fc2", layout="out_in", bias_add="fused"}  // 23:3 #/layers/3
%out = population(%fc2) : [2] {family="snntorch", kind="lif", beta=0.8999999761581421, threshold=1.0, reset="subtract", reset_delay=true, late_terms=0, surrogate=atan(2.0, "snntorch"), impl="canonical", written=["beta"@31:12 #/layers/4/beta]}  // 29:3 #/layers/4  changed-by: lower-to-target

// decision schedule %model: bindsnet: one step stage; Network.run(one_step=True) updates layers in add_layer order, which is graph order
// decision lower-to-target %h: canonical: not nodes.LIFNodes or nodes.IFNodes: BindsNET's nodes compute BindsNET's arithmetic, this is a snntorch neuron
// decision lower-to-target %h: connection input_to_h: generated computing fc1
// decision lower-to-target %h: connection h_to_h: generated computing rec
// decision lower-to-target %out: canonical: not nodes.LIFNodes or nodes.IFNodes: BindsNET's nodes compute BindsNET's arithmetic, this is a snntorch neuron
// decision lower-to-target %out: connection h_to_out: generated computing fc2
// decision lower-to-target %model: container: bindsnet Network, run with one_step=True
"""


def test_snntorch_uses_rleaky_for_its_recurrent_layer(apply):
    scheduled = apply("schedule", RECURRENT)
    assert apply("lower-to-target", scheduled) == SNNTORCH


def test_bindsnet_plans_its_connections(apply):
    scheduled = apply("schedule", RECURRENT.replace('// target: "snntorch"', '// target: "bindsnet"'))
    assert apply("lower-to-target", scheduled) == BINDSNET


def test_a_choice_the_pattern_rejects_is_caught_after_the_pass():
    """The verifier re-checks each native choice against its pattern (here: snn.Leaky on a late term)."""
    graph = parse(SNNTORCH)
    h = graph.op("h")
    graph.replace_op(h.replace(impl="snn.Leaky"), "tamper")
    with pytest.raises(InternalError, match="h: snn.Leaky is not exact here: its input has terms added"):
        run_pipeline(graph, ["timestep-scaling"])
