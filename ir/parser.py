"""Read the textual IR written by `ir.printer` back into an `ir.Graph`.

`parse(text)` accepts exactly the printer's format (see `ir.printer`), plus blank
lines and banner comments starting with ``// -----`` (as written between dumps).
It does not verify the graph: call `ir.verify` for that. Errors are `ParseError`
with the line and column of the offending token.
"""

from __future__ import annotations

import dataclasses
import json
import re

from . import families
from .graph import Decision, Graph, ModelAttrs, Stage
from .neuron import Surrogate
from .ops import NO_LOC, OP_CLASSES, Loc, Operand, PopulationOp
from .printer import HEADER_KEYS

_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<comment>//)
  | (?P<name>%(?:"(?:[^"\\]|\\.)*"|[A-Za-z_][A-Za-z0-9_.]*))
  | (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<pointer>\#(?:"(?:[^"\\]|\\.)*"|[A-Za-z0-9_/~.\-]*))
  | (?P<number>-?(?:inf|nan)\b|-?\d+(?:\.\d*)?(?:[eE][+-]?\d+)?)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*(?:-[A-Za-z0-9_]+)*)
  | (?P<punct>[=\[\]{}(),:@])
""", re.VERBOSE)
_HEADER = re.compile(r"// ([a-z_\-]+):(?: (.*))?")
_RECORD = re.compile(r'// ([a-z]+) (".*)')
_DECISION = re.compile(r'// decision (\S+) (%(?:"(?:[^"\\]|\\.)*"|[A-Za-z_][A-Za-z0-9_.]*)): (.*)')
_FIELDS = {HEADER_KEYS.get(f.name, f.name): f for f in dataclasses.fields(ModelAttrs)}
_OP_FIELDS = {"impl", "note"}


class ParseError(ValueError):
    def __init__(self, line: int, col: int, message: str):
        self.line, self.col = line, col
        super().__init__(f"<ir>:{line}:{col}: error: {message}")


def parse(text: str) -> Graph:
    """The graph that `ir.printer.print_graph` printed as `text` (not verified)."""
    header: dict[str, object] = {}
    pipeline: list[str] = []
    schedule = None
    plan: list = []
    records = None
    model_changed_by = None
    op_lines: list[tuple[int, str]] = []
    decisions: list[Decision] = []
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.rstrip()
        if not line or line.startswith("// -----"):
            continue
        if line.startswith("%"):
            op_lines.append((number, line))
        elif m := _DECISION.fullmatch(line):
            subject = _Tokens(m.group(2), number).name()
            message = json.loads(m.group(3)) if m.group(3).startswith('"') else m.group(3)
            decisions.append(Decision(m.group(1), subject, message))
        elif m := _RECORD.fullmatch(line):
            if records is None:  # the targets' record classes, looked up once per text
                from .targets import plan_records

                records = plan_records()
            plan.append(_Tokens(m.group(2), number, len(m.group(1)) + 4).record(records.get(m.group(1)), m.group(1)))
        elif m := _HEADER.fullmatch(line):
            key, raw = m.group(1), m.group(2) or ""
            if key == "pipeline":
                pipeline = raw.split(",") if raw else []
            elif key == "changed-by":
                model_changed_by = raw
            elif key == "schedule":
                schedule = _stages(_Tokens(raw, number, 13).whole_value(), number)
            elif key in _FIELDS:
                header[_FIELDS[key].name] = _Tokens(raw, number, len(key) + 5).whole_value()
            else:
                raise ParseError(number, 4, f"unknown header key {key!r}")
        else:
            raise ParseError(number, 1, "expected an op (%name = ...), a header (// key: value) or a decision")
    missing = [k for k, f in _FIELDS.items() if f.default is dataclasses.MISSING and f.name not in header]
    if missing:
        raise ParseError(1, 1, "missing header " + ", ".join(missing))
    try:
        graph = Graph(ModelAttrs(**header))
    except TypeError as exc:
        raise ParseError(1, 1, f"bad header: {exc}") from None
    for number, line in op_lines:
        op, changed_by = _Tokens(line, number).op_line()
        if op.name in graph:
            raise ParseError(number, 1, f"duplicate op {op.name!r}")
        graph.add_op(op)
        if changed_by:
            graph.changed_by[op.name] = changed_by
    if model_changed_by:
        graph.changed_by["model"] = model_changed_by
    graph.schedule = schedule
    graph.plan = tuple(plan) if plan else None
    graph.decisions = decisions
    graph.pipeline = pipeline
    return graph


def _stages(value: object, line: int) -> tuple[Stage, ...]:
    if not isinstance(value, tuple) or not all(
            isinstance(s, tuple) and len(s) >= 2 and all(isinstance(x, str) for x in s) for s in value):
        raise ParseError(line, 13, 'a schedule is a list of ["layer" | "step", op, ...] lists')
    return tuple(Stage(s[0], tuple(s[1:])) for s in value)


class _Tokens:
    """A cursor over the tokens of one line."""

    def __init__(self, text: str, line: int, offset: int = 0):
        self.line, self.toks, pos = line, [], 0
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if not m:
                raise ParseError(line, offset + pos + 1, f"unexpected character {text[pos]!r}")
            if m.lastgroup != "ws":
                self.toks.append((m.lastgroup, m.group(), offset + pos + 1))
            pos = m.end()
        self.i = 0
        self.end_col = offset + len(text) + 1

    def col(self) -> int:
        return self.toks[self.i][2] if self.peek() else self.end_col

    def peek(self, text: str | None = None) -> bool:
        return self.i < len(self.toks) and (text is None or self.toks[self.i][1] == text)

    def take(self, kind: str, text: str | None = None) -> str:
        if not self.peek() or self.toks[self.i][0] != kind or (text is not None and self.toks[self.i][1] != text):
            found = repr(self.toks[self.i][1]) if self.peek() else "end of line"
            raise ParseError(self.line, self.col(), f"expected {text or kind}, found {found}")
        self.i += 1
        return self.toks[self.i - 1][1]

    def punct(self, text: str) -> None:
        self.take("punct", text)

    def integer(self) -> int:
        col = self.col()
        text = self.take("number")
        if not re.fullmatch(r"-?\d+", text):
            raise ParseError(self.line, col, f"expected an integer, found {text!r}")
        return int(text)

    def name(self) -> str:
        text = self.take("name")[1:]
        return json.loads(text) if text.startswith('"') else text

    def loc(self) -> Loc:
        line = col = 0
        if self.peek() and self.toks[self.i][0] == "number":
            line = self.integer()
            self.punct(":")
            col = self.integer()
        pointer = self.take("pointer")[1:]
        return Loc(json.loads(pointer) if pointer.startswith('"') else pointer, line, col)

    def value(self) -> object:
        kind, text, _ = self.toks[self.i] if self.peek() else ("end", "", self.end_col)
        if kind == "number":
            self.i += 1
            return int(text) if re.fullmatch(r"-?\d+", text) else float(text)
        if kind in ("string", "ident") and self.i + 1 < len(self.toks) and self.toks[self.i + 1][1] == "(":
            self.i += 2
            name = json.loads(text) if kind == "string" else text
            alpha = self.value()
            self.punct(",")
            flavor = self.value()
            self.punct(")")
            if not isinstance(flavor, str):
                raise ParseError(self.line, self.col(), "a surrogate's flavor is a string")
            return Surrogate(name, alpha, flavor)
        if kind == "string":
            self.i += 1
            return json.loads(text)
        if kind == "ident" and text in ("true", "false", "none"):
            self.i += 1
            return {"true": True, "false": False, "none": None}[text]
        if text == "[":
            self.i += 1
            items = []
            while not self.peek("]"):
                if items:
                    self.punct(",")
                item = self.value()
                if self.peek("@"):
                    self.i += 1
                    item = (item, self.loc())
                items.append(item)
            self.i += 1
            return tuple(items)
        raise ParseError(self.line, self.col(), "expected a value")

    def whole_value(self) -> object:
        value = self.value()
        if self.peek():
            raise ParseError(self.line, self.toks[self.i][2], "unexpected text after the value")
        return value

    def attrs(self) -> dict[str, object]:
        out: dict[str, object] = {}
        if not self.peek("{"):
            return out
        self.i += 1
        while not self.peek("}"):
            if out:
                self.punct(",")
            col = self.col()
            key = self.take("ident")
            if key in out:
                raise ParseError(self.line, col, f"duplicate attribute {key!r}")
            self.punct("=")
            out[key] = self.value()
        self.i += 1
        return out

    def record(self, cls, word: str):
        """A record of the target's plan, of `cls`, the class its target registered under `word` (None: none did)."""
        if cls is None:
            raise ParseError(self.line, 4, f"unknown plan record {word!r}")
        name = json.loads(self.take("string"))
        col = self.col()
        attrs = self.attrs()
        fields = [f.name for f in dataclasses.fields(cls) if f.name != "name"]
        if set(attrs) != set(fields):
            raise ParseError(self.line, col, f"a {word} has " + ", ".join(fields))
        problem = cls.problem(attrs) if hasattr(cls, "problem") else None
        if problem:
            raise ParseError(self.line, col, problem)
        return cls(name=name, **attrs)

    def op_line(self) -> tuple[object, str | None]:
        name = self.name()
        self.punct("=")
        col = self.col()
        kind = self.take("ident")
        if kind not in OP_CLASSES:
            raise ParseError(self.line, col, f"unknown op kind {kind!r}")
        operands: list[Operand] = []
        if self.peek("("):
            self.i += 1
            while not self.peek(")"):
                if operands:
                    self.punct(",")
                src = self.name()
                delay = 0
                if self.peek("["):
                    self.i += 1
                    self.take("ident", "t-1")
                    self.punct("]")
                    delay = 1
                operands.append(Operand(src, delay))
            self.i += 1
        self.punct(":")
        shape_col = self.col()
        shape = self.value()
        if not isinstance(shape, tuple) or not all(isinstance(n, int) for n in shape):
            raise ParseError(self.line, shape_col, "a shape is a list of integers")
        attrs_col = self.col()
        attrs = self.attrs()
        loc, changed_by = NO_LOC, None
        if self.peek("//"):
            self.i += 1
            loc = self.loc()
            if self.peek("changed-by"):
                self.i += 1
                self.punct(":")
                changed_by = self.take("ident")
        if self.peek():
            raise ParseError(self.line, self.toks[self.i][2], f"unexpected {self.toks[self.i][1]!r}")
        common = {k: attrs.pop(k) for k in _OP_FIELDS if k in attrs}
        try:
            if kind == "population":
                op = self._population(attrs, attrs_col, name=name, operands=tuple(operands), shape=shape,
                                      loc=loc, **common)
            else:
                op = OP_CLASSES[kind](name=name, operands=tuple(operands), shape=shape, loc=loc, **common, **attrs)
                if op.kind != kind:  # a class of several kinds (pooling modes, batch norm dimensions)
                    raise ParseError(self.line, attrs_col, f"the attributes of this {kind} op make it a {op.kind}")
        except TypeError as exc:
            raise ParseError(self.line, attrs_col, f"bad {kind} attributes: {exc}") from None
        return op, changed_by

    def _population(self, attrs: dict, col: int, **fields) -> PopulationOp:
        family = attrs.pop("family", None)
        home = families.find(family)
        if home is None:
            raise ParseError(self.line, col, f"a population needs a known family, not {family!r}")
        written = attrs.pop("written", ())
        if not all(isinstance(w, tuple) and len(w) == 2 and isinstance(w[0], str) and isinstance(w[1], Loc)
                   for w in written):
            raise ParseError(self.line, col, 'written must be a list of "key"@location')
        neuron = home.neuron(**attrs)
        return PopulationOp(neuron=neuron, written=written, **fields)
