"""The snnTorch module's run without autograd against snn.Leaky itself.

Without autograd a layer stage of `snn.Leaky` populations runs a generated whole-sequence
function (its step's operations, in place); with autograd every step calls the `snn.Leaky`
module. The two must give the same bits for every reset and reset_delay snn.Leaky has, for LIF
and IF neurons, for any threshold sign, thread count and batch size."""

from __future__ import annotations

import itertools

import pytest
import torch

from support import specs

NEURONS = [dict(reset_mechanism=reset, reset_delay=delay, **kind)
           for reset, delay, kind in itertools.product(
               ("subtract", "zero", "none"), (True, False),
               ({"type": "LIFNode", "beta": 0.875}, {"type": "IFNode"}))]


def _spec(neuron: dict, threshold: float) -> dict:
    population = dict(neuron, threshold=threshold)
    return specs.spec([{"type": "linear", "in_features": 12, "out_features": 9},
                       {"name": "hidden", **population},
                       {"type": "linear", "in_features": 9, "out_features": 4},
                       {"name": "out", **population}], time_steps=17)


@pytest.mark.parametrize("neuron", NEURONS, ids=lambda n: f"{n['type']}-{n['reset_mechanism']}-{n['reset_delay']}")
def test_whole_sequence_run_equals_snn_leaky_step_by_step(neuron, tmp_path):
    threads = torch.get_num_threads()
    try:
        for threshold in (1.0, -0.25):
            mod = specs.module(_spec(neuron, threshold), "snntorch", tmp_path)
            assert "_sequence(" in open(mod.__file__).read()  # the path under test is the one generated
            torch.manual_seed(0)
            model = mod.build_model()
            for n_threads, batch in ((1, 1), (2, 4), (1, 32)):
                torch.set_num_threads(n_threads)
                x = torch.randn(17, batch, 12) * 2
                fast = mod.run(model, x, membrane=True)
                native = {k: v.detach() for k, v in mod.run(model, x, membrane=True, grad=True).items()}
                assert fast.keys() == native.keys()
                for key in native:
                    assert torch.equal(fast[key], native[key]), f"{key} threads={n_threads} B={batch}"
                assert fast["hidden"].sum() > 0, "no spike: the comparison would prove little"
    finally:
        torch.set_num_threads(threads)


def test_every_variant_is_black_stable_and_lint_clean(tmp_path):
    from support.tooling import check_generated

    check_generated({f"{n['type']}_{n['reset_mechanism']}_{n['reset_delay']}": _spec(n, 1.0) for n in NEURONS}, tmp_path)
