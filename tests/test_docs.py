"""The documentation is kept true: docs/spec.md lists exactly the schema's keys, its examples
compile for every target, and the README stands alone."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from compiler.frontend.validate import schema

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "spec.md").read_text(encoding="utf-8")
SCHEMA = schema()  # the schema file with every op kind's layer definition


def _sections() -> dict[str, set[str]]:
    """Heading -> the keys in the first column of its table."""
    out: dict[str, set[str]] = {}
    heading = None
    for line in DOC.splitlines():
        if line.startswith("#"):
            heading = line.lstrip("#").strip()
            out.setdefault(heading, set())
        elif heading and (m := re.match(r"^\| `([A-Za-z_]+)` \|", line)):
            out[heading].add(m.group(1))
    return out


def _props(ref: str) -> set[str]:
    return set(SCHEMA["$defs"][ref]["properties"])


DOCUMENTED = {
    "Top level": set(SCHEMA["properties"]),
    "`hardware_constraints`": set(SCHEMA["properties"]["hardware_constraints"]["properties"]),
    "`linear`": _props("linear"),
    "`conv2d`": _props("conv2d"),
    "`maxpool2d`, `avgpool2d`, `sumpool2d`": _props("pool"),
    "`conv1d`": _props("conv1d"),
    "`maxpool1d`, `avgpool1d`": _props("pool1d"),
    "`batchnorm1d`, `batchnorm2d`": _props("batchnorm"),
    "`dropout`": _props("dropout"),
    "`delay`": _props("delay"),
    "`scale`": _props("scale"),
    "`flatten`": _props("flatten"),
    "`LIFNode` and `IFNode` (neuron layers)": _props("LIFNode") | _props("IFNode"),
    "`NonSpikingLIFNode` and `NonSpikingIFNode` (non-spiking readouts)": _props("NonSpikingLIFNode")
    | _props("NonSpikingIFNode"),
    "`CUBALIFNode` (current-based LIF)": _props("CUBALIFNode"),
    "`ParametricLIFNode` (SpikingJelly's PLIF, a learned time constant)": _props("ParametricLIFNode"),
    "`surrogate_function` as an object": set(SCHEMA["$defs"]["surrogate"]["then"]["properties"]),
    "`connections`": _props("connection"),
}


@pytest.mark.parametrize("heading", DOCUMENTED)
def test_every_schema_key_is_documented_and_nothing_else(heading):
    assert _sections()[heading] == DOCUMENTED[heading]


def test_every_layer_type_has_a_section():
    types = set(SCHEMA["$defs"]["layerOfAnyType"]["properties"]["type"]["enum"])
    headings = " ".join(_sections())
    assert all(f"`{t}`" in headings for t in types), types


EXAMPLES = re.findall(r"```json\n(.*?)```", DOC, flags=re.S)


@pytest.mark.parametrize("index", range(len(EXAMPLES)))
def test_the_examples_compile_for_every_target(index):
    from compiler import compile_spec

    spec = json.loads(EXAMPLES[index])
    for target in ("snntorch", "spikingjelly", "bindsnet"):
        result = compile_spec(spec, target=target)
        assert "def run(" in result.source
        assert not [w for w in result.warnings if w.severity == "warning"], [w.headline() for w in result.warnings]


def test_the_readme_stands_alone():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "../shared" not in readme and "shared/" not in readme
    for link in re.findall(r"\]\(([^)#]+)\)", readme):
        if not link.startswith(("http://", "https://")):
            assert (ROOT / link).exists(), link


MODULE_DOC = (ROOT / "docs" / "module.md").read_text(encoding="utf-8")


def test_the_module_reference_training_loop_runs_and_every_target_agrees():
    """docs/module.md's complete training loop, run as a user would (from the project folder)."""
    import os
    import subprocess
    import sys

    (example,) = [block for block in re.findall(r"```python\n(.*?)```", MODULE_DOC, flags=re.S)
                  if "optimizer.step()" in block]
    done = subprocess.run([sys.executable, "-c", example], cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr
    accuracies = re.findall(r"^(\w+): test accuracy ([\d.]+)%$", done.stdout, flags=re.M)
    assert [target for target, _ in accuracies] == ["snntorch", "spikingjelly", "bindsnet"]
    assert len({value for _, value in accuracies}) == 1 and float(accuracies[0][1]) > 60, done.stdout


def test_the_module_reference_names_every_contract_name():
    from emitters.module import CONTRACT_NAMES

    public = [n for n in CONTRACT_NAMES if (n.isupper() and len(n) > 1) or n in ("build_model", "load_weights",
                                                                           "export_weights", "run")]
    missing = [name for name in public if f"`{name}" not in MODULE_DOC]
    assert not missing, missing
