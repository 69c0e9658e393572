"""How each SpikingJelly implementation renders: one renderer per pattern (`patterns.PATTERNS`) and
one for the generated canonical code.

A renderer gives an op's constructor (`ctor`) and, for a population in a generated nn.Module, the
pieces of forward (`emitters.forward.PopulationCode`); the helpers those use go to `Context.helpers`,
and `native` says whether the module imports SpikingJelly's `neuron` for it. `render.py` finds an
op's renderer by its impl (`patterns.renderer_of`) and asks it, never comparing impls itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import libcst as cst

from ir.neuron import Surrogate
from ir.ops import ModuleCall, Op, PopulationOp

from ..forward import NeuronModuleCode
from ..helpers import Helper, Helpers
from ..layers import module_ctor
from ..neurons import StepFunctions
from ..runtime import ALIGNED
from ..toolkit import Namespace, expr, fixed_text, literal, name, stmts

NATIVE_SURROGATES = {"atan": "ATan", "sigmoid": "Sigmoid", "softsign": "SoftSign"}
# The torch classes SpikingJelly's `layer` module wraps (with its step modes); any other comes from torch.nn.
LAYER_CLASSES = frozenset({"Linear", "Conv1d", "Conv2d", "MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d",
                           "Flatten", "BatchNorm1d", "BatchNorm2d", "Dropout", "Delay"})

PER_STEP = Helper("PerStep", needs=(ALIGNED,), text=fixed_text('''
class PerStep(nn.Module):
    """A single-step layer applied to each time step of [T, B, ...] on its own (exact in every target)."""

    def __init__(self, layer):
        super().__init__()
        self.layer = layer

    def forward(self, x_seq):
        return torch.stack([self.layer(aligned(x)) for x in x_seq])
'''))

BATCHED = Helper("Batched", fixed_text('''
class Batched(nn.Module):
    """A single-step layer applied to all T*B rows of [T, B, ...] at once (numerics "batched": see the header)."""

    def __init__(self, layer):
        super().__init__()
        self.layer = layer

    def forward(self, x_seq):
        return self.layer(x_seq.flatten(0, 1)).unflatten(0, x_seq.shape[:2])
'''))

CUBA_NODE = Helper("cuba_lif_node", fixed_text('''
def cuba_lif_node(step_mode, **kwargs):
    """neuron.CUBALIFNode(**kwargs) in `step_mode`, keeping v_seq in multi-step mode (its
    constructor takes neither)."""
    node = neuron.CUBALIFNode(**kwargs)
    node.step_mode = step_mode
    node.store_v_seq = step_mode == "m"
    return node
'''))


@dataclass
class Context:
    """What the renderers of one module share."""

    attrs: dict[str, str]  # op -> its submodule's name
    helpers: Helpers
    ns: Namespace
    steps: StepFunctions
    stepped: set[str]  # the ops in step stages (single-step mode)
    sequential: bool  # the model is an nn.Sequential in multi-step mode
    batched: bool  # numerics "batched"
    callables: dict[Surrogate, str] = field(default_factory=dict)  # surrogate -> its generated callable

    def module(self, op: Op) -> cst.BaseExpression:
        return expr("self.{a}", a=name(self.attrs[op.name]))


def prefix_for(op: Op) -> str:
    """Where the class computing a stateless op comes from: SpikingJelly's `layer.`, else `nn.`."""
    call = op.module()
    inner = next((a for a in call.args if isinstance(a, ModuleCall)), call) if call.generated else call
    return "layer." if inner.cls in LAYER_CLASSES else "nn."


def native_surrogate(s: Surrogate, kind: str = "lif") -> bool:
    """Whether SpikingJelly's own surrogate module computes `s` in a neuron of `kind`: its LIFNode and
    IFNode compute the gradient in _ops/surrogate.py's order, its CUBALIFNode calls the module's own."""
    flavor = "spikingjelly_module" if kind == "cuba" else "spikingjelly"
    return s.flavor == flavor and s.name in NATIVE_SURROGATES


def _surrogate(ctx: Context, op: PopulationOp) -> cst.BaseExpression:
    """SpikingJelly's own surrogate, or the generated callable of the exact formula (one per surrogate)."""
    s = op.neuron.surrogate
    if native_surrogate(s, op.neuron.kind):
        return expr("surrogate.{c}(alpha={a})", c=name(NATIVE_SURROGATES[s.name]), a=literal(float(s.alpha)))
    if s not in ctx.callables:
        ctx.callables[s] = ctx.ns.name(f"{s.name}_surrogate", key=("callable", s))
    return expr("{f}", f=name(ctx.callables[s]))


def _mode(ctx: Context, op: Op) -> str:
    return "s" if op.name in ctx.stepped else "m"


class Layer:
    """A stateless op: SpikingJelly's `layer.` class (or torch's `nn.`, or a generated class); one over
    the whole sequence in multi-step mode, any other one step at a time, in PerStep (Batched under
    numerics "batched") inside the nn.Sequential."""

    native = False

    def ctor(self, ctx: Context, op: Op) -> cst.BaseExpression:
        if not op.per_step:  # SpikingJelly's own layer in multi-step mode computes it over the sequence
            return module_ctor(op, prefix_for(op), ctx.helpers, step_mode="m")
        ctor = module_ctor(op, prefix_for(op), ctx.helpers)
        if ctx.sequential and ctx.batched:
            ctx.helpers.add(BATCHED)
            return expr("Batched({c})", c=ctor)
        if ctx.sequential:
            ctx.helpers.add(PER_STEP)
            return expr("PerStep({c})", c=ctor)
        return ctor

    def absorbed(self, op: Op) -> bool:
        return False


class Canonical(NeuronModuleCode, Layer):
    """The generated code: a population is a `Neuron` (or a learned variant) performing its family's
    step; a stateless op renders as any layer."""

    def ctor(self, ctx: Context, op: Op) -> cst.BaseExpression:
        if not isinstance(op, PopulationOp):
            return super().ctor(ctx, op)
        # ParametricLIFNode's step takes its learned w
        return self.neuron_ctor(ctx.helpers, op, ctx.steps.name_for(op.neuron, params=bool(op.neuron.learned())))



class Node(Canonical):
    """SpikingJelly's own neuron.LIFNode / neuron.IFNode, with float arguments (ints raise in
    SpikingJelly), in multi-step mode in layer stages and single-step mode in step stages."""

    native = True

    def __init__(self, cls: str):
        self.cls = cls

    def ctor(self, ctx: Context, op: PopulationOp) -> cst.BaseExpression:
        n, mode = op.neuron, _mode(ctx, op)
        args = []
        if n.kind == "lif":
            args += [cst.Arg(literal(n.tau), keyword=name("tau")),
                     cst.Arg(literal(n.decay_input), keyword=name("decay_input"))]
        args += [cst.Arg(literal(n.v_threshold), keyword=name("v_threshold")),
                 cst.Arg(literal(n.v_reset), keyword=name("v_reset")),
                 cst.Arg(_surrogate(ctx, op), keyword=name("surrogate_function")),
                 cst.Arg(literal(n.detach_reset), keyword=name("detach_reset")),
                 cst.Arg(literal(mode), keyword=name("step_mode"))]
        if mode == "m":
            args.append(cst.Arg(literal(True), keyword=name("store_v_seq")))
        return cst.Call(expr(self.cls), args)

    def step_init(self, ctx, op, state, zeros):
        return []

    def step(self, ctx, op, cur, late, spikes, state, prev):
        return stmts("{s} = {m}({c})", s=name(spikes), m=ctx.module(op), c=cur), expr("{m}.v", m=ctx.module(op))


class CubaNode(Node):
    """neuron.CUBALIFNode, built by the generated `cuba_lif_node`, which sets the step mode and v_seq
    its constructor does not take."""

    def ctor(self, ctx: Context, op: PopulationOp) -> cst.BaseExpression:
        n = op.neuron
        ctx.helpers.add(CUBA_NODE)
        args = [cst.Arg(literal(_mode(ctx, op))), cst.Arg(literal(n.c_decay), keyword=name("c_decay")),
                cst.Arg(literal(n.v_decay), keyword=name("v_decay")),
                cst.Arg(literal(n.v_threshold), keyword=name("v_threshold")),
                cst.Arg(literal(n.v_reset), keyword=name("v_reset")),
                cst.Arg(_surrogate(ctx, op), keyword=name("surrogate_function"))]
        return cst.Call(name("cuba_lif_node"), args)


LAYER, CANONICAL = Layer(), Canonical()
LIF_NODE, IF_NODE, CUBA_LIF_NODE = Node("neuron.LIFNode"), Node("neuron.IFNode"), CubaNode("neuron.CUBALIFNode")
