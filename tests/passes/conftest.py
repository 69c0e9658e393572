"""Filecheck-style pass tests: IR text in, one pass through the pass manager, IR text out."""

from __future__ import annotations

import pytest

from compiler.pipeline import run_pipeline
from ir.parser import parse
from ir.printer import print_graph
from ir.verify import verify


@pytest.fixture
def apply():
    """apply(pass_name, text) -> the printed IR after running that one pass on `text`."""

    def run(pass_name: str, text: str) -> str:
        graph = verify(parse(text))
        return print_graph(run_pipeline(graph, [pass_name]).graph)

    return run


@pytest.fixture
def unchanged():
    """unchanged(pass_name, text) -> `text` as the pass manager prints it after a no-op pass."""

    def run(pass_name: str, text: str) -> str:
        return text.replace("// pipeline:\n", f"// pipeline: {pass_name}\n")

    return run
