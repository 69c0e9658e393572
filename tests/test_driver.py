"""The driver in-process, with a stand-in frontend built on ir.examples graphs.

The subprocess tests in test_cli.py run the real frontend on real specs; these
check the driver's own behaviour (outputs, exit statuses, messages) in isolation.
"""

from __future__ import annotations

import ast
import json
import sys
import types
from dataclasses import dataclass, field

import pytest

import compiler.driver
import emitters
from compiler.cli import main
from compiler.diagnostics import CompileError, Diagnostic
from ir.examples import mlp
from ir.ops import Loc
from ir.parser import parse


@dataclass
class _Front:
    graph: object
    path: str
    warnings: list = field(default_factory=list)

    def diagnostic(self, pointer, message, severity):
        return Diagnostic(severity, message, self.path, 7, 9, pointer)


def _load_spec(path, *, target=None, numerics=None):
    spec = json.loads(open(path).read())
    if "error" in spec:
        raise CompileError([Diagnostic("error", spec["error"], str(path), 2, 3, "/layers")])
    graph = mlp((4, 3, 2), name=spec["model_name"], target=target or "snntorch", power_mode=spec["power_mode"])
    graph.attrs = graph.attrs.replace(numerics=numerics or "exact")
    pop = graph.op("layer_1")
    graph.replace_op(pop.replace(written=(("beta", Loc("/layers/1/beta", 7, 9)),)), "frontend")
    graph.changed_by.clear()
    return _Front(graph, str(path), [Diagnostic("warning", "from the frontend", str(path))])


@pytest.fixture
def spec(tmp_path, monkeypatch):
    """A spec file in a fresh working directory, compiled by the stand-in frontend."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setitem(sys.modules, "compiler.frontend", types.SimpleNamespace(load_spec=_load_spec))
    path = tmp_path / "net.json"
    path.write_text(json.dumps({"model_name": "Low power: v2", "power_mode": "low_energy"}))
    return path


def test_default_output_path_is_printed(spec, capsys):
    assert main([str(spec), "--emit", "ir"]) == 0 and parse(capsys.readouterr().out)
    assert main([str(spec), "--emit", "dot", "-o", "build/x.dot"]) == 0
    out = capsys.readouterr()
    assert out.out == "build/x.dot\n"
    assert "net.json: warning: from the frontend" in out.err
    assert "net.json:7:9: warning: layers/1/beta: beta dropped by neuron-substitution: IF neurons have no decay" in out.err


def test_ir_goes_to_stdout_and_quiet_silences_warnings(spec, capsys):
    assert main([str(spec), "--emit", "ir", "--quiet", "--target", "bindsnet"]) == 0
    out = capsys.readouterr()
    assert out.err == ""
    graph = parse(out.out)
    assert graph.attrs.target == "bindsnet" and graph.pipeline[-1] == "lower-to-target"


def test_default_path_uses_the_slug_of_the_model_name(spec, capsys):
    assert main([str(spec), "-q"]) == 0
    ast.parse((spec.parent / "build" / "Low_power__v2_snntorch.py").read_text())  # the generated module
    assert capsys.readouterr().out == ""


def test_spec_error_writes_nothing_and_keeps_the_old_output(spec, capsys):
    spec.write_text(json.dumps({"error": "no layers"}))
    old = spec.parent / "out.py"
    old.write_text("old\n")
    assert main([str(spec), "-o", str(old), "--dump-ir-dir", "dumps"]) == 1
    assert capsys.readouterr().err.startswith(f"{spec}:2:3: error: layers: no layers")
    assert old.read_text() == "old\n"
    assert not (spec.parent / "dumps").exists()


def test_refuses_to_overwrite_the_spec(spec, capsys):
    before = spec.read_text()
    assert main([str(spec), "-o", str(spec.parent / "." / spec.name)]) == 2
    assert "refusing to write the output over the input spec" in capsys.readouterr().err
    assert spec.read_text() == before


def test_internal_error_has_no_traceback_unless_debugging(spec, monkeypatch, capsys):
    def crash(graph, **options):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(emitters, "emit_python", crash)  # a bug in the emitter, after the passes ran
    old = spec.parent / "out.py"
    old.write_text("old\n")
    monkeypatch.delenv("SNNC_DEBUG", raising=False)
    assert main([str(spec), "-o", str(old)]) == 3
    err = capsys.readouterr().err
    assert "internal compiler error: ZeroDivisionError: boom" in err and "please report this" in err
    assert "Traceback" not in err and old.read_text() == "old\n"
    monkeypatch.setenv("SNNC_DEBUG", "1")
    assert main([str(spec), "-o", str(old)]) == 3
    assert "Traceback" in capsys.readouterr().err


def test_pictures_need_graphviz_or_matplotlib(spec, monkeypatch, capsys):
    monkeypatch.setattr(compiler.driver.shutil, "which", lambda name: None)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # not installed: importing it fails
    assert main([str(spec), "--emit", "svg"]) == 1
    assert "apt-get install graphviz" in capsys.readouterr().err
    assert not (spec.parent / "build").exists()


def test_unknown_passes_are_rejected_before_the_frontend_runs(spec, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "compiler.frontend", None)  # importing it would fail
    assert main([str(spec), "--passes", "surrogate-swap,precision-lowerin", "--dump-ir-dir", "d"]) == 2
    assert "did you mean 'precision-lowering'?" in capsys.readouterr().err
    assert main([str(spec), "--print-ir-before", "select-neuron-clas"]) == 2
    assert not (spec.parent / "d").exists()


def test_dump_dir_and_print_after(spec, capsys):
    assert main([str(spec), "--emit", "ir", "-o", "final.ir", "--passes", "surrogate-swap,timestep-scaling",
                 "--dump-ir-dir", "dumps", "--print-ir-after", "surrogate-swap", "-q"]) == 0
    assert sorted(p.name for p in (spec.parent / "dumps").iterdir()) == [
        "00_frontend.ir", "01_surrogate-swap.ir", "02_timestep-scaling.ir"]
    assert capsys.readouterr().out.startswith("// ----- IR after surrogate-swap ----- //\n")
    assert (spec.parent / "dumps" / "02_timestep-scaling.ir").read_text() == (spec.parent / "final.ir").read_text()


def test_time_passes_reports_every_stage(spec, capsys):
    assert main([str(spec), "--emit", "ir-json", "-o", "-", "--time-passes", "-q"]) == 0
    out = capsys.readouterr()
    assert json.loads(out.out)["graph"]["pipeline"][0] == "neuron-substitution"
    stages = [line.split()[-1] for line in out.err.splitlines()[2:]]
    assert stages == ["frontend", "neuron-substitution", "surrogate-swap", "precision-lowering", "timestep-scaling",
                      "schedule", "lower-to-target", "emit", "total"]
