"""The graph IR of snnc: ops, the canonical neuron, the graph wrapper, its verifier."""

from .graph import Decision, Graph, ModelAttrs, projection_name
from .neuron import LEAK_FORMS, Neuron, Surrogate
from .ops import NO_LOC, DenseOp, InputOp, Loc, Op, PopulationOp
from .verify import TARGETS, Problem, VerifyError, problems, verify

__all__ = [
    "Decision", "DenseOp", "Graph", "InputOp", "LEAK_FORMS", "Loc", "ModelAttrs", "NO_LOC",
    "Neuron", "Op", "PopulationOp", "Problem", "Surrogate", "TARGETS", "VerifyError",
    "problems", "projection_name", "verify",
]
