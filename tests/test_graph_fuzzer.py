"""The graph fuzzer: every generated graph spec compiles, runs and agrees in every target, or is refused.

For each seeded spec of `support.graphfuzz` and each target, exactly one of:
- it compiles, the module runs (random weights, random spikes, batch 3) and its spikes
  and membranes equal the independent reference interpreter's bit for bit;
- it is refused with a CompileError whose every diagnostic is an error located in the spec.
Never an internal error, never an exception at run time. Each spec runs under a time
limit. `SNNC_PROPERTY_SCALE=k` runs k times as many seeds; the summary (specs x targets
compiled, run and compared; refusals by reason) prints with `pytest -s`.
"""

from __future__ import annotations

import collections
import json
import os
import re

import pytest
import torch

from compiler.build import compile_spec
from compiler.diagnostics import CompileError
from ir.targets import names as target_names
from support import reference
from support.generated import import_source
from support.graphfuzz import FEATURES, graph_spec
from support.timelimit import time_limit

TARGETS = target_names()

SCALE = max(1, int(os.environ.get("SNNC_PROPERTY_SCALE", "1")))
SEEDS = range(48 * SCALE)
OUTCOMES: collections.Counter = collections.Counter()
FEATURES_SEEN: collections.Counter = collections.Counter()


def _reason(error: CompileError) -> str:
    """The refusal's message without names and numbers, for the summary."""
    text = error.diagnostics[0].message
    return re.sub(r"'[^']*'|\b[\w.]*\d[\w.]*\b", "_", text)[:90]


@pytest.mark.parametrize("seed", SEEDS)
def test_a_fuzzed_graph_runs_and_agrees_or_is_refused(seed, tmp_path, bindsnet):
    spec, features = graph_spec(seed)
    FEATURES_SEEN.update(features)
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(spec, indent=1), encoding="utf-8")
    inputs = reference.random_spikes(spec["time_steps"], 3, spec["layers"][0]["in_features"], seed=seed, p=0.4)
    with time_limit(120, f"compiling and running fuzzed spec {seed}"):
        for target in TARGETS:
            try:
                compiled = compile_spec(path, target)
            except CompileError as error:
                assert all(d.severity == "error" and d.line > 0 for d in error.diagnostics), error.render()
                OUTCOMES[f"refused ({target}): {_reason(error)}"] += 1
                continue
            module = import_source(compiled.source, tmp_path, f"fuzz_{seed}_{target}")
            weights = reference.random_weights(compiled.graph, seed)
            model = module.load_weights(module.build_model(), weights)
            model.eval()  # the reference is the eval-mode network (batch norm's running statistics, no dropout)
            got = module.run(model, inputs, membrane=True)
            want = reference.run(compiled.graph, weights, inputs)
            for key, value in want.items():
                assert torch.equal(got[key], value), \
                    f"seed {seed}, {target}, {key}: {(got[key] == value).float().mean():.3%} equal"
            OUTCOMES[f"compiled, ran and agreed ({target})"] += 1


def test_the_fuzzer_covers_what_broke_before():
    """Runs last in this file: the seeds above exercised every feature, and most specs ran."""
    if not OUTCOMES:
        pytest.skip("run together with the fuzzed specs")
    for line in sorted(OUTCOMES.items()):
        print(f"{line[1]:5d}  {line[0]}")
    assert set(FEATURES) <= set(FEATURES_SEEN), sorted(set(FEATURES) - set(FEATURES_SEEN))
    ran = sum(n for what, n in OUTCOMES.items() if what.startswith("compiled"))
    assert ran >= 0.7 * len(SEEDS) * len(TARGETS), OUTCOMES
