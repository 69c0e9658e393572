"""The neuron family registry: every family of canonical neurons snnc knows, defined once.

A family is the exact arithmetic of one simulator's neuron classes. Its IR neuron
class (`ir.neuron`) owns its canonical parameters and the facts other code asks it
(late terms, dt, the drive `check` scales inputs by); its home is one package
(`emitters.<name>`: `vocabulary`, the simulator's words for a neuron layer and the
neuron they mean; `neuron`, its float32 step as generated code). Everything that
needs the list of families reads it here: the IR parser, the frontend's vocabulary
tables, the emitters' step functions, the simulator names a spec may write.
Import-light, as `ir.targets`: the homes are imported when first asked for.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from .neuron import BindsnetNeuron, Neuron, SnnTorchNeuron, SpikingJellyNeuron


@dataclass(frozen=True)
class Family:
    name: str  # Neuron.family, the family="..." of the IR text, a vocabulary's name
    label: str  # how its simulator is written (target_simulator in a spec, messages)
    neuron: type[Neuron]  # its IR neuron class (its canonical parameters)
    package: str  # its home: <package>.vocabulary and <package>.neuron

    def vocabulary(self):
        """The home's vocabulary module: the simulator's words for a neuron layer."""
        return importlib.import_module(f"{self.package}.vocabulary")

    def step(self):
        """The home's step module: the family's float32 step as generated code."""
        return importlib.import_module(f"{self.package}.neuron")

    def nir(self):
        """The home's NIR module (its neurons as NIR nodes), or None for a family without one."""
        try:
            return importlib.import_module(f"{self.package}.nir")
        except ModuleNotFoundError as exc:
            if exc.name != f"{self.package}.nir":
                raise
            return None


_FAMILIES: dict[str, Family] = {}


def register(family: Family) -> Family:
    if family.neuron.family != family.name:
        raise ValueError(f"family {family.name!r}: its neuron class says {family.neuron.family!r}")
    if family.name in _FAMILIES and _FAMILIES[family.name] != family:
        raise ValueError(f"family {family.name!r} is already registered")
    _FAMILIES[family.name] = family
    return family


def unregister(name: str) -> None:
    _FAMILIES.pop(name, None)


def names() -> tuple[str, ...]:
    """Every family's name, in registration order (the order vocabularies are tried in)."""
    return tuple(_FAMILIES)


def every() -> tuple[Family, ...]:
    """Every family, in registration order."""
    return tuple(_FAMILIES.values())


def find(name: str) -> Family | None:
    """The family `name`, or None."""
    return _FAMILIES.get(name)


def get(name: str) -> Family:
    """The family `name`; an unknown name is an error naming the choices."""
    try:
        return _FAMILIES[name]
    except KeyError:
        raise KeyError(f"unknown neuron family {name!r}; choose from {', '.join(_FAMILIES)}") from None


def of(neuron: Neuron) -> Family:
    """The family of a canonical neuron."""
    return get(neuron.family)


register(Family("snntorch", "snnTorch", SnnTorchNeuron, "emitters.snntorch"))
register(Family("spikingjelly", "SpikingJelly", SpikingJellyNeuron, "emitters.spikingjelly"))
register(Family("bindsnet", "BindsNET", BindsnetNeuron, "emitters.bindsnet"))
