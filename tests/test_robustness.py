"""Inputs at the edges: names the emitters use themselves, overflowing currents."""

from __future__ import annotations

import time

import pytest
import torch

from support import reference, specs
from support.timelimit import time_limit
from ir.targets import names as target_names

TARGETS = target_names()


@pytest.mark.parametrize("names", (("to", "_to", "to_to"), ("run", "layers", "connections")))
def test_populations_named_like_bindsnet_attributes_compile_quickly(names, tmp_path):
    """BindsNET's Network has attributes `to`, `run`, `layers`...; v1 looped forever on `to`."""
    from compiler import compile_spec

    layers = []
    for name in names:
        layers += [{"type": "linear", "in_features": 4, "out_features": 4}, {"type": "LIFNode", "beta": 0.9,
                                                                               "name": name}]
    spec = specs.spec(layers)
    for target in TARGETS:
        start = time.perf_counter()
        with time_limit(30, f"compiling for {target}"):
            compile_spec(spec, target=target)
        print(f"{target}: {time.perf_counter() - start:.3f} s")
    module = specs.module(spec, "bindsnet", tmp_path)
    out = module.run(module.build_model(), torch.rand(3, 2, 4))
    assert sorted(out) == sorted(names)


OVERFLOW_CASES = [
    ("snnTorch", {"type": "LIFNode", "beta": 0.9, "reset_mechanism": "zero"}),
    ("snnTorch", {"type": "LIFNode", "beta": 0.9}),
    ("SpikingJelly", {"type": "LIFNode", "tau": 2.0}),
    ("SpikingJelly", {"type": "IFNode", "v_reset": None}),
    ("BindsNET", {"type": "LIFNode", "thresh": 1.0, "rest": 0.0, "reset": 0.0, "refrac": 1}),
]


@pytest.mark.parametrize("vocab, layer", OVERFLOW_CASES, ids=[f"{v}-{l['type']}-{i}" for i, (v, l)
                                                               in enumerate(OVERFLOW_CASES)])
def test_overflowing_currents_give_the_same_inf_and_nan_everywhere(vocab, layer, tmp_path, bindsnet):
    """Weights near the float32 maximum: currents reach inf and membranes NaN (snn.Leaky's (1-r)*mem,
    SpikingJelly's s*v_reset + (1-s)*h); every target reproduces its family's inf and NaN, element for element."""
    spec = specs.spec([{"type": "linear", "in_features": 8, "out_features": 6}, layer,
                       {"type": "linear", "in_features": 6, "out_features": 4}, dict(layer)], vocab, time_steps=10)
    graph = specs.graph(spec, tmp_path)
    w = {k: v * 3e38 for k, v in reference.random_weights(graph, seed=1).items()}
    x = reference.random_spikes(10, 3, 8, seed=2, p=0.5)
    expected = reference.run(graph, w, x)
    assert any(v.isnan().any() for v in expected.values())
    for target, module in specs.modules(spec, tmp_path).items():
        got = module.run(module.load_weights(module.build_model(), w), x, membrane=True)
        for key in expected:
            assert torch.equal(got[key].isnan(), expected[key].isnan()), (target, key)
            assert torch.equal(got[key].nan_to_num(0.5), expected[key].nan_to_num(0.5)), (target, key)
