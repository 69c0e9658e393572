"""The passes of snnc and their registry.

Every pass is a frozen dataclass with a kebab-case ``name``, a one-line
``description`` and ``run(graph) -> graph``, which edits only through the
recording methods of `ir.Graph` (provenance). A pass may also offer
``warnings(graph, decisions) -> [(Loc, message)]`` for the decisions its last
run recorded. Ordering rules: ``requires`` names passes that must run earlier
in the same pipeline, and a ``final`` pass must be the last; the pass manager
(compiler.pipeline) rejects any pipeline that breaks them, before anything runs.
`PASSES` lists them in the default pipeline order; `LOWERING` are the passes
code generation needs.
"""

from __future__ import annotations

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
    )
}

DEFAULT_PIPELINE: tuple[str, ...] = tuple(PASSES)
LOWERING: tuple[str, ...] = (Schedule.name, LowerToTarget.name)

__all__ = ["DEFAULT_PIPELINE", "LOWERING", "PASSES"]
