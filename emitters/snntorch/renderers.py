"""How each snnTorch implementation renders: one renderer per pattern (`patterns.PATTERNS`), one for
the generated canonical code and one for snn.RLeaky's absorbed recurrent layer.

A renderer gives an op's constructor (`ctor`) and, for a population, the pieces of forward
(`emitters.forward.PopulationCode`: `sequence`, `step_init`, `step`, `needs_prev`, `absorbed`), the
helpers those use (added to `Context.helpers`), whether the module imports snnTorch for it
(`native`), and whether the population has a generated step function (`step_params`: None for none,
else whether it takes beta and threshold) or, for an snn.Leaky population of a layer stage, a
generated whole-sequence function (`runs_sequence`: the step's operations in place, run without
autograd; `SequenceFunctions`). `render.py` finds an op's renderer by its impl
(`patterns.renderer_of`) and asks it, never comparing impls itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from ir.neuron import SnnTorchNeuron
from ir.ops import Op, PopulationOp

from ..forward import NeuronModuleCode
from ..helpers import Helper, Helpers
from ..layers import generated_ctor, module_ctor
from ..neurons import kind_hint
from ..runtime import ALIGNED
from ..toolkit import Namespace, expr, fixed_text, literal, name, stmts
from .neuron import describe, sequence_body

NATIVE_SURROGATES = {"atan": ("atan", "alpha"), "sigmoid": ("sigmoid", "slope"), "fast_sigmoid": ("fast_sigmoid", "slope")}
# Ops over the whole sequence: the generated class of each (by the torch class the op kind names),
# computing what SpikingJelly's multi-step layer computes.
SEQUENCE_CLASSES = {"BatchNorm1d": "SequenceBatchNorm1d", "BatchNorm2d": "SequenceBatchNorm2d",
                    "Dropout": "SequenceDropout", "Delay": "Delay"}

LEAKY_STEP_CODE = Helper("leaky_step", fixed_text('''
def leaky_step(leaky, step, x, state):
    """One step of snn.Leaky; without autograd, its float32-identical generated step,
    with the layer's own beta and threshold (so an edit of either changes both)."""
    if torch.is_grad_enabled():
        spk, mem = leaky(x, state[0])
        return spk, (mem,)
    return step(x, state, leaky.beta.clamp(0, 1), leaky.threshold)
'''))

RUN_LEAKY_CODE = Helper("run_leaky", fixed_text('''
def run_leaky(leaky, sequence, cur):
    """snn.Leaky over currents [T, B, ...]: spikes and membranes [T, B, ...]. Without
    autograd on float32 currents, its float32-identical generated sequence, with the
    layer's own beta and threshold (so an edit of either changes both)."""
    if not torch.is_grad_enabled() and cur.dtype == torch.float32:
        return sequence(cur, leaky.beta.clamp(0, 1), leaky.threshold)
    mem = torch.zeros_like(cur[0])
    spikes, membranes = [], []
    for x in cur.unbind(0):  # unbind, not cur[t]: one gradient node, not one per step
        spk, mem = leaky(x, mem)
        spikes.append(spk)
        membranes.append(mem)
    return torch.stack(spikes), torch.stack(membranes)
'''))

RLEAKY_CODE = Helper("rleaky_step", needs=(ALIGNED,), text=fixed_text('''
def rleaky_step(rleaky, step, x, state, spk):
    """One step of snn.RLeaky from its previous spikes; without autograd, its generated
    step, with the layer's own beta and threshold."""
    if torch.is_grad_enabled():
        spk, mem = rleaky(x, spk, state[0])
        return spk, (mem,)
    late = (rleaky.recurrent(aligned(spk)),)
    return step(x, state, rleaky.beta.clamp(0, 1), rleaky.threshold, late)
'''))

SYNAPTIC_CODE = Helper("run_synaptic", fixed_text('''
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


@dataclass
class Context:
    """What the renderers of one module share: submodule names, step functions, helpers used."""

    attrs: dict[str, str]  # op -> its submodule's name
    step_of: dict[str, str]  # population -> its generated step function
    helpers: Helpers
    sequence_of: dict[str, str] = field(default_factory=dict)  # population -> its generated sequence function

    def module(self, op: Op) -> cst.BaseExpression:
        return expr("self.{a}", a=name(self.attrs[op.name]))


def _surrogate_arg(op: PopulationOp) -> cst.Arg:
    s = op.neuron.surrogate
    factory, keyword = NATIVE_SURROGATES[s.name]
    call = cst.Call(expr("surrogate.{f}", f=name(factory)), [cst.Arg(literal(float(s.alpha)), keyword=name(keyword))])
    return cst.Arg(call, keyword=name("spike_grad"))


class Layer:
    """A stateless op: the torch class its kind names (`nn.`) one step at a time, or a generated
    class; an op over the whole sequence, the generated class of SEQUENCE_CLASSES."""

    native = False
    # a population of a layer stage runs a generated whole-sequence function without autograd
    # (`ctx.sequence_of`) instead of its step function
    runs_sequence = False

    def ctor(self, ctx: Context, op: Op) -> cst.BaseExpression:
        if not op.per_step:
            return generated_ctor(SEQUENCE_CLASSES[op.module().cls], op, ctx.helpers)
        return module_ctor(op, "nn.", ctx.helpers)

    def absorbed(self, op: Op) -> bool:
        return False


class Recurrent(Layer):
    """The n -> n linear layer snn.RLeaky holds as `recurrent`: its population computes it."""

    def absorbed(self, op: Op) -> bool:
        return True


class Canonical(NeuronModuleCode, Layer):
    """The generated code: a population is a `Neuron` (or a learned variant) performing its family's
    step; a stateless op renders as any layer."""

    def ctor(self, ctx: Context, op: Op) -> cst.BaseExpression:
        if not isinstance(op, PopulationOp):
            return super().ctor(ctx, op)
        return self.neuron_ctor(ctx.helpers, op, ctx.step_of[op.name])

    def step_params(self, op: PopulationOp) -> bool | None:
        return bool(op.neuron.learned())



class Leaky(Canonical):
    """snn.Leaky: the model holds the snnTorch module and steps through it with autograd on, through
    the generated step of the same arithmetic (reading the module's beta and threshold) with it off."""

    native = True
    runs_sequence = True
    cls = "Leaky"

    def ctor(self, ctx: Context, op: PopulationOp) -> cst.BaseExpression:
        n = op.neuron
        args = [cst.Arg(literal(float(n.decay)), keyword=name("beta")), *self.size_args(op),
                cst.Arg(literal(n.threshold), keyword=name("threshold")),
                cst.Arg(literal(n.reset), keyword=name("reset_mechanism")),
                cst.Arg(literal(n.reset_delay), keyword=name("reset_delay")), _surrogate_arg(op)]
        args += [cst.Arg(literal(True), keyword=name(f"learn_{key}")) for key in n.learn]
        return cst.Call(expr(f"snn.{self.cls}"), args)

    def size_args(self, op: PopulationOp) -> list[cst.Arg]:
        return []

    def step_params(self, op: PopulationOp) -> bool | None:
        return True

    def sequence(self, ctx, op, m, cur, late, spikes, membranes):
        ctx.helpers.add(RUN_LEAKY_CODE)
        return stmts("{s}, {v} = run_leaky({m}, {f}, {c})", s=name(spikes), v=name(membranes), m=m, c=cur,
                     f=name(ctx.sequence_of[op.name]))

    def step_init(self, ctx, op, state, zeros):
        return stmts("{s} = ({z},)", s=name(state), z=zeros)

    def step(self, ctx, op, cur, late, spikes, state, prev):
        ctx.helpers.add(LEAKY_STEP_CODE)
        code = stmts("{s}, {st} = leaky_step({m}, {f}, {c}, {st})", s=name(spikes), st=name(state),
                     m=ctx.module(op), c=cur, f=name(ctx.step_of[op.name]))
        return code, expr("{st}[0]", st=name(state))


class RLeaky(Leaky):
    """snn.RLeaky (linear_features=n): snn.Leaky's arithmetic plus its recurrent nn.Linear on the
    population's previous spikes, which its step reads."""

    runs_sequence = False  # it reads its own spikes: always in a step stage
    cls = "RLeaky"

    def size_args(self, op: PopulationOp) -> list[cst.Arg]:
        return [cst.Arg(literal(op.shape[0]), keyword=name("linear_features"))]

    def sequence(self, ctx, op, m, cur, late, spikes, membranes):
        # the generated code's call: RLeaky's population reads its own spikes, so it runs in step stages
        return Canonical.sequence(self, ctx, op, m, cur, late, spikes, membranes)

    def step(self, ctx, op, cur, late, spikes, state, prev):
        ctx.helpers.add(RLEAKY_CODE)
        code = stmts("{s}, {st} = rleaky_step({m}, {f}, {c}, {st}, {p})", s=name(spikes), st=name(state),
                     m=ctx.module(op), c=cur, f=name(ctx.step_of[op.name]), p=name(prev))
        return code, expr("{st}[0]", st=name(state))

    def needs_prev(self, op: PopulationOp) -> bool:
        return True


class Synaptic(Canonical):
    """snn.Synaptic: the model holds the snnTorch module and runs it in training and inference alike
    (no generated step)."""

    native = True

    def ctor(self, ctx: Context, op: PopulationOp) -> cst.BaseExpression:
        n = op.neuron
        args = [cst.Arg(literal(float(n.alpha)), keyword=name("alpha")),
                cst.Arg(literal(float(n.beta)), keyword=name("beta")),
                cst.Arg(literal(n.threshold), keyword=name("threshold")),
                cst.Arg(literal(n.reset), keyword=name("reset_mechanism")),
                cst.Arg(literal(n.reset_delay), keyword=name("reset_delay")), _surrogate_arg(op)]
        args += [cst.Arg(literal(True), keyword=name(f"learn_{key}")) for key in n.learn]
        return cst.Call(expr("snn.Synaptic"), args)

    def step_params(self, op: PopulationOp) -> bool | None:
        return None

    def sequence(self, ctx, op, m, cur, late, spikes, membranes):
        ctx.helpers.add(SYNAPTIC_CODE)
        return stmts("{s}, {v} = run_synaptic({m}, {c})", s=name(spikes), v=name(membranes), m=m, c=cur)

    def step_init(self, ctx, op, state, zeros):
        return stmts("{s} = ({z}, {z})", s=name(state), z=zeros)

    def step(self, ctx, op, cur, late, spikes, state, prev):
        ctx.helpers.add(SYNAPTIC_CODE)
        code = stmts("{s}, {st} = synaptic_step({m}, {c}, {st})", s=name(spikes), st=name(state),
                     m=ctx.module(op), c=cur)
        return code, expr("{st}[0]", st=name(state))


class SequenceFunctions:
    """Names and renders the whole-sequence functions of one module's snn.Leaky populations
    (`neuron.sequence_body`); neurons that differ only in beta and threshold share one."""

    def __init__(self, ns: Namespace):
        self.ns = ns
        self.names: dict[object, str] = {}
        self.statements: list[cst.BaseStatement] = []

    def name_for(self, neuron: SnnTorchNeuron) -> str:
        body = sequence_body(neuron)
        key = ("sequence", neuron.kind, cst.Module(body).code)
        if key not in self.names:
            fn = self.names[key] = self.ns.numbered(kind_hint(neuron, "snntorch") + "_sequence", key=key)
            # describe() writes parameters only (numbers, reset names), never text from the spec
            doc = cst.SimpleString(f'"""{describe(neuron, params=True)} over currents [T, B, ...]\n'
                                   '    without autograd: its step\'s float32 operations, in place."""')
            params = cst.Parameters([cst.Param(name(p)) for p in ("cur", "beta", "threshold")])
            self.statements.append(cst.FunctionDef(name=name(fn), params=params, body=cst.IndentedBlock(
                [cst.SimpleStatementLine([cst.Expr(doc)]), *body])))
        return self.names[key]


LAYER, RECURRENT, CANONICAL = Layer(), Recurrent(), Canonical()
LEAKY, RLEAKY, SYNAPTIC = Leaky(), RLeaky(), Synaptic()
