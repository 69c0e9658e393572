"""SpikingJelly's native classes and when each is exact, plus the target lowering for SpikingJelly.

- `neuron.LIFNode` / `neuron.IFNode` / `neuron.CUBALIFNode` are exact for a neuron of the
  spikingjelly family and their kind (its arithmetic is theirs); a surrogate SpikingJelly lacks (fast_sigmoid) is passed
  to them as a generated callable with the exact formula, never as the closest native;
- `layer.Linear` (torch's layout), `layer.Conv1d/2d`, `layer.MaxPool1d/2d`, `layer.AvgPool1d/2d`,
  `layer.Flatten`, applied one time step at a time (single-step mode);
- `layer.BatchNorm1d/2d`, `layer.Dropout`, `layer.Delay` in multi-step mode: they work on the
  whole sequence (statistics over T*B, one dropout mask per run, a time shift).
The model is an `nn.Sequential` in multi-step mode when the graph is a chain (each op
reads the one before it, no feedback), else a generated `nn.Module` over the schedule.
Each pattern carries its renderer (`emitters.spikingjelly.renderers`), and so does the
canonical code: `renderer_of(op)` is an op's.
"""

from __future__ import annotations

from ir.graph import Graph
from ir.ops import Op

from ..patterns import CANONICAL, Implementation, Pattern, always, kind_only, own_neuron, recheck, renderers, select
from ..patterns import renderer_of as _lookup
from . import renderers as r


def _torch_layout(graph: Graph, op: Op) -> str | None:
    if op.layout != "out_in":
        return "layer.Linear keeps W as [out, in] and fuses the bias; this layer is BindsNET's s @ w + b"
    return None


def _lif_node(graph: Graph, op: Op) -> str | None:
    why = own_neuron("spikingjelly", "SpikingJelly", "neurons", "lif")(graph, op)
    if why is None and op.neuron.parametric:
        return ("it is ParametricLIFNode's neuron, whose 1/tau = sigmoid(w) is learned: the generated step computes "
                "it as _ops/plif/reference.py does (neuron.ParametricLIFNode's fused multi-step backward sums the "
                "gradient of w in another order)")
    return why


PATTERNS = [
    Pattern("neuron.LIFNode", ("population",), _lif_node,
            "neuron.LIFNode computes exactly this", r.LIF_NODE),
    Pattern("neuron.IFNode", ("population",), own_neuron("spikingjelly", "SpikingJelly", "neurons", "if"),
            "neuron.IFNode computes exactly this", r.IF_NODE),
    Pattern("neuron.CUBALIFNode", ("population",),
            kind_only("cuba", own_neuron("spikingjelly", "SpikingJelly", "neurons", "cuba")),
            "neuron.CUBALIFNode computes exactly this (functional.cuba_lif_step)", r.CUBA_LIF_NODE),
    Pattern("layer.Linear", ("linear",), _torch_layout, "layer.Linear, one time step at a time", r.LAYER),
    Pattern("layer.Conv2d", ("conv2d",), always, "layer.Conv2d, one time step at a time", r.LAYER),
    Pattern("layer.MaxPool2d", ("maxpool2d",), always, "layer.MaxPool2d, one time step at a time", r.LAYER),
    Pattern("layer.AvgPool2d", ("avgpool2d",), always,
            "layer.AvgPool2d computes this average (padding counted, as torch), one time step at a time", r.LAYER),
    Pattern("layer.AvgPool2d", ("sumpool2d",), always,
            "layer.AvgPool2d with divisor_override=1 computes this window sum, one time step at a time", r.LAYER),
    Pattern("layer.Flatten", ("flatten",), always, "layer.Flatten", r.LAYER),
    Pattern("layer.Conv1d", ("conv1d",), always, "layer.Conv1d, one time step at a time", r.LAYER),
    Pattern("layer.MaxPool1d", ("maxpool1d",), always, "layer.MaxPool1d, one time step at a time", r.LAYER),
    Pattern("layer.AvgPool1d", ("avgpool1d",), always,
            "layer.AvgPool1d computes this average (padding counted, as torch), one time step at a time", r.LAYER),
    Pattern("layer.BatchNorm1d", ("batchnorm1d",), always,
            "layer.BatchNorm1d in multi-step mode: statistics over the whole [T*B] sequence", r.LAYER),
    Pattern("layer.BatchNorm2d", ("batchnorm2d",), always,
            "layer.BatchNorm2d in multi-step mode: statistics over the whole [T*B] sequence", r.LAYER),
    Pattern("layer.Dropout", ("dropout",), always, "layer.Dropout in multi-step mode: one mask per run", r.LAYER),
    Pattern("layer.Delay", ("delay",), always, "layer.Delay in multi-step mode", r.LAYER),
]


RENDERERS = renderers(*PATTERNS, Implementation(CANONICAL, r.CANONICAL))


def renderer_of(op):
    """How `op` renders in SpikingJelly (`emitters.spikingjelly.renderers`), by its impl."""
    return _lookup(RENDERERS, op)


def is_chain(graph: Graph) -> bool:
    """Every op reads exactly the op before it, in the same step."""
    order = graph.order()
    return all(len(op.operands) == 1 and op.operands[0].src == order[k - 1] and not op.operands[0].delay
               for k, op in enumerate(graph.ops()) if k)


def lower(graph: Graph, pass_name: str) -> None:
    for op in graph.ops():
        if op.kind != "input":
            impl, why = select(PATTERNS, graph, op)
            graph.replace_op(op.replace(impl=impl), pass_name, f"{impl}: {why}")
    if is_chain(graph):
        graph.set_attrs(pass_name, "container: nn.Sequential in multi-step mode (the graph is a chain)",
                        container="nn.Sequential")
    else:
        graph.set_attrs(pass_name, "container: a generated nn.Module with a forward over the schedule "
                        "(the graph is not a chain)", container="nn.Module")


def problems(graph: Graph) -> list[str]:
    out = [f"{op.name}: {why}" for op in graph.ops() if op.kind != "input" and (why := recheck(PATTERNS, graph, op))]
    expected = "nn.Sequential" if is_chain(graph) else "nn.Module"
    if graph.attrs.container != expected:
        out.append(f"model: container {graph.attrs.container!r}; expected {expected!r}")
    return out
