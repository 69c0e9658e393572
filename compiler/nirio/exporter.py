"""The IR after the passes, with weights -> a NIR graph.

Each op becomes one node named after it, each operand one edge (in operand order,
so fan-in sums keep their order in the file). Neurons are written in their
family's own exporter convention (its home's `emitters.<family>.nir`), with tau chosen
so that the matching importer's formula returns the family's parameter bit for bit:

    snnTorch LIF   tau = dt/(1-beta) (the float32 nearest it whose 1 - dt/tau is beta), r = tau/dt,
                   v_leak = 0, v_reset = 0            (reset 'zero' only)
    snnTorch IF    IF(r = 1/dt, v_reset = 0)          (reset 'zero' only)
    SpikingJelly   LIF(tau = tau_sj*dt (the float64 whose /dt is tau_sj), r = 1 if decay_input else tau_sj,
                   v_leak = v_reset), IF(r = 1/dt)    (hard reset only)
    BindsNET       LIF(tau = dt/(1-decay), r = tau/dt, v_leak = rest, v_reset = reset), IF(r = 1/dt)

What NIR cannot say is refused (subtract/soft/no reset, max pooling); what NIR
readers will run differently gets a warning naming the layer and the parameter.
A population whose one feedback loop is a linear layer (`recurrent_pairs`) is
written as a sub-graph, as snnTorch's exporter builds an RLeaky.
"""

from __future__ import annotations

from ir import families
from ir.graph import Graph, Refusal
from ir.ops import BatchNormOp, Conv2dOp, DropoutOp, LinearOp, Op, PopulationOp, Projection


class Refusals(Exception):
    """Every op NIR cannot say, each a `Refusal` (op name, why), in graph order."""

    def __init__(self, refusals: list[Refusal]):
        self.refusals = refusals
        super().__init__("; ".join(str(r) for r in refusals))


def nir_nodes(graph: Graph, weights: dict, dt: float, nest: bool = True) -> tuple[dict, list, list[tuple[str, str]]]:
    """(nodes, edges, warnings as (op name, message)) of `graph`; Refusals naming every op NIR cannot say."""
    import nir
    import numpy as np

    graph, weights = inference_graph(graph, weights)
    nodes, edges, warnings, refused = {}, [], [], []
    for op in graph.ops():
        try:
            nodes[op.name] = _node(op, graph, weights, dt, warnings)
        except Refusal as refusal:
            refused.append(refusal)
        edges += [(operand.src, op.name) for operand in op.operands]
    if refused:
        raise Refusals(refused)
    _check_delays(graph, warnings)
    _check_nirtorch(graph, warnings)
    read = {operand.src for op in graph.ops() for operand in op.operands}
    outputs = [p for p in graph.populations() if p.name not in read] or graph.populations()[-1:]
    for pop in outputs:
        out = "output" if len(outputs) == 1 else f"output_{pop.name}"
        while out in nodes:
            out += "_"
        nodes[out] = nir.Output(output_type={"output": np.array(pop.shape)})
        edges.append((pop.name, out))
    if nest:
        nodes, edges = _nest_recurrent(graph, nodes, edges)
    return nodes, edges, warnings


def inference_graph(graph: Graph, weights: dict) -> tuple[Graph, dict]:
    """The eval-mode graph NIR can say, and its weights: batch norms folded into the projection before
    them (weights computed as the generated modules' load_weights computes them), dropouts removed.
    A batch norm that cannot be folded, and a dropout summing several inputs, are Refusals."""
    import numpy as np

    from passes.fold_batchnorm import FoldBatchnorm

    if not any(isinstance(op, (BatchNormOp, DropoutOp)) for op in graph.ops()):
        return graph, weights
    graph = FoldBatchnorm().run(graph.copy())
    refused = [Refusal(op.name, f"NIR has no batch norm, and {op.name} cannot be folded: it reads "
                                f"{', '.join(o.src for o in op.operands)}, not a linear layer or convolution "
                                "that feeds only it")
               for op in graph.ops() if isinstance(op, BatchNormOp)]
    for op in [op for op in graph.ops() if isinstance(op, DropoutOp)]:
        if len(op.operands) != 1 or op.operands[0].delay:
            refused.append(Refusal(op.name, "a dropout that sums several inputs (or reads a feedback edge) has no "
                                            "NIR form; put it after the sum"))
            continue
        graph.replace_all_uses(op.name, op.operands[0].src, "nir-export")
        graph.erase_op(op.name, "nir-export")
    if refused:
        raise Refusals(refused)
    weights = {k: np.asarray(v, dtype=np.float32) for k, v in weights.items()}
    for op in graph.ops():
        if isinstance(op, Projection) and op.fold_key:
            weights.update(_folded(op, weights))
            graph.replace_op(op.replace(bias=True, fold_key="", fold_eps=0.0, fold_affine=False), "nir-export")
    return graph, weights


def _folded(op: Projection, weights: dict) -> dict:
    """The folded weight and bias, in float32 with the operations of the generated `Folded.fold`."""
    import numpy as np

    w, norm = weights[f"{op.key}.weight"], op.fold_key
    c = np.float32
    ones, zeros = np.ones(w.shape[0], c), np.zeros(w.shape[0], c)
    gamma = weights[f"{norm}.weight"] if op.fold_affine else ones
    beta = weights[f"{norm}.bias"] if op.fold_affine else zeros
    bias = weights[f"{op.key}.bias"] if op.bias else zeros
    scale = gamma / np.sqrt(weights[f"{norm}.running_var"] + c(op.fold_eps))
    return {f"{op.key}.weight": w * scale.reshape(-1, *[1] * (w.ndim - 1)),
            f"{op.key}.bias": (bias - weights[f"{norm}.running_mean"]) * scale + beta}


def recurrent_pairs(graph: Graph) -> list[tuple[PopulationOp, LinearOp]]:
    """(population, linear) for each population whose one feedback loop is a linear layer that reads only it
    and feeds only it: snnTorch's `RLeaky` shape, which NIR writers put in a sub-graph of its own."""
    pairs = []
    for pop in graph.populations():
        loops = []
        for operand in pop.operands:
            op = graph.op(operand.src)
            if (isinstance(op, LinearOp) and [o.src for o in op.operands] == [pop.name]
                    and [u.name for u in graph.users(op.name)] == [pop.name]
                    and sum(o.src == op.name for o in pop.operands) == 1):
                loops.append(op)
        if len(loops) == 1:
            pairs.append((pop, loops[0]))
    return pairs


def _nest_recurrent(graph: Graph, nodes: dict, edges: list) -> tuple[dict, list]:
    """Each `recurrent_pairs` population and its feedback linear as one sub-graph node named after the
    population, laid out as snnTorch's exporter writes an RLeaky (input -> neuron <-> linear, neuron ->
    output), so that nirtorch-based readers (snnTorch's and SpikingJelly's importers) run it."""
    import nir
    import numpy as np

    pairs = {pop.name: lin.name for pop, lin in recurrent_pairs(graph)}
    if not pairs:
        return nodes, edges
    inner = {lin: pop for pop, lin in pairs.items()}
    out_nodes, out_edges = {}, []
    for name, node in nodes.items():
        if name in inner:
            continue
        if name in pairs:
            lin = pairs[name]
            shape = np.array(graph.op(name).shape)
            sub_in, sub_out = "input", "output"
            while sub_in in (name, lin):
                sub_in += "_"
            while sub_out in (name, lin):
                sub_out += "_"
            sub_edges = []
            for s, d in edges:
                if d == name:
                    edge = (lin if s == lin else sub_in, name)
                    if edge not in sub_edges:
                        sub_edges.append(edge)
            node = nir.NIRGraph(nodes={sub_in: nir.Input(input_type={"input": shape}), name: node,
                                       lin: nodes[lin], sub_out: nir.Output(output_type={"output": shape})},
                                edges=[*sub_edges, (name, lin), (name, sub_out)], type_check=False)
        out_nodes[name] = node
    for s, d in edges:
        if s in inner or (d in pairs and s == pairs[d]) or d in inner:
            continue
        out_edges.append((s, d))
    return out_nodes, out_edges


def export_graph(graph: Graph, weights: dict, dt: float, metadata: dict[str, str]):
    """The NIRGraph of `graph` and the warnings, as (op name, message)."""
    import nir

    nodes, edges, warnings = nir_nodes(graph, weights, dt)
    if graph.attrs.precision != "fp32":
        warnings.append(("model", f"precision {graph.attrs.precision} is not recorded in NIR; the graph holds "
                                  "float32 weights and NIR readers run float32"))
    try:
        return nir.NIRGraph(nodes=nodes, edges=edges, metadata=metadata, type_check=True), warnings
    except Exception as exc:  # nir 1.0.8 infers a Conv2d's output from weight.shape[2] for both dimensions
        rect = [op.name for op in graph.ops() if isinstance(op, Conv2dOp) and op.kernel_size[0] != op.kernel_size[1]]
        if not rect:
            raise
        warnings.append((rect[0], f"nir cannot type-check a non-square kernel (it takes the kernel's height for "
                                  f"both sides: {' '.join(str(exc).split())[:120]}); written without its type "
                                  "check, so readers that type-check the file will refuse it"))
        return nir.NIRGraph(nodes=nodes, edges=edges, metadata=metadata, type_check=False), warnings


def _node(op: Op, graph: Graph, weights: dict, dt: float, warnings: list):
    """The op's NIR node: a neuron in its family's convention (below), any other op as its kind says."""
    in_shape = graph.op(op.operands[0].src).shape if op.operands else op.shape
    if isinstance(op, PopulationOp):
        return _neuron(op, dt, warnings)
    return op.nir_node(weights, in_shape, dt)


def _neuron(op: PopulationOp, dt: float, warnings: list):
    """A population's NIR node, in its family's own exporter convention (`emitters.<family>.nir`)."""
    n = op.neuron
    if n.learned():
        raise Refusal(op.name, f"NIR export of learned neuron parameters ({', '.join(n.learned())}) is not "
                               "implemented: their trained values are weights, not the spec's")
    home = families.of(n).nir()
    if home is None:
        raise Refusal(op.name, f"a {n.family} neuron has no NIR form")
    node = home.neuron_node(op, dt, warnings)
    if node is None:
        raise Refusal(op.name, f"NIR export of a {n.family} {n.kind.upper()} neuron is not implemented (only the "
                               "snnTorch family's CubaLIF, LI and I, in snnTorch's exporter convention); write the "
                               "layer in snnTorch's words to export it")
    return node


def _check_delays(graph: Graph, warnings: list) -> None:
    """NIR has no delay marks: readers cut a cycle on the edges out of its neurons. Where the IR's
    feedback sits elsewhere, the readers' model is the same only if moving the delays shifts no
    population (every population is an output) and only stateless ops, by whole steps: then at
    most the first steps differ, and not at all where the shifted ops map zeros to zeros.
    Each warning says which of the two it is."""
    from .graphfile import cut_edges

    ours = {(o.src, op.name): o.delay for op in graph.ops() for o in op.operands}
    neurons = {p.name for p in graph.populations()}
    theirs = cut_edges(list(ours), neurons)
    if {edge for edge, delay in ours.items() if delay} == theirs:
        return
    shift = _shifts(graph, ours, theirs, neurons | {graph.input().name})
    if shift is None:
        ours_text = ", ".join(f"{s} -> {d}" for (s, d), delay in ours.items() if delay)
        theirs_text = ", ".join(f"{s} -> {d}" for s, d in sorted(theirs))
        first = min((s for s, _ in theirs), key=graph.order().index)
        warnings.append((first, f"NIR readers delay every edge out of a neuron in a cycle ({theirs_text}) where "
                                f"this model delays {ours_text}: the populations of the cycle see each other at "
                                "other steps, so a reader's spikes differ from snnc's at every step (re-importing "
                                "with snnc's metadata stays exact)"))
        return
    nirtorch_like = {lin.name for pop, lin in recurrent_pairs(graph)
                     if next(o for o in pop.operands if o.src == lin.name).delay}
    for name in sorted(n for n, k in shift.items() if k and not graph.op(n).keeps_zero()):
        same = (" (snnTorch's and SpikingJelly's importers delay the edge into the neuron, as this model does, and "
                "agree)") if name in nirtorch_like else ""
        warnings.append((name, f"NIR readers that delay the edges out of a cycle's neurons (snnc's import without "
                               f"this metadata) move {name} {abs(shift[name])} step(s); {name} does not map zeros to "
                               f"zeros (a bias), so their first step(s) differ from snnc's{same}"))


def _check_nirtorch(graph: Graph, warnings: list) -> None:
    """snnTorch's and SpikingJelly's importers run a cycle with nirtorch, which delays the edge into the neuron
    (the recurrent linear's output, bias included, from the previous step, zeros first), where snnc and
    snn.RLeaky delay the spikes into the linear (its bias reaches the neuron at every step)."""
    for pop, lin in recurrent_pairs(graph):
        into = next(o for o in pop.operands if o.src == lin.name)
        if not into.delay and not lin.keeps_zero():
            warnings.append((lin.name, f"snnTorch's and SpikingJelly's importers (nirtorch) delay {lin.name} -> "
                                       f"{pop.name} rather than {pop.name} -> {lin.name}: {lin.name}'s bias reaches "
                                       f"{pop.name} one step late there (zero at the first step), so their spikes "
                                       "differ from snnc's and snn.RLeaky's"))


def _shifts(graph: Graph, ours: dict, theirs: set, fixed: set[str]) -> dict[str, int] | None:
    """Steps by which each op's values move when the delays go from `ours` to NIR's `theirs`
    (0 for the ops in `fixed`), or None when no such shift exists (the models differ throughout)."""
    shift = {name: 0 for name in fixed}
    edges = [(s, d, int((s, d) in theirs) - delay) for (s, d), delay in ours.items()]
    changed = True
    while changed:  # propagate shift(d) = shift(s) + (their delay - ours) along edges, either way
        changed = False
        for s, d, k in edges:
            for known, other, value in ((s, d, k), (d, s, -k)):
                if known in shift and other not in shift:
                    shift[other] = shift[known] + value
                    changed = True
    if any(s in shift and d in shift and shift[d] != shift[s] + k for s, d, k in edges):
        return None
    return shift
