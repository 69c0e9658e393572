"""Neuron parameters in each simulator's words -> the exact canonical ir.Neuron."""

from __future__ import annotations

import pytest

from compiler.vocabulary import NeuronSpecError, Problem, neuron_from_layer, refractory_steps, vocabulary_of
from ir import Neuron, Surrogate
from ir.examples import snntorch_lif
from ir.floats import f32, next_up

F32_MAX = 3.4028234663852886e38


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


def test_snntorch_values_are_float32_and_the_threshold_is_the_next_float_up():
    n = neuron_from_layer(lif(beta=0.1, threshold=0.3), "snntorch")
    assert n.decay == f32(0.1) != 0.1
    assert n.reset_by == f32(0.3) and n.v_threshold == next_up(f32(0.3)) > f32(0.3)


def test_snntorch_reset_mechanisms():
    base = dict(kind="lif", leak="beta", decay=0.5, v_threshold=next_up(1.0), reset_by=1.0,
                surrogate=Surrogate("atan", 2.0))
    assert neuron_from_layer(lif(beta=0.5, reset_mechanism="zero"), "snntorch") == Neuron(
        reset="zero", v_reset=0.0, reset_delay=False, **base)
    assert neuron_from_layer(lif(beta=0.5, reset_mechanism="none"), "snntorch") == Neuron(
        reset="none", reset_delay=False, **base)
    assert neuron_from_layer(lif(beta=0.5, reset_delay=False), "snntorch") == Neuron(
        reset="subtract", reset_delay=False, **base)
    # reset_delay only matters for a subtract reset
    assert neuron_from_layer(lif(beta=0.5, reset_mechanism="zero", reset_delay=True), "snntorch").reset_delay is False


def test_snntorch_if_is_leaky_without_leak():
    assert neuron_from_layer(if_(threshold=2.0), "snntorch") == Neuron(
        kind="if", leak="none", v_threshold=next_up(2.0), reset="subtract", reset_by=2.0, reset_delay=True,
        surrogate=Surrogate("atan", 2.0))


def test_snntorch_leaky_needs_beta():
    assert problems(lif(threshold=1.0)) == [
        Problem("", "snnTorch's Leaky needs beta: add \"beta\" (the membrane decay per step, e.g. 0.95)")]
    assert problems(lif()) == problems(lif(threshold=1.0))  # no key at all: the target's vocabulary


# -- SpikingJelly -----------------------------------------------------------------------------
def test_spikingjelly_lif_defaults_and_decay_input():
    n = neuron_from_layer(lif(), "spikingjelly")
    assert n == Neuron(kind="lif", leak="tau_input", tau=2.0, v_rest=0.0, v_threshold=1.0, reset="zero",
                       v_reset=0.0, v_init=0.0, surrogate=Surrogate("sigmoid", 4.0))
    assert neuron_from_layer(lif(decay_input=False, tau=3.0), "snntorch") == n.replace(leak="tau", tau=3.0)


def test_spikingjelly_hard_reset_value_is_rest_and_initial_value():
    n = neuron_from_layer(lif(v_reset=-0.1, v_threshold=0.7), "spikingjelly")
    assert (n.reset, n.v_reset, n.v_rest, n.v_init) == ("zero", f32(-0.1), f32(-0.1), f32(-0.1))
    assert n.v_threshold == f32(0.7)


def test_spikingjelly_soft_reset():
    n = neuron_from_layer(lif(v_reset=None, v_threshold=0.5), "spikingjelly")
    assert n == Neuron(kind="lif", leak="tau_input", tau=2.0, v_rest=0.0, v_threshold=0.5, reset="subtract",
                       reset_by=0.5, reset_delay=False, v_init=0.0, surrogate=Surrogate("sigmoid", 4.0))


def test_spikingjelly_if():
    assert neuron_from_layer(if_(v_reset=None), "spikingjelly") == Neuron(
        kind="if", leak="none", v_threshold=1.0, reset="subtract", reset_by=1.0, surrogate=Surrogate("sigmoid", 4.0))
    assert neuron_from_layer(if_(v_reset=-1.0), "spikingjelly") == Neuron(
        kind="if", leak="none", v_threshold=1.0, reset="zero", v_reset=-1.0, v_init=-1.0,
        surrogate=Surrogate("sigmoid", 4.0))


# -- BindsNET ----------------------------------------------------------------------------------
def test_bindsnet_lif_with_every_parameter():
    n = neuron_from_layer(lif(tc_decay=20.5, rest=-70.1, thresh=-50.3, reset=-72.0, refrac=2), "bindsnet", dt=0.5)
    assert n == Neuron(kind="lif", leak="tc", tc_decay=20.5, v_rest=f32(-70.1), v_threshold=f32(-50.3),
                       reset="zero", v_reset=-72.0, refractory=4, v_init=f32(-70.1), surrogate=None)


def test_bindsnet_if_starts_at_its_reset_value_and_keeps_a_given_surrogate():
    assert neuron_from_layer(if_(reset=-60.0, surrogate_function="atan"), "bindsnet") == Neuron(
        kind="if", leak="none", v_threshold=-52.0, reset="zero", v_reset=-60.0, refractory=5, v_init=-60.0,
        surrogate=Surrogate("atan", 2.0))


@pytest.mark.parametrize("refrac, dt, steps", [(5, 1.0, 5), (1.1, 0.1, 11), (0.25, 0.1, 3), (0, 0.3, 0),
                                               (0.3, 0.1, 3), (1, 3.0, 1)])
def test_refractory_steps_round_up_exactly_on_the_decimals_written(refrac, dt, steps):
    assert refractory_steps(refrac, dt) == steps


# -- surrogates ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("written, name, alpha", [
    ("atan", "atan", 2.0), ("ATan", "atan", 2.0), ("arctan", "atan", 2.0), ("ArcTan", "atan", 2.0),
    ("sigmoid", "sigmoid", 25.0), ("Sigmoid", "sigmoid", 25.0),
    ("fast_sigmoid", "fast_sigmoid", 25.0), ("FastSigmoid", "fast_sigmoid", 25.0),
    ("softsign", "softsign", 2.0), ("SoftSign", "softsign", 2.0),
    ({"name": "atan", "alpha": 3}, "atan", 3.0), ({"name": "Sigmoid", "alpha": 0.1}, "sigmoid", f32(0.1)),
])
def test_surrogate_names_in_snntorch_vocabulary(written, name, alpha):
    assert neuron_from_layer(lif(beta=0.5, surrogate_function=written), "snntorch").surrogate == Surrogate(name, alpha)


def test_sigmoid_default_slope_follows_the_vocabulary():
    assert neuron_from_layer(lif(surrogate_function="Sigmoid"), "spikingjelly").surrogate == Surrogate("sigmoid", 4.0)
    assert neuron_from_layer(if_(surrogate_function="sigmoid"), "bindsnet").surrogate == Surrogate("sigmoid", 4.0)


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
    assert neuron_from_layer(lif(tau=4.0), "snntorch").leak == "tau_input"


def test_agreeing_keys_are_read_in_the_target_vocabulary():
    assert neuron_from_layer(lif(beta=0.5, tau=2.0), "snntorch") == snntorch_lif(0.5)
    assert neuron_from_layer(lif(beta=0.5, tau=2.0), "spikingjelly") == neuron_from_layer(lif(), "spikingjelly")
    assert neuron_from_layer(lif(beta=0.5, tau=2.0), "bindsnet") == snntorch_lif(0.5)  # first: snnTorch
    assert neuron_from_layer(lif(beta=0.9, tau=10.000001), "snntorch") == snntorch_lif(0.9)  # within 1e-6


def test_a_restated_parameter_is_translated_into_the_chosen_vocabulary():
    assert neuron_from_layer(lif(beta=0.75, v_threshold=0.5), "spikingjelly").tau == 4.0
    assert neuron_from_layer(lif(tau=4.0, threshold=1.0), "snntorch").decay == 0.75
    n = neuron_from_layer(lif(tau=2.0, reset=-65.0, rest=-65.0), "spikingjelly")
    assert (n.reset, n.v_reset, n.v_rest) == ("zero", -65.0, -65.0)
    assert neuron_from_layer(if_(threshold=0.5, v_reset=None), "snntorch").reset == "subtract"


def test_restatements_that_say_what_the_vocabulary_implies_are_accepted():
    assert neuron_from_layer(lif(beta=0.5, refrac=0, decay_input=False), "snntorch") == snntorch_lif(0.5)
    assert neuron_from_layer(lif(v_reset=0.0, reset_delay=True), "spikingjelly").reset == "zero"  # moot


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
    (lif(beta=1.0, v_threshold=1.0), "spikingjelly",
     Problem("beta", "beta=1.0 has no equivalent tau in SpikingJelly vocabulary, which this layer uses")),
])
def test_what_the_chosen_vocabulary_cannot_say_is_an_error(layer, source, expected):
    assert problems(layer, source) == [expected]


# -- float32 limits ----------------------------------------------------------------------------------
def test_parameters_outside_float32_are_errors_at_their_key():
    assert problems(lif(beta=0.5, threshold=1e39)) == [
        Problem("threshold", "threshold=1e+39 is outside the float32 range")]
    assert problems(if_(threshold=F32_MAX)) == [
        Problem("threshold", f"threshold={F32_MAX!r} is too large: nothing above it fires")]
    assert problems(lif(tau=1.00000001), "spikingjelly") == [
        Problem("tau", "tau=1.00000001 rounds to 1.0 in float32; SpikingJelly needs tau > 1")]
    assert problems(lif(tc_decay=1e-50), "bindsnet") == [Problem("tc_decay", "tc_decay=1e-50 rounds to 0.0 in float32")]
    assert problems(lif(refrac=3e9), "bindsnet") == [
        Problem("refrac", "refrac=3000000000.0 is 3000000000 steps of dt=1.0; at most 2147483647")]
    # a restated key is blamed for the value it supplied
    assert problems(lif(beta=0.5, v_threshold=1e39), "snntorch") == [
        Problem("v_threshold", "v_threshold=1e+39 is outside the float32 range")]
