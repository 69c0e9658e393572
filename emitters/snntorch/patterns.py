"""snnTorch's native classes and when each is exact, plus the target lowering for snnTorch.

- `snn.Leaky` is exact for a neuron of the snntorch family without late terms whose
  surrogate snntorch.surrogate has (atan, sigmoid, fast_sigmoid in snnTorch's formula);
- `snn.RLeaky` (linear_features=n) for one with a single late term that is an n -> n
  linear layer with bias reading the population's own previous spikes (the feedback
  edge enters the layer: at t=0 it reads zeros and adds its bias, as RLeaky does) and
  feeding nothing else: that layer becomes RLeaky's `recurrent`;
- `snn.Synaptic` for a CUBA neuron of the snntorch family without late terms and with a
  surrogate snntorch.surrogate has;
- `nn.Linear` for a linear layer in torch's layout, `nn.Conv2d`, `nn.MaxPool2d`,
  `nn.AvgPool2d`, `nn.Flatten`, applied one time step at a time.
Everything else is the generated canonical code (`emitters.neurons`), which a
BindsNET-layout linear ("in_out") also is. Each pattern carries its renderer
(`emitters.snntorch.renderers`), and so do the canonical code and RLeaky's
absorbed recurrent layer (`RECURRENT`): `renderer_of(op)` is an op's.
"""

from __future__ import annotations

from ir.graph import Graph
from ir.ops import LinearOp, PopulationOp

from ..patterns import CANONICAL, Implementation, Pattern, always, kind_only, recheck, renderers, select
from ..patterns import renderer_of as _lookup
from . import renderers as r
from .renderers import NATIVE_SURROGATES

RECURRENT = "snn.RLeaky.recurrent"
NONSPIKING = "it outputs spikes, this population outputs its membrane (non-spiking)"
SYNAPTIC = "it has no synaptic current, this is snn.Synaptic's arithmetic"


def _leaky(graph: Graph, op: PopulationOp) -> str | None:
    n = op.neuron
    if n.family != "snntorch":
        return f"it computes snn.Leaky's arithmetic, this is a {n.family} neuron"
    if not n.spiking:
        return NONSPIKING
    if n.kind == "cuba":
        return SYNAPTIC
    if n.late_terms:
        return "its input has terms added after the charge"
    return _surrogate(n)


def _surrogate(n) -> str | None:
    s = n.surrogate
    if s.flavor != "snntorch" or s.name not in NATIVE_SURROGATES:
        return f"snntorch.surrogate has no {s.name} in {s.flavor}'s formula"
    return None


def recurrent_of(graph: Graph, op: PopulationOp) -> LinearOp | None:
    """The n -> n linear layer RLeaky would absorb, if the population's late term is one."""
    if op.neuron.family != "snntorch" or op.neuron.late_terms != 1 or len(op.shape) != 1:
        return None
    last = op.operands[-1]
    layer = graph.op(last.src)
    if (not isinstance(layer, LinearOp) or layer.fold_key or len(layer.operands) != 1
            or layer.operands[0].src != op.name):
        return None
    # RLeaky applies its recurrent layer to its previous spikes (zeros first: the bias alone at t=0),
    # which is the feedback edge entering the layer, not leaving it (that one gives zeros at t=0)
    if (layer.operands[0].delay, last.delay) != (1, 0) or [u.name for u in graph.users(layer.name)] != [op.name]:
        return None
    if layer.in_features != layer.out_features or not layer.bias or layer.layout != "out_in":
        return None
    return layer


def _rleaky(graph: Graph, op: PopulationOp) -> str | None:
    if op.neuron.family != "snntorch":
        return f"it computes snn.RLeaky's arithmetic, this is a {op.neuron.family} neuron"
    if not op.neuron.spiking:
        return NONSPIKING
    if op.neuron.kind == "cuba":
        return SYNAPTIC
    if op.neuron.learn:
        return "its beta or threshold is learned (RLeaky's learned parameters are not checked to be exact here)"
    if recurrent_of(graph, op) is None:
        return ("its only late term must be an n -> n linear layer with bias that reads the population's own "
                "previous spikes (the feedback edge entering the layer) and feeds nothing else")
    return _surrogate(op.neuron)


def _synaptic(graph: Graph, op: PopulationOp) -> str | None:
    n = op.neuron
    if n.family != "snntorch":
        return f"it computes snn.Synaptic's arithmetic, this is a {n.family} neuron"
    if n.late_terms:
        return "its input has terms added after the current's decay (snn.RSynaptic's recurrent layer)"
    return _surrogate(n)


def _torch_layout(graph: Graph, op: LinearOp) -> str | None:
    if op.layout != "out_in":
        return "nn.Linear keeps W as [out, in] and fuses the bias; this layer is BindsNET's s @ w + b"
    return None


PATTERNS = [
    Pattern("snn.Leaky", ("population",), _leaky, "snn.Leaky computes exactly this (snntorch family)", r.LEAKY),
    Pattern("snn.RLeaky", ("population",), _rleaky,
            "snn.RLeaky computes exactly this: beta*mem + input, then its recurrent nn.Linear", r.RLEAKY),
    Pattern("snn.Synaptic", ("population",), kind_only("cuba", _synaptic),
            "snn.Synaptic computes exactly this (snntorch family)", r.SYNAPTIC),
    Pattern("nn.Linear", ("linear",), _torch_layout, "nn.Linear, one time step at a time", r.LAYER),
    Pattern("nn.Conv2d", ("conv2d",), always, "nn.Conv2d, one time step at a time", r.LAYER),
    Pattern("nn.MaxPool2d", ("maxpool2d",), always, "nn.MaxPool2d, one time step at a time", r.LAYER),
    Pattern("nn.AvgPool2d", ("avgpool2d",), always,
            "nn.AvgPool2d computes this average (padding counted, as torch), one time step at a time", r.LAYER),
    Pattern("nn.AvgPool2d", ("sumpool2d",), always,
            "nn.AvgPool2d with divisor_override=1 computes this window sum, one time step at a time", r.LAYER),
    Pattern("nn.Flatten", ("flatten",), always, "nn.Flatten", r.LAYER),
    Pattern("nn.Conv1d", ("conv1d",), always, "nn.Conv1d, one time step at a time", r.LAYER),
    Pattern("nn.MaxPool1d", ("maxpool1d",), always, "nn.MaxPool1d, one time step at a time", r.LAYER),
    Pattern("nn.AvgPool1d", ("avgpool1d",), always,
            "nn.AvgPool1d computes this average (padding counted, as torch), one time step at a time", r.LAYER),
]
RENDERERS = renderers(*PATTERNS, Implementation(CANONICAL, r.CANONICAL), Implementation(RECURRENT, r.RECURRENT))


def renderer_of(op):
    """How `op` renders in snnTorch (`emitters.snntorch.renderers`), by its impl."""
    return _lookup(RENDERERS, op)


def lower(graph: Graph, pass_name: str) -> None:
    absorbed: dict[str, str] = {}
    for op in graph.ops():
        if op.kind == "input" or op.name in absorbed:
            continue
        impl, why = select(PATTERNS, graph, op)
        graph.replace_op(op.replace(impl=impl), pass_name, f"{impl}: {why}")
        if impl == "snn.RLeaky":
            layer = recurrent_of(graph, op)
            absorbed[layer.name] = op.name
            graph.replace_op(layer.replace(impl=RECURRENT), pass_name,
                             f"{RECURRENT}: the recurrent nn.Linear of {op.name}'s snn.RLeaky")
    graph.set_attrs(pass_name, "container: nn.Module with a forward over the schedule", container="nn.Module")


def problems(graph: Graph) -> list[str]:
    out = []
    for op in graph.ops():
        if op.kind == "input":
            continue
        if op.impl == RECURRENT:
            owners = [u for u in graph.users(op.name) if u.impl == "snn.RLeaky" and recurrent_of(graph, u) == op]
            if not owners:
                out.append(f"{op.name}: {RECURRENT} outside an snn.RLeaky pattern")
            continue
        why = recheck(PATTERNS, graph, op)
        if why:
            out.append(f"{op.name}: {why}")
    if graph.attrs.container != "nn.Module":
        out.append(f"model: container {graph.attrs.container!r}; expected 'nn.Module'")
    return out
