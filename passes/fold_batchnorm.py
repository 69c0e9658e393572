"""fold-batchnorm: fold each batch norm into the linear layer or convolution before it.

When: ``attrs.power_mode == "low_energy"`` in the default pipeline (added there only
for a model with batch norm), or whenever a pipeline given with ``--passes`` names it.
Pre: a verified graph.
Post: every batch norm that reads, in the same step, a linear layer or convolution
read by nothing else is gone: the projection carries it (``fold_key``, ``fold_eps``,
``fold_affine``) and every use of the batch norm reads the projection instead. The
weight keys stay those of the unfolded model ("<bn>.weight", "<bn>.running_mean",
...); the generated module folds them when loaded (w * s, (b - mean) * s + beta with
s = gamma / sqrt(var + eps), see `emitters.layers` Folded), once per load rather than
once per step. The folded model is an inference model: it computes the eval-mode
batch norm (running statistics) in training mode too, and the folded layer is not
trained. Folding changes rounding (a product of folded weights is not the product
followed by the normalisation): the folded module's membranes are within float32
rounding of the unfolded one's, not equal; spikes can differ where a membrane is
within that rounding of a threshold. Batch norms that cannot be folded (after a
pooling layer, a neuron layer, or a projection something else reads too) stay.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ir.graph import Graph
from ir.ops import BatchNormOp, Projection

from .base import Pass


@dataclass(frozen=True)
class FoldBatchnorm(Pass):
    name: ClassVar[str] = "fold-batchnorm"
    description: ClassVar[str] = ("low_energy or on request: batch norms folded into the linear layer or "
                                  "convolution before them (inference)")
    requires: ClassVar[tuple[str, ...]] = ()

    def run(self, graph: Graph) -> Graph:
        for norm in [op for op in graph.ops() if isinstance(op, BatchNormOp)]:
            into = foldable_into(graph, norm)
            if into is None:
                continue
            graph.replace_op(into.replace(fold_key=norm.key, fold_eps=norm.eps, fold_affine=norm.affine), self.name,
                             f"{norm.name} folded into {into.name}: weight * s, (bias - mean) * s + beta, "
                             "s = gamma / sqrt(var + eps), computed when the weights are loaded")
            graph.replace_all_uses(norm.name, into.name, self.name)
            graph.erase_op(norm.name, self.name)
        return graph


def foldable_into(graph: Graph, norm: BatchNormOp) -> Projection | None:
    """The projection `norm` can fold into, or None."""
    if len(norm.operands) != 1 or norm.operands[0].delay:
        return None
    src = graph.op(norm.operands[0].src)
    if not isinstance(src, Projection) or src.fold_key or [u.name for u in graph.users(src.name)] != [norm.name]:
        return None
    return src


def applies(graph: Graph) -> bool:
    """Whether the default pipeline folds this graph's batch norms: low_energy mode, and a batch norm."""
    return graph.attrs.power_mode == "low_energy" and any(isinstance(op, BatchNormOp) for op in graph.ops())
