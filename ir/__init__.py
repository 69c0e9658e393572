"""The graph IR of snnc: ops with shapes and ordered operands, the canonical neuron, the graph, its verifier."""

from .graph import Decision, Graph, ModelAttrs, Stage
from .neuron import BindsnetNeuron, Neuron, SnnTorchNeuron, SpikingJellyNeuron, Surrogate
from .ops import (NO_LOC, OP_CLASSES, Conv2dOp, FlattenOp, InputOp, LinearOp, Loc, Op, Operand, PopulationOp,
                  Pool2dOp, ScaleOp, operands)
from .verify import Problem, VerifyError, problems, verify

__all__ = [
    "BindsnetNeuron", "Conv2dOp", "Decision", "FlattenOp", "Graph", "InputOp", "LinearOp", "Loc",
    "ModelAttrs", "NO_LOC", "Neuron", "OP_CLASSES", "Op", "Operand", "PopulationOp",
    "Pool2dOp", "Problem", "ScaleOp", "SnnTorchNeuron", "SpikingJellyNeuron", "Stage", "Surrogate",
    "VerifyError", "operands", "problems", "verify",
]
