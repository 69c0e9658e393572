"""The generated module for BindsNET 0.3.4: a `bindsnet.network.Network`.

Rendering follows target lowering (`emitters.bindsnet.patterns`; a population's
pattern has a renderer, `emitters.bindsnet.renderers`, found by `patterns.renderer_of`,
that writes its layer's constructor): layers are added
in graph order (input first), then the connections the lowering planned
(`graph.plan`: its `Link`s), then one monitor per population; the network runs with
`one_step=True`, so every layer sees this step's spikes of the layers added
before it and the previous step's of the others, as the spec's delays say.

- `nodes.LIFNodes` / `nodes.IFNodes` / `nodes.CurrentLIFNodes`: BindsNET's own, `shape=` the population's;
- `canonical` populations: `CanonicalNodes`, a generated Nodes subclass performing
  the population's family step (`emitters.neurons`); a non-spiking one `NonSpikingNodes`,
  whose output `s` (what connections and monitors read) is its membrane;
- connections: BindsNET's `Connection` (w [in, out]) and `Conv2dConnection` where
  lowering found them exact, else `GraphConnection`, which evaluates the stateless
  layers between populations with the same torch modules and per-step shapes the
  other targets use, holding sources back where the spec delays them.

A run of identical populations, or of identical connections between layers whose
names count up (layer_1, layer_2, ...), is added in a loop (`emitters.repeats`), and
its weights are listed in `weight_slots` in the same loop.

BindsNET facts respected: Connection.w is [in, out]; `**kwargs` swallows misspelled
arguments (only existing names are passed); a layer name that collides with a
Network attribute (run, to, layers, ...) or with `<a>_to_<b>` connection names is
renamed; Monitor.get drains its log; a batch-size change re-initialises layers; the
caller's input is copied (nodes mask their input in place); no FP16 weights
(autocast on CUDA instead); no surrogate gradients (run refuses grad=True).
"""

from __future__ import annotations

import libcst as cst

from ir.graph import Graph
from ir.ops import InputOp, Op, PopulationOp, Slot

from .. import module, runtime
from ..forward import learned_slots, total
from ..neurons import StepFunctions
from ..helpers import Helper, Helpers, include
from ..layers import FOLDED, GENERATED, generated_classes, generated_ctor, module_ctor, names_text
from ..repeats import Run, runs_in, slots_def
from ..surrogates import needs_math, surrogate_classes
from ..toolkit import Namespace, comment_lines, expr, fixed, fixed_text, literal, name, stmts, with_comments
from . import patterns
from .patterns import Link, is_late
from .renderers import CANONICAL_NODES, LEARNED_NODES, LEARNED_PLIF_NODES, LEARNED_SYNAPTIC_NODES, NONSPIKING_NODES

OWN_NAMES = ("Network", "Input", "LIFNodes", "IFNodes", "CurrentLIFNodes", "Nodes", "Connection", "Conv2dConnection",
             "AbstractConnection", "Monitor", "CanonicalNodes", "NonSpikingNodes", "LearnedNodes",
             "LearnedSynapticNodes", "GraphConnection", *GENERATED, "LAYER_NAMES", "F", *runtime.HELPERS)

# Attributes of a bindsnet 0.3.4 Network (an nn.Module, torch 2.x). `add_layer(l, name)` and
# `add_connection` register their argument with `add_module`, which raises KeyError for a name
# that is already an attribute ("run", "layers", "to", ...) and silently *replaces* a submodule
# of the same name (a layer "a_to_b" would be replaced by the connection a -> b).
_NETWORK_ATTRS = frozenset((
    "T_destination", "add_connection", "add_layer", "add_module", "add_monitor", "apply", "batch_size",
    "bfloat16", "buffers", "call_super_init", "children", "clone", "compile", "connections", "cpu", "cuda",
    "double", "dt", "dump_patches", "eval", "extra_repr", "float", "forward", "get_buffer",
    "get_extra_state", "get_parameter", "get_submodule", "half", "ipu", "layers", "learning",
    "load_state_dict", "modules", "monitors", "mtia", "named_buffers", "named_children", "named_modules",
    "named_parameters", "parameters", "register_backward_hook", "register_buffer", "register_forward_hook",
    "register_forward_pre_hook", "register_full_backward_hook", "register_full_backward_pre_hook",
    "register_load_state_dict_post_hook", "register_load_state_dict_pre_hook", "register_module",
    "register_parameter", "register_state_dict_post_hook", "register_state_dict_pre_hook", "requires_grad_",
    "reset_state_variables", "reward_fn", "run", "save", "set_extra_state", "set_submodule", "share_memory",
    "state_dict", "to", "to_empty", "train", "training", "type", "xpu", "zero_grad",
))


def _safe_layer_name(layer: str) -> bool:
    """A layer name add_module accepts as a new submodule, and whose connection names
    `<source>_to_<target>` never coincide with a layer's or another connection's."""
    parts = layer.split("_")
    return (layer not in _NETWORK_ATTRS and not layer.startswith("_") and "to" not in parts and layer.isidentifier())


def layer_names(names: list[str]) -> dict[str, str]:
    """BindsNET layer name of each population (and the input): its own name where safe, else
    `p<k>_<name without 'to' words>` with the first free k (bounded: k only grows)."""
    out: dict[str, str] = {}
    taken = set(names)
    for n in names:
        if _safe_layer_name(n):
            out[n] = n
            continue
        stem = "_".join(p for p in n.split("_") if p and p != "to") or "layer"
        k = 1
        while (candidate := f"p{k}_{stem}") in taken or not _safe_layer_name(candidate):
            k += 1
        taken.add(candidate)
        out[n] = candidate
    return out


def layer_ctor(op: Op, helpers: Helpers) -> cst.BaseExpression:
    """The torch module computing a stateless op one step at a time in a BindsNET connection."""
    if op.per_step:
        return module_ctor(op, "torch.nn.", helpers)
    cls = patterns.SEQUENCE_CLASSES[op.module().cls]
    return expr("torch.nn.Identity()") if cls == "Identity" else generated_ctor(cls, op, helpers)


_GRAPH_CONNECTION = Helper("GraphConnection", fixed_text('''
class GraphConnection(AbstractConnection):
    """A connection computing the spec's stateless layers between populations, exactly.

    `compute_fn(layers, step, *spikes)` applies them (in the order of `layers`) one time
    step at a time, as every target does, to the spikes of the `inputs` layers (default:
    the source; read in place); `holds` are the steps each input is held back (the
    spec's feedback delays beyond BindsNET's own), and a `late` term goes to the
    target's step after its charge instead of into its input sum."""

    def __init__(
        self,
        network,
        source,
        target,
        compute_fn,
        layers,
        inputs=None,
        holds=None,
        late=False,
    ):
        super().__init__(network.layers[source], network.layers[target])
        self.compute_fn = compute_fn
        self.layers = torch.nn.ModuleDict(layers)
        names = (source,) if inputs is None else inputs
        self.inputs = tuple(network.layers[name] for name in names)
        self.holds = (0,) * len(names) if holds is None else holds
        self.late = late
        self.history = [[] for _ in self.holds]
        self.step = 0

    def compute(self, s):
        spikes = []
        for k, layer in enumerate(self.inputs):
            x = layer.s.float()
            if self.holds[k]:
                self.history[k].append(x)
                x = (
                    self.history[k].pop(0)
                    if len(self.history[k]) > self.holds[k]
                    else torch.zeros_like(x)
                )
            spikes.append(x)
        out = self.compute_fn(list(self.layers.values()), self.step, *spikes)
        self.step += 1
        if self.late:
            self.target.late.append(out)
            return torch.zeros_like(out)
        return out

    def update(self, **kwargs):
        super().update(**kwargs)

    def normalize(self):
        pass

    def reset_state_variables(self):
        super().reset_state_variables()
        self.history = [[] for _ in self.holds]
        self.step = 0
'''))

_SIMULATE = fixed_text('''
def simulate(model, x, membrane=True):
    """Spikes and membranes of every population for x [T, B, *INPUT_SHAPE], via Network.run."""
    steps, batch = x.shape[0], x.shape[1]
    if model.batch_size != batch:
        model.batch_size = batch
        for layer in model.layers.values():
            layer.set_batch_size(batch)
    model.reset_state_variables()
    # A copy whose every step starts on a 64-byte boundary: the input layer hands x[t]
    # itself to its connections (nodes mask their input in place; the caller's stays intact).
    size = x[0].numel()
    stride = -(-size // 16) * 16
    padded = torch.zeros(steps, stride, device=x.device)
    padded[:, :size] = x.reshape(steps, size)
    x = padded[:, :size].view(x.shape)
    source = next(k for k, layer in model.layers.items() if isinstance(layer, Input))
    # BindsNET runs int(time / dt) steps; half a step of margin makes that exactly `steps`.
    model.run(inputs={source: x}, time=(steps + 0.5) * model.dt, one_step=True)
    out = {}
    for pop in POPULATIONS:
        monitor = model.monitors[pop]
        out[pop] = monitor.get("s").to(torch.float32)
        out[pop + ".v"] = monitor.get("v")
    return out
''')


class _Writer:
    def __init__(self, graph: Graph, ns: Namespace):
        self.graph, self.ns = graph, ns
        self.helpers: Helpers = set()
        self.lnames = layer_names([op.name for op in graph.ops() if isinstance(op, (InputOp, PopulationOp))])
        self.steps = StepFunctions(ns, home="bindsnet")
        self.module_vars: dict[str, str] = {}  # stateless op -> local in build_model holding its torch module
        self.computes: dict[str, tuple] = {}  # code -> (function, op kinds, params, body, links using it)
        self.slots: list[list[cst.DictElement] | cst.For] = []  # weight_slots' entries, a run's as a loop
        self.slotted: set[str] = set()

    # -- layers ---------------------------------------------------------------------------
    def layers(self) -> list[cst.BaseStatement]:
        """add_layer for the input and every population, in graph order; a run of identical
        populations in a loop."""
        ops = [op for op in self.graph.ops() if isinstance(op, (InputOp, PopulationOp))]
        ctors = {op.name: self.layer_ctor(op) for op in ops}
        sig = {op.name: None if isinstance(op, InputOp) or op.note or op.neuron.learned() else
               (op.impl, cst.Module([]).code_for_node(ctors[op.name])) for op in ops}
        runs = {run.ops[0]: run for run in runs_in([op.name for op in ops], sig,
                                                    lambda n: {"layer": self.lnames[n]})}
        out: list[cst.BaseStatement] = []
        skip: set[str] = set()
        for op in ops:
            if op.name in skip:
                continue
            run = runs.get(op.name)
            if run is None:
                (stmt,) = stmts("network.add_layer({c}, name={k})", c=ctors[op.name], k=literal(self.lnames[op.name]))
                if isinstance(op, PopulationOp):
                    stmt = with_comments(stmt, comment_lines(f"population {op.name}: {op.impl}", "layer")
                                         + module.note_comments(op))
                out.append(stmt)
                continue
            skip.update(run.ops)
            k = self.loop_var()
            body = [stmts("network.add_layer({c}, name={k})", c=ctors[n], k=run.text(p, "layer", k))[0]
                    for p, n in enumerate(run.head)]
            impls = ", ".join(dict.fromkeys(self.graph.op(n).impl for n in run.head))
            out.append(with_comments(run.loop(k, body), comment_lines(
                f"populations {names_text(list(run.ops))}: {impls}", "layers")))
        return out

    def layer_ctor(self, op) -> cst.BaseExpression:
        if isinstance(op, InputOp):
            return expr("Input(shape={s}, traces=False)", s=literal(op.shape))
        return patterns.renderer_of(op).ctor(self, op)

    def loop_var(self) -> str:
        return self.ns.name("k", key=("loop",))

    # -- connections ----------------------------------------------------------------------
    def connections(self) -> list[cst.BaseStatement]:
        """add_connection for every planned link, in order; a run of identical links in a loop."""
        g = self.graph
        links = {link.name: link for link in g.plan}
        users: dict[str, int] = {}
        for link in g.plan:
            for n in link.ops:
                users[n] = users.get(n, 0) + 1
        sig = {}
        for link in g.plan:
            ops = [g.op(n) for n in link.ops]
            ok = (link.via == link.sources[0][0] and len(link.sources) == 1 and not link.sources[0][1]
                  and all(users[op.name] == 1 and not op.note for op in ops))
            wiring = tuple(tuple((link.ops.index(o.src) if o.src in link.ops else -1, o.delay) for o in op.operands)
                           for op in ops)
            sig[link.name] = (link.cls, link.index, link.offsets, is_late(g.op(link.target), link.index), wiring,
                              tuple(cst.Module([]).code_for_node(layer_ctor(op, set())) for op in ops),
                              len(g.op(link.target).operands)) if ok else None
        runs = {run.ops[0]: run for run in runs_in([link.name for link in g.plan], sig,
                                                    lambda n: self.link_labels(links[n]))}
        out: list[cst.BaseStatement] = []
        skip: set[str] = set()
        for link in g.plan:
            if link.name in skip:
                continue
            run = runs.get(link.name)
            if run is None:
                out += self.connection(link)
                continue
            skip.update(run.ops)
            k = self.loop_var()
            body: list[cst.BaseStatement] = []
            slots: list[cst.BaseStatement] = []
            for p, n in enumerate(run.head):
                body += self.connection(links[n], (run, p, k), slots)
            for n in run.ops[run.block:]:
                if links[n].cls == "generated":
                    self.compute_function(links[n])  # the function's docstring counts every link using it
            what = ", ".join(dict.fromkeys(links[n].cls for n in run.head))
            span = ", ".join(run.ops) if len(run.ops) <= 3 else f"{run.ops[0]}, ..., {run.ops[-1]}"
            out.append(with_comments(run.loop(k, body), comment_lines(
                f"{len(run.ops)} links {span}: {what}", "connections")))
            if slots:
                self.slots.append(run.loop(k, slots))
        return out

    def link_labels(self, link: Link) -> dict[str, str]:
        """The names a loop over identical links spells: the layers it joins, its ops' module
        names (a GraphConnection's) and weight keys."""
        out = {"source": self.lnames[link.sources[0][0]], "target": self.lnames[link.target]}
        for i, n in enumerate(link.ops):
            op = self.graph.op(n)
            if link.cls == "generated":
                out[f"op{i}"] = n
            if op.parametric:
                out[f"key{i}"] = op.key
        return out

    def modules(self, link: Link) -> list[cst.BaseStatement]:
        """Statements creating the torch modules of the link's ops (once per op)."""
        out = []
        for op_name in link.ops:
            if op_name in self.module_vars:
                continue
            op = self.graph.op(op_name)
            var = self.module_vars[op_name] = self.ns.name(op_name, key=("module", op_name))
            out += stmts("{v} = {c}", v=name(var), c=layer_ctor(op, self.helpers))
        return out

    def key(self, link: Link) -> tuple[cst.BaseExpression, cst.BaseExpression]:
        """The (source, target) key the connection is filed under in Network.connections."""
        base, _, k = link.via.partition("~")
        return literal(self.lnames[base] + (f"~{k}" if k else "")), literal(self.lnames[link.target])

    def connection(self, link: Link, loop: tuple[Run, int, str] | None = None,
                   slots: list[cst.BaseStatement] | None = None) -> list[cst.BaseStatement]:
        """The statements adding the link's connection. In a loop `(run, p, k)` (the link is the
        p-th of the run's first block) its names are spelled in `k`, its modules are fresh locals
        and its weight slots go to `slots` as `slots[key] = ...`."""
        g = self.graph
        if loop is None:
            src, tgt = self.key(link)
            first = literal(self.lnames[link.sources[0][0]])

            def spell(role: str, value: str) -> cst.BaseExpression:
                return literal(value)
        else:
            run, p, k = loop

            def spell(role: str, value: str) -> cst.BaseExpression:
                return run.text(p, role, k)

            src = first = spell("source", self.lnames[link.sources[0][0]])
            tgt = spell("target", self.lnames[link.target])

        def slot(op: Op, s: Slot, value: cst.BaseExpression, transposed: bool) -> None:
            entry = cst.Tuple([cst.Element(value), cst.Element(literal(transposed))])
            key = f"{s.key or op.key}.{s.suffix}"
            if loop is not None:
                i = link.ops.index(op.name)
                slots.extend(stmts("slots[{k}] = {v}", k=run.text(p, f"key{i}", k, "." + s.suffix), v=entry))
            elif key not in self.slotted:
                self.slotted.add(key)
                if not self.slots or not isinstance(self.slots[-1], list):
                    self.slots.append([])
                self.slots[-1].append(cst.DictElement(literal(key), entry))

        layers = {"s": expr("network.layers[{k}]", k=first), "t": expr("network.layers[{k}]", k=tgt)}
        held_by = expr("model.connections[({s}, {t})]", s=src, t=tgt)
        ops = [g.op(n) for n in link.ops]
        if link.cls in ("Connection", "Conv2dConnection"):
            layer = ops[-1]
            own = {s.suffix: s for s in layer.slots()}  # a native connection holds them as w and b
            hint, key = (f"{link.name}_init", ("init", link.name)) if loop is None else ("init", ("loop init", p))
            var = self.ns.name(hint, key=key)
        if link.cls == "Connection":
            out = stmts("{v} = torch.nn.Linear({i}, {o}, bias={b})", v=name(var), i=literal(layer.in_features),
                        o=literal(layer.out_features), b=literal(layer.bias))
            if layer.layout == "in_out":
                w = expr("{v}.weight.detach().t().contiguous()", v=name(var))
            else:
                w = expr("{v}.weight.detach().t()", v=name(var))
            kwargs = dict(w=w, **({"b": expr("{v}.bias.detach()", v=name(var))} if layer.bias else {}))
            args = [cst.Arg(layers["s"]), cst.Arg(layers["t"])] + [cst.Arg(v, keyword=name(k)) for k, v in kwargs.items()]
            conn = cst.Call(name("Connection"), args)
            slot(layer, own["weight"], expr("{c}.w", c=held_by), True)
            if layer.bias:
                slot(layer, own["bias"], expr("{c}.b", c=held_by), False)
        elif link.cls == "Conv2dConnection":
            out = stmts("{v} = torch.nn.Conv2d({i}, {o}, {k}, stride={s}, padding={p}, bias={b})", v=name(var),
                        i=literal(layer.in_channels), o=literal(layer.out_channels), k=literal(layer.kernel_size),
                        s=literal(layer.stride), p=literal(layer.padding), b=literal(layer.bias))
            args = [cst.Arg(layers["s"]), cst.Arg(layers["t"]), cst.Arg(literal(layer.kernel_size)),
                    cst.Arg(literal(layer.stride), keyword=name("stride")),
                    cst.Arg(literal(layer.padding), keyword=name("padding")),
                    cst.Arg(expr("{v}.weight.detach().clone()", v=name(var)), keyword=name("w"))]
            if layer.bias:
                args.append(cst.Arg(expr("{v}.bias.detach().clone()", v=name(var)), keyword=name("b")))
            conn = cst.Call(name("Conv2dConnection"), args)
            slot(layer, own["weight"], expr("{c}.w", c=held_by), False)
            if layer.bias:
                slot(layer, own["bias"], expr("{c}.b", c=held_by), False)
        else:
            self.helpers.add(_GRAPH_CONNECTION)
            if loop is None:
                out = self.modules(link)
                variables = {n: self.module_vars[n] for n in link.ops}
            else:
                variables = {n: self.ns.name(g.op(n).kind, key=("loop module", p, i)) for i, n in enumerate(link.ops)}
                out = [stmts("{v} = {c}", v=name(variables[n]), c=layer_ctor(g.op(n), self.helpers))[0]
                       for n in link.ops]
            fn = self.compute_function(link)
            target = g.op(link.target)
            late = is_late(target, link.index)
            table = cst.Dict([cst.DictElement(spell(f"op{i}", n), name(variables[n])) for i, n in enumerate(link.ops)])
            args = [cst.Arg(name("network")), cst.Arg(first), cst.Arg(tgt), cst.Arg(name(fn)), cst.Arg(table)]
            if len(link.sources) > 1:
                args.append(cst.Arg(literal(tuple(self.lnames[src] for src, _ in link.sources)),
                                    keyword=name("inputs")))
            if any(d for _, d in link.sources):
                args.append(cst.Arg(literal(tuple(d for _, d in link.sources)), keyword=name("holds")))
            if late:
                args.append(cst.Arg(literal(True), keyword=name("late")))
            conn = cst.Call(name("GraphConnection"), args)
            for i, n in enumerate(link.ops):
                op = g.op(n)
                for s in op.slots():
                    slot(op, s, expr("{c}.layers[{n}].{a}", c=held_by, n=spell(f"op{i}", n), a=name(s.held_by)),
                         s.transposed)
        (add,) = stmts("network.add_connection({c}, source={s}, target={t})", c=conn, s=src, t=tgt)
        if loop is not None:
            return out + [add]
        notes = [line for n in link.ops for line in module.note_comments(g.op(n))]
        what = ", ".join(link.ops) or "identity"
        held = "".join(f"; {s} held back {d} step(s)" for s, d in link.sources if d)
        held += "".join(f"; {n} lags {lag} step(s)" for n, lag in zip(link.ops, link.offsets) if lag)
        return out + [with_comments(add, comment_lines(f"{link.name}: {link.cls} ({what}){held}", "connection")
                                    + notes)]

    def compute_function(self, link: Link) -> str:
        """The module-level function evaluating the link's ops from its sources' spikes; links
        that compute the same (op kinds, operands, lags) share one."""
        g = self.graph
        values = {src: f"s{k}" for k, (src, _) in enumerate(link.sources)}
        body: list[cst.BaseStatement] = []
        for k, (n, lag) in enumerate(zip(link.ops, link.offsets)):
            op = g.op(n)
            value = total([name(values[o.src]) for o in op.operands])
            values[n] = f"x{k}"
            self.helpers.add(runtime.ALIGNED)
            body += stmts("{v} = layers[{k}](aligned({x}))", v=name(values[n]), k=literal(k), x=value)
            if lag:  # its value lags by `lag` steps: zeros before that, as a feedback edge gives
                body += stmts("if step < {lag}:\n    {v} = torch.zeros_like({v})", lag=literal(lag), v=name(values[n]))
        target = g.op(link.target)
        body += stmts("return {v}", v=name(values[target.operands[link.index].src]))
        params = [cst.Param(name("layers")), cst.Param(name("step"))]
        params += [cst.Param(name(f"s{k}")) for k in range(len(link.sources))]
        kinds = [g.op(n).kind for n in link.ops]
        code = cst.Module(body).code + ",".join(kinds) + f"/{len(params)}"
        if code not in self.computes:
            hint = "compute_" + ("_".join(dict.fromkeys(kinds)) or "identity")
            hint += "_lagged" if any(link.offsets) else ""
            hint += f"_of_{len(link.sources)}" if len(link.sources) > 1 else ""
            fn = self.ns.name(hint, key=("compute", code))
            self.computes[code] = (fn, kinds, params, body, [])
        self.computes[code][4].append(link.name)
        return self.computes[code][0]

    def compute_functions(self) -> list[cst.BaseStatement]:
        out = []
        for fn, kinds, params, body, links in self.computes.values():
            what = ", ".join(kinds) or "nothing (identity)"
            users = ", ".join(links) if len(links) <= 2 else f"{len(links)} connections ({links[0]}, ..., {links[-1]})"
            doc = cst.SimpleStatementLine([cst.Expr(literal(f"One time step of {what}, for {users}."))])
            out.append(cst.FunctionDef(name=name(fn), params=cst.Parameters(params),
                                       body=cst.IndentedBlock([doc, *body])))
        return out


def emit_module(graph: Graph, pipeline: list[str]) -> cst.Module:
    ns = Namespace(reserved=(*module.CONTRACT_NAMES, *OWN_NAMES, "network", "device", "pop"))
    w = _Writer(graph, ns)
    build: list[cst.BaseStatement] = []
    (net,) = stmts("network = Network(dt={dt}, learning=False)", dt=literal(graph.attrs.dt))
    build.append(with_comments(net, comment_lines(
        "BindsNET has no surrogate gradients: the spec's surrogates only matter in the other targets", "note")))
    build += w.layers()
    build += w.connections()
    pops = graph.populations()
    if all(w.lnames[op.name] == op.name for op in pops):  # the layers carry the populations' names
        build += stmts('for pop in POPULATIONS:\n'
                       '    network.add_monitor(Monitor(network.layers[pop], state_vars=["s", "v"]), name=pop)')
    else:
        for op in pops:
            build += stmts('network.add_monitor(Monitor(network.layers[{k}], state_vars=["s", "v"]), name={m})',
                           k=literal(w.lnames[op.name]), m=literal(op.name))
    build += stmts("return network if device is None else network.to(device)")
    (fn,) = stmts('''
def build_model(device=None):
    """The BindsNET Network: layers in graph order, then connections, then one monitor per population."""
    pass
''')
    fn = fn.with_changes(body=fn.body.with_changes(body=[fn.body.body[0], *build]))

    imports = ["import math", "import torch", "from bindsnet.network import Network",
               "from bindsnet.network.monitors import Monitor"]
    nodes = sorted({"Input", *(patterns.renderer_of(op).node_class for op in pops)})
    imports.append(f"from bindsnet.network.nodes import {', '.join(nodes)}")
    topology = sorted({link.cls for link in graph.plan if link.cls != "generated"}
                      | ({"AbstractConnection"} if _GRAPH_CONNECTION in w.helpers else set()))
    if topology:
        imports.append(f"from bindsnet.network.topology import {', '.join(topology)}")
    if not needs_math(w.steps.spikes):
        imports = imports[1:]
    body: list[cst.BaseStatement] = stmts("\n".join(imports))
    body += module.constant_stmts(graph)
    body += surrogate_classes(w.steps.spikes, ns)
    body += w.steps.statements
    body += runtime.helpers(w.helpers)
    body += include(w.helpers, (CANONICAL_NODES, NONSPIKING_NODES, LEARNED_NODES, LEARNED_SYNAPTIC_NODES,
                                LEARNED_PLIF_NODES))
    body += generated_classes(w.helpers)
    body += include(w.helpers, (_GRAPH_CONNECTION,))
    body += w.compute_functions()
    body.append(fn)
    learned = learned_slots(graph, lambda pop: expr("model.layers[{k}]", k=literal(w.lnames[pop.name])))
    if learned:  # the learned neuron parameters, after the connections' weights (as WEIGHTS lists them)
        w.slots.append(learned)
    body += slots_def(w.slots, "Each weight key's tensor in the network, and whether it is stored "
                               "transposed ([in, out]).")
    body += fixed(_SIMULATE)
    body += module.contract_functions(trains=False, folds=FOLDED in w.helpers)
    body += module.main_block()
    return module.assemble(graph, pipeline, body)
