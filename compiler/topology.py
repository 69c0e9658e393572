"""From a schema-valid spec's layers and connections to the IR graph.

Layers alternate linear, neuron layer: each neuron layer is a population, and
the linear before it is its projection (``<population>.fc``). Populations are
named by ``name`` or ``layer_k`` (k counts neuron layers from 1); the external
input is ``input``. Without ``connections`` the layers chain in order; with
them, each population reads exactly one source, named by its one incoming
connection. Every problem found is a diagnostic; all of them are raised
together in one `CompileError`.
"""

from __future__ import annotations

import builtins
import keyword
from dataclasses import dataclass

from ir import DenseOp, Graph, InputOp, Loc, ModelAttrs, Neuron, PopulationOp, projection_name

from .diagnostics import CompileError, Diagnostic, did_you_mean, show
from .jsonsource import SourceText, pointer_join
from .vocabulary import NEURON_KEYS, NeuronSpecError, neuron_from_layer

_RESERVED = frozenset(dir(builtins))
MAX_SUGGESTIONS = 20  # did-you-mean hints for unknown population names, per spec


@dataclass
class _Population:
    name: str
    linear: int  # index of its projection in the layer list
    index: int  # index of its neuron layer
    size: int
    in_features: int
    source: str | None = None  # "input" or a population name, once known
    via: str | None = None  # pointer of the connection naming the source, if any


class _Builder:
    def __init__(self, spec: dict, source: SourceText):
        self.spec, self.source = spec, source
        self.key = "layers" if "layers" in spec else "layer"
        self.layers: list[dict] = spec[self.key]
        self.errors: list[Diagnostic] = []
        self.neurons: dict[int, Neuron] = {}  # by index of the neuron layer
        self.suggestions_left = MAX_SUGGESTIONS

    def ptr(self, index: int, *keys: str) -> str:
        out = pointer_join(f"/{self.key}", index)
        for key in keys:
            out = pointer_join(out, key)
        return out

    def error(self, pointer: str, message: str) -> None:
        self.errors.append(self.source.diagnostic(pointer, message))

    def loc(self, pointer: str) -> Loc:
        return Loc(pointer, *self.source.map.value(pointer))

    # -- layer order and names ---------------------------------------------
    def populations(self) -> list[_Population]:
        pops, pending, count = [], None, 0
        for i, layer in enumerate(self.layers):
            if layer["type"] == "linear":
                if pending is not None:
                    self.error(self.ptr(i), f"two linear layers in a row: the linear layer at "
                                            f"{self.ptr(pending)[1:]} must be followed by a neuron layer")
                pending = i
                continue
            count += 1
            if pending is None:
                after = "at the start" if i == 0 else "after another neuron layer"
                self.error(self.ptr(i), f"a {layer['type']} {after}: put a linear layer before it, "
                                        "projecting into it")
                continue
            linear = self.layers[pending]
            pops.append(_Population(layer.get("name", f"layer_{count}"), pending, i,
                                    linear["out_features"], linear["in_features"]))
            pending = None
        if pending is not None:
            self.error(self.ptr(pending), "the last linear layer projects into nothing: "
                                          "a linear layer must be followed by a neuron layer")
        return pops

    def check_names(self, pops: list[_Population]) -> None:
        seen: dict[str, int] = {}
        for pop in pops:
            explicit = "name" in self.layers[pop.index]
            where = self.ptr(pop.index, "name") if explicit else self.ptr(pop.index)
            problem = _name_problem(pop.name) if explicit else None
            if problem:
                self.error(where, problem)
            elif pop.name in seen:
                self.error(where, f"duplicate population name {show(pop.name)} "
                                  f"(also the name of {self.ptr(seen[pop.name])[1:]})")
            else:
                seen[pop.name] = pop.index

    # -- sources and sizes --------------------------------------------------
    def chain(self, pops: list[_Population]) -> None:
        previous: _Population | None = None
        for pop in pops:
            pop.source = previous.name if previous else "input"
            if previous and pop.in_features != previous.size:
                self.mismatch(pop, previous)
            previous = pop

    def mismatch(self, pop: _Population, source: _Population) -> None:
        self.error(self.ptr(pop.linear, "in_features"),
                   f"{pop.in_features} does not match the {source.size} outputs of {source.name}")

    def connect(self, pops: list[_Population]) -> None:
        by_name = {pop.name: pop for pop in pops}
        labels = {layer["name"] for layer in self.layers if layer["type"] == "linear" and "name" in layer}
        seen: dict[tuple[str, str], str] = {}
        unresolved = False  # a connection names an unknown population
        for i, conn in enumerate(self.spec["connections"]):
            here = pointer_join("/connections", i)
            src, dst = conn["source"], conn["target"]
            known = True
            if dst == "input":
                self.error(pointer_join(here, "target"), "input is the external input; it cannot be a target")
                known = False
            elif dst not in by_name:
                self.unknown(pointer_join(here, "target"), dst, list(by_name), labels)
                known, unresolved = False, True
            if src != "input" and src not in by_name:
                self.unknown(pointer_join(here, "source"), src, ["input", *by_name], labels)
                known, unresolved = False, True
            if not known:
                continue
            target = by_name[dst]
            if (src, dst) in seen:
                self.error(here, f"duplicate connection {src} -> {dst} (also {seen[src, dst][1:]})")
            elif target.source is not None:
                self.error(here, f"{dst} already reads {target.source} ({target.via[1:]}); "
                                 "a population reads exactly one source")
            else:
                target.source, target.via = src, here
            seen.setdefault((src, dst), here)
        # A connection naming an unknown population most likely meant one that would be
        # reported below as unconnected or unreachable: report only the cause.
        for pop in pops:
            if pop.source is None and not unresolved:
                self.error(self.ptr(pop.index), f"{pop.name} has no incoming connection, "
                                                "so it cannot be reached from input")
        self.check_paths(pops, by_name, report_unreachable=not unresolved)

    def unknown(self, pointer: str, name: str, choices: list[str], labels: set[str]) -> None:
        if name in labels:
            hint = " (it names a linear layer; connections name neuron layers)"
        else:  # difflib over thousands of names is slow: suggest for the first few only
            self.suggestions_left -= 1
            hint = did_you_mean(name, choices) if self.suggestions_left >= 0 else ""
        self.error(pointer, f"unknown population {show(name)}{hint}")

    def check_paths(self, pops: list[_Population], by_name: dict[str, _Population],
                    report_unreachable: bool) -> None:
        """Cycles (named), populations not reachable from input, and sizes along each connection."""
        order = {pop.name: n for n, pop in enumerate(pops)}
        status: dict[str, str] = {}  # name -> "input" (reached from input) | "cut" | "cycle"
        for pop in pops:
            path, index, name = [], {}, pop.name
            while name in by_name and name not in status and name not in index:
                index[name] = len(path)
                path.append(name)
                name = by_name[name].source
            end = "input" if name == "input" or status.get(name) == "input" else "cut"
            if name in index:
                cycle = list(reversed(path[index[name]:]))
                first = min(range(len(cycle)), key=lambda k: order[cycle[k]])
                cycle = cycle[first:] + cycle[:first]
                status.update((n, "cycle") for n in cycle)
                self.error(by_name[cycle[0]].via,
                           "connections form a cycle: " + " -> ".join([*cycle, cycle[0]]))
            for n in path:
                status.setdefault(n, end)
        input_pop: _Population | None = None
        for pop in pops:
            if status[pop.name] == "cut" and pop.source is not None and report_unreachable:
                self.error(pop.via, f"{pop.name} is not reachable from input (it reads {pop.source})")
            if status[pop.name] != "input":
                continue
            if pop.source != "input":
                if pop.in_features != by_name[pop.source].size:
                    self.mismatch(pop, by_name[pop.source])
            elif input_pop is None:
                input_pop = pop
            elif pop.in_features != input_pop.in_features:
                self.error(self.ptr(pop.linear, "in_features"),
                           f"{pop.in_features} does not match the {input_pop.in_features} features "
                           f"of input (set by {self.ptr(input_pop.linear, 'in_features')[1:]})")

    # -- the graph ------------------------------------------------------------
    def graph(self, attrs: ModelAttrs, pops: list[_Population]) -> Graph:
        g = Graph(attrs)
        first = next(pop for pop in pops if pop.source == "input")
        g.add_op(InputOp("input", first.in_features, self.loc(self.ptr(first.linear, "in_features"))))
        for pop in pops:
            linear, layer = self.layers[pop.linear], self.layers[pop.index]
            g.add_op(DenseOp(projection_name(pop.name), pop.in_features, pop.size,
                             linear.get("bias", True), self.loc(self.ptr(pop.linear))))
            written = tuple((key, self.loc(self.ptr(pop.index, key))) for key in layer if key in NEURON_KEYS)
            g.add_op(PopulationOp(pop.name, pop.size, self.neurons[pop.index], self.loc(self.ptr(pop.index)),
                                  note=layer.get("note"), written=written))
        for pop in pops:
            g.add_edge(pop.source, projection_name(pop.name))
            g.add_edge(projection_name(pop.name), pop.name)
        return g

    def translate_neurons(self, dt: float, simulator: str) -> None:
        for i, layer in enumerate(self.layers):
            if layer["type"] == "linear":
                continue
            try:
                self.neurons[i] = neuron_from_layer(layer, simulator, dt)
            except NeuronSpecError as err:
                for problem in err.problems:
                    where = self.ptr(i) + (f"/{problem.where}" if problem.where else "")
                    self.error(where, problem.message)


def _name_problem(name: str) -> str | None:
    if name == "input":
        return "'input' is the external input; choose another name"
    if keyword.iskeyword(name):
        return f"{show(name)} is a Python keyword; choose another name"
    if name in _RESERVED:
        return f"{show(name)} is a Python builtin; choose another name"
    if name.startswith("__"):
        return f"{show(name)}: names starting with '__' are reserved"
    return None


def build_graph(spec: dict, attrs: ModelAttrs, source: SourceText) -> Graph:
    """The IR graph of a schema-valid spec; raises CompileError with every problem found."""
    b = _Builder(spec, source)
    pops = b.populations()
    b.check_names(pops)
    wiring_known = not b.errors  # sources and sizes need the layer order and names right
    b.translate_neurons(attrs.dt, attrs.source_simulator)
    if wiring_known:
        if "connections" in spec:
            b.connect(pops)
        else:
            b.chain(pops)
    if b.errors:
        raise CompileError(b.errors)
    return b.graph(attrs, pops)
