"""BindsNET 0.3.4 emitter: renders a decided IR as a module that builds a `bindsnet.network.Network`.

Every semantic choice is already in the IR: `attrs.emit_order` (bindsnet-ordering pass)
fixes the order of layers, then connections, then monitors; each population's `impl`
(select-neuron-class pass) names `nodes.LIFNodes`, `nodes.IFNodes` or `canonical`.
This file only renders. Facts of BindsNET it respects (reference/simulators.md):

- `Input` sets `s = x`, so real-valued inputs reach the first Connection unchanged;
- `Connection.w` is `[in, out]`; it is stored as the transposed *view* of the
  `[out, in]` weight, because then `s @ w` runs the same kernel as
  `torch.nn.functional.linear(s, W)` (bit-identical; a contiguous copy is not for
  large fan-in);
- `run(..., one_step=True)` updates layers in `add_layer` order, which is
  topological here: spikes are time aligned, no per-connection delay;
- only keyword names that exist on each class are passed (`**kwargs` swallows typos);
- `Monitor.get` drains its log; a batch-size change re-initialises every layer;
- no FP16 weights (autocast instead) and no surrogate gradients.
"""

from __future__ import annotations

import math

import libcst as cst

from ir.graph import Graph
from ir.neuron import Neuron
from ir.ops import DenseOp, InputOp, PopulationOp

from . import canonical, module
from .toolkit import Namespace, comment_lines, expr, literal, name, stmts, with_comments

LIF = "nodes.LIFNodes"
IF = "nodes.IFNodes"
CANONICAL = "canonical"

# Module-level names this emitter defines besides the contract names.
_OWN_NAMES = (
    "math", "Network", "Input", "LIFNodes", "IFNodes", "Nodes", "Connection", "Monitor",
    "PROJECTIONS", "CanonicalNodes",
)

# Attributes of a bindsnet 0.3.4 Network (an nn.Module, torch 2.x). `add_layer(l, name)` and
# `add_connection` register their argument with `add_module`, which raises KeyError for a name
# that is already an attribute ("run", "layers", "to", ...) and silently *replaces* a submodule
# of the same name (a layer "a_to_b" would be replaced by the connection a -> b, and then no
# longer follow `.to(device)`). Such population names get another BindsNET layer name.
_NETWORK_ATTRS = frozenset((
    "T_destination", "add_connection", "add_layer", "add_module", "add_monitor", "apply", "batch_size",
    "bfloat16", "buffers", "call_super_init", "children", "clone", "compile", "connections", "cpu", "cuda",
    "double", "dt", "dump_patches", "eval", "extra_repr", "float", "forward", "get_buffer",
    "get_extra_state", "get_parameter", "get_submodule", "half", "ipu", "layers", "learning",
    "load_state_dict", "modules", "monitors", "mtia", "named_buffers", "named_children", "named_modules",
    "named_parameters", "parameters", "register_backward_hook", "register_buffer", "register_forward_hook",
    "register_forward_pre_hook", "register_full_backward_hook", "register_full_backward_pre_hook",
    "register_load_state_dict_post_hook", "register_load_state_dict_pre_hook", "register_module",
    "register_parameter", "register_state_dict_post_hook", "register_state_dict_pre_hook", "requires_grad_",
    "reset_state_variables", "reward_fn", "run", "save", "set_extra_state", "set_submodule", "share_memory",
    "state_dict", "to", "to_empty", "train", "training", "type", "xpu", "zero_grad",
))


def _safe_layer_name(name: str) -> bool:
    """A layer name add_module accepts as a new submodule, and whose connection names
    `<source>_to_<target>` never coincide with a layer's or another connection's."""
    return (name not in _NETWORK_ATTRS and not name.startswith("_") and "_to_" not in name
            and not name.endswith("_to") and not name.startswith("to_"))


def layer_names(names: list[str]) -> dict[str, str]:
    """BindsNET layer name of each population (and the input): its own name where safe,
    else `p<k>_<name>` with the first free k (deterministic, never another population's name)."""
    out: dict[str, str] = {}
    taken = set(names)
    for n in names:
        if _safe_layer_name(n):
            out[n] = n
            continue
        stem = n.lstrip("_").replace("_to_", "_").removesuffix("_to").removeprefix("to_") or "layer"
        k = 1
        while (candidate := f"p{k}_{stem}") in taken or not _safe_layer_name(candidate):
            k += 1
        taken.add(candidate)
        out[n] = candidate
    return out


def emit_module(graph: Graph, pipeline: list[str]) -> cst.Module:
    if graph.attrs.emit_order is None:
        raise ValueError("bindsnet emitter: attrs.emit_order is not set (run the bindsnet-ordering pass)")
    ns = Namespace(module.CONTRACT_NAMES)
    ns.reserve(*_OWN_NAMES)
    ops = [graph.op(n) for n in graph.attrs.emit_order]
    pops = [op for op in ops if isinstance(op, PopulationOp)]
    for pop in pops:
        if pop.impl not in (LIF, IF, CANONICAL):
            raise ValueError(f"bindsnet emitter: population {pop.name!r} has impl {pop.impl!r}, "
                             f"expected one of {LIF!r}, {IF!r}, {CANONICAL!r}")
    inputs = [op for op in ops if isinstance(op, InputOp)]
    if len(inputs) != 1:
        raise ValueError(f"bindsnet emitter: expected exactly one input, got {len(inputs)}")
    lnames = layer_names([op.name for op in ops if isinstance(op, (InputOp, PopulationOp))])
    canon = [p for p in pops if p.impl == CANONICAL]

    body: list[cst.BaseStatement] = []
    body += _imports(canon, graph.attrs.dt)
    body += module.constant_stmts(graph)
    body += _projection_table(graph, pops, lnames)
    if canon:
        body += _canonical_parts(graph, canon, ns)
    if any(graph.projection(p.name).bias for p in pops):
        body += stmts(_AFFINE_CONNECTION)
    body.append(_build_model(graph, ops, inputs[0], ns, lnames))
    body += _load_export()
    body.append(_run(lnames[inputs[0].name]))
    body += module.main_block()
    return module.assemble(graph, pipeline, body)


# -- imports -------------------------------------------------------------------


def _imports(canon: list[PopulationOp], dt: float) -> list[cst.BaseStatement]:
    if canon:
        return stmts(_IMPORTS_CANONICAL)
    return stmts(_IMPORTS)


_AFFINE_CONNECTION = '''
class AffineConnection(Connection):
    """A Connection whose bias is added inside the product (addmm), as torch.nn.Linear does.

    BindsNET computes s @ w + b, which rounds differently for large fan-in; with addmm
    every target computes the same float32 currents."""

    def compute(self, s):
        post = torch.addmm(self.b, s.view(s.size(0), -1).float(), self.w)
        return post.view(s.size(0), *self.target.shape)
'''


_IMPORTS = """
import torch
from bindsnet.network import Network
from bindsnet.network.monitors import Monitor
from bindsnet.network.nodes import IFNodes, Input, LIFNodes
from bindsnet.network.topology import Connection
"""
_IMPORTS_CANONICAL = _IMPORTS.replace("LIFNodes\n", "LIFNodes, Nodes\n")


# -- the projection table ------------------------------------------------------


def _projection_table(graph: Graph, pops: list[PopulationOp], lnames: dict[str, str]) -> list[cst.BaseStatement]:
    table = {}
    for pop in pops:
        fc: DenseOp = graph.projection(pop.name)
        src = graph.source_of(fc.name).name
        table[pop.name] = (lnames[src], lnames[pop.name], fc.in_features, fc.out_features, fc.bias)
    (stmt,) = stmts("PROJECTIONS = {t}", t=literal(table))
    return [with_comments(stmt, comment_lines(
        "population -> (source layer, target layer, in_features, out_features, bias); BindsNET "
        "stores each projection as Connection(source, target) with w [in, out]. Layers are named "
        "after their population, except a name BindsNET's Network cannot take (run, layers, to, "
        "a_to_b, ...); monitors always carry the population name.", "projections"))]


# -- canonical neurons ---------------------------------------------------------

_CANONICAL_CLASS = '''
class CanonicalNodes(Nodes):
    """A BindsNET layer that performs the canonical neuron step of its population exactly.

    State: membrane v, previous spikes s_prev and refractory counter r (buffers);
    s is boolean like BindsNET's own nodes."""

    def __init__(self, n, step, v_init):
        super().__init__(n=n, traces=False)
        self.step = step
        self.v_init = v_init
        self.register_buffer("v", torch.zeros(0))
        self.register_buffer("s_prev", torch.zeros(0))
        self.register_buffer("r", torch.zeros(0))

    def forward(self, x):
        s, v, r = self.step(x, self.v, self.s_prev, self.r)
        self.v = v
        self.s_prev = s
        self.r = r
        self.s = s > 0
        super().forward(x)

    def reset_state_variables(self):
        super().reset_state_variables()
        self.v.fill_(self.v_init)
        self.s_prev.zero_()
        self.r.zero_()

    def set_batch_size(self, batch_size):
        super().set_batch_size(batch_size=batch_size)
        self.v = torch.full((batch_size, *self.shape), self.v_init, device=self.v.device)
        self.s_prev = torch.zeros_like(self.v)
        self.r = torch.zeros_like(self.v)
'''


def _canonical_parts(graph: Graph, canon: list[PopulationOp], ns: Namespace) -> list[cst.BaseStatement]:
    out: list[cst.BaseStatement] = []
    dt = graph.attrs.dt
    for pop in canon:
        decay_name = None
        if pop.neuron.leak == "tc":
            decay_name = ns.name(f"{pop.name.upper()}_DECAY", key=("decay", pop.name))
            (stmt,) = stmts("{n} = {e}", n=name(decay_name), e=canonical.decay_expr(pop.neuron, dt))
            out.append(with_comments(stmt, comment_lines(
                f"decay of population {pop.name}, computed as BindsNET computes it", "leak")))
        fn = canonical.step_function(ns.name(f"{pop.name}_step", key=("step", pop.name)), pop.neuron, decay_name)
        out.append(with_comments(fn, comment_lines(
            f"canonical step of population {pop.name}; no native BindsNET class is exact", "neuron")))
    out += stmts(_CANONICAL_CLASS)
    return out


# -- build_model ---------------------------------------------------------------


def _layer_expr(graph: Graph, op, ns: Namespace, lnames: dict[str, str]) -> tuple[cst.BaseExpression, list[cst.BaseStatement]]:
    """The layer constructor and statements to run right after add_layer."""
    if isinstance(op, InputOp):
        return expr("Input(n={n}, traces=False)", n=literal(op.size)), []
    n: Neuron = op.neuron
    dt = graph.attrs.dt
    if op.impl == LIF:
        if n.leak == "tc":
            rest, tc = n.v_rest, n.tc_decay
        elif n.leak == "beta":
            rest, tc = 0.0, _tc_for_beta(n.decay, dt)
        else:
            raise ValueError(f"bindsnet emitter: LIFNodes cannot render leak {n.leak!r} of {op.name!r}")
        kwargs = dict(n=op.size, thresh=n.v_threshold, rest=rest, reset=n.v_reset,
                      refrac=n.refractory * dt)
        if tc is not None:
            kwargs["tc_decay"] = tc
        kwargs["traces"] = False
        ctor = _call("LIFNodes", kwargs)
        after: list[cst.BaseStatement] = []
        if n.leak == "beta":
            (stmt,) = stmts("network.layers[{k}].decay = torch.tensor({b})",
                            k=literal(lnames[op.name]), b=literal(n.decay))
            after.append(with_comments(stmt, comment_lines(
                "leak 'beta': LIFNodes computes (v - 0) * decay + 0 + x; its decay buffer is set to "
                "beta exactly (tc_decay above is only its nearest description)", "leak")))
        return ctor, after
    if op.impl == IF:
        if n.leak != "none":
            raise ValueError(f"bindsnet emitter: IFNodes cannot render leak {n.leak!r} of {op.name!r}")
        return _call("IFNodes", dict(n=op.size, thresh=n.v_threshold, reset=n.v_reset,
                                     refrac=n.refractory * dt, traces=False)), []
    if op.impl == CANONICAL:
        return expr("CanonicalNodes(n={n}, step={f}, v_init={v})", n=literal(op.size),
                    f=name(ns[("step", op.name)]), v=literal(n.v_init)), []
    raise ValueError(f"bindsnet emitter: unknown impl {op.impl!r} for {op.name!r}")


def _tc_for_beta(beta: float, dt: float) -> float | None:
    """tc_decay with exp(-dt/tc_decay) = beta, only as a description; None where none is finite."""
    if not 0.0 < beta < 1.0:
        return None
    return -dt / math.log(beta)


def _call(cls: str, kwargs: dict) -> cst.Call:
    return cst.Call(name(cls), [cst.Arg(literal(v), keyword=name(k)) for k, v in kwargs.items()])


def _surrogate_note(pops: list[PopulationOp]) -> list[cst.EmptyLine]:
    used = sorted({str(p.neuron.surrogate) for p in pops if p.neuron.surrogate})
    if not used:
        return []
    return comment_lines("BindsNET has no surrogate gradients; the spec's surrogate "
                         + ", ".join(used) + " is not used (inference only).", "surrogate")


def _build_model(graph: Graph, ops, inp: InputOp, ns: Namespace, lnames: dict[str, str]) -> cst.FunctionDef:
    pops = [op for op in ops if isinstance(op, PopulationOp)]
    body: list[cst.BaseStatement] = []
    (net,) = stmts("network = Network(dt={dt}, learning=False)", dt=literal(float(graph.attrs.dt)))
    body.append(with_comments(net, _surrogate_note(pops)))
    # layers, in emit order (topological: one_step=True updates them in this order)
    for op in ops:
        if not isinstance(op, (InputOp, PopulationOp)):
            continue
        ctor, after = _layer_expr(graph, op, ns, lnames)
        (stmt,) = stmts("network.add_layer({c}, name={k})", c=ctor, k=literal(lnames[op.name]))
        lines = []
        if isinstance(op, PopulationOp):
            lines = comment_lines(f"population {op.name}: {op.impl}", "layer") + module.note_comments(op.note)
        body.append(with_comments(stmt, lines))
        body += after
    # connections
    for op in ops:
        if not isinstance(op, DenseOp):
            continue
        (pop_name,) = graph.successors(op.name)
        src = graph.source_of(op.name).name
        init = stmts("fc = torch.nn.Linear({i}, {o}, bias={b})", i=literal(op.in_features),
                     o=literal(op.out_features), b=literal(op.bias))
        body.append(with_comments(init[0], comment_lines(
            f"projection {op.name}: initial weights drawn as torch.nn.Linear draws them; "
            "w is the [in, out] transposed view", "connection")))
        template = _CONNECTION_BIAS if op.bias else _CONNECTION
        body += stmts(template, s=literal(lnames[src]), t=literal(lnames[pop_name]))
    # monitors
    for op in pops:
        body += stmts('network.add_monitor(Monitor(network.layers[{k}], state_vars=["s", "v"]), name={m})',
                      k=literal(lnames[op.name]), m=literal(op.name))
    body += stmts("if device is not None:\n    network.to(device)\nreturn network")
    fn = stmts("def build_model(device=None):\n    pass")[0]
    doc = cst.SimpleStatementLine([cst.Expr(literal(
        "The BindsNET Network: layers, then connections, then monitors, in topological order."))])
    return fn.with_changes(body=cst.IndentedBlock([doc, *body]))


_CONNECTION = (
    "network.add_connection(Connection(network.layers[{s}], network.layers[{t}], "
    "w=fc.weight.detach().t()), source={s}, target={t})"
)
_CONNECTION_BIAS = (
    "network.add_connection(AffineConnection(network.layers[{s}], network.layers[{t}], "
    "w=fc.weight.detach().t(), b=fc.bias.detach()), source={s}, target={t})"
)


# -- weights -------------------------------------------------------------------

_LOAD_EXPORT = '''
def load_weights(model, weights):
    """Load {"<population>.weight": [out, in], "<population>.bias": [out]}; returns model.

    Every key is checked before anything is changed. Weights are stored as BindsNET's
    [in, out] w as the transposed view of a contiguous [out, in] float32 copy, so that
    s @ w is bit-identical to torch.nn.functional.linear(s, W)."""
    expected = {}
    for pop, (source, target, n_in, n_out, bias) in PROJECTIONS.items():
        expected[pop + ".weight"] = (n_out, n_in)
        if bias:
            expected[pop + ".bias"] = (n_out,)
    for key in weights:
        if key not in expected:
            raise ValueError("unknown weight " + repr(key))
    values = {}
    for key, shape in expected.items():
        if key not in weights:
            raise ValueError("missing weight " + repr(key))
        value = torch.as_tensor(weights[key], dtype=torch.float32).detach()
        if tuple(value.shape) != shape:
            raise ValueError(
                "weight " + repr(key) + " has shape " + repr(tuple(value.shape))
                + ", expected " + repr(shape)
            )
        values[key] = value.clone(memory_format=torch.contiguous_format)
    for pop, (source, target, n_in, n_out, bias) in PROJECTIONS.items():
        connection = model.connections[(source, target)]
        device = connection.w.device
        w = values[pop + ".weight"].to(device).t()
        connection.w = torch.nn.Parameter(w, requires_grad=False)
        if bias:
            b = values[pop + ".bias"].to(device)
            connection.b = torch.nn.Parameter(b, requires_grad=False)
    return model


def export_weights(model):
    """The weights as float32 CPU contiguous tensors: "<population>.weight" [out, in], ".bias" [out]."""
    out = {}
    for pop, (source, target, n_in, n_out, bias) in PROJECTIONS.items():
        connection = model.connections[(source, target)]
        w = connection.w.detach().t().to("cpu", torch.float32)
        out[pop + ".weight"] = w.clone(memory_format=torch.contiguous_format)
        if bias:
            b = connection.b.detach().to("cpu", torch.float32)
            out[pop + ".bias"] = b.clone(memory_format=torch.contiguous_format)
    return out
'''


def _load_export() -> list[cst.BaseStatement]:
    return stmts(_LOAD_EXPORT)


# -- run ---------------------------------------------------------------------

_RUN = '''
def run(model, inputs, membrane=False):
    """Spikes {"<population>": float32 [T, B, n]} for inputs [T, B, INPUT_SIZE]; with
    membrane=True also {"<population>.v": membrane after each step, post-reset}.

    State is reset first. one_step=True updates layers in add_layer order (topological),
    so spikes are time aligned: no per-connection delay."""
    device = next(iter(model.connections.values())).w.device
    x = torch.as_tensor(inputs, dtype=torch.float32).to(device)
    steps, batch = x.shape[0], x.shape[1]
    if model.batch_size != batch:
        model.batch_size = batch
        for layer in model.layers.values():
            layer.set_batch_size(batch)
    model.reset_state_variables()
    # BindsNET cannot hold FP16 weights: FP16 runs under autocast, on CUDA only.
    fp16 = PRECISION == "fp16-cuda" and x.is_cuda
    # BindsNET runs int(time / dt) steps; half a step of margin makes that exactly `steps`.
    time = (steps + 0.5) * model.dt
    with torch.no_grad(), torch.autocast("cuda", dtype=torch.float16, enabled=fp16):
        model.run(inputs={ {input_name}: x}, time=time, one_step=True)
    out = {}
    for pop in POPULATIONS:
        monitor = model.monitors[pop]
        out[pop] = monitor.get("s").to(torch.float32)
        v = monitor.get("v")
        if membrane:
            out[pop + ".v"] = v.to(torch.float32)
    return out
'''


def _run(input_layer: str) -> cst.FunctionDef:
    (fn,) = stmts(_RUN, input_name=literal(input_layer))
    return fn


