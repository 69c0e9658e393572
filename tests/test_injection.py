"""No spec string can become code: hostile values in every string field, proved on the output.

Every string a spec (or its file name) can carry is set to a hostile value framed
by two sentinels, SENT_L + payload + SENT_R: model_name, layer notes (neuron and
linear), description, hardware_constraints.device_type, backend, step_mode, and
the spec file's own name. Each spec is compiled for all three targets and the
generated module is checked by parsing, not by eye:

* tokens: the sentinels occur only in STRING and COMMENT tokens; a STRING token
  holding one holds the whole hostile value, intact (it evaluates to a string
  containing SENT_L + payload + SENT_R); no ERRORTOKEN;
* structure: the AST is the AST of the same spec with benign values, once every
  string constant is masked (and the model class, named after model_name, is
  renamed): the hostile value changed string contents and nothing else;
* imports: exactly the emitter's own (a fixed allow-list per target);
* calls: every callee is in a fixed allow-list per target, or a class/function
  the module defines itself, or a submodule / step function / initialiser whose
  name the emitter derived from an op through a Namespace;
  no module-level name is bound twice (a derived name never shadows another);
* the raw text: no control character but '\\n', no U+2028/U+2029, and the first
  two lines carry no PEP 263 coding declaration;
* it runs: `build_model()` and `run()` (snnTorch for every payload, all three
  targets for the kitchen-sink value), and MODEL_NAME is the spec's model_name.

Where the schema refuses a value (control characters or line separators in a
label or model_name, over 100 characters, unknown simulator or surrogate, a
population name that is not a safe identifier), the refusal is a clean
CompileError whose every rendered line is printable. Population names that are
valid identifiers but collide with what the emitters write (torch, run, self,
MODEL_NAME, Network, ...) compile, run, and come back as the run() keys.
"""

from __future__ import annotations

import ast
import copy
import io
import json
import re
import tokenize
from pathlib import Path

import pytest

from compiler.build import compile_spec
from compiler.diagnostics import CompileError
from support.generated import import_source
from ir.targets import names as target_names

TARGETS = target_names()
SENT_L, SENT_R = "\u27e6", "\u27e7"  # ⟦ ⟧: printable, not word characters, never written by an emitter

PAYLOADS = [
    '"', "'", '"""', "'''", "\\", '\\"', "\\'", '"\\', "\\\\'''",
    '"""); import os; os.system("x")#',
    "'''); import os; os.system('x')#",
    '"); __import__("os").system("x"); ("',
    "__import__('os')",
    "\n", "\r", "\r\n", "\n\nimport os\n", "\u2028", "\u2029", "\u0085", "\x0b", "\x0c", "\x1c\x1d\x1e",
    "# fmt: off", "\n# fmt: off\nimport os\n# fmt: on\n", "# fmt: skip", "# type: ignore",
    "\x00", "\x01\x07\x08\x1b[2J\x1b]0;title\x07", "\x7f\x9b",
    "# -*- coding: latin-1 -*-", "\n# -*- coding: latin-1 -*-\n", "# vim: set fileencoding=latin-1 :",
    "\u202e}{\u202c", "\ufeff", "\u200b\u200d",
    "{x}", "{0}", "%s %(x)s", "\\N{BULLET}", "\\x00", "\\u2028",
    "\t", "\\\n", "\U0001f9e0\u4e2d\u6587\u0627\u0644",
    "x" * 90,  # near the 100-character limit of labels once framed
    "y" * 5000,  # very long (notes and description only)
    "torch", "Network", "snn", "run", "build_model", "MODEL_NAME", "class", "None", "1abc", "self",
]
KITCHEN_SINK = "".join(PAYLOADS[:48])

LABEL_FIELDS = ("model_name", "device_type", "backend", "step_mode")  # schema: no control chars, <= 100
TEXT_FIELDS = ("note", "linear_note", "description")  # any string


def _unsafe(text: str) -> bool:
    """What the schema's unsafeText pattern matches: C0/C1 controls, DEL, U+2028, U+2029."""
    return any(ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F or ch in "\u2028\u2029" for ch in text)


def label_ok(value: str) -> bool:
    return 1 <= len(value) <= 100 and not _unsafe(value)


def base_spec(**values: str) -> dict:
    """A small spec (a DAG: input -> a -> b, input -> c) with the given string fields set."""
    spec = {
        "model_name": values.get("model_name", "Benign"),
        "target_simulator": "snnTorch",
        "time_steps": 3,
        "description": values.get("description", "benign"),
        "hardware_constraints": {"device_type": values.get("device_type", "cpu")},
        "backend": values.get("backend", "torch"),
        "step_mode": values.get("step_mode", "multi_step"),
        "layers": [
            {"type": "linear", "in_features": 4, "out_features": 3, "note": values.get("linear_note", "benign")},
            {"type": "LIFNode", "name": "a", "beta": 0.9, "surrogate_function": "atan",
             "note": values.get("note", "benign")},
            {"type": "linear", "in_features": 3, "out_features": 2},
            {"type": "IFNode", "name": "b", "note": values.get("note", "benign")},
            {"type": "linear", "in_features": 4, "out_features": 2, "bias": False},
            {"type": "LIFNode", "name": "c", "tau": 2.5},
        ],
        "connections": [{"source": "input", "target": "a"}, {"source": "a", "target": "b"},
                        {"source": "input", "target": "c"}],
    }
    if "device_type" in values and values["device_type"] is None:
        del spec["hardware_constraints"]
    return spec


# -- what the emitters may write ----------------------------------------------------

IMPORTS = {
    "snntorch": {"import math", "import torch", "import torch.nn as nn", "import snntorch as snn",
                 "from snntorch import surrogate"},
    "spikingjelly": {"import functools", "import math", "import torch", "import torch.nn as nn",
                     "from collections import OrderedDict",
                     "from spikingjelly.activation_based import functional",
                     "from spikingjelly.activation_based import layer",
                     "from spikingjelly.activation_based import neuron",
                     "from spikingjelly.activation_based import surrogate"},
    "bindsnet": {"import math", "import torch", "from bindsnet.network import Network",
                 "from bindsnet.network.monitors import Monitor",
                 "from bindsnet.network.nodes import IFNodes", "from bindsnet.network.nodes import Input",
                 "from bindsnet.network.nodes import LIFNodes", "from bindsnet.network.nodes import Nodes",
                 "from bindsnet.network.topology import Connection",
                 "from bindsnet.network.topology import Conv2dConnection",
                 "from bindsnet.network.topology import AbstractConnection"},
}
REQUIRED_IMPORTS = {"snntorch": {"import snntorch as snn"},
                    "spikingjelly": {"from spikingjelly.activation_based import neuron"},
                    "bindsnet": {"from bindsnet.network import Network"}}

_COMMON_CALLS = {
    "ValueError", "isinstance", "type", "sum", "next", "print", "range", "repr", "round", "sorted", "str", "super", "tuple",
    "list", "zip", "len", "map", "enumerate", "build_model", "run", "model", "smoke_out[].mean", "layer", "step",
    "torch.as_tensor", "torch.autocast", "torch.bernoulli", "torch.exp", "torch.full", "torch.full_like",
    "torch.manual_seed", "torch.no_grad", "torch.rand", "torch.stack", "torch.tensor", "torch.where",
    "torch.zeros", "torch.zeros_like", "torch.is_grad_enabled", "torch.set_grad_enabled", "torch.device",
    "torch.abs", "torch.sigmoid", "torch.cat",
    "<expr>.__init__", "<expr>.contiguous", "<expr>.item", "<expr>.items", "<expr>.to", "<expr>.float",
    "<expr>.clone", "<expr>.detach", "<expr>.join", "<expr>.pow_", "<expr>.t", "<expr>.unbind", "cur.unbind",
    "x.unbind", "x_seq.unbind", "term.unbind", "enumerate",
    "WEIGHTS.items", "ctx.save_for_backward", "model.buffers", "model.parameters", "out[].float",
    "spikes.append", "membranes.append", "tensor.copy_", "tensor.detach", "value.to", "values[].t",
    "x.clone", "x.data_ptr", "x.dim", "x.is_complex", "value.is_complex", "x.to", "x.new_zeros", "x.masked_fill", "c.masked_fill",
    "v.masked_fill", "self.step", "self.initial_state", "init.bias.detach", "init.weight.detach",
    "nn.Linear", "nn.Parameter", "nn.Conv2d", "nn.MaxPool2d", "nn.AvgPool2d", "nn.Flatten", "model.to",
    "model.state_dict", "weights.items", "id", "any", "set", "flipped.add", "names.get", "value.t",  # a state_dict()
    "getattr", "slots.update",  # runs of identical layers, written as loops
}
CALLS = {
    "snntorch": _COMMON_CALLS | {
        "snn.Leaky", "snn.RLeaky", "surrogate.atan", "surrogate.fast_sigmoid", "surrogate.sigmoid", "leaky",
        "rleaky", "rleaky.recurrent", "leaky.beta.clamp", "rleaky.beta.clamp", "self.add_module",
        "sequence", "torch.empty_like", "torch.mul", "torch.gt", "<expr>.add_", "u.sub_",  # snn.Leaky's sequence
    },
    "spikingjelly": _COMMON_CALLS | {
        "OrderedDict", "functional.reset_net", "layer.Linear", "layer.Conv2d", "layer.MaxPool2d", "layer.AvgPool2d",
        "layer.Flatten", "model.named_children", "module", "neuron.IFNode", "neuron.LIFNode", "nn.Sequential",
        "surrogate.ATan", "surrogate.Sigmoid", "surrogate.SoftSign", "functools.partial", "net.get_submodule",
        "<expr>.register_forward_hook", "hook.remove", "NODES.items", "self.add_module", "model.add_module",
    },
    "bindsnet": _COMMON_CALLS | {
        "<expr>.forward", "<expr>.reset_state_variables", "<expr>.set_batch_size", "<expr>.update",
        "Connection", "Conv2dConnection", "IFNodes", "Input", "LIFNodes", "Monitor", "Network",
        "layer.s.float", "layer.set_batch_size", "layers[]", "model.layers.items", "model.layers.values",
        "model.reset_state_variables", "model.run", "monitor.get", "network.add_connection", "network.add_layer", "network.add_monitor",
        "network.to", "padded[].view", "self.compute_fn", "self.layers.values", "self.history[].append", "self.history[].pop",
        "self.register_buffer", "self.reset_state_variables", "self.target.late.append", "torch.nn.Linear",
        "torch.nn.Conv2d", "torch.nn.MaxPool2d", "torch.nn.AvgPool2d", "torch.nn.Flatten", "torch.nn.ModuleDict",
        "torch.nn.Parameter", "x.reshape", "x[].numel",
    },
}
# Calls whose name the emitter derives from an op (through a Namespace): submodules of the model,
# their step functions, BindsNET's per-connection initialisers, the generated classes' apply, and
# a population's module in a loop over identical layers.
_DERIVED = re.compile(r"self\.[A-Za-z_]\w*(\.(step|initial_state))?|[A-Za-z_]\w*_init\.(weight|bias)\.detach"
                      r"|[A-Za-z_]\w*_(seq|v_seq)\.append|[A-Za-z_]\w*\.unbind|neurons(_\d+)?")
_CODING = re.compile(r"^[ \t\f]*#.*?coding[:=]")


def _callee(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_callee(node.value)}.{node.attr}"
    if isinstance(node, ast.Subscript):
        return f"{_callee(node.value)}[]"
    return "<expr>"


def _import_lines(tree: ast.Module) -> set[str]:
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {f"import {a.name}" + (f" as {a.asname}" if a.asname else "") for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0
            out |= {f"from {node.module} import {a.name}" + (f" as {a.asname}" if a.asname else "")
                    for a in node.names}
    return out


def check_module(source: str, target: str) -> ast.Module:
    """The target-independent proofs on one generated module; returns its AST."""
    lines = source.split("\n")
    assert not any(_CODING.match(line) for line in lines[:2]), lines[:2]
    bad = sorted({f"U+{ord(ch):04X}" for ch in source if (ord(ch) < 0x20 and ch != "\n") or 0x7F <= ord(ch) <= 0x9F
                  or ch in "\u2028\u2029\ufeff"})
    assert not bad, f"raw control or separator characters in the output: {bad}"
    tree = ast.parse(source)
    compile(source.encode("utf-8"), "<bytes>", "exec")  # as Python reads a file: bytes, coding declarations

    imports = _import_lines(tree)
    assert imports <= IMPORTS[target], sorted(imports - IMPORTS[target])
    assert REQUIRED_IMPORTS[target] <= imports
    bound = [n.name for n in tree.body if isinstance(n, (ast.ClassDef, ast.FunctionDef))]
    bound += [t.id for n in tree.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)]
    twice = sorted({n for n in bound if bound.count(n) > 1})
    assert not twice, f"{target}: module-level names bound twice (one entity shadows another): {twice}"
    defined = set(bound)
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            callee = _callee(node.func)
            allowed = (callee in CALLS[target] or callee in defined or _DERIVED.fullmatch(callee)
                       or callee.removesuffix(".apply") in defined)
            assert allowed, f"{target}: unexpected call {callee}() at line {node.lineno}"
        if isinstance(node, (ast.Global, ast.Nonlocal, ast.Lambda, ast.AsyncFunctionDef, ast.Await)):
            raise AssertionError(f"{target}: unexpected {type(node).__name__} at line {node.lineno}")
    return tree


def check_tokens(source: str, hostile: str) -> tuple[int, int]:
    """Sentinels only in STRING and COMMENT tokens; a STRING holding one holds the whole value.
    Returns how many STRING and COMMENT tokens hold a sentinel."""
    framed = SENT_L + hostile + SENT_R
    strings = comments = 0
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        assert tok.type != tokenize.ERRORTOKEN, tok
        if SENT_L not in tok.string and SENT_R not in tok.string:
            continue
        if tok.type == tokenize.STRING:
            value = ast.literal_eval(tok.string)
            assert isinstance(value, str) and framed in value, (tok, hostile)
            strings += 1
        elif tok.type == tokenize.COMMENT:
            comments += 1
        else:
            raise AssertionError(f"spec text outside a string or comment: {tok}")
    return strings, comments


class _Mask(ast.NodeTransformer):
    """Every str constant -> '<str>'; the given identifiers -> 'ID'."""

    def __init__(self, names: set[str]):
        self.names = names

    def visit_Constant(self, node):
        return ast.Constant("<str>") if isinstance(node.value, str) else node

    def visit_Name(self, node):
        return ast.Name("ID", node.ctx) if node.id in self.names else node

    def visit_ClassDef(self, node):
        self.generic_visit(node)
        if node.name in self.names:
            node.name = "ID"
        return node


def shape(tree: ast.Module, model_name_ids: set[str]) -> str:
    return ast.dump(_Mask(model_name_ids).visit(copy.deepcopy(tree)))


def _model_class_ids(tree: ast.Module) -> set[str]:
    """Top-level classes whose name may derive from model_name (the snnTorch model class)."""
    fixed = {"Network", "CanonicalNode", "CanonicalNodes", "AffineConnection"}
    return {n.name for n in tree.body if isinstance(n, ast.ClassDef)
            and n.name not in fixed and not n.name.startswith("Neuron_")}


def compile_all(spec: dict, tmp_path: Path, filename: str = "spec.json") -> dict[str, str]:
    path = tmp_path / filename
    path.write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
    return {target: compile_spec(path, target).source for target in TARGETS}


@pytest.fixture(scope="module")
def benign(tmp_path_factory) -> dict[str, str]:
    """The benign shape of every target's module."""
    sources = compile_all(base_spec(), tmp_path_factory.mktemp("benign"))
    out = {}
    for target, source in sources.items():
        tree = check_module(source, target)
        out[target] = shape(tree, _model_class_ids(tree))
    return out


def values_for(payload: str) -> dict[str, str]:
    framed = SENT_L + payload + SENT_R
    values = {field: framed for field in TEXT_FIELDS}
    values |= {field: framed for field in LABEL_FIELDS if label_ok(framed)}
    return values


def run_snntorch(source: str, tmp_path: Path, expected_name: str) -> None:
    import torch

    module = import_source(source, tmp_path, "injected")
    assert module.MODEL_NAME == expected_name
    model = module.build_model()
    out = module.run(model, torch.zeros(module.TIME_STEPS, 1, *module.INPUT_SHAPE))
    assert sorted(out) == ["a", "b", "c"]


@pytest.mark.parametrize("payload", PAYLOADS, ids=lambda p: ascii(p)[:40])
def test_hostile_values_stay_in_strings_and_comments(payload, tmp_path, benign):
    values = values_for(payload)
    sources = compile_all(base_spec(**values), tmp_path)
    framed = SENT_L + payload + SENT_R
    for target, source in sources.items():
        tree = check_module(source, target)
        strings, comments = check_tokens(source, payload)
        assert comments >= 1, "the notes never reached the output: the test proves nothing"
        if "model_name" in values:
            assert strings >= 1, "model_name is not in the output as a string"
            (model_name,) = [node.value.value for node in tree.body if isinstance(node, ast.Assign)
                             and getattr(node.targets[0], "id", None) == "MODEL_NAME"]
            assert model_name == framed
        assert shape(tree, _model_class_ids(tree)) == benign[target], f"{target}: the code changed shape"
    run_snntorch(sources["snntorch"], tmp_path, values.get("model_name", "Benign"))


@pytest.mark.parametrize("field", LABEL_FIELDS)
@pytest.mark.parametrize("payload", [p for p in PAYLOADS if not label_ok(SENT_L + p + SENT_R)],
                         ids=lambda p: ascii(p)[:40])
def test_labels_refuse_unsafe_text_cleanly(field, payload, tmp_path):
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(base_spec(**{field: SENT_L + payload + SENT_R})), encoding="utf-8")
    with pytest.raises(CompileError) as caught:
        compile_spec(path, "snntorch")
    assert_clean(caught.value, path)
    pointer = {"device_type": "/hardware_constraints/device_type"}.get(field, f"/{field}")
    assert [d.pointer for d in caught.value.diagnostics] == [pointer]
    message = caught.value.diagnostics[0].message
    assert "control characters or line separators" in message or "too long" in message, message


def assert_clean(err: CompileError, path: Path) -> None:
    assert err.diagnostics
    for diagnostic in err.diagnostics:
        assert diagnostic.severity == "error"
        assert diagnostic.headline().startswith(f"{path}:")
    for line in err.render().split("\n"):
        assert line.isprintable(), ascii(line)


@pytest.mark.parametrize("payload", ['"""); import os #', "\n", "\x00", "torch\u2028", "x" * 200,
                                     "__import__('os')"], ids=ascii)
@pytest.mark.parametrize("where", ["target_simulator", "surrogate", "surrogate_object", "name",
                                   "connection_source", "connection_target", "linear_name"])
def test_other_string_fields_refuse_hostile_values_cleanly(where, payload, tmp_path):
    spec = base_spec()
    if where == "target_simulator":
        spec["target_simulator"] = payload
    elif where == "surrogate":
        spec["layers"][1]["surrogate_function"] = payload
    elif where == "surrogate_object":
        spec["layers"][1]["surrogate_function"] = {"name": payload, "alpha": 2.0}
    elif where == "name":
        spec["layers"][1]["name"] = payload
    elif where == "linear_name":
        spec["layers"][0]["name"] = payload
    elif where == "connection_source":
        spec["connections"][1]["source"] = payload
    else:
        spec["connections"][1]["target"] = payload
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(spec), encoding="utf-8")
    with pytest.raises(CompileError) as caught:
        compile_spec(path, "bindsnet")
    assert_clean(caught.value, path)


# -- the spec file's own name ---------------------------------------------------------

FILE_NAMES = [
    "x -*- coding: latin-1 -*-.json",
    "# -*- coding: latin-1 -*-",
    "a\n# -*- coding: latin-1 -*-\nb.json",
    '"""); import os; os.system("x")#.json',
    "a\rb\x1b[2J\x07.json",
    "\u2028\u2029\u0085.json",
    "# fmt: off.json",
    "\\'\".json",
    "\u202eevil.json",
    "z" * 200 + ".json",
]


@pytest.mark.parametrize("stem", FILE_NAMES, ids=lambda s: ascii(s)[:40])
def test_hostile_spec_file_names(stem, tmp_path, benign):
    filename = SENT_L + stem + SENT_R
    try:
        sources = compile_all(base_spec(), tmp_path, filename)
    except OSError as err:  # pragma: no cover - a file system that refuses the name
        pytest.skip(f"the file system refuses this name: {err}")
    for target, source in sources.items():
        tree = check_module(source, target)
        strings, comments = check_tokens(source, stem)
        assert comments >= 1 and strings == 0, (strings, comments)
        assert shape(tree, _model_class_ids(tree)) == benign[target]


def test_hostile_file_name_in_diagnostics(tmp_path):
    path = tmp_path / "a\n# -*- coding: latin-1 -*-\x1b[2J.json"
    path.write_text('{"model_name": 1}', encoding="utf-8")
    with pytest.raises(CompileError) as caught:
        compile_spec(path, "snntorch")
    for line in caught.value.render().split("\n"):
        assert line.isprintable(), ascii(line)


# -- population and model names that collide with the emitters' own -------------------

COLLIDING = ["torch", "nn", "snn", "np", "surrogate", "functional", "neuron", "layer", "self", "x", "out",
             "run", "build_model", "load_weights", "export_weights", "MODEL_NAME", "TARGET", "TIME_STEPS",
             "INPUT_SHAPE", "WEIGHTS", "PRECISION", "POPULATIONS", "Network", "Connection", "Monitor", "Input", "LIFNodes",
             "IFNodes", "Nodes", "forward", "projections", "init_state", "fc", "net", "network", "model",
             "match", "case", "_", "layer_1_step", "Neuron_layer_1", "fc_layer_1", "lif_layer_1",
             "CanonicalNode", "CanonicalNodes", "AffineConnection", "DECAY_c", "spk", "mem", "cur", "t", "v",
             "s", "r", "h", "weights", "inputs", "param", "result", "pop", "key", "value", "spikes", "decay",
             "node", "monitor", "connection", "state", "params", "b", "w", "post", "step", "step_fn"]


def colliding_spec(names: list[str]) -> dict:
    """A DAG of len(names) populations, one per kind of neuron (snnTorch, SpikingJelly, BindsNET words)."""
    kinds = [{"type": "LIFNode", "beta": 0.9}, {"type": "LIFNode", "tau": 2.0},
             {"type": "LIFNode", "tc_decay": 20.0, "thresh": 0.5, "rest": 0.0, "reset": 0.0, "refrac": 1},
             {"type": "IFNode", "v_reset": None}]
    layers, connections = [], []
    for k, name in enumerate(names):
        source = "input" if k % 3 == 0 else names[k - 1]
        layers += [{"type": "linear", "in_features": 3, "out_features": 3}, {**kinds[k % 4], "name": name}]
        connections.append({"source": source, "target": name})
    return {"model_name": names[0], "target_simulator": "snnTorch", "time_steps": 2, "layers": layers,
            "connections": connections}


@pytest.mark.parametrize("group", range(0, len(COLLIDING), 8), ids=lambda i: COLLIDING[i])
def test_names_that_collide_with_the_emitters_own(group, tmp_path, bindsnet):
    import torch

    names = COLLIDING[group:group + 8]
    sources = compile_all(colliding_spec(names), tmp_path)
    for target, source in sources.items():
        check_module(source, target)
        module = import_source(source, tmp_path, f"collide_{target}")
        assert module.MODEL_NAME == names[0]
        out = module.run(module.build_model(), torch.rand(2, 1, 3))
        assert sorted(out) == sorted(names), target
        assert all(tuple(v.shape) == (2, 1, 3) for v in out.values())


def test_kitchen_sink_runs_on_every_target(tmp_path, bindsnet):
    """Every payload at once, in every text field; each target's module builds and runs."""
    import torch

    values = values_for(KITCHEN_SINK)
    assert "model_name" not in values  # too long and unsafe: model_name keeps a plain hostile value
    values |= {"model_name": '"""); import os; os.system("x")#' + "'''\\"}
    sources = compile_all(base_spec(**values), tmp_path)
    for target, source in sources.items():
        check_module(source, target)
        module = import_source(source, tmp_path, f"sink_{target}")
        assert module.MODEL_NAME == values["model_name"]
        out = module.run(module.build_model(), torch.zeros(3, 2, 4))
        assert sorted(out) == ["a", "b", "c"]


def test_populations_whose_derived_names_coincide(tmp_path, bindsnet):
    """Regression: the emitters derive names from population names ("a" -> A_DECAY, a_step,
    Neuron_a); populations "a" and "A", or "Neuron_a" and "a_step", used to be handed the same
    identifier, so one population's decay constant or step function silently replaced another's."""
    import torch

    spec = colliding_spec(["a", "A", "Neuron_b", "b_step", "b"])
    spec["layers"][1] = {"type": "LIFNode", "name": "a", "tc_decay": 5.0, "thresh": 0.3, "rest": 0.0,
                         "reset": 0.0, "refrac": 0}
    spec["layers"][3] = {"type": "LIFNode", "name": "A", "tc_decay": 500.0, "thresh": 0.3, "rest": 0.0,
                         "reset": 0.0, "refrac": 0}
    sources = compile_all(spec, tmp_path)
    inputs = torch.rand(6, 2, 3)
    weights, results = None, {}
    for target, source in sources.items():
        check_module(source, target)  # includes: no module-level name bound twice
        module = import_source(source, tmp_path, f"derived_{target}")
        model = module.build_model()
        if weights is None:
            weights = module.export_weights(model)
        module.load_weights(model, weights)
        results[target] = module.run(model, inputs)
    for target in TARGETS[1:]:
        for pop, spikes in results["snntorch"].items():
            assert torch.equal(results[target][pop], spikes), (target, pop)
