"""Small IR graphs shared by the emitter tests (torch-free: built from ir only)."""

from __future__ import annotations

from ir.examples import dag, snntorch_lif
from ir.floats import f32, next_up
from ir.graph import Graph
from ir.neuron import Neuron, Surrogate
from ir.verify import verify

T = 20
SIZES = (40, 30, 10)

# name -> (neuron, the impl select-neuron-class must choose for snntorch)
NEURONS = {
    "leaky-subtract-delayed": (snntorch_lif(0.95), "snn.Leaky"),
    "leaky-subtract-delayed-b05-th075": (snntorch_lif(0.5, 0.75), "snn.Leaky"),
    "leaky-zero": (
        Neuron(kind="lif", leak="beta", decay=f32(0.9), v_threshold=1.0, reset="zero"),
        "snn.Leaky",
    ),
    "leaky-none": (
        Neuron(kind="lif", leak="beta", decay=f32(0.8), v_threshold=1.0, reset="none"),
        "snn.Leaky",
    ),
    "if-zero": (
        Neuron(kind="if", leak="none", v_threshold=1.0, reset="zero"),
        "snn.Leaky",
    ),
    "if-subtract-delayed": (
        Neuron(
            kind="if",
            leak="none",
            v_threshold=next_up(1.0),
            reset="subtract",
            reset_by=1.0,
            reset_delay=True,
        ),
        "snn.Leaky",
    ),
    "sj-lif-tau_input-hard": (
        Neuron(
            kind="lif",
            leak="tau_input",
            tau=2.0,
            v_rest=0.0,
            v_threshold=1.0,
            reset="zero",
            surrogate=Surrogate("sigmoid", 4.0),
        ),
        "canonical",
    ),
    "sj-lif-tau_input-soft": (
        Neuron(
            kind="lif",
            leak="tau_input",
            tau=2.0,
            v_rest=0.0,
            v_threshold=1.0,
            reset="subtract",
            reset_by=1.0,
        ),
        "canonical",
    ),
    "sj-lif-tau-hard": (
        Neuron(
            kind="lif", leak="tau", tau=3.0, v_rest=0.0, v_threshold=1.0, reset="zero"
        ),
        "canonical",
    ),
    "sj-lif-tau-soft": (
        Neuron(
            kind="lif",
            leak="tau",
            tau=3.0,
            v_rest=0.0,
            v_threshold=1.0,
            reset="subtract",
            reset_by=1.0,
        ),
        "canonical",
    ),
    "bindsnet-lif-tc": (
        Neuron(
            kind="lif",
            leak="tc",
            tc_decay=100.0,
            v_rest=-65.0,
            v_threshold=-52.0,
            reset="zero",
            v_reset=-65.0,
            refractory=5,
            v_init=-65.0,
        ),
        "canonical",
    ),
    "subtract-immediate": (
        Neuron(
            kind="lif",
            leak="beta",
            decay=f32(0.9),
            v_threshold=1.0,
            reset="subtract",
            reset_by=1.0,
        ),
        "canonical",
    ),
    "softsign": (
        Neuron(
            kind="lif",
            leak="beta",
            decay=f32(0.9),
            v_threshold=1.0,
            reset="zero",
            surrogate=Surrogate("softsign", 2.0),
        ),
        "snn.Leaky",
    ),
}


def dag_graph() -> Graph:
    """input -> h1 -> {h2 -> o2, o1} (fan-out) and input -> h3 (skip), mixed neuron classes."""
    layout = [  # (population, source, size, neuron, bias)
        ("h1", "input", 30, snntorch_lif(0.9), True),
        ("h2", "h1", 25, NEURONS["bindsnet-lif-tc"][0], False),
        ("o1", "h1", 10, NEURONS["leaky-zero"][0], True),
        ("h3", "input", 15, NEURONS["if-zero"][0], False),
        ("o2", "h2", 5, NEURONS["sj-lif-tau_input-soft"][0], True),
    ]
    return verify(dag(SIZES[0], layout, time_steps=T))
