"""The passes of snnc and their registry.

Every pass is a frozen dataclass with a kebab-case ``name``, a one-line
``description`` and ``run(graph) -> graph``, which edits only through
``Graph.replace_op`` / ``set_attrs`` / ``note`` (recording provenance). A pass may
also offer ``warnings(graph, decisions) -> [(Loc, message)]`` for the decisions
its last run recorded. `PASSES` lists them in the default pipeline order.
"""

from __future__ import annotations

from .bindsnet_ordering import BindsnetOrdering
from .neuron_substitution import NeuronSubstitution
from .precision_lowering import PrecisionLowering
from .select_neuron_class import SelectNeuronClass
from .surrogate_swap import SurrogateSwap
from .timestep_scaling import TimestepScaling

PASSES = {
    p.name: p
    for p in (
        NeuronSubstitution(),
        SurrogateSwap(),
        PrecisionLowering(),
        TimestepScaling(),
        BindsnetOrdering(),
        SelectNeuronClass(),
    )
}

DEFAULT_PIPELINE: tuple[str, ...] = tuple(PASSES)

__all__ = ["DEFAULT_PIPELINE", "PASSES"]
