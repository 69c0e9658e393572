"""The passes of snnc and their registry.

Every pass subclasses `passes.base.Pass` (one pass per file): a kebab-case
``name``, a one-line ``description``, ``run(graph) -> graph``, which edits only
through the recording methods of `ir.Graph` (provenance), and
``warnings(graph, decisions) -> [(Loc, message)]`` for the decisions its last run
recorded. Ordering rules: ``requires`` names passes that must run earlier in the
same pipeline, and a ``final`` pass must be the last; the pass manager
(`passes.manager`) rejects any pipeline that breaks them before anything runs,
and checks each pass's ``guarantees`` after it runs. `PASSES` lists them in the
default pipeline order (`fold-batchnorm` runs only in low_energy mode or on
request); `LOWERING` are the passes code generation needs.
"""

from __future__ import annotations

from .fold_batchnorm import FoldBatchnorm
from .lower_to_target import LowerToTarget
from .neuron_substitution import NeuronSubstitution
from .precision_lowering import PrecisionLowering
from .schedule import Schedule
from .surrogate_swap import SurrogateSwap
from .timestep_scaling import TimestepScaling

PASSES = {
    p.name: p
    for p in (
        NeuronSubstitution(),
        SurrogateSwap(),
        PrecisionLowering(),
        TimestepScaling(),
        Schedule(),
        LowerToTarget(),
        FoldBatchnorm(),
    )
}

# fold-batchnorm is not in it: the pass manager adds it in front for a low_energy model with batch norm
DEFAULT_PIPELINE: tuple[str, ...] = tuple(name for name in PASSES if name != FoldBatchnorm.name)
LOWERING: tuple[str, ...] = (Schedule.name, LowerToTarget.name)

__all__ = ["DEFAULT_PIPELINE", "LOWERING", "PASSES"]
