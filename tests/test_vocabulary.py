"""Neuron parameters in each simulator's words -> the exact canonical neuron of that simulator's family."""

from __future__ import annotations

import pytest

from compiler.frontend.vocabulary import NeuronSpecError, Problem, neuron_from_layer, vocabulary_of
from ir import BindsnetNeuron, SnnTorchNeuron, SpikingJellyNeuron, Surrogate
from ir.examples import snntorch_lif
from ir.floats import f32

F32_MAX = 3.4028234663852886e38
ATAN = Surrogate("atan", 2.0, "snntorch")
SIGMOID_SJ = Surrogate("sigmoid", 4.0, "spikingjelly")


def lif(**params):
    return {"type": "LIFNode", **params}


def if_(**params):
    return {"type": "IFNode", **params}


def problems(layer, source="snntorch", dt=1.0) -> list[Problem]:
    with pytest.raises(NeuronSpecError) as caught:
        neuron_from_layer(layer, source, dt)
    return caught.value.problems


# -- snnTorch ---------------------------------------------------------------------------
@pytest.mark.parametrize("beta, threshold", [(0.95, 1.0), (0.1, 0.3), (1.0, -2.5), (0.0, 0.0)])
def test_snntorch_leaky_matches_the_ir_example(beta, threshold):
    assert neuron_from_layer(lif(beta=beta, threshold=threshold), "snntorch") == snntorch_lif(beta, threshold)


def test_snntorch_values_are_float32_and_the_threshold_is_leakys_own():
    n = neuron_from_layer(lif(beta=0.1, threshold=0.3), "snntorch")
    assert n.beta == f32(0.1) != 0.1 and n.threshold == f32(0.3)  # snn.Leaky fires on mem - threshold > 0


def test_snntorch_reset_mechanisms_and_reset_delay_are_kept_as_leaky_has_them():
    base = dict(kind="lif", beta=0.5, threshold=1.0, surrogate=ATAN)
    assert neuron_from_layer(lif(beta=0.5, reset_mechanism="zero"), "snntorch") == SnnTorchNeuron(
        reset="zero", **base)
    assert neuron_from_layer(lif(beta=0.5, reset_mechanism="none"), "snntorch") == SnnTorchNeuron(
        reset="none", **base)
    assert neuron_from_layer(lif(beta=0.5, reset_delay=False), "snntorch") == SnnTorchNeuron(
        reset="subtract", reset_delay=False, **base)
    assert neuron_from_layer(lif(beta=0.5, reset_mechanism="zero", reset_delay=False), "snntorch").reset_delay is False


def test_snntorch_if_is_leaky_without_leak():
    assert neuron_from_layer(if_(threshold=2.0), "snntorch") == SnnTorchNeuron(
        kind="if", threshold=2.0, reset="subtract", reset_delay=True, surrogate=ATAN)


def test_snntorch_leaky_needs_beta():
    assert problems(lif(threshold=1.0)) == [
        Problem("", "snnTorch's Leaky needs beta: add \"beta\" (the membrane decay per step, e.g. 0.95)")]
    assert problems(lif()) == problems(lif(threshold=1.0))  # no key at all: the target's vocabulary


# -- SpikingJelly -----------------------------------------------------------------------------
def test_spikingjelly_lif_defaults_and_decay_input():
    n = neuron_from_layer(lif(), "spikingjelly")
    assert n == SpikingJellyNeuron(kind="lif", tau=2.0, decay_input=True, v_threshold=1.0, v_reset=0.0,
                                   surrogate=SIGMOID_SJ)
    assert neuron_from_layer(lif(decay_input=False, tau=3.0), "snntorch") == n.replace(decay_input=False, tau=3.0)


def test_spikingjelly_hard_reset_value_and_detach_reset():
    n = neuron_from_layer(lif(v_reset=-0.1, v_threshold=0.7, detach_reset=True), "spikingjelly")
    assert (n.v_reset, n.v_init, n.v_threshold, n.detach_reset) == (f32(-0.1), f32(-0.1), f32(0.7), True)


def test_spikingjelly_soft_reset():
    n = neuron_from_layer(lif(v_reset=None, v_threshold=0.5), "spikingjelly")
    assert n == SpikingJellyNeuron(kind="lif", tau=2.0, decay_input=True, v_threshold=0.5, v_reset=None,
                                   surrogate=SIGMOID_SJ)
    assert n.v_init == 0.0


def test_spikingjelly_if():
    assert neuron_from_layer(if_(v_reset=None), "spikingjelly") == SpikingJellyNeuron(
        kind="if", v_threshold=1.0, v_reset=None, surrogate=SIGMOID_SJ)
    assert neuron_from_layer(if_(v_reset=-1.0), "spikingjelly").v_init == -1.0


# -- BindsNET ----------------------------------------------------------------------------------
def test_bindsnet_lif_with_every_parameter():
    n = neuron_from_layer(lif(tc_decay=20.5, rest=-70.1, thresh=-50.3, reset=-72.0, refrac=2), "bindsnet", dt=0.5)
    assert n == BindsnetNeuron(kind="lif", thresh=f32(-50.3), reset=-72.0, rest=f32(-70.1), tc_decay=20.5,
                               refrac=2.0, dt=0.5, surrogate=ATAN)
    assert n.v_init == f32(-70.1)


def test_bindsnet_refractory_period_is_kept_as_bindsnet_stores_it():
    """BindsNET counts refrac down by dt in float32: the value, not a step count, is the semantics."""
    n = neuron_from_layer(lif(refrac=2.0000001), "bindsnet", dt=0.1)
    assert (n.refrac, n.dt) == (2.0, f32(0.1))


def test_bindsnet_if_starts_at_its_reset_value_and_keeps_a_given_surrogate():
    n = neuron_from_layer(if_(reset=-60.0, surrogate_function="sigmoid"), "bindsnet")
    assert n == BindsnetNeuron(kind="if", thresh=-52.0, reset=-60.0, refrac=5.0, dt=1.0,
                               surrogate=Surrogate("sigmoid", 25.0, "snntorch"))
    assert n.v_init == -60.0


# -- surrogates ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("written, name, alpha, flavor", [
    ("atan", "atan", 2.0, "snntorch"), ("ATan", "atan", 2.0, "snntorch"), ("arctan", "atan", 2.0, "snntorch"),
    ("sigmoid", "sigmoid", 25.0, "snntorch"), ("Sigmoid", "sigmoid", 25.0, "snntorch"),
    ("fast_sigmoid", "fast_sigmoid", 25.0, "snntorch"), ("FastSigmoid", "fast_sigmoid", 25.0, "snntorch"),
    ("softsign", "softsign", 2.0, "spikingjelly"), ("SoftSign", "softsign", 2.0, "spikingjelly"),
    ({"name": "atan", "alpha": 3}, "atan", 3.0, "snntorch"),
    ({"name": "Sigmoid", "alpha": 0.1}, "sigmoid", f32(0.1), "snntorch"),
])
def test_surrogate_names_in_snntorch_vocabulary(written, name, alpha, flavor):
    assert neuron_from_layer(lif(beta=0.5, surrogate_function=written), "snntorch").surrogate == Surrogate(
        name, alpha, flavor)


def test_surrogate_formula_and_default_parameter_follow_the_vocabulary():
    assert neuron_from_layer(lif(surrogate_function="Sigmoid"), "spikingjelly").surrogate == SIGMOID_SJ
    assert neuron_from_layer(lif(surrogate_function="ATan"), "spikingjelly").surrogate == Surrogate(
        "atan", 2.0, "spikingjelly")
    # SpikingJelly has no fast sigmoid: snnTorch's formula
    assert neuron_from_layer(lif(surrogate_function="fast_sigmoid"), "spikingjelly").surrogate == Surrogate(
        "fast_sigmoid", 25.0, "snntorch")


def test_unknown_surrogates():
    assert problems(lif(beta=0.5, surrogate_function="arctangent")) == [
        Problem("surrogate_function", "unknown surrogate function 'arctangent'; did you mean 'arctan'?")]
    assert problems(lif(beta=0.5, surrogate_function={"name": "heaviside"})) == [
        Problem("surrogate_function/name", "unknown surrogate function 'heaviside'")]
    assert problems(lif(beta=0.5, surrogate_function={"name": "atan", "alpha": 1e39})) == [
        Problem("surrogate_function/alpha", "alpha=1e+39 is outside the float32 range")]


# -- which vocabulary, and mixing them --------------------------------------------------------------
@pytest.mark.parametrize("layer, source, vocab", [
    (lif(), "bindsnet", "bindsnet"),
    (lif(tau=2.0), "snntorch", "spikingjelly"),
    (lif(beta=0.5, tau=2.0), "spikingjelly", "spikingjelly"),
    (lif(beta=0.5, tau=2.0), "bindsnet", "snntorch"),
    (lif(tau=2.0, thresh=1.0), "snntorch", "spikingjelly"),
    (lif(surrogate_function="atan"), "spikingjelly", "spikingjelly"),
])
def test_vocabulary_of(layer, source, vocab):
    assert vocabulary_of(layer, source) == vocab


def test_keys_of_one_vocabulary_are_read_in_it_whatever_the_target():
    assert neuron_from_layer(lif(tau=4.0), "snntorch") == neuron_from_layer(lif(tau=4.0), "spikingjelly")
    assert neuron_from_layer(lif(tau=4.0), "snntorch").family == "spikingjelly"


def test_agreeing_keys_are_read_in_the_target_vocabulary():
    assert neuron_from_layer(lif(beta=0.5, tau=2.0), "snntorch") == snntorch_lif(0.5)
    assert neuron_from_layer(lif(beta=0.5, tau=2.0), "spikingjelly") == neuron_from_layer(lif(), "spikingjelly")
    assert neuron_from_layer(lif(beta=0.5, tau=2.0), "bindsnet") == snntorch_lif(0.5)  # first: snnTorch
    assert neuron_from_layer(lif(beta=0.9, tau=10.000001), "snntorch") == snntorch_lif(0.9)  # within 1e-6


def test_a_restated_parameter_is_translated_into_the_chosen_vocabulary():
    assert neuron_from_layer(lif(beta=0.75, v_threshold=0.5), "spikingjelly").tau == 4.0
    assert neuron_from_layer(lif(tau=4.0, threshold=1.0), "snntorch").beta == 0.75
    n = neuron_from_layer(lif(tau=2.0, reset=-65.0, rest=-65.0), "spikingjelly")
    assert (n.v_reset, n.v_init) == (-65.0, -65.0)
    assert neuron_from_layer(if_(threshold=0.5, v_reset=None), "snntorch").reset == "subtract"


def test_restatements_that_say_what_the_vocabulary_implies_are_accepted():
    assert neuron_from_layer(lif(beta=0.5, refrac=0, decay_input=False), "snntorch") == snntorch_lif(0.5)
    assert neuron_from_layer(lif(v_reset=0.0, reset_delay=True), "spikingjelly").v_reset == 0.0  # moot
    assert neuron_from_layer(lif(beta=0.5, detach_reset=True), "snntorch") == snntorch_lif(0.5)  # Leaky detaches


@pytest.mark.parametrize("layer, source, expected", [
    (lif(beta=0.9, tau=2.0), "snntorch",
     Problem("tau", "beta=0.9 and tau=2.0 disagree (tau=2.0 means beta=0.5)")),
    (lif(beta=0.9, tau=2.0), "spikingjelly",
     Problem("beta", "tau=2.0 and beta=0.9 disagree (beta=0.9 means tau=10.0)")),
    (lif(beta=0.9, tau=10.1), "snntorch",
     Problem("tau", "beta=0.9 and tau=10.1 disagree (tau=10.1 means beta=0.90099)")),
    (lif(beta=0.99, tc_decay=50.0), "snntorch",
     Problem("tc_decay", "beta=0.99 and tc_decay=50.0 disagree (tc_decay=50.0 means beta=0.980199)")),
    (lif(v_threshold=1.0, thresh=-52.0), "spikingjelly",
     Problem("thresh", "v_threshold=1.0 and thresh=-52.0 disagree (thresh=-52.0 means v_threshold=-52.0)")),
    (lif(beta=0.5, reset_mechanism="none", v_reset=0.0), "snntorch",
     Problem("v_reset", "reset_mechanism='none' and v_reset=0.0 disagree (v_reset=0.0 means reset_mechanism='zero')")),
    (if_(v_reset=None, reset=-65.0), "spikingjelly",
     Problem("reset", "v_reset=null and reset=-65.0 disagree (reset=-65.0 means v_reset=-65.0)")),
    (lif(reset_mechanism="zero", reset=-65.0, beta=0.5), "snntorch",
     Problem("reset", "reset_mechanism='zero' and reset=-65.0 disagree (reset=-65.0 has no reset_mechanism equivalent)")),
])
def test_disagreeing_keys_name_both(layer, source, expected):
    assert problems(layer, source) == [expected]


@pytest.mark.parametrize("layer, source, expected", [
    (lif(beta=0.5, refrac=2), "snntorch",
     Problem("refrac", "refrac=2 cannot be expressed in snnTorch vocabulary: snnTorch's neurons have no refractory period")),
    (lif(beta=0.5, rest=-65.0), "snntorch",
     Problem("rest", "rest=-65.0 cannot be expressed in snnTorch vocabulary: snnTorch's neurons rest at 0.0")),
    (lif(tau=2.0, rest=-65.0), "spikingjelly",
     Problem("rest", "rest=-65.0 cannot be expressed in SpikingJelly vocabulary: its LIFNode rests at v_reset=0.0")),
    (lif(v_reset=None, rest=-1.0), "spikingjelly",
     Problem("rest", "rest=-1.0 cannot be expressed in SpikingJelly vocabulary: "
                     "with a soft reset (v_reset null) its LIFNode rests at 0.0")),
    (lif(beta=0.5, decay_input=True), "snntorch",
     Problem("decay_input", "decay_input=true cannot be expressed in snnTorch vocabulary: "
                            "snnTorch does not scale the input by 1/tau")),
    (if_(v_reset=None, reset_delay=True), "spikingjelly",
     Problem("reset_delay", "reset_delay=true cannot be expressed in SpikingJelly vocabulary: "
                            "SpikingJelly subtracts the threshold in the step that spikes")),
    (lif(beta=0.5, detach_reset=False), "snntorch",
     Problem("detach_reset", "detach_reset=false cannot be expressed in snnTorch vocabulary: "
                             "snn.Leaky always detaches its delayed reset from the gradient")),
    (lif(beta=1.0, v_threshold=1.0), "spikingjelly",
     Problem("beta", "beta=1.0 has no equivalent tau in SpikingJelly vocabulary, which this layer uses")),
])
def test_what_the_chosen_vocabulary_cannot_say_is_an_error(layer, source, expected):
    assert problems(layer, source) == [expected]


# -- float32 limits ----------------------------------------------------------------------------------
def test_parameters_outside_float32_are_errors_at_their_key():
    assert problems(lif(beta=0.5, threshold=1e39)) == [
        Problem("threshold", "threshold=1e+39 is outside the float32 range")]
    assert neuron_from_layer(if_(threshold=F32_MAX), "snntorch").threshold == F32_MAX  # Leaky never fires: kept
    assert problems(lif(tau=1.00000001), "spikingjelly") == [
        Problem("tau", "tau=1.00000001 rounds to 1.0 in float32; SpikingJelly needs tau > 1")]
    assert problems(lif(tc_decay=1e-50), "bindsnet") == [Problem("tc_decay", "tc_decay=1e-50 rounds to 0.0 in float32")]
    assert problems(lif(refrac=1e39), "bindsnet") == [Problem("refrac", "refrac=1e+39 is outside the float32 range")]
    # a restated key is blamed for the value it supplied
    assert problems(lif(beta=0.5, v_threshold=1e39), "snntorch") == [
        Problem("v_threshold", "v_threshold=1e+39 is outside the float32 range")]
