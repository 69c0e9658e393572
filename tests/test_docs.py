"""The documentation is kept true: docs/spec.md lists exactly the schema's keys, its examples
compile for every target, and the README stands alone."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "spec.md").read_text(encoding="utf-8")
SCHEMA = json.loads((ROOT / "compiler" / "schema" / "spec.schema.json").read_text(encoding="utf-8"))


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
    "`scale`": _props("scale"),
    "`flatten`": _props("flatten"),
    "`LIFNode` and `IFNode` (neuron layers)": _props("LIFNode") | _props("IFNode"),
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
