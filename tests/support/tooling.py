"""What every generated module must be, checked for a set of specs: black-stable (the fixed-template
formatting equals black on the whole module), ruff-clean (F, B, UP), and with an IR text that parses
back to the same graph, in every target."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def check_generated(spec_dicts: dict, tmp: Path) -> None:
    """`spec_dicts`: name -> spec dict. Asserts the three properties for each spec in every target."""
    from compiler.frontend import load_text
    from emitters import emit_module
    from emitters.toolkit import finish, format_source
    from ir.parser import parse
    from ir.printer import print_graph
    from ir.targets import names
    from passes.manager import parse_pipeline, run_pipeline
    from support import specs

    pipeline = parse_pipeline(None)
    out = tmp / "generated"
    out.mkdir(exist_ok=True)
    for case, spec in spec_dicts.items():
        path = specs.save(spec, tmp)
        for target in names():
            front = load_text(path.read_text(encoding="utf-8"), path.name, target=target)
            graph = run_pipeline(front.graph, pipeline, out=lambda _text: None).graph
            module = emit_module(graph, pipeline=pipeline)
            source = finish(module)
            assert source == format_source(module.code), (case, target)
            (out / f"{str(case).replace('-', '_')}_{target}.py").write_text(source, encoding="utf-8")
            text = print_graph(graph)
            back = parse(text)
            assert print_graph(back) == text and back == graph, (case, target)
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--select", "F,B,UP", "--no-cache",
                             "--output-format", "concise", str(out)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
