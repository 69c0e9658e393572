"""The pass manager: pipeline strings checked before anything runs, verification, hooks."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import ClassVar

import pytest

from passes.manager import (Instrumentation, InternalError, PipelineError, check_emit, parse_pipeline,
                               run_pipeline)
from ir.examples import mlp
from ir.parser import parse
from ir.printer import print_graph
from passes import DEFAULT_PIPELINE, PASSES
from passes.base import Pass


def test_default_pipeline_order():
    assert parse_pipeline(None) == list(DEFAULT_PIPELINE) == [
        "neuron-substitution", "surrogate-swap", "precision-lowering", "timestep-scaling",
        "schedule", "lower-to-target",
    ]


def test_order_rules_are_usage_errors_that_say_what_is_missing():
    with pytest.raises(PipelineError, match="'lower-to-target' needs 'schedule' to run before it"):
        parse_pipeline("lower-to-target")
    with pytest.raises(PipelineError, match="'lower-to-target' must be the last.*surrogate-swap come after it"):
        parse_pipeline("schedule,lower-to-target,surrogate-swap")
    with pytest.raises(PipelineError, match="'surrogate-swap' appears twice"):
        parse_pipeline("surrogate-swap,surrogate-swap")
    with pytest.raises(PipelineError, match="--emit python needs the passes schedule,lower-to-target.*missing: "
                                            "schedule, lower-to-target"):
        check_emit(parse_pipeline("surrogate-swap"), "python")
    check_emit(parse_pipeline("surrogate-swap"), "ir")  # the IR can be dumped after any valid pipeline


def test_every_registered_pass_is_described():
    for name, pass_ in PASSES.items():
        assert pass_.name == name
        assert pass_.description and "\n" not in pass_.description
        doc = sys.modules[type(pass_).__module__].__doc__
        assert doc.startswith(f"{name}: ") and all(part in doc for part in ("When:", "Pre:", "Post:"))


def test_names_are_stripped_and_empty_means_no_pass():
    assert parse_pipeline(" surrogate-swap , timestep-scaling ") == ["surrogate-swap", "timestep-scaling"]
    assert parse_pipeline("") == []


def test_unknown_name_is_rejected_with_a_suggestion():
    with pytest.raises(PipelineError, match=r"unknown pass 'nueron-substitution'.*did you mean 'neuron-substitution'"):
        parse_pipeline("surrogate-swap,nueron-substitution")


def test_empty_name_is_rejected():
    with pytest.raises(PipelineError, match="empty pass name"):
        parse_pipeline("surrogate-swap,,timestep-scaling")


def test_the_callers_graph_is_not_changed():
    graph = mlp(power_mode="low_energy", device_type="edge_ai_processor")
    before = print_graph(graph)
    result = run_pipeline(graph, list(DEFAULT_PIPELINE))
    assert print_graph(graph) == before
    assert result.graph.attrs.time_steps == 10 and result.graph.attrs.precision == "fp16-cuda"
    assert result.graph.attrs.container == "nn.Module" and result.graph.schedule
    assert result.graph.pipeline == list(DEFAULT_PIPELINE)
    assert [name for name, _ in result.timings] == list(DEFAULT_PIPELINE)


@dataclass(frozen=True)
class _Breaks(Pass):
    name: ClassVar[str] = "break-sizes"
    description: ClassVar[str] = "test only: makes layer_1 disagree with its projection"

    def run(self, graph):
        pop = graph.op("layer_1")
        graph.replace_op(pop.replace(shape=(pop.shape[0] + 1,)), self.name)
        return graph


@dataclass(frozen=True)
class _Crashes(Pass):
    name: ClassVar[str] = "crash"
    description: ClassVar[str] = "test only: raises"

    def run(self, graph):
        raise KeyError("boom")


def test_a_pass_that_breaks_the_ir_is_named(monkeypatch):
    monkeypatch.setitem(PASSES, "break-sizes", _Breaks())
    with pytest.raises(InternalError, match=r"pass 'break-sizes' left invalid IR: .*layer_1: shape \[257\] should be \[256\]"):
        run_pipeline(mlp(), ["surrogate-swap", "break-sizes", "timestep-scaling"])


def test_a_pass_that_crashes_is_named(monkeypatch):
    monkeypatch.setitem(PASSES, "crash", _Crashes())
    with pytest.raises(InternalError, match=r"pass 'crash' crashed: KeyError"):
        run_pipeline(mlp(), ["crash"])


def _banners(instr: Instrumentation, graph=None) -> list[str]:
    printed: list[str] = []
    run_pipeline(graph or mlp(power_mode="low_energy"), list(DEFAULT_PIPELINE), instr, out=printed.append)
    for text in printed:
        parse(text)  # every dump reads back
    return [text.split("\n", 1)[0] for text in printed]


def test_print_after_all():
    assert _banners(Instrumentation(print_after_all=True)) == [
        f"// ----- IR after {name} ----- //" for name in DEFAULT_PIPELINE]


def test_print_before_and_after_named_passes():
    instr = Instrumentation(print_before=("surrogate-swap",), print_after=("surrogate-swap", "timestep-scaling"))
    assert _banners(instr) == ["// ----- IR before surrogate-swap ----- //", "// ----- IR after surrogate-swap ----- //",
                               "// ----- IR after timestep-scaling ----- //"]


def test_print_after_change_skips_no_op_passes():
    assert _banners(Instrumentation(print_after_change=True)) == [
        "// ----- IR after neuron-substitution ----- //", "// ----- IR after surrogate-swap ----- //",
        "// ----- IR after precision-lowering ----- //", "// ----- IR after schedule ----- //",
        "// ----- IR after lower-to-target ----- //"]


def test_dump_dir_holds_every_stage(tmp_path):
    """The pipeline keeps every stage's IR for its caller to write (nothing is written while it runs)."""
    result = run_pipeline(mlp(power_mode="low_energy"), ["surrogate-swap", "timestep-scaling"],
                          Instrumentation(dump_dir=tmp_path / "dumps"))
    assert not (tmp_path / "dumps").exists()
    files = [path.name for path, _ in result.dumps]
    assert files == ["00_frontend.ir", "01_surrogate-swap.ir", "02_timestep-scaling.ir"]
    assert all(path.parent == tmp_path / "dumps" for path, _ in result.dumps)
    assert parse(result.dumps[0][1]) == mlp(power_mode="low_energy")
    assert result.dumps[2][1] == print_graph(result.graph)


def test_a_refusal_is_reported_at_the_op(tmp_path):
    """A pass that cannot make exact code raises Refusal: a located spec error, not a crash."""
    import json

    from compiler.build import compile_spec
    from compiler.diagnostics import CompileError

    spec = {"model_name": "Twice", "target_simulator": "BindsNET", "time_steps": 5, "input_shape": [4],
            "layers": [{"type": "linear", "in_features": 4, "out_features": 4, "name": "lin"},
                       {"type": "linear", "in_features": 4, "out_features": 3, "name": "y"},
                       {"type": "IFNode", "name": "q"},
                       {"type": "linear", "in_features": 4, "out_features": 3, "name": "x"},
                       {"type": "linear", "in_features": 3, "out_features": 3, "name": "s"},
                       {"type": "IFNode", "name": "p"}],
            "connections": [{"source": "lin", "target": "q"}, {"source": "q", "target": "y"},
                            {"source": "q", "target": "x"}, {"source": "x", "target": "s"},
                            {"source": "y", "target": "s"}]}
    path = tmp_path / "twice.json"
    path.write_text(json.dumps(spec))
    with pytest.raises(CompileError, match="BindsNET target: p reads q through paths of different delays"):
        compile_spec(path, target="bindsnet")
