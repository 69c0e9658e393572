"""The generated module for SpikingJelly 2.0.0 (activation_based).

Rendering follows target lowering (`emitters.spikingjelly.patterns`); each op's
pattern has a renderer (`emitters.spikingjelly.renderers`, found by
`patterns.renderer_of`) that writes its constructor and its pieces of forward:

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
from ir.ops import PopulationOp

from .. import module, runtime
from ..forward import (NEURON_CLASS, ByRenderer, ForwardWriter, labels, learned_classes, learned_slots, model_module,
                       module_names, stage_ops)
from ..helpers import Helpers, include
from ..layers import FOLDED, GENERATED, generated_classes
from ..neurons import StepFunctions
from ..repeats import find_runs, slots_function
from ..surrogates import class_name, needs_math, surrogate_classes
from ..toolkit import Namespace, expr, fixed, fixed_text, literal, name, stmts, with_comments
from . import patterns
from .renderers import BATCHED, CUBA_NODE, PER_STEP, Context, native_surrogate, prefix_for

OWN_NAMES = ("neuron", "layer", "functional", "surrogate", "Neuron", "LearnedNeuron", "LearnedSynaptic", *GENERATED,
             "PerStep", "Batched", "NODES", "OrderedDict", "functools", "record", "cuba_lif_node", *runtime.HELPERS)

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


def emit_module(graph: Graph, pipeline: list[str]) -> cst.Module:
    ns = Namespace(reserved=(*module.CONTRACT_NAMES, *OWN_NAMES))
    attrs = module_names(graph)
    helpers: Helpers = set()
    steps = StepFunctions(ns, home="spikingjelly")
    stepped = {n for s in graph.schedule for n in s.ops if s.mode == "step"}
    sequential = graph.attrs.container == "nn.Sequential"
    ctx = Context(attrs, helpers, ns, steps, stepped, sequential, graph.attrs.batched())
    ctors = {op.name: patterns.renderer_of(op).ctor(ctx, op) for op in stage_ops(graph)}
    callables = ctx.callables  # surrogate -> its generated callable

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
    native = [op for op in graph.populations() if patterns.renderer_of(op).native]
    submodules = {"functional": True, "layer": any(prefix_for(op) == "layer." for op in stateless),
                  "neuron": bool(native),
                  "surrogate": any(native_surrogate(op.neuron.surrogate, op.neuron.kind) for op in native)}
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
        forward = ForwardWriter(graph, attrs, ByRenderer(patterns.renderer_of, ctx), helpers, ns.taken(), runs).body()
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
    body += include(helpers, (PER_STEP, BATCHED, NEURON_CLASS))
    body += learned_classes(helpers)
    body += include(helpers, (CUBA_NODE,))
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
