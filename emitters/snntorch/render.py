"""The generated module for snnTorch 1.0.0: an nn.Module in the tutorials' style.

Rendering follows target lowering: each op's `impl` says which class it is
(`emitters.snntorch.patterns`), and that pattern's renderer writes its constructor
and its pieces of forward (`emitters.snntorch.renderers`, found by
`patterns.renderer_of`); the schedule says how forward walks the graph
(`emitters.forward`). Populations:

- `snn.Leaky` / `snn.RLeaky`: the model holds the snnTorch module; with autograd on
  (training) it steps through it, with autograd off through the generated step of
  the same arithmetic (`emitters.neurons`), which is float32-identical and has less
  per-step overhead; an snn.Leaky layer stage runs a generated whole-sequence function
  instead (the step's operations written in place into its results). Both read beta and
  threshold from the module at every run (`leaky.beta.clamp(0, 1)`, `leaky.threshold`,
  the tensors snn.Leaky computes with), so an edit of `model.<population>.beta` changes
  inference and training alike;
- `canonical`: a small generated `Neuron` module performing its family's step.

Submodules are named by `emitters.forward.module_names` (a layer after its weight
key); a run of identical blocks is built, run and listed in `weight_slots` in loops
(`emitters.repeats`).
"""

from __future__ import annotations

import libcst as cst

from ir.graph import Graph
from ir.ops import PopulationOp, Slot

from .. import module, runtime
from ..forward import (NEURON_CLASS, ByRenderer, ForwardWriter, labels, learned_classes, learned_slots, model_module,
                       module_names, stage_ops)
from ..helpers import Helpers, include
from ..layers import FOLDED, GENERATED, generated_classes, shared_ctors
from ..neurons import StepFunctions, kind_hint
from ..repeats import find_runs, slots_function
from ..surrogates import needs_math, surrogate_classes
from ..toolkit import Namespace, expr, literal, name, stmts, with_comments
from . import patterns
from .renderers import LEAKY_STEP_CODE, RLEAKY_CODE, RUN_LEAKY_CODE, SYNAPTIC_CODE, Context, SequenceFunctions

# Module-level names the emitted code uses itself.
OWN_NAMES = ("snn", "surrogate", "Neuron", "LearnedNeuron", "LearnedSynaptic", *GENERATED, "run_leaky", "leaky_step",
             "rleaky_step", "run_synaptic", "synaptic_step",
             *runtime.HELPERS)

MODEL_DOC = """

    A layer with weights is the submodule named after its weight key (model.<key>.weight
    is WEIGHTS' "<key>.weight"), a population the one named after it, or <name>_<kind>
    where a key has that name.{leaky}
    """
LEAKY_DOC = """ Every run reads beta and threshold from the snn.Leaky
    modules, so an edit of either changes inference and training alike."""


def _slot(op, slot: Slot, module: cst.BaseExpression) -> cst.Tuple:
    """(tensor, transposed) of one weight of `op` held by `module`."""
    return cst.Tuple([cst.Element(expr("{b}.{a}", b=module, a=name(slot.held_by))), cst.Element(literal(slot.transposed))])


def emit_module(graph: Graph, pipeline: list[str]) -> cst.Module:
    ns = Namespace(reserved=(*module.CONTRACT_NAMES, *OWN_NAMES))
    model_cls = ns.name(graph.attrs.model_name, key=("model",))
    # the layers a population's own module computes (snn.RLeaky's recurrent), by the population
    owner = {op.name: graph.users(op.name)[0].name for op in stage_ops(graph) if patterns.renderer_of(op).absorbed(op)}
    attrs = module_names(graph, skip=frozenset(owner))
    helpers: Helpers = set()
    steps = StepFunctions(ns, home="snntorch")
    sequences = SequenceFunctions(ns)
    stepped = {n for stage in graph.schedule if stage.mode == "step" for n in stage.ops}
    step_of, sequence_of = {}, {}
    for pop in graph.populations():
        renderer = patterns.renderer_of(pop)
        params = renderer.step_params(pop)
        if renderer.runs_sequence and pop.name not in stepped:
            sequence_of[pop.name] = sequences.name_for(pop.neuron)
        elif params is not None:
            step_of[pop.name] = steps.name_for(pop.neuron, params=params)
    ctx = Context(attrs, step_of, helpers, sequence_of)

    ctors, neuron_ctors, hints = {}, {}, {}
    for op in stage_ops(graph):
        if op.name in owner:
            continue
        ctor = patterns.renderer_of(op).ctor(ctx, op)
        if isinstance(op, PopulationOp):
            hints[op.name] = f"new_{kind_hint(op.neuron, 'snntorch')}_layer"
            neuron_ctors[op.name] = ctor
        else:
            ctors[op.name] = ctor
    factories, neuron_ctors = shared_ctors(neuron_ctors, ns, "neuron layer", hints)
    ctors.update(neuron_ctors)

    def same(op_name: str):
        op = graph.op(op_name)
        if op.note or op_name not in ctors or (isinstance(op, PopulationOp) and op.neuron.learned()):
            return None
        code = cst.Module([]).code_for_node(ctors[op_name])
        return op.kind, op.impl, code, step_of.get(op_name), sequence_of.get(op_name)

    runs = find_runs(graph, same, labels(graph, attrs))
    loop_var = Namespace(ns.taken()).name("k")
    init: list[cst.BaseStatement] = list(stmts("super().__init__()"))
    starts = {run.ops[0]: run for run in runs}
    looped = {n for run in runs for n in run.ops}
    for op in stage_ops(graph):
        if op.name in starts:
            run = starts[op.name]
            body = [stmts("self.add_module({a}, {c})", a=run.text(p, "attr", loop_var), c=ctors[n])[0]
                    for p, n in enumerate(run.head)]
            init.append(run.loop(loop_var, body))
        elif op.name in ctors and op.name not in looped:
            (stmt,) = stmts("self.{a} = {c}", a=name(attrs[op.name]), c=ctors[op.name])
            init.append(with_comments(stmt, module.note_comments(op)))
    forward = ForwardWriter(graph, attrs, ByRenderer(patterns.renderer_of, ctx), helpers, ns.taken(), runs).body()
    leaky = LEAKY_DOC if helpers & {RUN_LEAKY_CODE, LEAKY_STEP_CODE, RLEAKY_CODE} else ""
    model_defs = model_module(model_cls, f"The spiking network of this module for snnTorch "
                              f"({len(graph.populations())} populations); built from the spec, see the header."
                              + MODEL_DOC.format(leaky=leaky), init, forward)

    imports = ["import math"] if needs_math(steps.spikes) else []
    imports += ["import torch", "import torch.nn as nn"]
    if any(patterns.renderer_of(p).native for p in graph.populations()):
        imports += ["import snntorch as snn", "from snntorch import surrogate"]
    body: list[cst.BaseStatement] = stmts("\n".join(imports))
    body += module.constant_stmts(graph)
    body += surrogate_classes(steps.spikes, ns)
    body += steps.statements
    body += sequences.statements
    body += runtime.helpers(helpers)
    body += include(helpers, (LEAKY_STEP_CODE, RUN_LEAKY_CODE, RLEAKY_CODE, SYNAPTIC_CODE, NEURON_CLASS))
    body += learned_classes(helpers)
    body += generated_classes(helpers)
    body += factories
    body += model_defs

    def static(op):
        if op.name in owner:
            return expr("model.{p}.recurrent", p=name(attrs[owner[op.name]]))
        return expr("model.{a}", a=name(attrs[op.name]))

    body += slots_function(graph, runs, static, _slot, loop_var, learned_slots(graph, static))
    body += stmts('''
def simulate(model, x, membrane=True):
    """Spikes and membranes of every population for x [T, B, *INPUT_SHAPE]."""
    return model(x)
''')
    body += module.contract_functions(trains=True, folds=FOLDED in helpers)
    body += module.main_block()
    return module.assemble(graph, pipeline, body)
