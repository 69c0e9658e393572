"""The generated nn.Module of snnTorch and SpikingJelly: its class, and its forward written from the schedule.

    layer stage (one op over the whole sequence):
        linear_0 = per_step(self.linear_0, x)                      # stateless: one step at a time
        bn_1 = self.bn_1(linear_0)                                 # an op over the whole sequence
        layer_1, layer_1_v = <the population's sequence call>      # given by the target
    step stage (a feedback cycle, one loop over time):
        h_state = ...; h_prev = zeros; h_seq, h_v_seq = [], []
        for t in range(x.shape[0]):
            rec_t = self.rec(aligned(h_prev))                      # operands: x_steps[t] (unbound once), or *_prev
            h_t, h_state = <the population's step call>
            h_prev = h_t                                           # after every op of the stage
            ...
        h = torch.stack(h_seq)

An op with several operands reads their sum, in operand order; a feedback operand
is the previous step's value (`shifted(seq)` in a layer stage, `*_prev` in a step
stage, zeros first). How a population runs is the target's (`PopulationCode`); this
module decides nothing the IR does not say.

A run of identical blocks (`emitters.repeats`) is one loop over the blocks, modules
found by name, each population's spikes and membranes put in `out`:

        spikes = x
        for k in range(1, 101):
            linear = per_step(getattr(self, f"layer_{k}"), spikes)
            neurons = getattr(self, f"layer_{k}_lif")
            spikes, membranes = <the population's sequence call>
            out[f"layer_{k}"] = spikes
            out[f"layer_{k}.v"] = membranes

Submodules are named by `module_names`: a layer with weights after its weight key
(`model.layer_1.weight` is WEIGHTS' "layer_1.weight"), every other op after its name,
and a population whose name a weight key took (the key of the layer feeding it) as
`<name>_<kind>` (`layer_1_lif`).
"""

from __future__ import annotations

from typing import Protocol

import libcst as cst

from ir.graph import Graph, Stage
from ir.ops import InputOp, Op, PopulationOp

from .helpers import Helper, Helpers, include
from .repeats import Run
from .runtime import ALIGNED, BATCHED, PER_STEP, SHIFTED
from .toolkit import Namespace, expr, fixed_text, literal, name, stmts

LOCALS = ("self", "x", "t", "out")

# What an nn.Module (and nn.Sequential) already has (torch 2.x): a submodule of one of these
# names would be shadowed by the method (`model.to`) or refused.
MODULE_ATTRS = frozenset((
    "T_destination", "add_module", "append", "apply", "bfloat16", "buffers", "call_super_init", "children",
    "compile", "cpu", "cuda", "double", "dump_patches", "eval", "extend", "extra_repr", "float", "forward",
    "get_buffer", "get_extra_state", "get_parameter", "get_submodule", "half", "insert", "ipu",
    "load_state_dict", "modules", "mtia", "named_buffers", "named_children", "named_modules",
    "named_parameters", "parameters", "pop", "register_backward_hook", "register_buffer",
    "register_forward_hook", "register_forward_pre_hook", "register_full_backward_hook",
    "register_full_backward_pre_hook", "register_load_state_dict_post_hook",
    "register_load_state_dict_pre_hook", "register_module", "register_parameter",
    "register_state_dict_post_hook", "register_state_dict_pre_hook", "requires_grad_", "set_extra_state",
    "set_submodule", "share_memory", "state_dict", "to", "to_empty", "train", "training", "type", "xpu",
    "zero_grad",
))


def module_names(graph: Graph, skip: frozenset[str] = frozenset()) -> dict[str, str]:
    """The submodule name of every op but the input (and those in `skip`): a layer with weights
    is named after its weight key, so that `model.<key>.weight` is WEIGHTS' "<key>.weight" (and
    `model.state_dict()` has the contract's keys for it); every other op after its name, but a
    population whose name is taken (by the key of the layer feeding it) as `<name>_<kind>`."""
    ns = Namespace(reserved=MODULE_ATTRS)
    ops = [op for op in stage_ops(graph) if op.name not in skip]
    out = {op.name: ns.name(op.key, key=op.name) for op in ops if op.parametric}
    rest = [op for op in ops if op.name not in out]
    for op in rest:  # own names first, so that no derived name takes one
        if op.name not in ns.taken():
            out[op.name] = ns.name(op.name, key=op.name)
    for op in rest:
        if op.name not in out:
            hint = f"{op.name}_{op.neuron.kind}" if isinstance(op, PopulationOp) else op.name
            out[op.name] = ns.name(hint, key=op.name)
    return {op.name: out[op.name] for op in ops}


def labels(graph: Graph, attrs: dict[str, str]):
    """The names a loop over a run writes for an op (see emitters.repeats): its submodule's,
    a population's own (the keys of its results), a layer's weight key."""
    def of(op_name: str) -> dict[str, str]:
        op = graph.op(op_name)
        out = {"attr": attrs[op_name]}
        if isinstance(op, PopulationOp):
            out["name"] = op.name
        if op.parametric:
            out["key"] = op.key
        return out
    return of

# The layer of a population without an exact native class: its generated step over a sequence.
NEURON_CLASS = Helper("Neuron", fixed_text('''
class Neuron(nn.Module):
    """A neuron layer performing a generated exact step (see the header); forward runs a sequence."""

    def __init__(self, step, init):
        super().__init__()
        self.step = step
        self.init = init
        self.v_seq = None

    def extra_repr(self):
        return self.step.__name__

    def initial_state(self, x):
        return tuple(torch.full_like(x, value) for value in self.init)

    def forward(self, x_seq, *late):
        """Spikes [T, B, ...] for currents [T, B, ...] (and late terms); membranes go to v_seq."""
        state = self.initial_state(x_seq[0])
        spikes, membranes = [], []
        late = [term.unbind(0) for term in late]
        for t, x in enumerate(x_seq.unbind(0)):
            s, state = self.step(x, state, [term[t] for term in late])
            spikes.append(s)
            membranes.append(state[0])
        self.v_seq = torch.stack(membranes)
        return torch.stack(spikes)
'''))


# A neuron layer of the snnTorch family whose beta or threshold training changes (snn.Leaky's
# learn_beta, learn_threshold): its step takes them as tensors, used as snn.Leaky uses them.
LEARNED_NEURON_CLASS = Helper("LearnedNeuron", fixed_text('''
class LearnedNeuron(Neuron):
    """A Neuron whose generated step takes beta and threshold: the learned ones are parameters
    (WEIGHTS "<population>.beta", "<population>.threshold"), the others buffers."""

    def __init__(self, step, init, beta, threshold, learn):
        nn.Module.__init__(self)
        self.fn = step
        self.init = init
        self.v_seq = None
        for key, value in (("beta", beta), ("threshold", threshold)):
            if key in learn:
                setattr(self, key, nn.Parameter(torch.tensor(value)))
            else:
                self.register_buffer(key, torch.tensor(value))

    def extra_repr(self):
        return self.fn.__name__

    def step(self, x, state, late=()):
        return self.fn(x, state, self.beta.clamp(0, 1), self.threshold, late)
'''))


# The same for snn.Synaptic's arithmetic (a CUBA neuron of the snnTorch family): its step takes
# alpha, beta and threshold as they are, and clamps alpha and beta where Synaptic does.
LEARNED_SYNAPTIC_CLASS = Helper("LearnedSynaptic", fixed_text('''
class LearnedSynaptic(Neuron):
    """A Neuron whose generated step takes alpha, beta and threshold: the learned ones are
    parameters (WEIGHTS "<population>.alpha", ...), the others buffers."""

    def __init__(self, step, alpha, beta, threshold, learn):
        nn.Module.__init__(self)
        self.fn = step
        self.init = (0.0, 0.0)
        self.v_seq = None
        for key, value in (("alpha", alpha), ("beta", beta), ("threshold", threshold)):
            if key in learn:
                setattr(self, key, nn.Parameter(torch.tensor(value)))
            else:
                self.register_buffer(key, torch.tensor(value))

    def extra_repr(self):
        return self.fn.__name__

    def step(self, x, state, late=()):
        return self.fn(x, state, self.alpha, self.beta, self.threshold, late)
'''))


# SpikingJelly's ParametricLIFNode: its generated step takes w (1/tau = sigmoid(w)), a parameter.
LEARNED_PLIF_CLASS = Helper("LearnedPLIF", fixed_text('''
class LearnedPLIF(Neuron):
    """A Neuron whose generated step takes ParametricLIFNode's w (1/tau = sigmoid(w)), a
    parameter (WEIGHTS "<population>.w")."""

    def __init__(self, step, init, w):
        nn.Module.__init__(self)
        self.fn = step
        self.init = init
        self.v_seq = None
        self.w = nn.Parameter(torch.tensor(w))

    def extra_repr(self):
        return self.fn.__name__

    def step(self, x, state, late=()):
        return self.fn(x, state, self.w, late)
'''))


def learned_ctor(neuron, step: str, helpers: Helpers) -> cst.BaseExpression:
    """The module of a neuron with learned parameters, as its family's home writes it
    (`learned_ctor` of `emitters.<family>.neuron`: one of the classes below)."""
    from .neurons import step_code

    return step_code(neuron).learned_ctor(neuron, step, helpers)


def learned_classes(helpers: Helpers) -> list[cst.BaseStatement]:
    """The LearnedNeuron / LearnedSynaptic / LearnedPLIF classes `helpers` asks for (after Neuron)."""
    return include(helpers, (LEARNED_NEURON_CLASS, LEARNED_SYNAPTIC_CLASS, LEARNED_PLIF_CLASS))


def learned_slots(graph: Graph, module_of) -> list[cst.DictElement]:
    """weight_slots' entries of the learned neuron parameters: `module_of(pop)` holds them."""
    return [cst.DictElement(literal(f"{pop.name}.{key}"), cst.Tuple([
        cst.Element(expr("{m}.{k}", m=module_of(pop), k=name(key))), cst.Element(literal(False))]))
        for pop in graph.populations() for key in pop.neuron.learned()]


def model_module(cls: str, doc: str, init: list[cst.BaseStatement],
                 forward: list[cst.BaseStatement]) -> list[cst.BaseStatement]:
    """The generated nn.Module class `cls` (its __init__ and forward bodies given) and build_model."""
    (node,) = stmts(f'''
class {{cls}}(nn.Module):
    """{doc}"""

    def __init__(self):
        pass

    def forward(self, x):
        """Spikes {{population: [T, B, ...]}} and membranes {{population + ".v": [T, B, ...]}} for x [T, B, ...]."""
        pass
''', cls=name(cls))
    return [_fill_methods(node, {"__init__": init, "forward": forward}), *stmts('''
def build_model(device=None):
    """A fresh model with torch's default initialisation, on `device` if given."""
    model = {cls}()
    return model if device is None else model.to(device)
''', cls=name(cls))]


def _fill_methods(cls: cst.ClassDef, bodies: dict[str, list[cst.BaseStatement]]) -> cst.ClassDef:
    """Replace the `pass` of each method named in `bodies` (keeping its docstring) with the statements."""
    new = []
    for node in cls.body.body:
        if isinstance(node, cst.FunctionDef) and node.name.value in bodies:
            keep = [s for s in node.body.body if not _is_pass(s)]
            node = node.with_changes(body=node.body.with_changes(body=[*keep, *bodies[node.name.value]]))
        new.append(node)
    return cls.with_changes(body=cls.body.with_changes(body=new))


def _is_pass(node: cst.BaseStatement) -> bool:
    return isinstance(node, cst.SimpleStatementLine) and len(node.body) == 1 and isinstance(node.body[0], cst.Pass)


class PopulationCode(Protocol):
    def sequence(self, op: PopulationOp, m: cst.BaseExpression, cur: cst.BaseExpression,
                 late: list[cst.BaseExpression], spikes: str, membranes: str) -> list[cst.BaseStatement]:
        """Statements setting `spikes`, `membranes` [T, B, ...] for currents `cur` [T, B, ...];
        `m` is the population's module."""

    def step_init(self, op: PopulationOp, state: str, zeros: cst.BaseExpression) -> list[cst.BaseStatement]:
        """Statements before the loop; `zeros` is a [B, ...] zero tensor expression."""

    def step(self, op: PopulationOp, cur: cst.BaseExpression, late: list[cst.BaseExpression], spikes: str,
             state: str, prev: str | None) -> tuple[list[cst.BaseStatement], cst.BaseExpression]:
        """Statements setting `spikes` [B, ...] for one step, and the membrane expression after them.
        `prev` names the population's previous spikes, when the target needs them (snn.RLeaky)."""

    def needs_prev(self, op: PopulationOp) -> bool:
        """Whether `step` reads the population's previous spikes."""

    def absorbed(self, op: Op) -> bool:
        """Whether a population's module computes this op itself (snn.RLeaky's recurrent layer)."""


class NeuronModuleCode:
    """The constructor and forward pieces of a population held as a generated `Neuron` module
    (NEURON_CLASS and its learned variants), for a renderer with a `ctx.module(op)`: the same in every
    target that has it."""

    def neuron_ctor(self, helpers: Helpers, op: PopulationOp, step: str) -> cst.BaseExpression:
        """The population's module performing the step function `step`: a Neuron, or its family's
        learned variant for a neuron with learned parameters."""
        from .neurons import initial_state

        if op.neuron.learned():
            return learned_ctor(op.neuron, step, helpers)
        helpers.add(NEURON_CLASS)
        return expr("Neuron({f}, {i})", f=name(step), i=literal(initial_state(op.neuron)))

    def sequence(self, ctx, op, m, cur, late, spikes, membranes):
        call = cst.Call(m, [cst.Arg(cur), *[cst.Arg(term) for term in late]])
        return stmts("{s} = {call}\n{v} = {m}.v_seq", call=call, s=name(spikes), v=name(membranes), m=m)

    def step_init(self, ctx, op, state, zeros):
        return stmts("{s} = {m}.initial_state({z})", s=name(state), m=ctx.module(op), z=zeros)

    def step(self, ctx, op, cur, late, spikes, state, prev):
        terms = cst.List([cst.Element(t) for t in late])
        code = stmts("{s}, {st} = {m}.step({c}, {st}, {late})", s=name(spikes), st=name(state), m=ctx.module(op),
                     c=cur, late=terms)
        return code, expr("{st}[0]", st=name(state))

    def needs_prev(self, op: PopulationOp) -> bool:
        return False


class ByRenderer:
    """The PopulationCode of a target whose renderers write the pieces: each op's renderer
    (`renderer_of(op)`, by its impl) is asked, with the module's context `ctx`."""

    def __init__(self, renderer_of, ctx):
        self.renderer_of, self.ctx = renderer_of, ctx

    def sequence(self, op, m, cur, late, spikes, membranes):
        return self.renderer_of(op).sequence(self.ctx, op, m, cur, late, spikes, membranes)

    def step_init(self, op, state, zeros):
        return self.renderer_of(op).step_init(self.ctx, op, state, zeros)

    def step(self, op, cur, late, spikes, state, prev):
        return self.renderer_of(op).step(self.ctx, op, cur, late, spikes, state, prev)

    def needs_prev(self, op):
        return self.renderer_of(op).needs_prev(op)

    def absorbed(self, op):
        return self.renderer_of(op).absorbed(op)


INLINE_TERMS = 16  # longer sums are written flat: a nested `a + b + ...` of hundreds of terms
# exceeds the recursion depth of every tool that walks the syntax tree (libcst, black, compile)


def total(terms: list[cst.BaseExpression]) -> cst.BaseExpression:
    """The sum of `terms` in their order: `a + b + c`, or `sum([b, c, ...], a)` for many terms,
    which adds in the same order (Python's sum does `result = result + item` for tensors)."""
    if len(terms) > INLINE_TERMS:
        return cst.Call(cst.Name("sum"), [cst.Arg(cst.List([cst.Element(t) for t in terms[1:]])), cst.Arg(terms[0])])
    out = terms[0]
    for term in terms[1:]:
        out = cst.BinaryOperation(out, cst.Add(), term)
    return out


class ForwardWriter:
    """Writes the statements of `forward(self, x)` for a graph whose ops have attributes `attrs`."""

    def __init__(self, graph: Graph, attrs: dict[str, str], code: PopulationCode, helpers: Helpers,
                 module_names: frozenset[str], runs: list[Run] = ()):
        """`module_names`: the module-level names forward must not shadow (step functions, helpers);
        `runs`: the runs of identical blocks to write as loops."""
        self.graph, self.attrs, self.code, self.helpers = graph, attrs, code, helpers
        self.runs = {run.ops[0]: run for run in runs}
        self.looped = {n for run in runs for n in run.ops}
        self.collects = any(isinstance(graph.op(n), PopulationOp) for n in self.looped)  # into `out`
        self.ns = Namespace((*LOCALS, *module_names))
        self.seq: dict[str, str] = {}  # op -> local holding its [T, B, ...] sequence
        self.mem: dict[str, str] = {}  # population -> local holding its membranes
        self.seq[graph.input().name] = "x"

    def local(self, hint: str, key) -> str:
        return self.ns.name(hint, key=key)

    def module(self, op: Op) -> cst.BaseExpression:
        return expr("self.{a}", a=name(self.attrs[op.name]))

    def seq_operand(self, src: str, delay: int) -> cst.BaseExpression:
        if delay:
            self.helpers.add(SHIFTED)
            return expr("shifted({s})", s=name(self.seq[src]))
        return name(self.seq[src])

    def body(self) -> list[cst.BaseStatement]:
        code: list[cst.BaseStatement] = list(stmts("out = {}")) if self.collects else []
        for stage in self.graph.schedule:
            if stage.ops[0] in self.runs:
                code += self.loop(self.runs[stage.ops[0]])
            elif stage.ops[0] not in self.looped:
                code += self.layer(stage) if stage.mode == "layer" else self.step_stage(stage)
        result: list[cst.BaseDictElement] = []
        for pop in self.graph.populations():
            if pop.name not in self.looped:
                result.append(cst.DictElement(literal(pop.name), name(self.seq[pop.name])))
                result.append(cst.DictElement(literal(pop.name + ".v"), name(self.mem[pop.name])))
            elif not any(isinstance(e, cst.StarredDictElement) for e in result):
                result.append(cst.StarredDictElement(name("out")))  # every run's, where the first is
        d = name("out") if self.collects and len(result) == 1 else cst.Dict(result)
        code += stmts("return {d}", d=d)
        return code

    # -- runs of identical blocks -----------------------------------------------------------
    def loop(self, run: Run) -> list[cst.BaseStatement]:
        """The run as one loop over its blocks; its last op's value is read by name after it."""
        g = self.graph
        k = self.local("k", ("loop",))  # one loop variable for every loop: none is read after its loop
        head = [g.op(n) for n in run.head]
        var = {n: self.local("spikes" if isinstance(op, PopulationOp) else op.kind, ("loop", run.ops[0], n))
               for n, op in zip(run.head, head, strict=True)}
        carried = var[run.head[-1]]
        (src,) = (o.src for o in head[0].operands)
        before = stmts("{c} = {v}", c=name(carried), v=self.seq_operand(src, 0))
        body: list[cst.BaseStatement] = []
        for p, op in enumerate(head):
            m = expr("getattr(self, {a})", a=run.text(p, "attr", k))
            cur = name(var[run.head[p - 1]] if p else carried)
            if isinstance(op, PopulationOp):
                neurons = self.local("neurons", ("loop module", run.ops[0], op.name))
                mem = self.local("membranes", ("loop mem", run.ops[0], op.name))
                body += stmts("{n} = {m}", n=name(neurons), m=m)
                body += self.code.sequence(op, name(neurons), cur, [], var[op.name], mem)
                body += stmts("out[{p}] = {s}\nout[{v}] = {mem}", p=run.text(p, "name", k), s=name(var[op.name]),
                              v=run.text(p, "name", k, ".v"), mem=name(mem))
            else:
                body += self.apply(op, var[op.name], m, cur)
        self.seq[run.ops[-1]] = carried
        return [*before, run.loop(k, body)]

    # -- layer stages -------------------------------------------------------------------
    def layer(self, stage: Stage) -> list[cst.BaseStatement]:
        (op_name,) = stage.ops
        op = self.graph.op(op_name)
        var = self.seq[op.name] = self.local(op.name, ("seq", op.name))
        if isinstance(op, PopulationOp):
            charge, late = self.split(op)
            cur = total([self.seq_operand(o.src, o.delay) for o in charge])
            lates = [self.seq_operand(o.src, o.delay) for o in late]
            mem = self.mem[op.name] = self.local(op.name + "_v", ("mem", op.name))
            return self.code.sequence(op, self.module(op), cur, lates, var, mem)
        value = total([self.seq_operand(o.src, o.delay) for o in op.operands])
        return self.apply(op, var, self.module(op), value)

    def apply(self, op: Op, var: str, m: cst.BaseExpression, value: cst.BaseExpression) -> list[cst.BaseStatement]:
        """`var` = stateless `op`'s module `m` over the sequence `value`: one step at a time, or, for
        an op over the whole sequence (batch norm, dropout, delay), the module's own sequence call; under
        numerics "batched", over all T*B rows at once."""
        if not op.per_step:
            return stmts("{v} = {m}({x})", v=name(var), m=m, x=value)
        if self.graph.attrs.batched():
            self.helpers.add(BATCHED)
            return stmts("{v} = batched({m}, {x})", v=name(var), m=m, x=value)
        self.helpers.add(PER_STEP)
        return stmts("{v} = per_step({m}, {x})", v=name(var), m=m, x=value)

    @staticmethod
    def split(op: PopulationOp):
        late = op.neuron.late()
        cut = len(op.operands) - late
        return op.operands[:cut], op.operands[cut:]

    # -- step stages ----------------------------------------------------------------------
    def step_stage(self, stage: Stage) -> list[cst.BaseStatement]:
        g = self.graph
        absorbed = {n for n in stage.ops if self.code.absorbed(g.op(n))}
        stage = Stage(stage.mode, tuple(n for n in stage.ops if n not in absorbed))
        members = set(stage.ops)
        cur: dict[str, str] = {}  # op -> local holding this step's value
        prev: dict[str, str] = {}  # op -> local holding last step's value
        states: dict[str, str] = {}
        before: list[cst.BaseStatement] = []
        outside: dict[tuple[str, int], str] = {}  # (src, delay) -> local tuple of steps, read at [t]
        readers_outside = {n for n in stage.ops if any(u.name not in members for u in g.users(n))}
        collect = [n for n in stage.ops if isinstance(g.op(n), PopulationOp) or n in readers_outside]
        batch = expr("x.shape[1]")
        for n in stage.ops:
            cur[n] = self.local(n + "_t", ("cur", n))
        for n in stage.ops:
            op = g.op(n)
            needs = any(o.src == n and o.delay for m in stage.ops for o in g.op(m).operands)
            if isinstance(op, PopulationOp) and self.code.needs_prev(op):
                needs = True
            if needs:
                prev[n] = self.local(n + "_prev", ("prev", n))
                before += stmts("{p} = {z}", p=name(prev[n]), z=self.zeros(op, batch))
            if isinstance(op, PopulationOp):
                states[n] = self.local(n + "_state", ("state", n))
                before += self.code.step_init(op, states[n], self.zeros(op, batch))
        lists = {n: self.local(n + "_seq", ("list", n)) for n in collect}
        mems = {n: self.local(n + "_v_seq", ("mlist", n)) for n in collect if isinstance(g.op(n), PopulationOp)}
        for n in collect:
            before += stmts("{a} = []", a=name(lists[n]))
            if n in mems:
                before += stmts("{a} = []", a=name(mems[n]))

        def operand(src: str, delay: int) -> cst.BaseExpression:
            if src in members:
                return name(prev[src] if delay else cur[src])
            key = (src, delay)
            if key not in outside:  # unbound once: x[t] would cost a gradient node per step
                seq = self.seq[src]
                if delay:
                    self.helpers.add(SHIFTED)
                    seq = expr("shifted({s})", s=name(seq))
                else:
                    seq = name(seq)
                outside[key] = self.local(f"{src}{'_prev' if delay else ''}_steps", ("steps", src, delay))
                before.append(stmts("{v} = {s}.unbind(0)", v=name(outside[key]), s=seq)[0])
            return expr("{s}[t]", s=name(outside[key]))

        loop: list[cst.BaseStatement] = []
        for n in stage.ops:
            op = g.op(n)
            if isinstance(op, PopulationOp):
                charge, late = self.split(op)
                terms = [operand(o.src, o.delay) for o in late if o.src not in absorbed]
                code, membrane = self.code.step(op, total([operand(o.src, o.delay) for o in charge]), terms,
                                                cur[n], states[n], prev.get(n))
                loop += code
                loop += stmts("{a}.append({s})\n{m}.append({v})", a=name(lists[n]), s=name(cur[n]),
                              m=name(mems[n]), v=membrane)
            else:
                self.helpers.add(ALIGNED)
                value = total([operand(o.src, o.delay) for o in op.operands])
                loop += stmts("{c} = {m}(aligned({v}))", c=name(cur[n]), m=self.module(op), v=value)
                if n in lists:
                    loop += stmts("{a}.append({c})", a=name(lists[n]), c=name(cur[n]))
        for n, p in prev.items():
            loop += stmts("{p} = {c}", p=name(p), c=name(cur[n]))
        (for_loop,) = stmts("for t in range(x.shape[0]):\n    pass")
        for_loop = for_loop.with_changes(body=cst.IndentedBlock(loop))
        after: list[cst.BaseStatement] = []
        for n in collect:
            self.seq[n] = self.local(n, ("seq", n))
            after += stmts("{v} = torch.stack({a})", v=name(self.seq[n]), a=name(lists[n]))
            if n in mems:
                self.mem[n] = self.local(n + "_v", ("mem", n))
                after += stmts("{v} = torch.stack({a})", v=name(self.mem[n]), a=name(mems[n]))
        return [*before, for_loop, *after]

    def zeros(self, op: Op, batch: cst.BaseExpression) -> cst.BaseExpression:
        return expr("x.new_zeros(({b}, *{s}))", b=batch, s=literal(op.shape))


def stage_ops(graph: Graph) -> list[Op]:
    """The ops a model holds a module for, in graph order (every op but the input)."""
    return [op for op in graph.ops() if not isinstance(op, InputOp)]
