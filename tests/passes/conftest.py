"""Pass tests: IR text in, one pass through the pass manager, IR text out, checked with
support.filecheck (only the lines the pass is about) or, for a no-op, against the input as printed."""

from __future__ import annotations

import pytest

from passes.manager import run_pipeline
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
    """unchanged(pass_name, text) -> the printed IR of `text` after a pass that changed nothing: the
    graph read from `text`, printed as it is, with only `pass_name` added to the passes run."""

    def run(pass_name: str, text: str) -> str:
        graph = verify(parse(text))
        graph.pipeline.append(pass_name)
        return print_graph(graph)

    return run
