"""The SpikingJelly 2.0.0 emitter (activation_based, multi-step mode).

`emit_module(graph, pipeline)` renders an IR whose populations already carry their
`impl` (passes/select_neuron_class.py) as a libcst Module implementing the
generated-module contract of DESIGN.md:

- a chain input -> pop_1 -> pop_2 -> ... becomes
  `nn.Sequential(layer.Linear, <neuron>, layer.Linear, <neuron>, ...)`; any other
  DAG (fan-out) becomes a generated `Network(nn.Module)` holding the same layers in
  two `nn.ModuleList`s (`fc`, `nodes`, in population order) and a forward over the graph;
- impl `neuron.LIFNode` / `neuron.IFNode` become the native classes, whose CPU
  multi-step op (`_ops/lif/cpu.py`, `_ops/if_/cpu.py`) performs exactly the
  canonical `tau_input` / `tau` / `none` charge, `>=` fire and reset of ir/neuron.py;
- impl `canonical` becomes `CanonicalNode`, a generated `neuron.BaseNode` subclass
  (memories v, s_prev, r, reset by `functional.reset_net`) whose functional step is
  the population's `canonical.step_function`.

The emitter decides nothing: every value comes from the IR and an unknown impl raises.
"""

from __future__ import annotations

import libcst as cst

from ir.graph import Graph
from ir.neuron import Neuron, Surrogate
from ir.ops import PopulationOp

from . import canonical, module
from .toolkit import Namespace, attr, comment_lines, literal, name, stmts, with_comments

NATIVE = ("neuron.LIFNode", "neuron.IFNode")
CANONICAL = "canonical"

# Module-level names this emitter defines besides the contract names.
_OWN_NAMES = (
    "neuron", "layer", "functional", "surrogate", "CanonicalNode", "Network", "_layers",
    "self", "x", "v", "s_prev", "r", "h", "s", "net", "model", "weights", "inputs", "membrane",
    "device", "key", "out",
)

_SURROGATES = {"atan": "ATan", "sigmoid": "Sigmoid", "softsign": "SoftSign", "fast_sigmoid": "SoftSign"}

FAST_SIGMOID_NOTE = (
    "SpikingJelly has no exact fast-sigmoid surrogate: surrogate.SoftSign(alpha=k) = "
    "(k/2) * fast_sigmoid(k), the same shape with the gradient scaled by k/2 "
    "(exact only for k=2). The forward pass (the spikes) is unaffected."
)


# -- small node builders -------------------------------------------------------


def _call(func: str, *args: cst.BaseExpression, **kwargs: cst.BaseExpression) -> cst.Call:
    return cst.Call(
        func=attr(func),
        args=[cst.Arg(a) for a in args] + [cst.Arg(v, keyword=name(k)) for k, v in kwargs.items()],
    )


def surrogate_call(s: Surrogate | None) -> cst.Call:
    """The SpikingJelly surrogate for the IR's (snnTorch-named) surrogate."""
    if s is None:
        return _call("surrogate.Sigmoid")
    cls = _SURROGATES.get(s.name)
    if cls is None:
        raise ValueError(f"spikingjelly: no surrogate for {s.name!r}")
    return _call(f"surrogate.{cls}", alpha=literal(float(s.alpha)))


def _float(x: float) -> cst.BaseExpression:
    return literal(float(x))


def neuron_call(pop: PopulationOp, step_names: dict[str, str]) -> cst.Call:
    """The neuron module of one population, as its `impl` says."""
    n: Neuron = pop.neuron
    sg = surrogate_call(n.surrogate)
    if pop.impl in NATIVE:
        if n.reset not in ("zero", "subtract") or n.refractory or n.reset_delay:
            raise ValueError(f"spikingjelly: {pop.name}: {pop.impl} cannot render {n.params()}")
        v_reset = _float(n.v_reset) if n.reset == "zero" else literal(None)
        kwargs: dict[str, cst.BaseExpression] = {}
        if pop.impl == "neuron.LIFNode":
            if n.leak not in ("tau", "tau_input"):
                raise ValueError(f"spikingjelly: {pop.name}: LIFNode has no {n.leak!r} leak")
            kwargs["tau"] = _float(n.tau)
            kwargs["decay_input"] = literal(n.leak == "tau_input")
        elif n.leak != "none":
            raise ValueError(f"spikingjelly: {pop.name}: IFNode has no {n.leak!r} leak")
        kwargs.update(
            v_threshold=_float(n.v_threshold),
            v_reset=v_reset,
            surrogate_function=sg,
            step_mode=literal("m"),
        )
        return _call(pop.impl, **kwargs)
    if pop.impl == CANONICAL:
        return _call(
            "CanonicalNode",
            name(step_names[pop.name]),
            v_init=_float(n.v_init),
            v_threshold=_float(n.v_threshold),
            surrogate_function=sg,
            step_mode=literal("m"),
        )
    raise ValueError(f"spikingjelly: population {pop.name!r} has no renderable impl ({pop.impl!r})")


def linear_call(graph: Graph, pop: PopulationOp) -> cst.Call:
    fc = graph.projection(pop.name)
    return _call("layer.Linear", literal(fc.in_features), literal(fc.out_features), bias=literal(fc.bias))


def _list(items: list[cst.BaseExpression]) -> cst.List:
    return cst.List([cst.Element(i) for i in items])


def _population_comments(pop: PopulationOp) -> list[cst.EmptyLine]:
    lines: list[cst.EmptyLine] = []
    if pop.note:
        lines += module.note_comments(pop.note)
    if pop.neuron.surrogate is not None and pop.neuron.surrogate.name == "fast_sigmoid":
        lines += comment_lines(FAST_SIGMOID_NOTE, label="surrogate")
    if lines:
        lines = comment_lines(f"{pop.name} ({pop.impl})", label="population") + lines
    return lines


def is_chain(graph: Graph) -> bool:
    prev = graph.inputs()[0].name
    for pop in graph.populations():
        if graph.source_of(graph.projection(pop.name).name).name != prev:
            return False
        prev = pop.name
    return True


# -- the canonical neuron class --------------------------------------------------

_CANONICAL_CLASS = '''
class CanonicalNode(neuron.BaseNode):
    """A SpikingJelly neuron performing the canonical float32 step of the header exactly.

    Memories (reset by functional.reset_net): v (starts at v_init), s_prev (the
    previous spikes, for a delayed subtract reset) and r (refractory steps left).
    """

    def __init__(self, step_fn, v_init, v_threshold, surrogate_function, step_mode="m", store_v_seq=False):
        # v_reset=None: the reset is performed by step_fn, not by BaseNode.
        super().__init__(
            v_threshold=v_threshold,
            v_reset=None,
            surrogate_function=surrogate_function,
            step_mode=step_mode,
            store_v_seq=store_v_seq,
        )
        self.step_fn = step_fn
        self.v_init = v_init
        self.set_reset_value("v", v_init)
        self.v = v_init
        self.register_memory("s_prev", 0.0)
        self.register_memory("r", 0.0)

    def extra_repr(self):
        return super().extra_repr() + ", v_init=" + repr(self.v_init) + ", step_fn=" + self.step_fn.__name__

    def materialize_states(self, inputs, states, step_mode):
        x = inputs[0][0] if step_mode == "m" else inputs[0]
        return tuple(
            state.to(x)
            if isinstance(state, torch.Tensor) and state.shape == x.shape
            else torch.full_like(x, self.get_reset_value(key))
            for key, state in zip(self._memories, states)
        )

    def single_step_functional_forward(self, inputs, states, **kwargs):
        v, s_prev, r = states
        s, v, r = self.step_fn(inputs[0], v, s_prev, r)
        return (s,), (v, s, r)
'''


# -- contract functions --------------------------------------------------------------

_LOAD_EXPORT = '''
def load_weights(model, weights):
    """Copy {"<population>.weight": [out, in], "<population>.bias": [out]} into the model.

    Values may be tensors, arrays or nested lists; they are converted to float32.
    A missing or unknown key, or a wrong shape, raises ValueError naming the key.
    """
    params = {}
    for pop, fc, _node in _layers(model):
        params[pop + ".weight"] = fc.weight
        if fc.bias is not None:
            params[pop + ".bias"] = fc.bias
    for key in weights:
        if key not in params:
            raise ValueError("unknown weight %r (expected one of %s)" % (key, sorted(params)))
    values = {}
    for key, param in params.items():
        if key not in weights:
            raise ValueError("missing weight %r" % (key,))
        value = torch.as_tensor(weights[key], dtype=torch.float32)
        if tuple(value.shape) != tuple(param.shape):
            raise ValueError(
                "weight %r has shape %s, expected %s" % (key, tuple(value.shape), tuple(param.shape))
            )
        values[key] = value
    with torch.no_grad():
        for key, param in params.items():
            param.copy_(values[key])
    return model


def export_weights(model):
    """The weights as float32, CPU, contiguous tensors, under the names load_weights takes."""
    out = {}
    for pop, fc, _node in _layers(model):
        out[pop + ".weight"] = fc.weight.detach().to("cpu", torch.float32).contiguous().clone()
        if fc.bias is not None:
            out[pop + ".bias"] = fc.bias.detach().to("cpu", torch.float32).contiguous().clone()
    return out
'''

_RUN_HEAD = '''
def run(model, inputs, membrane=False):
    """Spikes of every population for inputs [T, B, INPUT_SIZE] (any T), state reset first.

    Returns {"<population>": float32 spikes [T, B, n]}, plus {"<population>.v": membrane
    after each step, post-reset} when membrane=True. The whole sequence runs in
    multi-step mode; with PRECISION == "fp16-cuda" and CUDA inputs, under fp16 autocast.
    """
    device = next(model.parameters()).device
    x = torch.as_tensor(inputs, dtype=torch.float32, device=device)
    if x.dim() != 3 or x.shape[2] != INPUT_SIZE:
        raise ValueError("inputs must be [T, B, %d], got %s" % (INPUT_SIZE, tuple(x.shape)))
    functional.reset_net(model)
    layers = _layers(model)
    for _pop, _fc, node in layers:
        node.store_v_seq = membrane
    amp = PRECISION == "fp16-cuda" and x.is_cuda
    out = {}
    with torch.no_grad(), torch.autocast("cuda", dtype=torch.float16, enabled=amp):
'''

_RUN_CHAIN_BODY = '''
        for pop, fc, node in layers:
            # Under FP16 autocast only the projection runs in half precision: the neuron
            # gets float32 currents, which keeps SpikingJelly's fused kernels (an fp16
            # state falls back to a per-step Python loop). In fp32, .float() is a no-op.
            x = node(fc(x).float())
            out[pop] = x.float()
'''

_RUN_DAG_BODY = '''
        for (pop, _fc, _node), spikes in zip(layers, model(x)):
            out[pop] = spikes.float()
'''

_RUN_TAIL = '''
    if membrane:
        for pop, _fc, node in layers:
            out[pop + ".v"] = node.v_seq.float()
    return out
'''



def _template(text: str, **subs: cst.CSTNode) -> list[cst.BaseStatement]:
    return stmts(text.strip("\n") + "\n", **subs)


def _run_function(chain: bool) -> cst.FunctionDef:
    body = _RUN_CHAIN_BODY if chain else _RUN_DAG_BODY
    (fn,) = _template(_RUN_HEAD.strip("\n") + "\n" + body.strip("\n") + "\n" + _RUN_TAIL.strip("\n"))
    return fn


def _build_chain(graph: Graph, step_names: dict[str, str]) -> list[cst.BaseStatement]:
    items: list[cst.BaseExpression] = []
    comments: list[cst.EmptyLine] = []
    for pop in graph.populations():
        items += [linear_call(graph, pop), neuron_call(pop, step_names)]
        comments += _population_comments(pop)
    seq = cst.Call(func=attr("nn.Sequential"), args=[cst.Arg(i) for i in items])
    (assign,) = stmts("net = {seq}\n", seq=seq)
    build = _template(
        '''
def build_model(device=None):
    """The network as nn.Sequential(layer.Linear, neuron, ...) in multi-step mode."""
    functional.set_step_mode(net, "m")
    if device is not None:
        net = net.to(device)
    return net
'''
    )[0]
    body = list(build.body.body)
    body.insert(1, with_comments(assign, comments))
    build = build.with_changes(body=build.body.with_changes(body=body))
    (layers_fn,) = _template(
        '''
def _layers(model):
    """(population, projection, neuron) in POPULATIONS order."""
    return list(zip(POPULATIONS, model[0::2], model[1::2]))
'''
    )
    return [build, layers_fn]


def _build_dag(graph: Graph, ns: Namespace, step_names: dict[str, str]) -> list[cst.BaseStatement]:
    pops = graph.populations()
    fcs = _list([linear_call(graph, p) for p in pops])
    nodes = _list([neuron_call(p, step_names) for p in pops])
    comments = [line for p in pops for line in _population_comments(p)]
    (cls,) = _template(
        '''
class Network(nn.Module):
    """The network graph: fc[k] projects into population k, nodes[k] is its neuron (POPULATIONS order)."""

    def __init__(self):
        super().__init__()
        self.fc = nn.ModuleList({fcs})
        self.nodes = nn.ModuleList({nodes})
''',
        fcs=fcs,
        nodes=nodes,
    )
    # forward over the graph, one line per population, in topological order
    local = {graph.inputs()[0].name: ns.name(graph.inputs()[0].name, key=("local", graph.inputs()[0].name))}
    for p in pops:
        local[p.name] = ns.name(p.name, key=("local", p.name))
    fwd_body: list[cst.BaseStatement] = [
        cst.SimpleStatementLine([cst.Expr(literal("Spikes [T, B, n] of every population, in POPULATIONS order."))])
    ]
    (fwd,) = _template("def forward(self, {x}):\n    pass\n", x=name(local[graph.inputs()[0].name]))
    for k, p in enumerate(pops):
        src = graph.source_of(graph.projection(p.name).name).name
        fwd_body += stmts(
            "{out} = self.nodes[{k}](self.fc[{k}]({src}).float())\n",
            out=name(local[p.name]),
            k=literal(k),
            src=name(local[src]),
        )
    ret = cst.Tuple([cst.Element(name(local[p.name])) for p in pops])
    fwd_body += stmts("return {ret}\n", ret=ret)
    fwd = fwd.with_changes(body=cst.IndentedBlock(fwd_body))
    cls_body = list(cls.body.body)
    init = cls_body[-1]
    init_body = list(init.body.body)
    init_body[1] = with_comments(init_body[1], comments)
    cls_body[-1] = init.with_changes(body=init.body.with_changes(body=init_body))
    cls = cls.with_changes(body=cls.body.with_changes(body=[*cls_body, fwd]))
    build = _template(
        '''
def build_model(device=None):
    """The network as a generated nn.Module over the graph, in multi-step mode."""
    net = Network()
    functional.set_step_mode(net, "m")
    if device is not None:
        net = net.to(device)
    return net


def _layers(model):
    """(population, projection, neuron) in POPULATIONS order."""
    return list(zip(POPULATIONS, model.fc, model.nodes))
'''
    )
    return [cls, *build]


def emit_module(graph: Graph, pipeline: list[str]) -> cst.Module:
    ns = Namespace(module.CONTRACT_NAMES)
    ns.reserve(*_OWN_NAMES)
    pops = graph.populations()
    for pop in pops:
        if pop.impl not in NATIVE and pop.impl != CANONICAL:
            raise ValueError(f"spikingjelly: population {pop.name!r} has no renderable impl ({pop.impl!r})")
    canon = [p for p in pops if p.impl == CANONICAL]
    need_surrogate = True  # every neuron gets an explicit surrogate_function

    body: list[cst.BaseStatement] = []
    body += stmts("import torch\nimport torch.nn as nn\n")
    imported = ["functional", "layer", "neuron"] + (["surrogate"] if need_surrogate else [])
    body.append(
        cst.SimpleStatementLine(
            [
                cst.ImportFrom(
                    module=attr("spikingjelly.activation_based"),
                    names=[cst.ImportAlias(name(n)) for n in imported],
                )
            ]
        )
    )
    body += module.constant_stmts(graph)

    step_names: dict[str, str] = {}
    for pop in canon:
        step = ns.name(f"{pop.name}_step", key=("step", pop.name))
        decay = ns.name(f"{pop.name.upper()}_DECAY", key=("decay", pop.name)) if pop.neuron.leak == "tc" else None
        if decay is not None:
            body += stmts("{d} = {e}\n", d=name(decay), e=canonical.decay_expr(pop.neuron, graph.attrs.dt))
        body.append(canonical.step_function(step, pop.neuron, decay))
        step_names[pop.name] = step
    if canon:
        body += _template(_CANONICAL_CLASS)

    chain = is_chain(graph)
    body += _build_chain(graph, step_names) if chain else _build_dag(graph, ns, step_names)
    body += _template(_LOAD_EXPORT)
    body.append(_run_function(chain))
    body += module.main_block()
    return module.assemble(graph, pipeline, body)
