"""The generated module for snnTorch 1.0.0: an nn.Module in the tutorials' style.

Rendering follows target lowering: each op's `impl` says which class it is
(`emitters.snntorch.patterns`), the schedule says how forward walks the graph
(`emitters.forward`). Populations:

- `snn.Leaky` / `snn.RLeaky`: the model holds the snnTorch module; with autograd on
  (training) it steps through it, with autograd off through the generated step of
  the same arithmetic (`emitters.neurons`), which is float32-identical and has less
  per-step overhead;
- `canonical`: a small generated `Neuron` module performing its family's step.
"""

from __future__ import annotations

import libcst as cst

from ir.graph import Graph
from ir.ops import Op, PopulationOp

from .. import module, runtime
from ..forward import NEURON_CLASS, ForwardWriter, model_module, stage_ops
from ..layers import generated_classes, module_ctor, shared_ctors
from ..neurons import StepFunctions, initial_state
from ..surrogates import needs_math, surrogate_classes
from ..toolkit import Namespace, expr, fixed, fixed_text, literal, name, stmts, with_comments
from . import patterns

# Module-level names the emitted code uses itself.
OWN_NAMES = ("snn", "surrogate", "Neuron", "InOutLinear", "Scale", "run_leaky", "leaky_step", "rleaky_step",
             *runtime.HELPERS)

_LEAKY = fixed_text('''
def leaky_step(leaky, step, x, state):
    """One step of snn.Leaky; without autograd, its float32-identical generated step."""
    if torch.is_grad_enabled():
        spk, mem = leaky(x, state[0])
        return spk, (mem,)
    return step(x, state)


def run_leaky(leaky, step, cur):
    """snn.Leaky over currents [T, B, ...]: spikes and membranes [T, B, ...]."""
    state = (torch.zeros_like(cur[0]),)
    spikes, membranes = [], []
    for x in cur.unbind(0):  # unbind, not cur[t]: one gradient node, not one per step
        s, state = leaky_step(leaky, step, x, state)
        spikes.append(s)
        membranes.append(state[0])
    return torch.stack(spikes), torch.stack(membranes)
''')

_RLEAKY = fixed_text('''
def rleaky_step(rleaky, step, x, state, spk):
    """One step of snn.RLeaky from its previous spikes; without autograd, its generated step."""
    if torch.is_grad_enabled():
        spk, mem = rleaky(x, spk, state[0])
        return spk, (mem,)
    return step(x, state, (rleaky.recurrent(aligned(spk)),))
''')


class _Populations:
    """How snnTorch populations run (see emitters.forward.PopulationCode)."""

    def __init__(self, attrs: dict[str, str], steps: dict[str, str], helpers: set[str]):
        self.attrs, self.steps, self.helpers = attrs, steps, helpers

    def _m(self, op: Op) -> cst.BaseExpression:
        return expr("self.{a}", a=name(self.attrs[op.name]))

    def sequence(self, op, cur, late, spikes, membranes):
        subs = dict(s=name(spikes), v=name(membranes), m=self._m(op), c=cur)
        if op.impl == "snn.Leaky":
            self.helpers.add("leaky")
            return stmts("{s}, {v} = run_leaky({m}, {f}, {c})", f=name(self.steps[op.name]), **subs)
        call = cst.Call(self._m(op), [cst.Arg(cur), *[cst.Arg(term) for term in late]])
        return stmts("{s} = {call}\n{v} = {m}.v_seq", call=call, s=name(spikes), v=name(membranes), m=self._m(op))

    def step_init(self, op, state, zeros):
        if op.impl in ("snn.Leaky", "snn.RLeaky"):
            return stmts("{s} = ({z},)", s=name(state), z=zeros)
        return stmts("{s} = {m}.initial_state({z})", s=name(state), m=self._m(op), z=zeros)

    def step(self, op, cur, late, spikes, state, prev):
        f = name(self.steps[op.name])
        subs = dict(s=name(spikes), st=name(state), m=self._m(op), c=cur, f=f)
        if op.impl == "snn.Leaky":
            self.helpers.add("leaky")
            code = stmts("{s}, {st} = leaky_step({m}, {f}, {c}, {st})", **subs)
        elif op.impl == "snn.RLeaky":
            self.helpers.update(("rleaky", "aligned"))
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
    return cst.Call(expr(f"snn.{cls}"), args)


def weight_slots(graph: Graph, attrs: dict[str, str], owner: dict[str, str]) -> dict[str, cst.BaseExpression]:
    """Each weight key -> (tensor, transposed) expression in `model`."""
    out = {}
    for op in graph.parametric():
        if op.impl == patterns.RECURRENT:
            base = expr("model.{p}.recurrent", p=name(attrs[owner[op.name]]))
        else:
            base = expr("model.{a}", a=name(attrs[op.name]))
        for suffix in op.weights():
            if op.kind == "linear" and op.layout == "in_out":  # InOutLinear: w [in, out], b
                attr, transposed = ("w", True) if suffix == "weight" else ("b", False)
            else:
                attr, transposed = suffix, False
            out[f"{op.key}.{suffix}"] = cst.Tuple([cst.Element(expr("{b}.{a}", b=base, a=name(attr))),
                                                  cst.Element(literal(transposed))])
    return out


def emit_module(graph: Graph, pipeline: list[str]) -> cst.Module:
    ns = Namespace(reserved=(*module.CONTRACT_NAMES, *OWN_NAMES))
    model_cls = ns.name(graph.attrs.model_name, key=("model",))
    attr_ns = Namespace(reserved=("forward", "training"))
    attrs = {op.name: attr_ns.name(op.name, key=op.name) for op in stage_ops(graph)}
    helpers: set[str] = set()
    steps = StepFunctions(ns)
    step_of = {}
    for pop in graph.populations():
        step_of[pop.name] = steps.name_for(pop.neuron, f"{pop.name}_step")
    owner = {patterns.recurrent_of(graph, p).name: p.name for p in graph.populations() if p.impl == "snn.RLeaky"}

    init: list[cst.BaseStatement] = list(stmts("super().__init__()"))
    ctors, neuron_ctors = {}, {}
    for op in stage_ops(graph):
        if op.impl == patterns.RECURRENT:
            continue
        if isinstance(op, PopulationOp):
            if op.impl in ("snn.Leaky", "snn.RLeaky"):
                neuron_ctors[op.name] = _leaky_ctor(graph, op)
            else:
                helpers.add("neuron")
                neuron_ctors[op.name] = expr("Neuron({f}, {i})", f=name(step_of[op.name]),
                                             i=literal(initial_state(op.neuron)))
        else:
            ctors[op.name] = module_ctor(op, "nn.", helpers)
    factories, neuron_ctors = shared_ctors(neuron_ctors, ns, "neuron layer")
    ctors.update(neuron_ctors)
    for op in stage_ops(graph):
        if op.name in ctors:
            (stmt,) = stmts("self.{a} = {c}", a=name(attrs[op.name]), c=ctors[op.name])
            init.append(with_comments(stmt, module.note_comments(op)))
    forward = ForwardWriter(graph, attrs, _Populations(attrs, step_of, helpers), helpers, ns.taken()).body()
    model_defs = model_module(model_cls, f"The spiking network of this module for snnTorch "
                              f"({len(graph.populations())} populations); built from the spec, see the header.",
                              init, forward)

    imports = ["import math"] if needs_math(steps.spikes) else []
    imports += ["import torch", "import torch.nn as nn"]
    if any(p.impl in ("snn.Leaky", "snn.RLeaky") for p in graph.populations()):
        imports += ["import snntorch as snn", "from snntorch import surrogate"]
    body: list[cst.BaseStatement] = stmts("\n".join(imports))
    body += module.constant_stmts(graph)
    body += surrogate_classes(steps.spikes, ns)
    body += steps.statements
    body += runtime.helpers({h for h in helpers if h in runtime.HELPERS})
    if "leaky" in helpers:
        body += fixed(_LEAKY)
    if "rleaky" in helpers:
        body += fixed(_RLEAKY)
    if "neuron" in helpers:
        body += fixed(NEURON_CLASS)
    body += generated_classes(helpers)
    body += factories
    body += model_defs
    slots = weight_slots(graph, attrs, owner)
    body += stmts('''
def weight_slots(model):
    """Each weight key's tensor in the model, and whether it is stored transposed."""
    return {d}


def simulate(model, x):
    """Spikes and membranes of every population for x [T, B, *INPUT_SHAPE]."""
    return model(x)
''', d=cst.Dict([cst.DictElement(literal(k), v) for k, v in slots.items()]))
    body += module.contract_functions(trains=True)
    body += module.main_block()
    return module.assemble(graph, pipeline, body)
