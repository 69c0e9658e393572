"""The IR verifier, run after the frontend and after every pass.

It checks the structural invariants every later stage relies on (operands,
delays, shapes, neuron parameters, weight keys, the schedule), so that a broken
pass is caught at the pass that broke it, not in generated code. Each target's
native-class choices are re-checked against their patterns by the target's home
(`emitters.<target>.patterns.problems`), which the pass manager runs too.
"""

from __future__ import annotations

from dataclasses import dataclass


from .floats import f32, is_f32
from .graph import NUMERICS, Graph
from .ops import InputOp, Loc, Op, PopulationOp
from .targets import names

PRECISIONS = ("fp32", "fp16-cuda")
STAGE_MODES = ("layer", "step")


@dataclass(frozen=True)
class Problem:
    subject: str
    loc: Loc | None
    message: str

    def __str__(self) -> str:
        return f"{self.subject}: {self.message}"


class VerifyError(Exception):
    def __init__(self, problems: list[Problem], stage: str = ""):
        self.problems = problems
        self.stage = stage
        where = f" after {stage}" if stage else ""
        super().__init__(f"IR verification failed{where}: " + "; ".join(map(str, problems)))


def operand_shape(graph: Graph, op: Op) -> tuple | str:
    """The shape of what `op` reads (its operands' common shape), or why there is none."""
    shapes = []
    for o in op.operands:
        if o.src not in graph:
            return f"reads unknown op {o.src!r}"
        shapes.append(graph.op(o.src).shape)
    if not shapes:
        return "reads nothing"
    if any(s != shapes[0] for s in shapes):
        return "sums operands of different shapes " + ", ".join(str(list(s)) for s in shapes)
    return shapes[0]


def problems(graph: Graph) -> list[Problem]:
    out: list[Problem] = []

    def bad(name: str, message: str) -> None:
        op = graph.op(name) if name in graph else None
        out.append(Problem(name, op.loc if op else None, message))

    a = graph.attrs
    if a.target not in names():
        bad("model", f"unknown target {a.target!r}")
    if not isinstance(a.time_steps, int) or a.time_steps < 1:
        bad("model", f"time_steps must be a positive integer, not {a.time_steps!r}")
    if not (isinstance(a.dt, float) and is_f32(a.dt) and f32(a.dt) >= 2.0**-126):
        bad("model", f"dt must be a positive normal float32 value, not {a.dt!r}")
    if a.precision not in PRECISIONS:
        bad("model", f"unknown precision policy {a.precision!r}")
    if a.numerics not in NUMERICS:
        bad("model", f"unknown numerics {a.numerics!r}; expected one of {', '.join(NUMERICS)}")
    order = {name: i for i, name in enumerate(graph.order())}
    inputs = graph.inputs()
    if len(inputs) != 1 or graph.order()[0] != inputs[0].name:
        bad("model", f"the graph needs exactly one input, first in order; has {len(inputs)}")
    keys: dict[str, str] = {}
    for op in graph.ops():
        srcs = [o.src for o in op.operands]
        if isinstance(op, InputOp):
            if op.operands:
                bad(op.name, "an input reads nothing")
        elif not op.operands:
            bad(op.name, "reads nothing")
        if len(set(srcs)) != len(srcs):
            bad(op.name, "reads the same op twice")
        for o in op.operands:
            if o.src not in graph:
                bad(op.name, f"reads unknown op {o.src!r}")
            elif o.delay not in (0, 1):
                bad(op.name, f"operand {o.src!r} has delay {o.delay!r}; expected 0 or 1")
            elif o.delay == 0 and order[o.src] >= order[op.name]:
                bad(op.name, f"reads {o.src!r} in the same step, but {o.src!r} comes later (only feedback may)")
        if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in op.shape) or not op.shape:
            bad(op.name, f"shape {list(op.shape)} must be a non-empty list of positive integers")
        if not isinstance(op, InputOp) and not any(o.src not in graph for o in op.operands):
            shape = operand_shape(graph, op)
            expected = shape if isinstance(shape, str) else op.infer_shape(shape)
            if isinstance(expected, str):
                bad(op.name, expected)
            elif expected != op.shape:
                bad(op.name, f"shape {list(op.shape)} should be {list(expected)}")
        if op.parametric:
            for key in op.weight_slots():
                if not op.key:
                    bad(op.name, "a parametric op needs a weight key")
                elif key in keys:
                    bad(op.name, f"weight key {key!r} is also {keys[key]!r}'s")
                keys[key] = op.name
        for message in op.problems():
            bad(op.name, message)
        if isinstance(op, PopulationOp):
            if not op.name.isidentifier():
                bad(op.name, "a population name must be a valid Python identifier")
            if op.neuron.late() > len(op.operands):
                bad(op.name, f"{op.neuron.late()} late terms but only {len(op.operands)} operands")
            for msg in op.neuron.problems():
                bad(op.name, msg)
            for msg in op.neuron.dt_problems(a.dt):
                bad(op.name, msg)
    if not graph.populations():
        bad("model", "the network has no neuron population")
    _check_cycles(graph, bad)
    if graph.schedule is not None:
        _check_schedule(graph, order, bad)
    return out


def _check_cycles(graph: Graph, bad) -> None:
    """Every cycle (through feedback edges) must pass through a population: the stateless ops
    alone form no cycle (not even inside a larger cycle that has a population)."""
    import networkx as nx

    g = graph.nx.subgraph(n for n in graph.nx if not isinstance(graph.op(n), PopulationOp))
    for component in sorted(nx.strongly_connected_components(g), key=lambda c: min(c)):
        if len(component) > 1 or any(g.has_edge(n, n) for n in component):
            first = min(component, key=graph.order().index)
            bad(first, "a feedback cycle without a neuron layer: " + ", ".join(sorted(component)))


def _check_schedule(graph: Graph, order: dict[str, int], bad) -> None:
    seen: dict[str, int] = {}
    for index, stage in enumerate(graph.schedule):
        if stage.mode not in STAGE_MODES or not stage.ops:
            bad("model", f"schedule stage {index}: bad stage {stage!r}")
            continue
        if stage.mode == "layer" and len(stage.ops) != 1:
            bad("model", f"schedule stage {index}: a layer stage holds one op")
        for name in stage.ops:
            if name not in graph or isinstance(graph.op(name), InputOp) or name in seen:
                bad("model", f"schedule stage {index}: {name!r} is unknown, the input, or scheduled twice")
                continue
            seen[name] = index
    missing = [n for n in graph.order() if n not in seen and not isinstance(graph.op(n), InputOp)]
    if missing:
        bad("model", "the schedule misses " + ", ".join(missing))
        return
    position = {name: (seen[name], stage.ops.index(name))
                for stage in graph.schedule for name in stage.ops if name in seen}
    for stage in graph.schedule:
        for name in stage.ops:
            for o in graph.op(name).operands:
                if isinstance(graph.op(o.src), InputOp):
                    continue
                before = position[o.src] < position[name]
                same_stage = position[o.src][0] == position[name][0]
                if o.delay == 0 and not before:
                    bad(name, f"scheduled before {o.src!r}, which it reads in the same step")
                if o.delay == 1 and stage.mode == "layer" and same_stage:
                    bad(name, "a layer stage cannot read itself one step late")
                if o.delay == 1 and not before and not same_stage:
                    bad(name, f"reads {o.src!r} one step late, but {o.src!r} is scheduled in a later stage")


def verify(graph: Graph, stage: str = "") -> Graph:
    found = problems(graph)
    if found:
        raise VerifyError(found, stage)
    return graph
