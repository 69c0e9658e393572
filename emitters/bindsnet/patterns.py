"""BindsNET's native classes and when each is exact, plus the target lowering for BindsNET.

Layers: `nodes.LIFNodes` / `nodes.IFNodes` / `nodes.CurrentLIFNodes` are exact for a
neuron of the bindsnet family and their kind (its arithmetic is theirs); any other neuron runs in a generated `Nodes`
subclass performing its family's step. Each pattern carries its renderer
(`emitters.bindsnet.renderers`), and so does the canonical code: `renderer_of(op)` is a population's.

Connections (`Link`s). BindsNET's Network.run(one_step=True) updates layers in
add_layer order (graph order here), and a connection reads its source's spikes as
they are when the target updates: this step's for a source added earlier, the
previous step's otherwise. Each operand of a population becomes one connection
computing the stateless ops that feed it; where the spec's delay on a path is
longer than what that order gives, the connection holds the source's spikes back.
Native connections, where exact:
- `Connection`: a linear layer (after an optional flatten, which Connection's
  view(B, -1) performs) of BindsNET's own layout (s @ w + b, w [in, out]), or of
  torch's layout without bias (w is then W's transposed view, and s @ w is
  F.linear's own product); one source, no extra delay;
- `Conv2dConnection`: one conv2d (F.conv2d(s, w, b) as torch computes it).
Network.connections holds one connection per (source, target) key but computes with each
connection's own source: a second connection between the same two layers is filed under
the key ("<source>~2", target).
Everything else is a generated connection (batch norm, with its running statistics; dropout
and delay layers, the identity there, a delay's length planned as held-back sources and lags;
a torch-layout bias added inside the product as nn.Linear does, pooling, several sources,
delays; a feedback edge after a
layer with bias, whose first-step value is zeros, not the bias; a layer that another
connection computes too, whose one torch module they share: a native connection
would keep weights of its own that load_weights never sets), and BindsNET's
MaxPool2dConnection is never used: it pools by running firing rate, not by value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ir.graph import Graph, Refusal
from ir.ops import InputOp, PopulationOp, Projection

from ..patterns import CANONICAL, Implementation, Pattern, kind_only, own_neuron, recheck, renderers, select
from ..patterns import renderer_of as _lookup
from . import renderers as r

@dataclass(frozen=True)
class Link:
    """One BindsNET connection: it feeds operand `index` of population `target` with what its
    stateless `ops` compute from the spikes of its `sources`. Each source comes with the number
    of steps it must be held back beyond what BindsNET's one-step schedule delivers; each op
    with the number of steps its value lags the target's step (`offsets`): while fewer steps
    than that have run, the op's value is zeros, as a feedback edge's is at the first step.
    The records of the plan this target's lowering sets (`graph.plan`; `// link ...` in the IR text)."""

    RECORD: ClassVar[str] = "link"

    name: str
    target: str  # a population
    index: int  # which operand of the target
    sources: tuple[tuple[str, int], ...]  # (population or input, steps held back)
    ops: tuple[str, ...]  # the stateless ops it computes, in evaluation order
    offsets: tuple[int, ...]  # per op: steps its value lags the target's step
    cls: str  # Connection | Conv2dConnection | generated
    via: str = ""  # the layer BindsNET files it under, (via, target); the first source unless taken

    @staticmethod
    def problem(fields: dict) -> str | None:
        """Why `fields` (as the IR text gives them) make no link, or None."""
        if not all(isinstance(s, tuple) and len(s) == 2 for s in fields["sources"]):
            return "a link's sources are [name, delay] pairs"
        return None


PLAN_RECORDS = (Link,)

PATTERNS = [
    Pattern("nodes.LIFNodes", ("population",), own_neuron("bindsnet", "BindsNET", "nodes", "lif"),
            "nodes.LIFNodes computes exactly this", r.LIF_NODES),
    Pattern("nodes.IFNodes", ("population",), own_neuron("bindsnet", "BindsNET", "nodes", "if"),
            "nodes.IFNodes computes exactly this", r.IF_NODES),
    Pattern("nodes.CurrentLIFNodes", ("population",),
            kind_only("cuba", own_neuron("bindsnet", "BindsNET", "nodes", "cuba")),
            "nodes.CurrentLIFNodes computes exactly this", r.CURRENT_LIF_NODES),
]
RENDERERS = renderers(*PATTERNS, Implementation(CANONICAL, r.CANONICAL))


def renderer_of(op):
    """How population `op` renders in BindsNET (`emitters.bindsnet.renderers`), by its impl."""
    return _lookup(RENDERERS, op)


# Ops over the whole sequence, as BindsNET (inference only, one step at a time) computes them: batch
# norm with its running statistics, dropout as the identity (eval), a delay as the identity whose lag
# the connection plans (its sources held back, the ops before it zeros until their lag has passed).
SEQUENCE_CLASSES = {"BatchNorm1d": "InferenceBatchNorm", "BatchNorm2d": "InferenceBatchNorm",
                    "Dropout": "Identity", "Delay": "Identity"}


def implied_delay(graph: Graph, source: str, target: str) -> int:
    """Steps by which one_step=True delivers `source`'s spikes to `target`: 0 if added earlier."""
    order = graph.order()
    return 0 if order.index(source) < order.index(target) else 1


def is_late(pop: PopulationOp, index: int) -> bool:
    """Whether operand `index` of `pop` is a term its step adds after the charge (not into its input)."""
    return index >= len(pop.operands) - pop.neuron.late()


def connection_class(graph: Graph, link_ops: tuple[str, ...], sources, offsets: tuple[int, ...],
                     late: bool = False) -> str:
    """The native connection class that computes `link_ops` exactly, else "generated". A late
    term must reach the target's step, which only a generated connection hands it."""
    if late or len(sources) != 1 or sources[0][1] or any(offsets):
        return "generated"
    ops = [graph.op(n) for n in link_ops]
    if any(isinstance(op, Projection) and op.fold_key for op in ops):
        return "generated"  # a folded layer is the generated Folded module
    kinds = [op.kind for op in ops]
    if kinds in (["linear"], ["flatten", "linear"]):
        layer = ops[-1]
        if layer.layout == "in_out" or not layer.bias:
            return "Connection"
    if kinds == ["conv2d"]:
        return "Conv2dConnection"
    return "generated"


def operands_first(graph: Graph, ops: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """The link's stateless ops (with their lags) in an order that computes each after the link ops it
    reads: graph order, except that an op read through a feedback edge (listed later) comes first.
    Inside one link they form no cycle (every cycle passes a population, where links end)."""
    pending, done, out = list(ops), set(), []
    inside = {n for n, _ in ops}
    while pending:
        ready = next(item for item in pending
                     if all(o.src in done or o.src not in inside for o in graph.op(item[0]).operands))
        pending.remove(ready)
        done.add(ready[0])
        out.append(ready)
    return out


def _reach(graph: Graph, operand) -> dict[str, set[int]]:
    """What a population's operand computes from: op or source -> steps its value lags the step."""
    lags: dict[str, set[int]] = {}
    frontier = [(operand.src, operand.delay)]
    while frontier:
        name, lag = frontier.pop()
        if lag in lags.setdefault(name, set()):
            continue
        lags[name].add(lag)
        op = graph.op(name)
        if not isinstance(op, (InputOp, PopulationOp)):
            frontier += [(o.src, lag + o.delay + op.lag()) for o in op.operands]
    return lags


def shared_ops(graph: Graph) -> set[str]:
    """The stateless ops that several connections compute (they feed several operands). A native
    connection would hold a copy of their weights of its own, which load_weights never sets: those
    connections are generated ones, which share the op's one torch module."""
    count: dict[str, int] = {}
    for pop in graph.populations():
        for operand in pop.operands:
            for name in _reach(graph, operand):
                if not isinstance(graph.op(name), (InputOp, PopulationOp)):
                    count[name] = count.get(name, 0) + 1
    return {name for name, n in count.items() if n > 1}


def links_of(graph: Graph, pop: PopulationOp, taken: set[tuple[str, str]]) -> list[Link]:
    """The connections feeding `pop`; `taken` holds the (source, target) keys already filed."""
    out = []
    position = {n: i for i, n in enumerate(graph.order())}
    shared = shared_ops(graph)
    for index, operand in enumerate(pop.operands):
        lags = _reach(graph, operand)  # op or source -> steps its value lags pop's step
        for name, found in lags.items():
            if len(found) > 1:
                raise Refusal(pop.name, f"BindsNET target: {pop.name} reads {name} through paths of different "
                                        f"delays ({', '.join(map(str, sorted(found)))} steps): a BindsNET connection "
                                        "computes one version of each layer per step")
        names = sorted(lags, key=position.__getitem__)
        sources, ops = [], []
        for name in names:
            (lag,) = lags[name]
            if isinstance(graph.op(name), (InputOp, PopulationOp)):
                hold = lag - implied_delay(graph, name, pop.name)
                if hold < 0:  # pragma: no cover - a same-step path always runs forward in graph order
                    raise Refusal(pop.name, f"BindsNET target: {pop.name} reads {name} in the same step, "
                                            f"but {name} is updated after it")
                sources.append((name, hold))
            else:  # a lag only shows at the first steps, where zeros come in: it matters if zeros do not go out
                ops.append((name, 0 if graph.op(name).keeps_zero() else lag))
        ops = operands_first(graph, ops)
        cls = connection_class(graph, tuple(n for n, _ in ops), sources, tuple(lag for _, lag in ops),
                               is_late(pop, index))
        if any(n in shared for n, _ in ops):
            cls = "generated"
        via, k = sources[0][0], 1
        while (via, pop.name) in taken:
            # BindsNET keeps one connection per (source, target) key, and reads the connection's own
            # source: file a parallel one under "<source>~<k>" (a generated one reads its sources itself)
            k += 1
            cls, via = "generated", f"{sources[0][0]}~{k}"
        taken.add((via, pop.name))
        out.append(Link(f"{via}_to_{pop.name}", pop.name, index, tuple(sources), tuple(n for n, _ in ops),
                        tuple(lag for _, lag in ops), cls, via))
    return out


def lower(graph: Graph, pass_name: str) -> None:
    links, taken = [], set()
    for op in graph.ops():
        if isinstance(op, PopulationOp):
            impl, why = select(PATTERNS, graph, op)
            graph.replace_op(op.replace(impl=impl), pass_name, f"{impl}: {why}")
            for link in links_of(graph, op, taken):
                links.append(link)
                graph.note(pass_name, op.name, f"connection {link.name}: {link.cls}"
                           + (f" computing {', '.join(link.ops)}" if link.ops else " (identity)")
                           + "".join(f"; {s} held back {d} step(s)" for s, d in link.sources if d)
                           + "".join(f"; {n} lags {lag} step(s)" for n, lag in zip(link.ops, link.offsets) if lag))
    graph.set_plan(pass_name, tuple(links))
    graph.set_attrs(pass_name, "container: bindsnet Network, run with one_step=True", container="Network")


def problems(graph: Graph) -> list[str]:
    out = [f"{op.name}: {why}" for op in graph.ops() if isinstance(op, PopulationOp)
           and (why := recheck(PATTERNS, graph, op))]
    if graph.plan is None:
        return out + ["model: no BindsNET connections planned"]
    taken: set[tuple[str, str]] = set()
    try:
        expected = [link for op in graph.populations() for link in links_of(graph, op, taken)]
    except Refusal as exc:
        return out + [str(exc)]
    if list(graph.plan) != expected:
        out.append("model: the BindsNET connections differ from what the graph implies")
    if graph.attrs.container != "Network":
        out.append(f"model: container {graph.attrs.container!r}; expected 'Network'")
    return out


