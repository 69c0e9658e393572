"""Formatting: black runs only on what the spec decides, and the result is what black gives the whole file.

The fixed blocks of a generated module (the contract, helpers, generated classes) are
kept in black's format in the source and copied as they are; black formats the rest
with a two-line stand-in of the same kind in each block's place. These tests hold
that shortcut to black itself: every declared fixed template is black-stable, and for
every config, the graph specs of tests/valid and each target, the finished file equals
black's format of the whole unformatted module, byte for byte.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import libcst as cst
import pytest

from compiler.frontend import load_text
from passes.manager import parse_pipeline, run_pipeline
from emitters import emit_module
from emitters.toolkit import declared_fixed, expr, finish, fixed, fixed_text, format_source, name, stmts, \
    statement_text
from ir.targets import names as target_names

TARGETS = target_names()

ROOT = Path(__file__).resolve().parents[1]
SPECS = sorted((ROOT / "specs").glob("C*.json")) + sorted((ROOT / "tests" / "valid").glob("*.json"))
PIPELINE = parse_pipeline(None)


def _all_fixed() -> frozenset[str]:
    for module in ("module", "runtime", "layers", "forward", "snntorch.render", "spikingjelly.render", "bindsnet.render"):
        importlib.import_module(f"emitters.{module}")
    return declared_fixed()


def test_fixed_templates_are_declared_in_every_emitter():
    assert len(_all_fixed()) >= 12


@pytest.mark.parametrize("text", sorted(_all_fixed()), ids=lambda t: t.strip().split("(")[0].split(":")[0][:40])
def test_each_fixed_template_is_black_formatted(text):
    assert format_source(text) == text.lstrip("\n")
    for node in fixed(text):
        code = statement_text(node)
        assert format_source(code) == code


def _unformatted(spec: Path, target: str) -> cst.Module:
    front = load_text(spec.read_text(encoding="utf-8"), spec.name, target=target)
    result = run_pipeline(front.graph, PIPELINE, out=lambda _text: None)
    return emit_module(result.graph, pipeline=PIPELINE)


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.stem)
def test_finished_module_is_black_of_the_whole_module(spec, target):
    try:
        module = _unformatted(spec, target)
    except Exception as err:  # a spec some target refuses (e.g. an order BindsNET cannot run)
        pytest.skip(f"{spec.stem} does not compile for {target}: {err}")
    assert finish(module) == format_source(module.code)


def test_a_user_name_equal_to_a_stand_in_falls_back_to_black_on_everything():
    block = fixed_text('''
def helper(x):
    """A fixed block."""
    return x
''')
    clash = stmts("def __snnc_fixed_0__():\n    pass")
    module = cst.Module(body=[*stmts("import torch"), *fixed(block), *clash, *stmts("y = {v}", v=name("helper"))])
    out = finish(module)
    assert out == format_source(module.code)
    assert out.count("def helper(x):") == 1 and out.count("def __snnc_fixed_0__():") == 1


def test_undeclared_templates_cannot_be_fixed():
    with pytest.raises(ValueError, match="declared"):
        fixed("def f():\n    return 1\n")


def test_a_placeholder_used_twice_is_filled_in_both_places():
    (stmt,) = stmts("{a} = {a} + {b}", a=name("x"), b=expr("y * 2"))
    assert cst.Module([stmt]).code == "x = x + y * 2\n"


def test_a_placeholder_inside_a_string_is_refused():
    with pytest.raises(ValueError, match="'v'"):
        stmts("x = '{v}'", v=name("y"))


# Tables written in black's format by the emitter itself (WEIGHTS, POPULATIONS): awkward cases.
_TABLES = {
    "many layers": {f"layer_{k}.weight": (16, 16) for k in range(1, 301)},
    "long names": {"a_very_long_layer_name_" * 3 + f"{k}.bias": (k,) for k in range(5)},
    "an entry of exactly 88 columns": {"x" * 65: (123456, 1234), "y": (1,)},
    "an entry one column too long": {"x" * 66: (123456, 1234), "y": (1,)},
    "88 columns on one line": {"k" * 57: (1,), "y": (1,)},
    "89 columns on one line": {"k" * 58: (1,), "y": (1,)},
    "one entry, too long for one line": {"k" * 70: (1, 2)},  # black adds no trailing comma
    "negative, empty and one-element tuples": {f"p{k}": t for k, t in enumerate([(-1, 2), (), (3,)] * 10)},
    "punctuation black keeps": {f"a-b:c (d) e.f_{k}": (k, k) for k in range(10)},
    "a quote": {"it's": (1,), **{f"n{k}": (16, 16) for k in range(20)}},
    "a double quote": {'say "hi"': (1,), **{f"n{k}": (16, 16) for k in range(20)}},
    "a backslash": {"a\\b": (1,), **{f"n{k}": (16, 16) for k in range(20)}},
    "non-ASCII": {"caf\u00e9": (1,), **{f"n{k}": (16, 16) for k in range(20)}},
    "a bool": {"flag": (True,), **{f"n{k}": (16, 16) for k in range(20)}},
    "a float": {"f": (0.5,), **{f"n{k}": (16, 16) for k in range(20)}},
}
_PLAIN_TABLES = {"many layers", "long names", "an entry of exactly 88 columns", "89 columns on one line",
                 "negative, empty and one-element tuples", "punctuation black keeps"}


@pytest.mark.parametrize("case", sorted(_TABLES))
def test_a_table_is_written_as_black_writes_it_or_left_to_black(case):
    from emitters.module import constant_stmts, table_text

    value = _TABLES[case]
    text = table_text("WEIGHTS", value)
    assert (text is not None) == (case in _PLAIN_TABLES)
    if text is not None:
        assert text == format_source(f"WEIGHTS = {value!r}\n")

    class Attrs:
        model_name, target, time_steps, precision = "m", "snntorch", 3, "fp32"

    class Pop:
        def __init__(self, label, shape):
            self.name, self.shape = label, shape

    class Graph:  # the three things constant_stmts reads
        attrs = Attrs()

        def input(self):
            return Pop("input", (4,))

        def populations(self):
            return [Pop(k, v) for k, v in value.items()]

        def weight_shapes(self):
            return value

    module = cst.Module(body=[*stmts("import torch"), *constant_stmts(Graph()), *stmts("x = 1")])
    assert finish(module) == format_source(module.code)
