"""Every spec in tests/valid/ agrees on all three targets, spikes and membranes.

An snnTorch spec with only `beta`, a SpikingJelly spec with only `tau`, a BindsNET spec
with no neuron parameters at all (thresh -52, rest -65, reset -65, refrac 5), and a
branching spec with named populations, graphs that v2 reads differently from v1: each is compiled for every target, loaded with
the same weights and run on the same input; spikes and membranes must be identical.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from compiler.build import compile_spec
from compiler.tools.check import load_module, random_weights
from ir.targets import names as target_names

VALID = Path(__file__).resolve().parent / "valid"
SPECS = sorted(p.stem for p in VALID.glob("*.json"))
TARGETS = target_names()


@pytest.mark.parametrize("spec", SPECS)
@pytest.mark.parametrize("quantized", (False, True), ids=("gaussian", "tie-prone"))
def test_spec_agrees_on_every_target(spec, quantized, tmp_path, bindsnet):
    runs, graph = {}, None
    for target in TARGETS:
        built = compile_spec(VALID / f"{spec}.json", target=target)
        graph = graph or built.graph
        module = load_module(built.source, tmp_path, f"{spec}_{target}")
        if target == TARGETS[0]:
            weights = random_weights(built.graph, seed=11, quantized=quantized)
            gen = torch.Generator().manual_seed(12)
            inputs = (torch.rand(min(module.TIME_STEPS, 40), 16, *module.INPUT_SHAPE, generator=gen) < 0.4).float()
        runs[target] = module.run(module.load_weights(module.build_model(), weights), inputs, membrane=True)
    own = graph.attrs.source_simulator
    fired = {p.name: int(runs[own][p.name].sum()) for p in graph.populations()}
    if graph.attrs.time_steps >= 5:  # a one-step spec (hostile_strings) is about its strings
        assert sum(v > 0 for v in fired.values()) * 2 >= len(fired), f"too little activity to prove anything: {fired}"
    for pop in graph.populations():
        for target in TARGETS:
            assert torch.equal(runs[target][pop.name], runs[own][pop.name]), (target, pop.name)
            assert torch.equal(runs[target][pop.name + ".v"], runs[own][pop.name + ".v"]), (target, pop.name)
