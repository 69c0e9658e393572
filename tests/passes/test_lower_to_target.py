"""lower-to-target: native classes where exact, canonical code elsewhere, every choice recorded."""

import pytest

from passes.manager import InternalError, run_pipeline
from ir.parser import parse
from support.filecheck import check

from test_schedule import RECURRENT


def test_snntorch_uses_rleaky_for_its_recurrent_layer(apply):
    scheduled = apply("schedule", RECURRENT)
    # Every op gets its class (h's recurrent linear becomes part of its snn.RLeaky), each choice recorded in
    # order: rec's first choice, nn.Linear, is then overridden by h's.
    check(apply("lower-to-target", scheduled), """
        CHECK:      // container: "nn.Module"
        CHECK:      // pipeline: schedule,lower-to-target
        CHECK:      // changed-by: lower-to-target
        CHECK-NOT:  changed-by
        CHECK:      %fc1 = linear(%input)
        CHECK-SAME: impl="nn.Linear"
        CHECK-SAME: changed-by: lower-to-target
        CHECK-NEXT: %rec = linear(%h[t-1])
        CHECK-SAME: impl="snn.RLeaky.recurrent"
        CHECK-SAME: changed-by: lower-to-target
        CHECK-NEXT: %h = population(%fc1, %rec)
        CHECK-SAME: impl="snn.RLeaky"{{[,}]}}
        CHECK-SAME: changed-by: lower-to-target
        CHECK-NEXT: %fc2 = linear(%h)
        CHECK-SAME: impl="nn.Linear"
        CHECK-SAME: changed-by: lower-to-target
        CHECK-NEXT: %out = population(%fc2)
        CHECK-SAME: impl="snn.Leaky"
        CHECK-SAME: changed-by: lower-to-target
        CHECK:      // decision lower-to-target %fc1: nn.Linear: nn.Linear, one time step at a time{{$}}
        CHECK-NEXT: // decision lower-to-target %rec: nn.Linear: nn.Linear, one time step at a time{{$}}
        CHECK-NEXT: // decision lower-to-target %h: snn.RLeaky: snn.RLeaky computes exactly this:
        CHECK-SAME: beta*mem + input, then its recurrent nn.Linear{{$}}
        CHECK-NEXT: // decision lower-to-target %rec: snn.RLeaky.recurrent: the recurrent nn.Linear of h's snn.RLeaky{{$}}
        CHECK-NEXT: // decision lower-to-target %fc2: nn.Linear: nn.Linear, one time step at a time{{$}}
        CHECK-NEXT: // decision lower-to-target %out: snn.Leaky: snn.Leaky computes exactly this (snntorch family){{$}}
        CHECK-NEXT: // decision lower-to-target %model: container: nn.Module with a forward over the schedule{{$}}
        CHECK-NOT:  decision
    """)


def test_bindsnet_plans_its_connections(apply):
    scheduled = apply("schedule", RECURRENT.replace('// target: "snntorch"', '// target: "bindsnet"'))
    # One generated connection per projection into a population, computing its linear (the linears themselves
    # get no class); both populations are canonical code, not BindsNET's nodes. Every choice is recorded.
    check(apply("lower-to-target", scheduled), """
        CHECK:      // container: "Network"
        CHECK:      // pipeline: schedule,lower-to-target
        CHECK:      // link "input_to_h" {target="h", index=0, sources=[["input", 0]], ops=["fc1"], offsets=[0],
        CHECK-SAME: cls="generated", via="input"
        CHECK-NEXT: // link "h_to_h" {target="h", index=1, sources=[["h", 0]], ops=["rec"], offsets=[0],
        CHECK-SAME: cls="generated", via="h"
        CHECK-NEXT: // link "h_to_out" {target="out", index=0, sources=[["h", 0]], ops=["fc2"], offsets=[0],
        CHECK-SAME: cls="generated", via="h"
        CHECK-NEXT: // changed-by: lower-to-target
        CHECK-NOT:  impl=
        CHECK-NOT:  changed-by
        CHECK:      %h = population(%fc1, %rec)
        CHECK-SAME: impl="canonical"
        CHECK-SAME: changed-by: lower-to-target
        CHECK-NOT:  impl=
        CHECK-NOT:  changed-by
        CHECK:      %out = population(%fc2)
        CHECK-SAME: impl="canonical"
        CHECK-SAME: changed-by: lower-to-target
        CHECK:      // decision lower-to-target %h: canonical: not nodes.LIFNodes or nodes.IFNodes:
        CHECK-SAME: BindsNET's nodes compute BindsNET's arithmetic, this is a snntorch neuron{{$}}
        CHECK-NEXT: // decision lower-to-target %h: connection input_to_h: generated computing fc1{{$}}
        CHECK-NEXT: // decision lower-to-target %h: connection h_to_h: generated computing rec{{$}}
        CHECK-NEXT: // decision lower-to-target %out: canonical: not nodes.LIFNodes or nodes.IFNodes:
        CHECK-SAME: BindsNET's nodes compute BindsNET's arithmetic, this is a snntorch neuron{{$}}
        CHECK-NEXT: // decision lower-to-target %out: connection h_to_out: generated computing fc2{{$}}
        CHECK-NEXT: // decision lower-to-target %model: container: bindsnet Network, run with one_step=True{{$}}
        CHECK-NOT:  decision
    """)


def test_a_choice_the_pattern_rejects_is_caught_after_the_pass():
    """The verifier re-checks each native choice against its pattern (here: snn.Leaky on a late term)."""
    graph = run_pipeline(parse(RECURRENT), ["schedule", "lower-to-target"]).graph
    h = graph.op("h")
    assert h.impl == "snn.RLeaky"
    graph.replace_op(h.replace(impl="snn.Leaky"), "tamper")
    with pytest.raises(InternalError, match="h: snn.Leaky is not exact here: its input has terms added"):
        run_pipeline(graph, ["timestep-scaling"])
