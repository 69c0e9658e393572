"""The IR verifier, run after the frontend and after every pass.

It checks the structural invariants every emitter relies on, so that a broken
pass is caught at the pass that broke it, not in generated code.
"""

from __future__ import annotations

import keyword
from dataclasses import dataclass

import networkx as nx

from .graph import Graph, projection_name
from .ops import DenseOp, InputOp, Loc, PopulationOp

TARGETS = ("snntorch", "spikingjelly", "bindsnet")
PRECISIONS = ("fp32", "fp16-cuda")


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


def problems(graph: Graph) -> list[Problem]:
    out: list[Problem] = []

    def bad(name: str, message: str) -> None:
        op = graph.op(name) if name in graph else None
        out.append(Problem(name, op.loc if op else None, message))

    g = graph.nx
    a = graph.attrs
    if a.target not in TARGETS:
        out.append(Problem("model", None, f"unknown target {a.target!r}"))
    if not isinstance(a.time_steps, int) or a.time_steps < 1:
        out.append(Problem("model", None, f"time_steps must be a positive integer, not {a.time_steps!r}"))
    if not a.dt > 0:
        out.append(Problem("model", None, f"dt must be positive, not {a.dt!r}"))
    if a.precision not in PRECISIONS:
        out.append(Problem("model", None, f"unknown precision policy {a.precision!r}"))
    if not nx.is_directed_acyclic_graph(g):
        cycle = nx.find_cycle(g)
        out.append(Problem("model", None, "cycle " + " -> ".join([u for u, _ in cycle] + [cycle[0][0]])))
        return out
    for name in sorted(g):
        op = graph.op(name)
        preds = graph.predecessors(name)
        if isinstance(op, InputOp):
            if preds:
                bad(name, "an input has no predecessors")
            if not g.out_degree(name):
                bad(name, "input feeds nothing")
        elif isinstance(op, DenseOp):
            if len(preds) != 1:
                bad(name, f"a projection needs exactly one source, has {len(preds)}")
            else:
                src = graph.op(preds[0])
                if isinstance(src, DenseOp):
                    bad(name, f"a projection cannot read projection {src.name!r}")
                elif src.out_size != op.in_features:
                    bad(name, f"in_features {op.in_features} does not match the {src.out_size} outputs of {src.name}")
            succs = graph.successors(name)
            if len(succs) != 1 or not isinstance(graph.op(succs[0]), PopulationOp):
                bad(name, "a projection feeds exactly one population")
            elif name != projection_name(succs[0]):
                bad(name, f"the projection into {succs[0]!r} must be named {projection_name(succs[0])!r}")
        elif isinstance(op, PopulationOp):
            if len(preds) != 1 or not isinstance(graph.op(preds[0]), DenseOp):
                bad(name, "a population needs exactly one incoming projection")
            elif graph.op(preds[0]).out_features != op.size:
                bad(name, f"size {op.size} does not match the {graph.op(preds[0]).out_features} outputs of its projection")
            for succ in graph.successors(name):
                if not isinstance(graph.op(succ), DenseOp):
                    bad(name, f"a population can only feed projections, not {succ!r}")
            if not name.isidentifier() or keyword.iskeyword(name):
                bad(name, "a population name must be a valid Python identifier")
            for msg in op.neuron.problems():
                bad(name, msg)
        else:
            bad(name, f"unknown op {op!r}")
        if not isinstance(op.out_size, int) or op.out_size < 1:
            bad(name, f"size must be a positive integer, not {op.out_size!r}")
    if not graph.populations():
        out.append(Problem("model", None, "the network has no neuron population"))
    if len(graph.inputs()) != 1:
        out.append(Problem("model", None, f"the network needs exactly one input, has {len(graph.inputs())}"))
    return out


def verify(graph: Graph, stage: str = "") -> Graph:
    found = problems(graph)
    if found:
        raise VerifyError(found, stage)
    return graph
