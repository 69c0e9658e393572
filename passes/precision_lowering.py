"""precision-lowering: run in FP16 where CUDA is present (Table 2).

When: ``attrs.power_mode == "low_energy"``; otherwise a no-op.
Pre: a verified graph.
Post: ``attrs.precision == "fp16-cuda"``: the generated code decides at run time,
using FP16 (autocast) only when the model runs on CUDA; on CPU it stays FP32.
Weights and neuron parameters in the IR are unchanged (still float32 values).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from ir.graph import Graph

from .base import Pass


@dataclass(frozen=True)
class PrecisionLowering(Pass):
    name: ClassVar[str] = "precision-lowering"
    description: ClassVar[str] = "low_energy: FP16 on CUDA, decided at run time; CPU stays FP32"
    requires: ClassVar[tuple[str, ...]] = ()

    def run(self, graph: Graph) -> Graph:
        if graph.attrs.power_mode != "low_energy":
            return graph
        graph.set_attrs(self.name, "precision fp16-cuda: FP16 when CUDA is present at run time, else FP32",
                        precision="fp16-cuda")
        return graph
