"""From a schema-valid spec's layers and connections to the IR graph.

Names. Every layer may have a `name` (unique; `input` is reserved). An unnamed
neuron layer is `layer_k` (k counts neuron layers from 1, as in v1); an unnamed
stateless layer is `<type>_<i>` in the IR (i: its index in the layer list), a
name connections cannot use. Weight keys: a named parametric layer's weights are
`<name>.weight` / `<name>.bias`; an unnamed one that is the only parametric layer
in the run of stateless layers just before a neuron layer uses that neuron
layer's name (v1's `<population>.weight`); any other unnamed one `<type>_<i>`.

Wiring (DESIGN.md v2). Without `connections` every layer reads the one before it
(the first reads input). With them, a layer that is the target of connections
reads their sum, in the order listed; every other layer reads the one before it.
A connection whose both ends are neuron layers (or input) has the paper's v1
meaning: the stateless layers just before the target neuron layer read the
source. A connection whose target is listed at or before its source is feedback:
it carries the source's output from the previous time step.

Checks, each a located diagnostic: names, unknown or duplicate connections,
mixed connection forms, shapes through every layer (conv/pool sizes, flatten
against the next linear, sums of different shapes), cycles without a neuron
layer, layers whose output nothing reads, layers not reachable from input.
Every problem found is reported together in one `CompileError`.
"""

from __future__ import annotations

import builtins
import keyword
from dataclasses import dataclass, field

import networkx as nx

from ir import Graph, InputOp, Loc, ModelAttrs, Neuron, Operand, PopulationOp
from ir.ops import op_class

from ..diagnostics import CompileError, Diagnostic, did_you_mean, show
from .jsonsource import SourceText, pointer_join
from .vocabulary import NEURON_KEYS, NeuronSpecError, neuron_from_layer

_RESERVED = frozenset(dir(builtins))
NEURON_TYPES = ("LIFNode", "IFNode", "NonSpikingLIFNode", "NonSpikingIFNode", "CUBALIFNode",
                "ParametricLIFNode")
MAX_SUGGESTIONS = 20  # did-you-mean hints for unknown names, per spec


@dataclass
class _Layer:
    index: int
    spec: dict
    name: str
    explicit: bool
    key: str = ""
    operands: list[tuple[str, int, str | None]] = field(default_factory=list)  # (source, delay, via pointer)
    shape: tuple[int, ...] | None = None

    @property
    def type(self) -> str:
        return self.spec["type"]

    @property
    def parametric(self) -> bool:
        return not self.neuron and op_class(self.type).parametric

    @property
    def neuron(self) -> bool:
        return self.type in NEURON_TYPES


class _Builder:
    def __init__(self, spec: dict, source: SourceText, attrs: ModelAttrs):
        self.spec, self.source, self.attrs = spec, source, attrs
        self.key = "layers" if "layers" in spec else "layer"
        self.errors: list[Diagnostic] = []
        self.neurons: dict[int, Neuron] = {}
        self.suggestions_left = MAX_SUGGESTIONS
        self.layers: list[_Layer] = []
        self.by_name: dict[str, _Layer] = {}  # names connections may use: given ones and layer_k
        self.all: dict[str, _Layer] = {}  # every layer by its IR name
        self.input_shape: tuple[int, ...] | None = None

    def ptr(self, index: int, *keys: str) -> str:
        out = pointer_join(f"/{self.key}", index)
        for key in keys:
            out = pointer_join(out, key)
        return out

    def error(self, pointer: str, message: str) -> None:
        self.errors.append(self.source.diagnostic(pointer, message))

    def loc(self, pointer: str) -> Loc:
        return Loc(pointer, *self.source.map.value(pointer))

    def where(self, layer: _Layer) -> str:
        """How a message names a layer: its name, and where an unnamed one is."""
        return layer.name if layer.explicit or layer.neuron else f"the {layer.type} layer at {self.ptr(layer.index)[1:]}"

    # -- names and weight keys ---------------------------------------------------
    def name_layers(self) -> None:
        count = 0
        explicit = {layer["name"] for layer in self.spec[self.key] if "name" in layer}
        seen: dict[str, int] = {}
        for i, spec in enumerate(self.spec[self.key]):
            if spec["type"] in NEURON_TYPES:
                count += 1
            if "name" in spec:
                name, is_explicit = spec["name"], True
            elif spec["type"] in NEURON_TYPES:
                name, is_explicit = f"layer_{count}", False
            else:
                name, k = f"{spec['type']}_{i}", 1
                while name in explicit or name in seen:
                    name, k = f"{spec['type']}_{i}_{k}", k + 1
                is_explicit = False
            layer = _Layer(i, spec, name, is_explicit)
            self.layers.append(layer)
            where = self.ptr(i, "name") if is_explicit else self.ptr(i)
            problem = _name_problem(name) if is_explicit else None
            if problem:
                self.error(where, problem)
            elif name in seen:
                kind = "population" if spec["type"] in NEURON_TYPES else "layer"
                self.error(where, f"duplicate {kind} name {show(name)} (also the name of {self.ptr(seen[name])[1:]})")
            else:
                seen[name] = i
                self.all[name] = layer
                if is_explicit or spec["type"] in NEURON_TYPES:
                    self.by_name[name] = layer

    def check_values(self) -> None:
        """Layer values the schema cannot bound (a scale factor must be a float32 number): each kind says."""
        for layer in self.layers:
            if not layer.neuron:
                for key, message in op_class(layer.type).spec_problems(layer.type, layer.spec):
                    self.error(self.ptr(layer.index, key), message)

    def weight_keys(self) -> None:
        owner: dict[str, int] = {}
        for run, population in self.front_runs():
            parametric = [lay for lay in run if lay.parametric]
            if len(parametric) == 1 and not parametric[0].explicit and population is not None:
                parametric[0].key = population.name
        for layer in self.layers:
            if not layer.parametric:
                continue
            if not layer.key:
                layer.key = layer.name if layer.explicit else f"{layer.type}_{layer.index}"
            if layer.key in owner:
                self.error(self.ptr(layer.index), f"its weight key {show(layer.key)} is also the weight key of "
                                                  f"{self.ptr(owner[layer.key])[1:]}; give one of them a name")
            elif (not layer.explicit and layer.key in self.all and self.all[layer.key] is not layer
                  and self.all[layer.key].parametric):
                self.error(self.ptr(layer.index), f"its weight key {show(layer.key)} is the name of another layer "
                                                  f"({self.ptr(self.all[layer.key].index)[1:]}); name this one")
            owner[layer.key] = layer.index

    def front_runs(self) -> list[tuple[list[_Layer], _Layer | None]]:
        """(stateless layers just before a neuron layer, that neuron layer); a trailing run has None."""
        out, run = [], []
        for layer in self.layers:
            if layer.neuron:
                out.append((run, layer))
                run = []
            else:
                run.append(layer)
        if run:
            out.append((run, None))
        return out

    # -- wiring ---------------------------------------------------------------------
    def wire(self) -> None:
        front = {pop.name: run for run, pop in self.front_runs() if pop is not None}
        position = {layer.name: layer.index for layer in self.layers}
        position["input"] = -1
        incoming: dict[str, list[tuple[str, int, str]]] = {}
        forms: dict[str, tuple[str, str]] = {}  # target -> (form, pointer of its first connection)
        seen: dict[tuple[str, str], str] = {}
        names = ["input", *self.by_name]
        for i, conn in enumerate(self.spec.get("connections", ())):
            here = pointer_join("/connections", i)
            src, dst = conn["source"], conn["target"]
            known = True
            if dst == "input":
                self.error(pointer_join(here, "target"), "input is the external input; it cannot be a target")
                known = False
            elif dst not in self.by_name:
                self.unknown(pointer_join(here, "target"), dst, names[1:])
                known = False
            if src != "input" and src not in self.by_name:
                self.unknown(pointer_join(here, "source"), src, names)
                known = False
            if not known:
                continue
            if (src, dst) in seen:
                self.error(here, f"duplicate connection {src} -> {dst} (also {seen[src, dst][1:]})")
                continue
            seen[src, dst] = here
            target = self.by_name[dst]
            paper = target.neuron and (src == "input" or self.by_name[src].neuron)
            form = "paper" if paper else "general"
            if dst in forms and forms[dst][0] != form:
                self.error(here, f"{dst} is the target of a connection between neuron layers "
                                 f"({'here' if form == 'paper' else forms[dst][1][1:]}) and of a connection from "
                                 f"a stateless layer ({forms[dst][1][1:] if form == 'paper' else 'here'}); "
                                 "use one form for one target")
                continue
            forms.setdefault(dst, (form, here))
            delay = 1 if position[dst] <= position[src] else 0
            reader = front[dst][0].name if paper and front.get(dst) else dst
            incoming.setdefault(reader, []).append((src, delay, here))
        for k, layer in enumerate(self.layers):
            if layer.name in incoming:
                layer.operands = list(incoming[layer.name])
            else:
                layer.operands = [(self.layers[k - 1].name if k else "input", 0, None)]

    def unknown(self, pointer: str, name: str, choices: list[str]) -> None:
        self.suggestions_left -= 1  # difflib over thousands of names is slow: suggest for the first few
        hint = did_you_mean(name, choices) if self.suggestions_left >= 0 else ""
        self.error(pointer, f"unknown layer {show(name)}{hint}")

    # -- shapes -------------------------------------------------------------------------
    def infer_input(self) -> None:
        if "input_shape" in self.spec:
            self.input_shape = tuple(self.spec["input_shape"])
            return
        readers = [lay for lay in self.layers if any(src == "input" for src, _, _ in lay.operands)]
        first = self.layers[0]

        def implied(layer: _Layer):
            return None if layer.neuron else op_class(layer.type).input_from_spec(layer.type, layer.spec)

        if implied(first) is None:
            self.error("", f"missing required key 'input_shape': the first layer is a {first.type}, "
                           "so the shape of the input must be given ([n], [C, L] or [C, H, W])")
        elif readers and all(implied(lay) is not None for lay in readers):
            self.input_shape = implied(readers[0])
        elif readers:
            other = next(lay for lay in readers if implied(lay) is None)
            self.error(self.ptr(other.index), f"a {other.type} reads input, so the shape of the input must be "
                                              "given: add \"input_shape\" ([n], [C, L] or [C, H, W])")

    def infer_shapes(self) -> None:
        shapes: dict[str, tuple[int, ...]] = {"input": self.input_shape}
        ops = {lay.name: self.stateless_op(lay) for lay in self.layers if not lay.neuron}
        pending = list(self.layers)
        while pending:  # feedback operands may name later layers: repeat until nothing new is known
            progressed, left = False, []
            for layer in pending:
                known = [src for src, _, _ in layer.operands if src in shapes]
                if not known:
                    left.append(layer)
                    continue
                progressed = True
                shape = shapes[known[0]]
                if layer.neuron:
                    shapes[layer.name] = layer.shape = shape
                    continue
                out = ops[layer.name].infer_shape(shape)
                if isinstance(out, str):
                    self.shape_error(layer, shape, out, known[0])
                    return
                shapes[layer.name] = layer.shape = out
            if not progressed:
                for layer in left:
                    self.error(self.ptr(layer.index), f"{self.where(layer)} reads only feedback of layers "
                                                      "that nothing drives: its shape is unknown")
                return
            pending = left
        for layer in self.layers:  # now that every shape is known, feedback operands included
            self.check_sum(layer, shapes)

    def check_sum(self, layer: _Layer, shapes: dict) -> None:
        parts = [(src, via) for src, _, via in layer.operands if src in shapes]
        if len(parts) == len(layer.operands) and len({shapes[s] for s, _ in parts}) > 1:
            via = next((v for _, v in parts[1:] if v), None) or self.ptr(layer.index)
            listed = ", ".join(f"{list(shapes[s])} from {s}" for s, _ in parts)
            self.error(via, f"{self.where(layer)} sums {listed}: the shapes must agree")

    def shape_error(self, layer: _Layer, shape: tuple[int, ...], message: str, src: str) -> None:
        source = f"the input (shape {list(shape)})" if src == "input" else self.describe(src, shape)
        reads = op_class(layer.type).reads(layer.type)  # the key stating the input's first dimension
        if reads and len(shape) in reads[2] and shape[0] != layer.spec[reads[0]]:
            key, noun, _ = reads
            where, message = key, f"{layer.spec[key]} does not match the {shape[0]} {noun} of {source}"
        elif "larger than" in message or "padding" in message:
            where = "kernel_size"
        else:
            where, message = "", f"{message} (it reads {source})"
        self.error(self.ptr(layer.index, *([where] if where else [])), message)

    def describe(self, name: str, shape: tuple[int, ...]) -> str:
        layer = self.all[name]
        if layer.neuron or layer.explicit:
            return f"{name} ({self.ptr(layer.index)[1:]}, shape {list(shape)})"
        return f"the {layer.type} layer at {self.ptr(layer.index)[1:]} (shape {list(shape)})"

    def stateless_op(self, layer: _Layer):
        """The op of a stateless layer, as its kind builds it from the spec (an unknown kind is an
        internal error: the schema admits only registered ones)."""
        bindsnet = self.attrs.source_simulator == "bindsnet"
        return op_class(layer.type).from_spec(layer.type, layer.spec, bindsnet).replace(name=layer.name)

    # -- structure ------------------------------------------------------------------
    def check_structure(self) -> None:
        g = nx.DiGraph()
        g.add_node("input")
        for layer in self.layers:
            g.add_node(layer.name)
            for src, _, _ in layer.operands:
                g.add_edge(src, layer.name)
        neurons = {lay.name for lay in self.layers if lay.neuron}
        via = {(src, lay.name): v for lay in self.layers for src, _, v in lay.operands}
        stateless = g.subgraph(n for n in g if n not in neurons)  # a cycle here passes no neuron layer,
        for component in nx.strongly_connected_components(stateless):  # even inside a larger one that does
            cyclic = len(component) > 1 or any(g.has_edge(n, n) for n in component)
            if cyclic:
                first = min(component, key=lambda n: self.all[n].index)
                edges = nx.find_cycle(stateless.subgraph(component), first)
                cycle = [e[0] for e in edges] + [first]
                pointer = next((via[e[:2]] for e in edges if via.get(e[:2])), self.ptr(0))
                self.error(pointer, "a feedback cycle without a neuron layer: " + " -> ".join(cycle))
        for component in nx.strongly_connected_components(g):
            if len(component) < 2 and not any(g.has_edge(n, n) for n in component):
                continue
            for name in sorted(component, key=lambda n: self.all[n].index):
                layer = self.all[name]
                if not layer.neuron and not op_class(layer.type).per_step:
                    self.error(self.ptr(layer.index), (
                        f"{self.where(layer)} is inside a feedback cycle; a {layer.type} layer works on the "
                        "whole sequence at once (statistics, masks or time shifts over all steps), which a "
                        "cycle computes one step at a time: move it out of the cycle"))
        if not g.out_degree("input"):
            self.error(f"/{self.key}", "no layer reads input")
        reachable = nx.descendants(g, "input")
        for layer in self.layers:
            if layer.name not in reachable and layer.neuron:
                src, via = self.first_connection(layer)
                if via:
                    self.error(via, f"{layer.name} is not reachable from input (it reads {src})")
                else:
                    self.error(self.ptr(layer.index), f"{layer.name} is not reachable from input")
            if not layer.neuron and not g.out_degree(layer.name):
                self.error(self.ptr(layer.index), f"nothing reads the output of {self.where(layer)}: "
                                                  "connect it to a neuron layer, or remove it")

    def first_connection(self, layer: _Layer) -> tuple[str, str | None]:
        """What `layer` reads through the first connection on its way back (its source, and the
        connection's pointer), following the stateless layers in front of it."""
        seen = set()
        while layer.name not in seen:
            seen.add(layer.name)
            src, _, via = layer.operands[0]
            if via or src == "input" or self.all[src].neuron:
                return src, via
            layer = self.all[src]
        return layer.operands[0][0], None

    # -- neurons and the graph -----------------------------------------------------------
    def translate_neurons(self, dt: float, simulator: str) -> None:
        for layer in self.layers:
            if not layer.neuron:
                continue
            try:
                self.neurons[layer.index] = neuron_from_layer(layer.spec, simulator, dt)
            except NeuronSpecError as err:
                for problem in err.problems:
                    where = self.ptr(layer.index) + (f"/{problem.where}" if problem.where else "")
                    self.error(where, problem.message)

    def graph(self) -> Graph:
        g = Graph(self.attrs)
        in_ptr = "/input_shape" if "input_shape" in self.spec else self.ptr(0, "in_features")
        g.add_op(InputOp(name="input", shape=self.input_shape, loc=self.loc(in_ptr)))
        delayed: dict[str, bool] = {"input": False}
        for layer in self.layers:  # graph order: feedback operands of a stateless layer are resolved below
            delayed[layer.name] = False
        for layer in self.layers:
            if not layer.neuron:
                delayed[layer.name] = all(d or delayed.get(s, False) for s, d, _ in layer.operands)
        for layer in self.layers:
            operands = tuple(Operand(src, delay) for src, delay, _ in layer.operands)
            common = dict(name=layer.name, operands=operands, shape=layer.shape,
                          loc=self.loc(self.ptr(layer.index)), note=layer.spec.get("note"))
            s = layer.spec
            if layer.neuron:
                neuron = self.neurons[layer.index]
                if neuron.LATE_FEEDBACK:  # RLeaky: delayed (feedback) terms come after the charge
                    late = [o for o in operands if o.delay or delayed.get(o.src, False)]
                    if late and len(late) < len(operands):  # all late: beta*m + 0 + terms is beta*m + terms
                        operands = tuple(o for o in operands if o not in late) + tuple(late)
                        neuron = neuron.with_late(len(late))
                        common["operands"] = operands
                written = tuple((key, self.loc(self.ptr(layer.index, key))) for key in s if key in NEURON_KEYS)
                g.add_op(PopulationOp(**common, neuron=neuron, written=written))
                continue
            op = self.stateless_op(layer)
            extra = dict(key=layer.key) if op.parametric else {}
            g.add_op(op.replace(**common, **extra))
        return g


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
    b = _Builder(spec, source, attrs)
    b.name_layers()
    if not b.errors:  # wiring needs the names; each later check needs the ones before it
        for check in (b.check_values, b.weight_keys, b.wire, b.infer_input, b.check_structure, b.infer_shapes):
            before = len(b.errors)
            check()
            if len(b.errors) > before:
                break
    b.translate_neurons(attrs.dt, attrs.source_simulator)  # independent of the wiring
    if b.errors:
        raise CompileError(b.errors)
    return b.graph()
