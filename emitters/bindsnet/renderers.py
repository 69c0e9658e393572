"""How each BindsNET implementation of a population renders: one renderer per pattern
(`patterns.PATTERNS`: BindsNET's own nodes) and one for the generated canonical code.

A renderer gives a population's layer constructor (`ctor`, handed the writer of the module,
whose `helpers` collect the generated classes it uses and whose `steps` write the step
functions) and the class it imports from `bindsnet.network.nodes` (`node_class`). `render.py`
finds a population's renderer by its impl (`patterns.renderer_of`) and asks it, never comparing
impls itself. (Stateless ops have no impl here: the connections the lowering planned compute them.)
"""

from __future__ import annotations

import libcst as cst

from ir.ops import PopulationOp

from ..helpers import Helper
from ..neurons import initial_state
from ..toolkit import expr, fixed_text, literal, name

CANONICAL_NODES = Helper("CanonicalNodes", fixed_text('''
class CanonicalNodes(Nodes):
    """A BindsNET layer performing a generated exact neuron step (see the header).

    Its state is the step's tuple (membrane first, kept in `v` for monitors); terms
    that the step adds after its charge arrive in `late` from their connections."""

    def __init__(self, shape, step, init):
        super().__init__(shape=shape, traces=False)
        self.step = step
        self.init = init
        self.late = []
        self.state = ()
        self.register_buffer("v", torch.zeros(0))

    def forward(self, x):
        s, self.state = self.step(x, self.state, self.late)
        self.late = []
        self.v = self.state[0]
        self.s = s > 0
        super().forward(x)

    def reset_state_variables(self):
        super().reset_state_variables()
        self.late = []
        self.state = tuple(torch.full_like(self.v, value) for value in self.init)
        self.v = self.state[0]

    def set_batch_size(self, batch_size):
        super().set_batch_size(batch_size=batch_size)
        self.v = torch.full(
            (batch_size, *self.shape), self.init[0], device=self.s.device
        )
        self.reset_state_variables()
'''))

NONSPIKING_NODES = Helper("NonSpikingNodes", fixed_text('''
class NonSpikingNodes(CanonicalNodes):
    """A BindsNET layer performing a generated non-spiking step: it never fires, and
    what its connections and monitors read as its output `s` is its membrane."""

    def forward(self, x):
        super().forward(x)
        self.s = self.v
'''))

LEARNED_NODES = Helper("LearnedNodes", fixed_text('''
class LearnedNodes(CanonicalNodes):
    """CanonicalNodes whose generated step takes beta and threshold, held as buffers
    (WEIGHTS "<population>.beta", "<population>.threshold", learned elsewhere)."""

    def __init__(self, shape, step, init, beta, threshold):
        super().__init__(shape, None, init)
        del self.step
        self.fn = step
        self.register_buffer("beta", torch.tensor(beta))
        self.register_buffer("threshold", torch.tensor(threshold))

    def step(self, x, state, late=()):
        return self.fn(x, state, self.beta.clamp(0, 1), self.threshold, late)
'''))

LEARNED_SYNAPTIC_NODES = Helper("LearnedSynapticNodes", fixed_text('''
class LearnedSynapticNodes(CanonicalNodes):
    """CanonicalNodes whose generated step takes alpha, beta and threshold (snn.Synaptic's),
    held as buffers (WEIGHTS "<population>.alpha", ..., learned elsewhere)."""

    def __init__(self, shape, step, alpha, beta, threshold):
        super().__init__(shape, None, (0.0, 0.0))
        del self.step
        self.fn = step
        self.register_buffer("alpha", torch.tensor(alpha))
        self.register_buffer("beta", torch.tensor(beta))
        self.register_buffer("threshold", torch.tensor(threshold))

    def step(self, x, state, late=()):
        return self.fn(x, state, self.alpha, self.beta, self.threshold, late)
'''))

LEARNED_PLIF_NODES = Helper("LearnedPLIFNodes", fixed_text('''
class LearnedPLIFNodes(CanonicalNodes):
    """CanonicalNodes whose generated step takes ParametricLIFNode's w (1/tau = sigmoid(w)),
    held as a buffer (WEIGHTS "<population>.w", learned elsewhere)."""

    def __init__(self, shape, step, init, w):
        super().__init__(shape, None, init)
        del self.step
        self.fn = step
        self.register_buffer("w", torch.tensor(w))

    def step(self, x, state, late=()):
        return self.fn(x, state, self.w, late)
'''))


class Nodes:
    """BindsNET's own nodes class `node_class`: `template` is its constructor, `shape=` the
    population's (`{s}`) and each other placeholder the neuron's field of that name."""

    def __init__(self, node_class: str, template: str, fields: tuple[str, ...]):
        self.node_class, self.template, self.fields = node_class, template, fields

    def ctor(self, writer, op: PopulationOp) -> cst.BaseExpression:
        values = {field: literal(getattr(op.neuron, field)) for field in self.fields}
        return expr(self.template, s=literal(op.shape), **values)


class Canonical:
    """The generated code: `CanonicalNodes` performing the population's family step (`emitters.neurons`),
    `NonSpikingNodes` for a non-spiking one (its output `s` is its membrane), or a learned variant whose
    parameters are buffers load_weights sets."""

    node_class = "Nodes"

    def ctor(self, writer, op: PopulationOp) -> cst.BaseExpression:
        n = op.neuron
        writer.helpers.add(CANONICAL_NODES)
        if n.learned() and n.kind == "cuba":  # alpha, beta, threshold: buffers load_weights sets
            writer.helpers.add(LEARNED_SYNAPTIC_NODES)
            fn = writer.steps.name_for(n, params=True)
            return expr("LearnedSynapticNodes({s}, {f}, {a}, {b}, {t})", s=literal(op.shape), f=name(fn),
                        a=literal(float(n.alpha)), b=literal(float(n.beta)), t=literal(n.threshold))
        if n.learned() and n.family == "spikingjelly":  # ParametricLIFNode's w: a buffer load_weights sets
            writer.helpers.add(LEARNED_PLIF_NODES)
            fn = writer.steps.name_for(n, params=True)
            return expr("LearnedPLIFNodes({s}, {f}, {i}, {w})", s=literal(op.shape), f=name(fn),
                        i=literal(initial_state(n)), w=literal(n.w))
        if n.learned():  # beta and threshold are buffers load_weights sets (BindsNET does not train)
            writer.helpers.add(LEARNED_NODES)
            fn = writer.steps.name_for(n, params=True)
            return expr("LearnedNodes({s}, {f}, {i}, {b}, {t})", s=literal(op.shape), f=name(fn),
                        i=literal(initial_state(n)), b=literal(float(n.decay)), t=literal(n.threshold))
        fn = writer.steps.name_for(n)
        cls = "CanonicalNodes"
        if not n.spiking:
            writer.helpers.add(NONSPIKING_NODES)
            cls = "NonSpikingNodes"
        return expr("{c}({s}, {f}, {i})", c=name(cls), s=literal(op.shape), f=name(fn), i=literal(initial_state(n)))


CANONICAL = Canonical()
LIF_NODES = Nodes("LIFNodes", "LIFNodes(shape={s}, thresh={thresh}, rest={rest}, reset={reset}, refrac={refrac}, "
                  "tc_decay={tc_decay}, traces=False)", ("thresh", "rest", "reset", "refrac", "tc_decay"))
CURRENT_LIF_NODES = Nodes("CurrentLIFNodes", "CurrentLIFNodes(shape={s}, thresh={thresh}, rest={rest}, reset={reset}, "
                          "refrac={refrac}, tc_decay={tc_decay}, tc_i_decay={tc_i_decay}, traces=False)",
                          ("thresh", "rest", "reset", "refrac", "tc_decay", "tc_i_decay"))
IF_NODES = Nodes("IFNodes", "IFNodes(shape={s}, thresh={thresh}, reset={reset}, refrac={refrac}, traces=False)",
                 ("thresh", "reset", "refrac"))
