"""The target registry: every simulator snnc generates code for, defined once.

Everything that needs the list of targets reads it here: the CLI's `--target`
choices, `check`, the demo, the verifier, the pass manager, the emitters and the
test matrices. A target is one package (`emitters.<name>`: `patterns` with its
native classes, `lower(graph, pass_name)` and `problems(graph)`; `render` with
`emit_module(graph, pipeline)`) plus one `register` line below. Import-light on
purpose (the CLI reads it before anything else is loaded).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    name: str  # the --target value and the generated module's TARGET
    label: str  # how its users write it (target_simulator in a spec)
    package: str  # its home: <package>.patterns and <package>.render
    trains: bool = True  # whether its generated modules train (run(grad=True), train()/eval())
    # Set where the simulator updates every layer once per time step in graph order (one loop over
    # time for the whole graph) rather than running each layer over the whole sequence in turn: why.
    whole_graph_steps: str | None = None
    fp16: str = "FP16 on CUDA, FP32 on CPU"  # what precision fp16-cuda computes in, for the configs table

    def patterns(self):
        return importlib.import_module(f"{self.package}.patterns")

    def render(self):
        return importlib.import_module(f"{self.package}.render")

    def plan_records(self) -> tuple[type, ...]:
        """The record classes of the plan its lowering sets (`<package>.patterns.PLAN_RECORDS`)."""
        return tuple(getattr(self.patterns(), "PLAN_RECORDS", ()))


_TARGETS: dict[str, Target] = {}


def register(target: Target) -> Target:
    if target.name in _TARGETS and _TARGETS[target.name] != target:
        raise ValueError(f"target {target.name!r} is already registered")
    _TARGETS[target.name] = target
    return target


def unregister(name: str) -> None:
    _TARGETS.pop(name, None)


def names() -> tuple[str, ...]:
    """Every target's name, in registration order."""
    return tuple(_TARGETS)


def plan_records() -> dict[str, type]:
    """Every target's plan record classes by the word the IR text writes them under (`// link ...`)."""
    return {cls.RECORD: cls for target in _TARGETS.values() for cls in target.plan_records()}


def get(name: str) -> Target:
    """The target `name`; an unknown name is an error naming the choices."""
    try:
        return _TARGETS[name]
    except KeyError:
        raise KeyError(f"unknown target {name!r}; choose from {', '.join(_TARGETS)}") from None


register(Target("snntorch", "snnTorch", "emitters.snntorch"))
register(Target("spikingjelly", "SpikingJelly", "emitters.spikingjelly"))
register(Target("bindsnet", "BindsNET", "emitters.bindsnet", trains=False, whole_graph_steps=(
    "Network.run(one_step=True) updates layers in add_layer order, which is graph order"),
    fp16="FP16 connections on CUDA (nodes FP32), FP32 on CPU"))
