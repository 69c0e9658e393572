"""Every spec in tests/invalid/ is refused by the frontend with the exact first diagnostic
listed in tests/invalid/expected.json, and nothing it prints can fake a terminal line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from compiler.diagnostics import CompileError
from compiler.frontend import load_spec

CORPUS = Path(__file__).parent / "invalid"
EXPECTED: dict[str, str] = json.loads((CORPUS / "expected.json").read_text("utf-8"))
SPECS = sorted(p.name for p in CORPUS.glob("*.json") if p.name != "expected.json")


def test_corpus_is_large_and_fully_described():
    assert len(SPECS) >= 60
    assert sorted(EXPECTED) == SPECS


@pytest.mark.parametrize("name", SPECS)
def test_first_diagnostic(name, monkeypatch):
    monkeypatch.chdir(CORPUS)  # diagnostics name the file as given: "<name>:line:col: ..."
    with pytest.raises(CompileError) as caught:
        load_spec(name)
    diagnostics = caught.value.diagnostics
    assert diagnostics[0].headline() == EXPECTED[name]
    assert [(d.line, d.col) for d in diagnostics] == sorted((d.line, d.col) for d in diagnostics)
    for diagnostic in diagnostics:
        rendered = diagnostic.render().split("\n")
        assert len(rendered) in (1, 3)  # headline, or headline + source line + caret
        assert all(line.isprintable() for line in rendered)
        if len(rendered) == 3:
            assert rendered[2].strip() == "^"
