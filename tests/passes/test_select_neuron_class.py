"""select-neuron-class: a native class only where its float32 arithmetic is the canonical one."""

import pytest

from ir.examples import snntorch_lif
from ir.floats import f32, next_up
from ir.neuron import Neuron
from passes.select_neuron_class import choose

MIXED = """\
// model: "Mixed"
// target: "bindsnet"
// source: "snntorch"
// time_steps: 25
// dt: 1.0
// precision: "fp32"
// power_mode: "normal"
// device_type: none
// pipeline:

%input = input[3]  // #/input
%layer_1.fc = dense[3 -> 2] {bias=true} from %input  // #/layers/0
%layer_1 = population lif[2] {leak="beta", decay=0.949999988079071, v_threshold=1.0000001192092896, reset="subtract", reset_by=1.0, reset_delay=true, refractory=0, v_init=0.0, surrogate=atan(2.0)} from %layer_1.fc  // #/layers/1
%layer_2.fc = dense[2 -> 2] {bias=false} from %layer_1  // #/layers/2
%layer_2 = population lif[2] {leak="tc", tc_decay=100.0, v_rest=-65.0, v_threshold=-52.0, reset="zero", v_reset=-65.0, refractory=5, v_init=-65.0, surrogate=none} from %layer_2.fc  // #/layers/3
"""

EXPECTED = """\
// model: "Mixed"
// target: "bindsnet"
// source: "snntorch"
// time_steps: 25
// dt: 1.0
// precision: "fp32"
// power_mode: "normal"
// device_type: none
// pipeline: select-neuron-class

%input = input[3]  // #/input
%layer_1.fc = dense[3 -> 2] {bias=true} from %input  // #/layers/0
%layer_1 = population lif[2] {leak="beta", decay=0.949999988079071, v_threshold=1.0000001192092896, reset="subtract", reset_by=1.0, reset_delay=true, refractory=0, v_init=0.0, surrogate=atan(2.0), impl="canonical"} from %layer_1.fc  // #/layers/1  changed-by: select-neuron-class
%layer_2.fc = dense[2 -> 2] {bias=false} from %layer_1  // #/layers/2
%layer_2 = population lif[2] {leak="tc", tc_decay=100.0, v_rest=-65.0, v_threshold=-52.0, reset="zero", v_reset=-65.0, refractory=5, v_init=-65.0, surrogate=none, impl="nodes.LIFNodes"} from %layer_2.fc  // #/layers/3  changed-by: select-neuron-class

// decision select-neuron-class %layer_1: canonical: BindsNET nodes only reset to a value, not by 'subtract'
// decision select-neuron-class %layer_1.fc: AffineConnection: the bias is added inside the product (addmm) as torch.nn.Linear does; BindsNET's s @ w + b rounds differently
// decision select-neuron-class %layer_2: nodes.LIFNodes: nodes.LIFNodes is exact
"""


def test_filecheck_bindsnet(apply):
    assert apply("select-neuron-class", MIXED) == EXPECTED


SJ_LIF = Neuron(kind="lif", leak="tau_input", tau=2.0, v_rest=0.0, v_threshold=1.0, reset="zero")
SJ_SOFT = Neuron(kind="lif", leak="tau", tau=2.0, v_rest=0.0, v_threshold=1.0, reset="subtract", reset_by=1.0)
BN_LIF = Neuron(kind="lif", leak="tc", tc_decay=100.0, v_rest=-65.0, v_threshold=-52.0, reset="zero",
                v_reset=-65.0, refractory=5, v_init=-65.0)
BN_IF = Neuron(kind="if", leak="none", v_threshold=-52.0, reset="zero", v_reset=-65.0, refractory=5, v_init=-65.0)
ZERO_BETA = Neuron(kind="lif", leak="beta", decay=f32(0.9), v_threshold=next_up(1.0), reset="zero")

# (target, neuron, expected impl): each row is a case where a native class would be wrong, or right.
RULES = [
    ("snntorch", snntorch_lif(0.95), "snn.Leaky"),
    ("snntorch", ZERO_BETA, "snn.Leaky"),
    ("snntorch", snntorch_lif(0.9, -0.5), "canonical"),  # Leaky would reset its initial 0 at t=0
    ("snntorch", snntorch_lif().replace(reset_delay=False), "canonical"),  # Leaky's 2-threshold quirk
    ("snntorch", snntorch_lif().replace(reset_by=0.5), "canonical"),  # subtracts its own threshold
    ("snntorch", ZERO_BETA.replace(v_reset=-1.0), "canonical"),  # resets to 0 only
    ("snntorch", ZERO_BETA.replace(refractory=2), "canonical"),
    ("snntorch", ZERO_BETA.replace(v_init=0.5), "canonical"),
    ("snntorch", SJ_LIF, "canonical"),  # leak form differs: v + (x - (v - rest)) / tau
    ("spikingjelly", SJ_LIF, "neuron.LIFNode"),
    ("spikingjelly", SJ_SOFT, "neuron.LIFNode"),
    ("spikingjelly", SJ_LIF.replace(kind="if", leak="none", tau=None, v_rest=None), "neuron.IFNode"),
    ("spikingjelly", SJ_LIF.replace(v_rest=0.5), "canonical"),  # leaks towards v_reset only
    ("spikingjelly", SJ_SOFT.replace(reset_delay=True), "canonical"),
    ("spikingjelly", SJ_LIF.replace(reset="none"), "canonical"),  # always resets
    ("spikingjelly", SJ_LIF.replace(refractory=1), "canonical"),
    ("spikingjelly", snntorch_lif(), "canonical"),
    ("bindsnet", BN_LIF, "nodes.LIFNodes"),
    ("bindsnet", BN_IF, "nodes.IFNodes"),
    ("bindsnet", ZERO_BETA, "nodes.LIFNodes"),  # rest 0 and its decay buffer set to beta
    ("bindsnet", BN_LIF.replace(v_init=-60.0), "canonical"),  # starts at rest
    ("bindsnet", BN_IF.replace(v_init=0.0), "canonical"),  # starts at its reset value
    ("bindsnet", SJ_SOFT, "canonical"),  # no subtract reset
    ("bindsnet", SJ_LIF, "canonical"),
]


@pytest.mark.parametrize("target, neuron, impl", RULES)
def test_rules(target, neuron, impl):
    assert not neuron.problems()
    chosen, why = choose(target, neuron)
    assert chosen == impl, why
    assert why


def test_dt_other_than_one_makes_bindsnet_refractory_canonical():
    assert choose("bindsnet", BN_LIF, dt=1.0)[0] == "nodes.LIFNodes"
    assert choose("bindsnet", BN_LIF, dt=0.5)[0] == "canonical"
    assert choose("bindsnet", BN_LIF.replace(refractory=0), dt=0.5)[0] == "nodes.LIFNodes"
