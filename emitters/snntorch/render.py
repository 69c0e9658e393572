"""The generated module for snnTorch 1.0.0: an nn.Module in the tutorials' style.

Rendering follows target lowering: each op's `impl` says which class it is
(`emitters.snntorch.patterns`), the schedule says how forward walks the graph
(`emitters.forward`). Populations:

- `snn.Leaky` / `snn.RLeaky`: the model holds the snnTorch module; with autograd on
  (training) it steps through it, with autograd off through the generated step of
  the same arithmetic (`emitters.neurons`), which is float32-identical and has less
  per-step overhead. That step reads beta and threshold from the module at every
  step (`leaky.beta.clamp(0, 1)`, `leaky.threshold`, the tensors snn.Leaky computes
  with), so an edit of `model.<population>.beta` changes inference and training alike;
- `canonical`: a small generated `Neuron` module performing its family's step.

Submodules are named by `emitters.forward.module_names` (a layer after its weight
key); a run of identical blocks is built, run and listed in `weight_slots` in loops
(`emitters.repeats`).
"""

from __future__ import annotations

import libcst as cst

from ir.graph import Graph
from ir.ops import Op, PopulationOp, Slot

from .. import module, runtime
from ..forward import (NEURON_CLASS, ForwardWriter, labels, learned_classes, learned_ctor, learned_slots,
                       model_module, module_names, stage_ops)
from ..helpers import Helper, Helpers, include
from ..layers import FOLDED, GENERATED, generated_classes, generated_ctor, module_ctor, shared_ctors
from ..neurons import StepFunctions, initial_state, kind_hint
from ..repeats import find_runs, slots_function
from ..surrogates import needs_math, surrogate_classes
from ..toolkit import Namespace, expr, fixed_text, literal, name, stmts, with_comments
from . import patterns

# Module-level names the emitted code uses itself.
OWN_NAMES = ("snn", "surrogate", "Neuron", "LearnedNeuron", "LearnedSynaptic", *GENERATED, "run_leaky", "leaky_step",
             "rleaky_step", "run_synaptic", "synaptic_step",
             *runtime.HELPERS)

_LEAKY = Helper("run_leaky", fixed_text('''
def leaky_step(leaky, step, x, state):
    """One step of snn.Leaky; without autograd, its float32-identical generated step,
    with the layer's own beta and threshold (so an edit of either changes both)."""
    if torch.is_grad_enabled():
        spk, mem = leaky(x, state[0])
        return spk, (mem,)
    return step(x, state, leaky.beta.clamp(0, 1), leaky.threshold)


def run_leaky(leaky, step, cur):
    """snn.Leaky over currents [T, B, ...]: spikes and membranes [T, B, ...]."""
    state = (torch.zeros_like(cur[0]),)
    spikes, membranes = [], []
    for x in cur.unbind(0):  # unbind, not cur[t]: one gradient node, not one per step
        s, state = leaky_step(leaky, step, x, state)
        spikes.append(s)
        membranes.append(state[0])
    return torch.stack(spikes), torch.stack(membranes)
'''))

_RLEAKY = Helper("rleaky_step", fixed_text('''
def rleaky_step(rleaky, step, x, state, spk):
    """One step of snn.RLeaky from its previous spikes; without autograd, its generated
    step, with the layer's own beta and threshold."""
    if torch.is_grad_enabled():
        spk, mem = rleaky(x, spk, state[0])
        return spk, (mem,)
    late = (rleaky.recurrent(aligned(spk)),)
    return step(x, state, rleaky.beta.clamp(0, 1), rleaky.threshold, late)
'''))


_SYNAPTIC = Helper("run_synaptic", fixed_text('''
def synaptic_step(synaptic, x, state):
    """One step of snn.Synaptic from state (membrane, synaptic current)."""
    spk, syn, mem = synaptic(x, state[1], state[0])
    return spk, (mem, syn)


def run_synaptic(synaptic, cur):
    """snn.Synaptic over currents [T, B, ...]: spikes and membranes [T, B, ...]."""
    state = (torch.zeros_like(cur[0]), torch.zeros_like(cur[0]))
    spikes, membranes = [], []
    for x in cur.unbind(0):  # unbind, not cur[t]: one gradient node, not one per step
        s, state = synaptic_step(synaptic, x, state)
        spikes.append(s)
        membranes.append(state[0])
    return torch.stack(spikes), torch.stack(membranes)
'''))


MODEL_DOC = """

    A layer with weights is the submodule named after its weight key (model.<key>.weight
    is WEIGHTS' "<key>.weight"), a population the one named after it, or <name>_<kind>
    where a key has that name.{leaky}
    """
LEAKY_DOC = """ Every run reads beta and threshold from the snn.Leaky
    modules, so an edit of either changes inference and training alike."""


class _Populations:
    """How snnTorch populations run (see emitters.forward.PopulationCode)."""

    def __init__(self, attrs: dict[str, str], steps: dict[str, str], helpers: Helpers):
        self.attrs, self.steps, self.helpers = attrs, steps, helpers

    def _m(self, op: Op) -> cst.BaseExpression:
        return expr("self.{a}", a=name(self.attrs[op.name]))

    def sequence(self, op, m, cur, late, spikes, membranes):
        subs = dict(s=name(spikes), v=name(membranes), m=m, c=cur)
        if op.impl == "snn.Leaky":
            self.helpers.add(_LEAKY)
            return stmts("{s}, {v} = run_leaky({m}, {f}, {c})", f=name(self.steps[op.name]), **subs)
        if op.impl == "snn.Synaptic":
            self.helpers.add(_SYNAPTIC)
            return stmts("{s}, {v} = run_synaptic({m}, {c})", **subs)
        call = cst.Call(m, [cst.Arg(cur), *[cst.Arg(term) for term in late]])
        return stmts("{s} = {call}\n{v} = {m}.v_seq", call=call, s=name(spikes), v=name(membranes), m=m)

    def step_init(self, op, state, zeros):
        if op.impl in ("snn.Leaky", "snn.RLeaky"):
            return stmts("{s} = ({z},)", s=name(state), z=zeros)
        if op.impl == "snn.Synaptic":
            return stmts("{s} = ({z}, {z})", s=name(state), z=zeros)
        return stmts("{s} = {m}.initial_state({z})", s=name(state), m=self._m(op), z=zeros)

    def step(self, op, cur, late, spikes, state, prev):
        if op.impl == "snn.Synaptic":
            self.helpers.add(_SYNAPTIC)
            code = stmts("{s}, {st} = synaptic_step({m}, {c}, {st})", s=name(spikes), st=name(state),
                         m=self._m(op), c=cur)
            return code, expr("{st}[0]", st=name(state))
        f = name(self.steps[op.name])
        subs = dict(s=name(spikes), st=name(state), m=self._m(op), c=cur, f=f)
        if op.impl == "snn.Leaky":
            self.helpers.add(_LEAKY)
            code = stmts("{s}, {st} = leaky_step({m}, {f}, {c}, {st})", **subs)
        elif op.impl == "snn.RLeaky":
            self.helpers.update((_RLEAKY, runtime.ALIGNED))
            code = stmts("{s}, {st} = rleaky_step({m}, {f}, {c}, {st}, {p})", p=name(prev), **subs)
        else:
            terms = cst.List([cst.Element(t) for t in late])
            del subs["f"]
            code = stmts("{s}, {st} = {m}.step({c}, {st}, {late})", late=terms, **subs)
        return code, expr("{st}[0]", st=name(state))

    def needs_prev(self, op):
        return op.impl == "snn.RLeaky"

    def absorbed(self, op):
        return op.impl == patterns.RECURRENT


def _surrogate_arg(op: PopulationOp) -> cst.Arg:
    s = op.neuron.surrogate
    factory, keyword = patterns.NATIVE_SURROGATES[s.name]
    call = cst.Call(expr("surrogate.{f}", f=name(factory)), [cst.Arg(literal(float(s.alpha)), keyword=name(keyword))])
    return cst.Arg(call, keyword=name("spike_grad"))


def _leaky_ctor(graph: Graph, op: PopulationOp) -> cst.BaseExpression:
    n = op.neuron
    args = [cst.Arg(literal(float(n.decay)), keyword=name("beta"))]
    cls = "Leaky"
    if op.impl == "snn.RLeaky":
        cls = "RLeaky"
        args.append(cst.Arg(literal(op.shape[0]), keyword=name("linear_features")))
    args += [cst.Arg(literal(n.threshold), keyword=name("threshold")),
             cst.Arg(literal(n.reset), keyword=name("reset_mechanism")),
             cst.Arg(literal(n.reset_delay), keyword=name("reset_delay")), _surrogate_arg(op)]
    args += [cst.Arg(literal(True), keyword=name(f"learn_{key}")) for key in n.learn]
    return cst.Call(expr(f"snn.{cls}"), args)


def _synaptic_ctor(op: PopulationOp) -> cst.BaseExpression:
    n = op.neuron
    args = [cst.Arg(literal(float(n.alpha)), keyword=name("alpha")), cst.Arg(literal(float(n.beta)), keyword=name("beta")),
            cst.Arg(literal(n.threshold), keyword=name("threshold")),
            cst.Arg(literal(n.reset), keyword=name("reset_mechanism")),
            cst.Arg(literal(n.reset_delay), keyword=name("reset_delay")), _surrogate_arg(op)]
    args += [cst.Arg(literal(True), keyword=name(f"learn_{key}")) for key in n.learn]
    return cst.Call(expr("snn.Synaptic"), args)


def _slot(op, slot: Slot, module: cst.BaseExpression) -> cst.Tuple:
    """(tensor, transposed) of one weight of `op` held by `module`."""
    return cst.Tuple([cst.Element(expr("{b}.{a}", b=module, a=name(slot.held_by))), cst.Element(literal(slot.transposed))])


def emit_module(graph: Graph, pipeline: list[str]) -> cst.Module:
    ns = Namespace(reserved=(*module.CONTRACT_NAMES, *OWN_NAMES))
    model_cls = ns.name(graph.attrs.model_name, key=("model",))
    owner = {patterns.recurrent_of(graph, p).name: p.name for p in graph.populations() if p.impl == "snn.RLeaky"}
    attrs = module_names(graph, skip=frozenset(owner))
    helpers: Helpers = set()
    steps = StepFunctions(ns, home="snntorch")
    step_of = {}
    for pop in graph.populations():
        if pop.impl != "snn.Synaptic":  # snn.Synaptic runs itself, in training and inference alike
            step_of[pop.name] = steps.name_for(pop.neuron, params=pop.impl in ("snn.Leaky", "snn.RLeaky")
                                               or bool(pop.neuron.learned()))

    ctors, neuron_ctors, hints = {}, {}, {}
    for op in stage_ops(graph):
        if op.name in owner:
            continue
        if isinstance(op, PopulationOp):
            hints[op.name] = f"new_{kind_hint(op.neuron, 'snntorch')}_layer"
            if op.impl in ("snn.Leaky", "snn.RLeaky"):
                neuron_ctors[op.name] = _leaky_ctor(graph, op)
            elif op.impl == "snn.Synaptic":
                neuron_ctors[op.name] = _synaptic_ctor(op)
            elif op.neuron.learned():
                neuron_ctors[op.name] = learned_ctor(op.neuron, step_of[op.name], helpers)
            else:
                helpers.add(NEURON_CLASS)
                neuron_ctors[op.name] = expr("Neuron({f}, {i})", f=name(step_of[op.name]),
                                             i=literal(initial_state(op.neuron)))
        elif not op.per_step:
            ctors[op.name] = generated_ctor(patterns.SEQUENCE_CLASSES[op.module().cls], op, helpers)
        else:
            ctors[op.name] = module_ctor(op, "nn.", helpers)
    factories, neuron_ctors = shared_ctors(neuron_ctors, ns, "neuron layer", hints)
    ctors.update(neuron_ctors)

    def same(op_name: str):
        op = graph.op(op_name)
        if op.note or op_name not in ctors or (isinstance(op, PopulationOp) and op.neuron.learned()):
            return None
        return op.kind, op.impl, cst.Module([]).code_for_node(ctors[op_name]), step_of.get(op_name)

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
    forward = ForwardWriter(graph, attrs, _Populations(attrs, step_of, helpers), helpers, ns.taken(), runs).body()
    model_defs = model_module(model_cls, f"The spiking network of this module for snnTorch "
                              f"({len(graph.populations())} populations); built from the spec, see the header."
                              + MODEL_DOC.format(leaky=LEAKY_DOC if _LEAKY in helpers or _RLEAKY in helpers else ""),
                              init, forward)

    imports = ["import math"] if needs_math(steps.spikes) else []
    imports += ["import torch", "import torch.nn as nn"]
    if any(p.impl in ("snn.Leaky", "snn.RLeaky", "snn.Synaptic") for p in graph.populations()):
        imports += ["import snntorch as snn", "from snntorch import surrogate"]
    body: list[cst.BaseStatement] = stmts("\n".join(imports))
    body += module.constant_stmts(graph)
    body += surrogate_classes(steps.spikes, ns)
    body += steps.statements
    body += runtime.helpers(helpers)
    body += include(helpers, (_LEAKY, _RLEAKY, _SYNAPTIC, NEURON_CLASS))
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
