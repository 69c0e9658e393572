"""Each target's patterns carry their renderers, found by one lookup of an op's impl; render code
compares no impls; helpers are typed and written in a fixed order with what they need."""

from __future__ import annotations

import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from emitters import runtime
from emitters.patterns import CANONICAL
from ir import targets

EMITTERS = Path(__file__).resolve().parents[1] / "emitters"


@pytest.mark.parametrize("target", targets.names())
def test_every_pattern_and_the_canonical_code_have_a_renderer(target):
    patterns = targets.get(target).patterns()
    for pattern in patterns.PATTERNS:
        assert patterns.renderer_of(SimpleNamespace(name="op", impl=pattern.impl)) is pattern.renderer
    assert patterns.renderer_of(SimpleNamespace(name="op", impl=CANONICAL)) is not None


@pytest.mark.parametrize("target", targets.names())
def test_an_impl_without_a_renderer_is_an_internal_error_naming_it(target):
    patterns = targets.get(target).patterns()
    with pytest.raises(LookupError, match="'nn.Bogus'"):
        patterns.renderer_of(SimpleNamespace(name="layer_1", impl="nn.Bogus"))


@pytest.mark.parametrize("path", sorted(EMITTERS.glob("*/render*.py")), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_render_code_compares_no_impls(path):
    assert not re.findall(r"\bimpl\s*(?:==|!=|\bin\b|\bnot in\b)", path.read_text())


def test_a_helper_brings_what_it_needs_in_the_fixed_order():
    code = "".join(node.__class__.__name__ + node.name.value + "," for node in runtime.helpers({runtime.PER_STEP}))
    assert code == "FunctionDefaligned,FunctionDefper_step,"
