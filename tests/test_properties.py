"""Property-based tests (hypothesis) over the whole spec language.

1. Every valid spec (chains, convolutional nets, graphs with fan-in and feedback)
   compiles for all three targets to code that `compile()`s (1000 random specs,
   3000 modules), and a further sample goes through the whole `compile_spec`
   (black included), is black-stable (format_source(src) == src) and equals black's
   format of the whole unformatted module (black itself runs only on what the spec decides).
2. A mutated spec (keys deleted/inserted/replaced, wrong types, bytes edited,
   truncated) ends in success or a clean CompileError, never another exception,
   within 60 s (no spec can make the compiler run unbounded); through the CLI:
   exit status 0 or 1, no traceback, and no output file on 1.

Black costs about 0.1 s per module (twice for the stability check), so only the
second sample pays for it; the first stops right before black, exactly where
`emitters.toolkit.finish` does its own `compile()`. SNNC_PROPERTY_SCALE=k runs
k times as many examples of every property (e.g. nightly).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from compiler.build import compile_spec
from compiler.diagnostics import CompileError
from compiler.frontend import load_text
from passes.manager import parse_pipeline, run_pipeline
from emitters import emit_module
from emitters.toolkit import format_source
from support.specgen import mutated_texts, spec_texts
from support.timelimit import time_limit
from ir.targets import names as target_names

ROOT = Path(__file__).resolve().parents[1]
TARGETS = target_names()
SCALE = max(1, int(os.environ.get("SNNC_PROPERTY_SCALE", "1")))
PIPELINE = parse_pipeline(None)


def _examples(n: int):
    return settings(max_examples=n * SCALE, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def emit_unformatted(text: str, target: str) -> str:
    """compile_spec up to (not including) black: frontend, default pipeline, emitter, rendering."""
    front = load_text(text, "spec.json", target=target)
    result = run_pipeline(front.graph, PIPELINE, out=lambda _text: None)
    return emit_module(result.graph, pipeline=PIPELINE).code


@pytest.mark.slow
@_examples(1000)
@given(text=spec_texts())
def test_valid_specs_compile_for_every_target(text):
    for target in TARGETS:
        source = emit_unformatted(text, target)
        compile(source, f"<{target}>", "exec")


@_examples(60)
@given(text=spec_texts())
def test_valid_specs_give_black_stable_modules(text):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "spec.json"
        path.write_text(text, encoding="utf-8")
        for target in TARGETS:
            source = compile_spec(path, target).source
            compile(source, f"<{target}>", "exec")
            assert format_source(source) == source, f"black is not stable on the {target} module"
            assert source == format_source(emit_unformatted(text, target)), \
                f"the {target} module differs from black's format of the whole module"


@_examples(400)
@given(data=mutated_texts(), target=st.sampled_from(TARGETS))
def test_mutated_specs_succeed_or_fail_cleanly(data, target):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "spec.json"
        path.write_bytes(data)
        try:
            with time_limit(60, "compiling one mutated spec"):
                compiled = compile_spec(path, target)
        except CompileError as err:
            event("rejected with a CompileError")
            assert err.diagnostics and all(d.severity == "error" for d in err.diagnostics)
            for diagnostic in err.diagnostics:
                assert diagnostic.headline().startswith(f"{path}:"), diagnostic.headline()
            for line in err.render().splitlines():  # nothing from the spec reaches the terminal raw
                assert line.isprintable(), line
        else:
            event("still valid: compiled")
            compile(compiled.source, f"<{target}>", "exec")


@_examples(15)
@given(data=mutated_texts(), target=st.sampled_from(TARGETS))
def test_mutated_specs_through_the_cli(data, target):
    with tempfile.TemporaryDirectory() as tmp:
        spec, out = Path(tmp) / "spec.json", Path(tmp) / "out" / "model.py"
        spec.write_bytes(data)
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        env.pop("SNNC_DEBUG", None)
        done = subprocess.run([sys.executable, "-m", "compiler", str(spec), "--target", target, "-o", str(out)],
                              cwd=tmp, env=env, capture_output=True, timeout=120)
        stderr = done.stderr.decode("utf-8", "replace")
        assert done.returncode in (0, 1), stderr
        assert "Traceback" not in stderr and "internal compiler error" not in stderr, stderr
        if done.returncode == 1:
            assert "error:" in stderr
            assert not out.parent.exists(), "an output was written for a failed compilation"
        else:
            compile(out.read_text("utf-8"), str(out), "exec")
            assert sorted(p.name for p in out.parent.iterdir()) == ["model.py"]  # no temporary left


def test_the_generators_reach_every_corner():
    """The valid-spec strategy really covers the language (guards against a strategy that rots)."""
    seen: set[str] = set()

    @settings(max_examples=500, deadline=None, database=None, derandomize=True)
    @given(text=spec_texts())
    def collect(text):
        spec = json.loads(text)
        layers = spec.get("layers", spec.get("layer"))
        seen.add("layers" if "layers" in spec else "layer")
        seen.add("connections" if "connections" in spec else "chain")
        seen.add(spec.get("power_mode", "no-power-mode"))
        seen.add(str(spec.get("hardware_constraints", {}).get("device_type")))
        if "timestep_scale" in spec.get("hardware_constraints", {}):
            seen.add("timestep_scale")
        for layer in layers:
            seen.add(layer["type"])
            seen.update(key for key in layer if key not in ("type", "in_features", "out_features"))
        if "connections" in spec and any(c["source"] == "input" for c in spec["connections"][1:]):
            seen.add("fan-out-from-input")
        targets = [c["source"] for c in spec.get("connections", [])]
        if len(targets) != len(set(targets)):
            seen.add("fan-out")
        if "input_shape" in spec:
            seen.add("input_shape")
        order = {layer.get("name"): i for i, layer in enumerate(layers) if "name" in layer}
        for c in spec.get("connections", []):
            if c["source"] in order and c["target"] in order and order[c["target"]] <= order[c["source"]]:
                seen.add("feedback")
        sinks = [c["target"] for c in spec.get("connections", [])]
        if len(sinks) != len(set(sinks)):
            seen.add("fan-in")

    collect()
    wanted = {"layers", "layer", "connections", "chain", "normal", "low_energy", "edge_ai_processor",
              "high_performance_gpu", "timestep_scale", "LIFNode", "IFNode", "linear", "bias", "name", "note",
              "beta", "threshold", "reset_mechanism", "reset_delay", "tau", "decay_input", "v_threshold",
              "v_reset", "tc_decay", "thresh", "rest", "reset", "refrac", "surrogate_function", "fan-out",
              "conv2d", "maxpool2d", "avgpool2d", "flatten", "kernel_size", "stride", "padding", "input_shape",
              "detach_reset", "feedback", "fan-in"}
    assert wanted <= seen, sorted(wanted - seen)
