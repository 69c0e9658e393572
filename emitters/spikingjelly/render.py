"""The generated module for SpikingJelly 2.0.0 (activation_based).

Rendering follows target lowering (`emitters.spikingjelly.patterns`):

- container `nn.Sequential`: an nn.Sequential of named modules in multi-step mode,
  as SpikingJelly's examples write it; stateless layers run one time step at a time
  inside `PerStep` (SpikingJelly's own multi-step layers fold T*B into one product,
  which BLAS rounds differently), neurons see the whole [T, B, ...] sequence;
- container `nn.Module`: a generated module whose forward walks the schedule
  (`emitters.forward`), neurons in multi-step mode in layer stages and in
  single-step mode inside feedback cycles;
- `neuron.LIFNode` / `neuron.IFNode` are SpikingJelly's own, with float arguments
  (ints raise in SpikingJelly); `neuron.CUBALIFNode` too, built by `cuba_lif_node`, which sets
  the step mode and v_seq its constructor does not take; a surrogate it has (ATan, Sigmoid, SoftSign) is its
  own, any other is passed as a generated callable computing the exact formula;
- `canonical` neurons are a generated `Neuron` module performing their family's step.

Submodules are named by `emitters.forward.module_names` (a layer after its weight
key; in the nn.Sequential it holds the layer in `PerStep`, so `model.<key>.layer`);
a run of identical blocks is built and listed in `weight_slots` in loops
(`emitters.repeats`).
"""

from __future__ import annotations

import libcst as cst

from ir.graph import Graph
from ir.neuron import Surrogate
from ir.ops import Op, PopulationOp

from .. import module, runtime
from ..forward import (NEURON_CLASS, ForwardWriter, labels, learned_classes, learned_ctor, learned_slots,
                       model_module, module_names, stage_ops)
from ..neurons import StepFunctions, initial_state
from ..helpers import Helper, Helpers, include
from ..layers import FOLDED, GENERATED, generated_classes, module_ctor
from ..repeats import find_runs, slots_function
from ..surrogates import class_name, needs_math, surrogate_classes
from ..toolkit import Namespace, expr, fixed, fixed_text, literal, name, stmts, with_comments
from . import patterns

OWN_NAMES = ("neuron", "layer", "functional", "surrogate", "Neuron", "LearnedNeuron", "LearnedSynaptic", *GENERATED,
             "PerStep", "Batched", "NODES", "OrderedDict", "functools", "record", "cuba_lif_node", *runtime.HELPERS)

_PER_STEP = Helper("PerStep", fixed_text('''
class PerStep(nn.Module):
    """A single-step layer applied to each time step of [T, B, ...] on its own (exact in every target)."""

    def __init__(self, layer):
        super().__init__()
        self.layer = layer

    def forward(self, x_seq):
        return torch.stack([self.layer(aligned(x)) for x in x_seq])
'''))

_BATCHED = Helper("Batched", fixed_text('''
class Batched(nn.Module):
    """A single-step layer applied to all T*B rows of [T, B, ...] at once (numerics "batched": see the header)."""

    def __init__(self, layer):
        super().__init__()
        self.layer = layer

    def forward(self, x_seq):
        return self.layer(x_seq.flatten(0, 1)).unflatten(0, x_seq.shape[:2])
'''))

_SIMULATE_MODULE = fixed_text('''
def simulate(model, x, membrane=True):
    """Spikes and membranes of every population for x [T, B, *INPUT_SHAPE]."""
    functional.reset_net(unwrapped(model))
    return model(x)
''')

_SIMULATE_SEQUENTIAL = fixed_text('''
def record(out, population, module, args, spikes):
    """Forward hook: keep a population's spikes, and its membranes where the node stores them."""
    out[population] = spikes
    if module.store_v_seq:
        out[population + ".v"] = module.v_seq


def simulate(model, x, membrane=True):
    """Spikes and membranes of every population for x [T, B, *INPUT_SHAPE], read by hooks
    while model(x) runs (so a DistributedDataParallel wrapper synchronises the gradients).
    The nodes store their membranes (v_seq) only when they are wanted: storing costs time.
    """
    net = unwrapped(model)
    functional.reset_net(net)
    out = {}
    for key in NODES:
        net.get_submodule(key).store_v_seq = membrane
    hooks = [
        net.get_submodule(key).register_forward_hook(
            functools.partial(record, out, population)
        )
        for key, population in NODES.items()
    ]
    try:
        model(x)
    finally:
        for hook in hooks:
            hook.remove()
    return out
''')


def _native_surrogate(s: Surrogate, kind: str = "lif") -> bool:
    """Whether SpikingJelly's own surrogate module computes `s` in a neuron of `kind`: its LIFNode and
    IFNode compute the gradient in _ops/surrogate.py's order, its CUBALIFNode calls the module's own."""
    flavor = "spikingjelly_module" if kind == "cuba" else "spikingjelly"
    return s.flavor == flavor and s.name in patterns.NATIVE_SURROGATES


def _surrogate(op: PopulationOp, ns: Namespace, callables: dict[Surrogate, str]) -> cst.BaseExpression:
    """SpikingJelly's own surrogate, or the generated callable of the exact formula (one per surrogate)."""
    s = op.neuron.surrogate
    if _native_surrogate(s, op.neuron.kind):
        return expr("surrogate.{c}(alpha={a})", c=name(patterns.NATIVE_SURROGATES[s.name]), a=literal(float(s.alpha)))
    if s not in callables:
        callables[s] = ns.name(f"{s.name}_surrogate", key=("callable", s))
    return expr("{f}", f=name(callables[s]))


_CUBA_NODE = Helper("cuba_lif_node", fixed_text('''
def cuba_lif_node(step_mode, **kwargs):
    """neuron.CUBALIFNode(**kwargs) in `step_mode`, keeping v_seq in multi-step mode (its
    constructor takes neither)."""
    node = neuron.CUBALIFNode(**kwargs)
    node.step_mode = step_mode
    node.store_v_seq = step_mode == "m"
    return node
'''))


def _node_ctor(op: PopulationOp, mode: str, ns: Namespace,
               callables: dict[Surrogate, str]) -> cst.BaseExpression:
    n = op.neuron
    if n.kind == "cuba":
        args = [cst.Arg(literal(mode)), cst.Arg(literal(n.c_decay), keyword=name("c_decay")),
                cst.Arg(literal(n.v_decay), keyword=name("v_decay")),
                cst.Arg(literal(n.v_threshold), keyword=name("v_threshold")),
                cst.Arg(literal(n.v_reset), keyword=name("v_reset")),
                cst.Arg(_surrogate(op, ns, callables), keyword=name("surrogate_function"))]
        return cst.Call(name("cuba_lif_node"), args)
    args = []
    if n.kind == "lif":
        args += [cst.Arg(literal(n.tau), keyword=name("tau")), cst.Arg(literal(n.decay_input), keyword=name("decay_input"))]
    args += [cst.Arg(literal(n.v_threshold), keyword=name("v_threshold")),
             cst.Arg(literal(n.v_reset), keyword=name("v_reset")),
             cst.Arg(_surrogate(op, ns, callables), keyword=name("surrogate_function")),
             cst.Arg(literal(n.detach_reset), keyword=name("detach_reset")),
             cst.Arg(literal(mode), keyword=name("step_mode"))]
    if mode == "m":
        args.append(cst.Arg(literal(True), keyword=name("store_v_seq")))
    return cst.Call(expr(op.impl), args)


MODEL_DOC = """

    A layer with weights is the submodule named after its weight key (model.<key>.weight
    is WEIGHTS' "<key>.weight"), a population the one named after it, or <name>_<kind>
    where a key has that name.
    """


_BUILD_SEQUENTIAL = '''
def build_model(device=None):
    """The network as an nn.Sequential of named layers in multi-step mode ([T, B, ...] in and out).

    A layer with weights is named after its weight key, in PerStep (model.<key>.layer.weight
    is WEIGHTS' "<key>.weight"), a population after itself, or <name>_<kind> where a key has
    that name."""
    model = {make}
    return model if device is None else model.to(device)
'''


def _sequential(graph: Graph, attrs: dict[str, str], ctors: dict[str, cst.BaseExpression], runs: list,
                k: str) -> list[cst.BaseStatement]:
    """build_model of the nn.Sequential: its named layers in graph order, a run's added in a loop."""
    starts = {run.ops[0]: run for run in runs}
    looped = {n for run in runs for n in run.ops}
    ops = stage_ops(graph)
    lead = []
    for op in ops:
        if op.name in looped:
            break
        lead.append(op)
    pairs = cst.List([cst.Element(cst.Tuple([cst.Element(literal(attrs[op.name])), cst.Element(ctors[op.name])]))
                      for op in lead])
    template = _BUILD_SEQUENTIAL.replace("in PerStep (", "in Batched (") if graph.attrs.batched() else _BUILD_SEQUENTIAL
    make = expr("nn.Sequential(OrderedDict({pairs}))", pairs=pairs) if lead else expr("nn.Sequential()")
    (fn,) = stmts(template, make=make)
    doc, make, ret = fn.body.body
    make = with_comments(make, [line for op in lead for line in module.note_comments(op)])
    more: list[cst.BaseStatement] = []
    for op in ops[len(lead):]:
        if op.name in starts:
            run = starts[op.name]
            more.append(run.loop(k, [stmts("model.add_module({a}, {c})", a=run.text(p, "attr", k), c=ctors[n])[0]
                                     for p, n in enumerate(run.head)]))
        elif op.name not in looped:
            (stmt,) = stmts("model.add_module({a}, {c})", a=literal(attrs[op.name]), c=ctors[op.name])
            more.append(with_comments(stmt, module.note_comments(op)))
    return [fn.with_changes(body=fn.body.with_changes(body=[doc, make, *more, ret]))]


def _nodes(graph: Graph, attrs: dict[str, str], runs: list, k: str) -> cst.BaseExpression:
    """NODES, {module name: population} in graph order; a run's as a comprehension."""
    looped = {n: run for run in runs for n in run.ops}
    parts: list = []
    for pop in graph.populations():
        run = looped.get(pop.name)
        if run is None:
            parts.append(cst.DictElement(literal(attrs[pop.name]), literal(pop.name)))
        elif not any(isinstance(part, tuple) and part[0] is run for part in parts):
            parts.append((run, [p for p, n in enumerate(run.head) if isinstance(graph.op(n), PopulationOp)]))
    out: list = []
    for part in parts:
        if isinstance(part, cst.DictElement):
            out.append(part)
            continue
        run, positions = part
        for p in positions:
            out.append(cst.DictComp(key=run.text(p, "attr", k), value=run.text(p, "name", k),
                                    for_in=cst.CompFor(target=name(k), iter=run.range())))
    if len(out) == 1 and isinstance(out[0], cst.DictComp):
        return out[0]
    return cst.Dict([cst.StarredDictElement(e) if isinstance(e, cst.DictComp) else e for e in out])


class _Populations:
    """How SpikingJelly populations run in a generated nn.Module (see emitters.forward)."""

    def __init__(self, attrs: dict[str, str], helpers: Helpers):
        self.attrs, self.helpers = attrs, helpers

    def _m(self, op: Op) -> cst.BaseExpression:
        return expr("self.{a}", a=name(self.attrs[op.name]))

    def sequence(self, op, m, cur, late, spikes, membranes):
        call = cst.Call(m, [cst.Arg(cur), *[cst.Arg(term) for term in late]])
        return stmts("{s} = {call}\n{v} = {m}.v_seq", call=call, s=name(spikes), v=name(membranes), m=m)

    def step_init(self, op, state, zeros):
        if op.impl == "canonical":
            return stmts("{s} = {m}.initial_state({z})", s=name(state), m=self._m(op), z=zeros)
        return []

    def step(self, op, cur, late, spikes, state, prev):
        if op.impl == "canonical":
            terms = cst.List([cst.Element(t) for t in late])
            code = stmts("{s}, {st} = {m}.step({c}, {st}, {late})", s=name(spikes), st=name(state), m=self._m(op),
                         c=cur, late=terms)
            return code, expr("{st}[0]", st=name(state))
        return stmts("{s} = {m}({c})", s=name(spikes), m=self._m(op), c=cur), expr("{m}.v", m=self._m(op))

    def needs_prev(self, op):
        return False

    def absorbed(self, op):
        return False


def emit_module(graph: Graph, pipeline: list[str]) -> cst.Module:
    ns = Namespace(reserved=(*module.CONTRACT_NAMES, *OWN_NAMES))
    attrs = module_names(graph)
    helpers: Helpers = set()
    steps = StepFunctions(ns, home="spikingjelly")
    callables: dict[Surrogate, str] = {}  # surrogate -> its generated callable
    stepped = {n for s in graph.schedule for n in s.ops if s.mode == "step"}
    sequential = graph.attrs.container == "nn.Sequential"

    ctors: dict[str, cst.BaseExpression] = {}
    for op in stage_ops(graph):
        if isinstance(op, PopulationOp):
            if op.impl == "canonical" and op.neuron.learned():
                ctors[op.name] = learned_ctor(op.neuron, steps.name_for(op.neuron, params=True), helpers)
            elif op.impl == "canonical":
                helpers.add(NEURON_CLASS)
                fn = steps.name_for(op.neuron)
                ctors[op.name] = expr("Neuron({f}, {i})", f=name(fn), i=literal(initial_state(op.neuron)))
            else:
                ctors[op.name] = _node_ctor(op, "s" if op.name in stepped else "m", ns, callables)
        else:
            if not op.per_step:  # SpikingJelly's own layer in multi-step mode computes it over the sequence
                ctors[op.name] = module_ctor(op, patterns.prefix_for(op), helpers, step_mode="m")
                continue
            ctor = module_ctor(op, patterns.prefix_for(op), helpers)
            if sequential and graph.attrs.batched():
                helpers.add(_BATCHED)
                ctor = expr("Batched({c})", c=ctor)
            elif sequential:
                helpers.update((_PER_STEP, runtime.ALIGNED))
                ctor = expr("PerStep({c})", c=ctor)
            ctors[op.name] = ctor

    def same(op_name: str):
        op = graph.op(op_name)
        if op.note or (isinstance(op, PopulationOp) and op.neuron.learned()):
            return None
        return op.kind, op.impl, cst.Module([]).code_for_node(ctors[op_name])

    runs = find_runs(graph, same, labels(graph, attrs))
    k = Namespace(ns.taken()).name("k")
    starts = {run.ops[0]: run for run in runs}
    looped = {n for run in runs for n in run.ops}
    used_spikes = steps.spikes + [(s, False) for s in callables]
    stateless = [op for op in stage_ops(graph) if not isinstance(op, PopulationOp)]
    native = [op for op in graph.populations() if op.impl != "canonical"]
    submodules = {"functional": True, "layer": any(patterns.prefix_for(op) == "layer." for op in stateless),
                  "neuron": bool(native),
                  "surrogate": any(_native_surrogate(op.neuron.surrogate, op.neuron.kind) for op in native)}
    imports = ["import functools"] if sequential else []
    imports += ["import math"] if needs_math(used_spikes) else []
    imports += ["from collections import OrderedDict"] if sequential and stage_ops(graph)[0].name not in looped else []
    imports += ["import torch", "import torch.nn as nn",
                "from spikingjelly.activation_based import " + ", ".join(k for k, used in submodules.items() if used)]
    body: list[cst.BaseStatement] = stmts("\n".join(imports))
    body += module.constant_stmts(graph)
    body += surrogate_classes(used_spikes, ns)
    for surrogate, fn in callables.items():
        body += stmts(f'''
def {{fn}}(z):
    """The {surrogate.name} surrogate ({surrogate.flavor}'s formula, alpha={surrogate.alpha!r}); SpikingJelly has none exact."""
    return {{cls}}.apply(z, {{alpha}})
''', fn=name(fn), cls=name(class_name(ns, surrogate, False)), alpha=literal(float(surrogate.alpha)))
    body += steps.statements

    if sequential:
        build = _sequential(graph, attrs, ctors, runs, k)
        nodes = _nodes(graph, attrs, runs, k)
        simulate = stmts("NODES = {d}", d=nodes) + fixed(_SIMULATE_SEQUENTIAL)
    else:
        forward = ForwardWriter(graph, attrs, _Populations(attrs, helpers), helpers, ns.taken(), runs).body()
        model = ns.name(graph.attrs.model_name, key=("model",))
        init = list(stmts("super().__init__()"))
        for op in stage_ops(graph):
            if op.name in starts:
                run = starts[op.name]
                init.append(run.loop(k, [stmts("self.add_module({a}, {c})", a=run.text(p, "attr", k), c=ctors[n])[0]
                                         for p, n in enumerate(run.head)]))
            elif op.name not in looped:
                (stmt,) = stmts("self.{a} = {c}", a=name(attrs[op.name]), c=ctors[op.name])
                init.append(with_comments(stmt, module.note_comments(op)))
        build = model_module(model, f"The spiking network of this module for SpikingJelly "
                             f"({len(graph.populations())} populations); see the header." + MODEL_DOC, init, forward)
        simulate = fixed(_SIMULATE_MODULE)

    body += runtime.helpers(helpers)
    body += include(helpers, (_PER_STEP, _BATCHED, NEURON_CLASS))
    body += learned_classes(helpers)
    if any(op.impl == "neuron.CUBALIFNode" for op in native):
        body += _CUBA_NODE.statements()
    body += generated_classes(helpers)
    body += build
    def static(op):
        return expr("model.{a}", a=name(attrs[op.name]))

    def slot(op, s, module):
        held = expr("{m}.layer", m=module) if sequential and op.per_step else module  # PerStep/Batched hold it
        return cst.Tuple([cst.Element(expr("{b}.{a}", b=held, a=name(s.held_by))), cst.Element(literal(s.transposed))])

    body += slots_function(graph, runs, static, slot, k, learned_slots(graph, static))
    body += simulate
    body += module.contract_functions(trains=True, folds=FOLDED in helpers)
    body += module.main_block()
    return module.assemble(graph, pipeline, body)
