"""The units of extension: a new op kind, a new target and a new neuron family, added here through their
registries alone.

The op kind (`negate`, y = -x, with a generated class of its own) is one class: its spec schema,
construction, shape, keeps_zero, module and nothing else; every target compiles and runs it and
they agree, `check` draws for it, the IR text round-trips it. The target (`torchref`) is one
package written here (patterns + render, reusing snnTorch's renderer) plus one registration: the
command line offers it, the verifier and the pass manager accept it, its module runs and equals
snnTorch's. The family registry is the one list of families (every table derived from it); a
throwaway family (`echo`, snnTorch's arithmetic under its own name and home) parses, verifies and
prints in the IR text and gets its own step function. Nothing outside this file is edited.
"""

from __future__ import annotations

import json
import sys
import textwrap
from dataclasses import dataclass
from typing import ClassVar

import pytest
import torch

from compiler.cli import main as snnc
from ir import targets
from ir.neuron import SnnTorchNeuron
from ir.ops import ModuleCall, Op, layer_schema, register, unregister
from support import reference, specs


@dataclass(frozen=True, kw_only=True)
class NegateOp(Op):
    """y = -x, elementwise."""

    kind: ClassVar[str] = "negate"
    SCHEMA_DEF: ClassVar[str] = "negate"

    @classmethod
    def schema(cls) -> dict:
        return layer_schema("negate layer", {})

    @classmethod
    def from_spec(cls, kind: str, spec: dict, bindsnet: bool) -> Op:
        return cls(name="")

    def keeps_zero(self) -> bool:
        return True

    def module(self) -> ModuleCall:
        return ModuleCall("Negate", generated=True, source=textwrap.dedent('''
            class Negate(torch.nn.Module):
                """-x, elementwise."""

                def forward(self, x):
                    return -x
            '''))


@pytest.fixture
def negate():
    register(NegateOp)
    try:
        yield NegateOp
    finally:
        unregister(NegateOp)


SPEC = specs.spec([
    {"type": "linear", "in_features": 6, "out_features": 5},
    {"type": "negate"},
    {"type": "LIFNode", "beta": 0.5},
    {"type": "linear", "in_features": 5, "out_features": 3},
    {"type": "negate", "name": "flip"},
    {"type": "LIFNode", "beta": 0.5, "reset_mechanism": "zero"},
], time_steps=10)


def test_a_new_op_kind_compiles_and_agrees_in_every_target(negate, tmp_path, bindsnet):
    graph = specs.graph(SPEC, tmp_path)
    assert [op.kind for op in graph.ops()].count("negate") == 2
    mods = specs.modules(SPEC, tmp_path)
    w = reference.random_weights(graph, seed=1)
    w = {k: -v for k, v in w.items()}  # negated twice: the populations fire
    x = reference.random_spikes(10, 3, (6,), seed=2, p=0.5)
    outs = {}
    for target, module in mods.items():
        assert "class Negate(torch.nn.Module):" in open(module.__file__).read()
        outs[target] = module.run(module.load_weights(module.build_model(), w), x, membrane=True)
    for target, out in outs.items():
        for key in outs["snntorch"]:
            assert torch.equal(out[key], outs["snntorch"][key]), (target, key)
    assert 0 < float(outs["snntorch"]["layer_2"].mean()) < 1
    # the same network written without it, weights negated instead, gives the same spikes
    plain = specs.spec([layer for layer in SPEC["layers"] if layer["type"] != "negate"], time_steps=10)
    module = specs.module(plain, "snntorch", tmp_path)
    same = module.run(module.load_weights(module.build_model(), {k: -v for k, v in w.items()}), x, membrane=True)
    assert torch.equal(same["layer_2"], outs["snntorch"]["layer_2"])


def test_a_new_op_kind_is_checked_and_round_trips_through_the_ir_text(negate, tmp_path, capsys):
    from ir.parser import parse
    from ir.printer import print_graph

    graph = specs.graph(SPEC, tmp_path)
    text = print_graph(graph)
    assert "negate(" in text and print_graph(parse(text)) == text
    assert snnc(["check", str(specs.save(SPEC, tmp_path)), "--batch", "2"]) == 0
    assert "all targets agree" in capsys.readouterr().out
    bad = specs.spec([{"type": "linear", "in_features": 2, "out_features": 2}, {"type": "negate", "factor": 2},
                      {"type": "LIFNode", "beta": 0.5}])
    assert snnc([str(specs.save(bad, tmp_path)), "-o", str(tmp_path / "x.py"), "-q"]) == 1
    assert "factor" in capsys.readouterr().err


def test_an_unregistered_op_kind_is_an_error_naming_it(tmp_path, capsys):
    assert snnc([str(specs.save(SPEC, tmp_path)), "-o", str(tmp_path / "x.py"), "-q"]) == 1
    assert "'negate' is not one of" in capsys.readouterr().err


PATTERNS = '''
"""A throwaway target: every op in generated code, the model an nn.Module over the schedule."""


def lower(graph, pass_name):
    for op in graph.ops():
        if op.kind != "input":
            graph.replace_op(op.replace(impl="canonical"), pass_name, "canonical: the throwaway target's own code")
    graph.set_attrs(pass_name, "container: nn.Module", container="nn.Module")


def problems(graph):
    return [] if graph.attrs.container == "nn.Module" else ["model: not lowered"]
'''

RENDER = '''
"""The throwaway target's module: snnTorch's renderer (its generated steps, no snnTorch class used)."""

from emitters.snntorch.render import emit_module  # noqa: F401
'''


def _package(tmp_path, monkeypatch, package: str, files: dict[str, str]) -> None:
    """A package `package` of `files` (name -> source), importable for the test's duration."""
    home = tmp_path / package
    home.mkdir()
    (home / "__init__.py").write_text("")
    for file, source in files.items():
        (home / file).write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))


@pytest.fixture
def torchref(tmp_path, monkeypatch):
    _package(tmp_path, monkeypatch, "torchref_home", {"patterns.py": PATTERNS, "render.py": RENDER})
    target = targets.register(targets.Target("torchref", "TorchRef", "torchref_home"))
    try:
        yield target
    finally:
        targets.unregister("torchref")
        for name in [m for m in sys.modules if m.startswith("torchref_home")]:
            del sys.modules[name]


def test_a_new_target_is_one_package_and_one_registration(torchref, tmp_path, capsys):
    path = specs.save(SPEC_PLAIN, tmp_path)
    out = tmp_path / "model_torchref.py"
    assert snnc([str(path), "--target", "TorchRef", "-o", str(out), "-q"]) == 0
    from support.generated import import_source

    mine = import_source(out.read_text(), tmp_path, "torchref")
    assert mine.TARGET == "torchref"
    theirs = specs.module(SPEC_PLAIN, "snntorch", tmp_path)
    graph = specs.graph(SPEC_PLAIN, tmp_path)
    w = reference.random_weights(graph, seed=4)
    x = reference.random_spikes(10, 2, (6,), seed=5, p=0.5)
    a = mine.run(mine.load_weights(mine.build_model(), w), x, membrane=True)
    b = theirs.run(theirs.load_weights(theirs.build_model(), w), x, membrane=True)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert snnc(["check", str(path), "--targets", "snntorch,torchref", "--batch", "2"]) == 0
    assert "torchref" in capsys.readouterr().out


SPEC_PLAIN = specs.spec([
    {"type": "linear", "in_features": 6, "out_features": 5},
    {"type": "LIFNode", "beta": 0.5},
    {"type": "linear", "in_features": 5, "out_features": 3},
    {"type": "LIFNode", "beta": 0.5, "reset_mechanism": "zero"},
], time_steps=10)


def test_every_op_kind_states_what_it_owns():
    """Read from the registry: every kind says whether zeros pass (no default to inherit), every spec
    layer kind has its schema, its construction, its torch module and its NIR node (or refusal)."""
    from ir.ops import OP_CLASSES, spec_kinds

    for kind, cls in OP_CLASSES.items():
        assert cls.keeps_zero is not Op.keeps_zero, kind
    for kind, cls in spec_kinds().items():
        assert cls.schema is not Op.schema and cls.from_spec is not Op.from_spec, kind
        assert cls.module is not Op.module and cls.nir_node is not Op.nir_node, kind
        op = cls.from_spec(kind, {key: 2 for key in cls.schema().get("required", ())}, False)
        assert op.kind == kind


# -- the neuron family: one registry (ir.families), each family one IR class and one home -----------------------


def test_the_family_registry_is_the_single_list_of_families():
    from compiler.diagnostics import CompileError
    from compiler.frontend import vocabulary
    from compiler.frontend.loader import load_text
    from ir import families

    names = families.names()
    assert names and all(families.get(name).neuron.family == name for name in names)
    assert tuple(vocabulary.SIMULATORS) == tuple(vocabulary.HOMES) == tuple(vocabulary.VOCABULARY_KEYS) == names
    assert list(vocabulary.SIMULATORS.values()) == [family.label for family in families.every()]
    for family in families.every():
        words, step = family.vocabulary(), family.step()
        for attr in ("KEYS", "PROPERTY", "DEFAULTS", "DEFAULT_SURROGATE", "SURROGATES", "CUBA_KEYS", "LEARN_KEYS",
                     "NONSPIKING_KEY", "fact", "value_for", "implied", "build", "build_cuba"):
            assert hasattr(words, attr), f"{family.name}'s vocabulary has no {attr}"
        for attr in ("STRICT", "initial_state", "describe", "step_body"):
            assert hasattr(step, attr), f"{family.name}'s step has no {attr}"
        assert vocabulary.normalize_simulator(family.label) == family.name
    from emitters import surrogates
    from ir.neuron import FLAVORS

    assert tuple(surrogates.FLAVORS) == FLAVORS  # every surrogate flavor is one family's formulas
    with pytest.raises(CompileError) as info:
        load_text(json.dumps({**SPEC_PLAIN, "target_simulator": "Brian2"}), "spec.json")
    (message,) = [d.message for d in info.value.diagnostics]
    *others, last = vocabulary.SIMULATORS.values()
    assert message.endswith(f"; expected {', '.join(others)} or {last}")


@dataclass(frozen=True, kw_only=True)
class EchoNeuron(SnnTorchNeuron):
    """snnTorch's arithmetic under a family name of its own: a throwaway family."""

    family: ClassVar[str] = "echo"


ECHO_STEP = '''
"""The throwaway family's step: snnTorch's, described as its own."""

from emitters.snntorch.neuron import PARAMS, STRICT, initial_state, step_body  # noqa: F401


def describe(neuron, params=False):
    return f"Echo(beta={neuron.beta!r})"
'''


@pytest.fixture
def echo(tmp_path, monkeypatch):
    from ir import families

    _package(tmp_path, monkeypatch, "echo_home", {"neuron.py": ECHO_STEP})
    family = families.register(families.Family("echo", "Echo", EchoNeuron, "echo_home"))
    try:
        yield family
    finally:
        families.unregister("echo")
        for name in [m for m in sys.modules if m.startswith("echo_home")]:
            del sys.modules[name]


def test_a_new_family_is_one_class_and_one_registration(echo, tmp_path):
    import libcst as cst

    from emitters.neurons import StepFunctions, describe, initial_state
    from emitters.toolkit import Namespace
    from ir import families, verify
    from ir.parser import ParseError, parse
    from ir.printer import print_graph

    graph = specs.graph(SPEC_PLAIN, tmp_path)
    text = print_graph(graph).replace('family="snntorch"', 'family="echo"')
    echoed = parse(text)
    (first, *_) = echoed.populations()
    assert isinstance(first.neuron, EchoNeuron) and families.of(first.neuron) is echo
    verify(echoed)
    assert print_graph(echoed) == text
    assert describe(first.neuron) == "Echo(beta=0.5)" and initial_state(first.neuron) == (0.0,)
    steps = StepFunctions(Namespace(), "snntorch")
    assert steps.name_for(first.neuron) == "echo_lif_step"
    assert "One step of Echo(beta=0.5), exactly." in cst.Module(steps.statements).code
    families.unregister("echo")
    with pytest.raises(ParseError, match="a population needs a known family, not 'echo'"):
        parse(text)
