"""Every generated module is lint-clean: `ruff check --select F,B,UP` finds nothing.

Pyflakes (F), bugbear (B) and pyupgrade (UP) over the module of every spec in
specs/ and tests/valid/ for every target, plus a spec written for the corners the
corpus may miss: an snnTorch LIFNode with reset_mechanism "none" (no reset, so no
mem_reset to compute), SpikingJelly-vocabulary IFNodes sharing a surrogate that
SpikingJelly lacks (one generated callable for both), and modules that need only
some of a simulator's imports. No finding means no unused import, no name defined
twice, no dead local and no bugbear pattern in what the emitters write. All files
are linted by one ruff run.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from compiler import compile_spec
from ir.targets import names as target_names

TARGETS = target_names()

ROOT = Path(__file__).resolve().parents[1]
SPEC_FILES = sorted((ROOT / "specs").glob("*.json")) + sorted((ROOT / "tests" / "valid").glob("*.json"))

CORNERS = {
    "model_name": "LintCorners",
    "target_simulator": "snnTorch",
    "time_steps": 4,
    "layers": [
        {"type": "linear", "in_features": 6, "out_features": 5},
        {"type": "LIFNode", "name": "no_reset", "beta": 0.9, "reset_mechanism": "none"},
        {"type": "linear", "in_features": 5, "out_features": 4},
        {"type": "IFNode", "name": "jelly_if", "v_threshold": 0.5, "v_reset": 0.0,
         "surrogate_function": "FastSigmoid"},
        {"type": "linear", "in_features": 4, "out_features": 3},
        {"type": "IFNode", "name": "jelly_if_soft", "v_threshold": 0.5, "v_reset": None,
         "surrogate_function": "FastSigmoid"},
    ],
}

CASES = [pytest.param(SPEC_FILES, id="specs-and-valid"), pytest.param([CORNERS], id="corners")]


@pytest.mark.parametrize("specs", CASES)
def test_generated_modules_pass_ruff(specs, tmp_path):
    for k, spec in enumerate(specs):
        stem = f"{spec.parent.name}_{spec.stem}" if isinstance(spec, Path) else f"dict_{k}"
        for target in TARGETS:
            source = compile_spec(spec, target=target).source
            (tmp_path / f"{stem}_{target}.py").write_text(source, encoding="utf-8")
    assert len(list(tmp_path.glob("*.py"))) == len(specs) * len(TARGETS)
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--select", "F,B,UP", "--no-cache", "--output-format", "concise",
         str(tmp_path)],
        capture_output=True, text=True)
    assert result.returncode == 0, f"ruff found problems in generated code:\n{result.stdout}{result.stderr}"
