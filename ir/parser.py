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

from .graph import Decision, Graph, ModelAttrs
from .neuron import Neuron, Surrogate
from .ops import NO_LOC, DenseOp, InputOp, Loc, PopulationOp
from .printer import HEADER_KEYS

_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<comment>//)
  | (?P<name>%(?:"(?:[^"\\]|\\.)*"|[A-Za-z_][A-Za-z0-9_.]*))
  | (?P<string>"(?:[^"\\]|\\.)*")
  | (?P<pointer>\#(?:"(?:[^"\\]|\\.)*"|[A-Za-z0-9_/~.\-]*))
  | (?P<number>-?(?:inf|nan)\b|-?\d+(?:\.\d*)?(?:[eE][+-]?\d+)?)
  | (?P<arrow>->)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*(?:-[A-Za-z0-9_]+)*)
  | (?P<punct>[=\[\]{}(),:@])
""", re.VERBOSE)
_HEADER = re.compile(r"// ([a-z_\-]+):(?: (.*))?")
_DECISION = re.compile(r'// decision (\S+) (%(?:"(?:[^"\\]|\\.)*"|[A-Za-z_][A-Za-z0-9_.]*)): (.*)')
_FIELDS = {HEADER_KEYS.get(f.name, f.name): f for f in dataclasses.fields(ModelAttrs)}
_NEURON_FIELDS = {f.name: f for f in dataclasses.fields(Neuron) if f.name != "kind"}


class ParseError(ValueError):
    def __init__(self, line: int, col: int, message: str):
        self.line, self.col = line, col
        super().__init__(f"<ir>:{line}:{col}: error: {message}")


def parse(text: str) -> Graph:
    """The graph that `ir.printer.print_graph` printed as `text` (not verified)."""
    header: dict[str, object] = {}
    pipeline: list[str] = []
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
        elif m := _HEADER.fullmatch(line):
            key, raw = m.group(1), m.group(2) or ""
            if key == "pipeline":
                pipeline = raw.split(",") if raw else []
            elif key == "changed-by":
                model_changed_by = raw
            elif key in _FIELDS:
                header[_FIELDS[key].name] = _coerce(_FIELDS[key], _Tokens(raw, number, len(key) + 5).whole_value())
            else:
                raise ParseError(number, 4, f"unknown header key {key!r}")
        else:
            raise ParseError(number, 1, "expected an op (%name = ...), a header (// key: value) or a decision")
    missing = [k for k, f in _FIELDS.items() if f.default is dataclasses.MISSING and f.name not in header]
    if missing:
        raise ParseError(1, 1, "missing header " + ", ".join(missing))
    if header.get("emit_order") is not None:
        header["emit_order"] = tuple(header["emit_order"])
    graph = Graph(ModelAttrs(**header))
    edges: list[tuple[str, str, int]] = []
    for number, line in op_lines:
        op, preds, changed_by = _Tokens(line, number).op_line()
        if op.name in graph:
            raise ParseError(number, 1, f"duplicate op {op.name!r}")
        graph.add_op(op)
        edges += [(p, op.name, number) for p in preds]
        if changed_by:
            graph.changed_by[op.name] = changed_by
    for src, dst, number in edges:
        if src not in graph:
            raise ParseError(number, 1, f"no op named {src!r}")
        graph.add_edge(src, dst)
    if model_changed_by:
        graph.changed_by["model"] = model_changed_by
    graph.decisions = decisions
    graph.pipeline = pipeline
    return graph


def _coerce(field: dataclasses.Field, value: object) -> object:
    """An int written where the field holds a float becomes a float."""
    if isinstance(value, int) and not isinstance(value, bool) and str(field.type).startswith("float"):
        return float(value)
    return value


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

    def peek(self, text: str | None = None) -> bool:
        return self.i < len(self.toks) and (text is None or self.toks[self.i][1] == text)

    def take(self, kind: str, text: str | None = None) -> str:
        if not self.peek() or self.toks[self.i][0] != kind or (text is not None and self.toks[self.i][1] != text):
            col = self.toks[self.i][2] if self.peek() else self.end_col
            found = repr(self.toks[self.i][1]) if self.peek() else "end of line"
            raise ParseError(self.line, col, f"expected {text or kind}, found {found}")
        self.i += 1
        return self.toks[self.i - 1][1]

    def punct(self, text: str) -> None:
        self.take("arrow" if text == "->" else "punct", text)

    def integer(self) -> int:
        col = self.toks[self.i][2] if self.peek() else self.end_col
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
            self.punct(")")
            return Surrogate(name, alpha)
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
        raise ParseError(self.line, self.toks[self.i][2] if self.peek() else self.end_col, "expected a value")

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
            key = self.take("ident")
            self.punct("=")
            out[key] = self.value()
        self.i += 1
        return out

    def op_line(self) -> tuple[object, list[str], str | None]:
        name = self.name()
        self.punct("=")
        col = self.toks[self.i][2] if self.peek() else self.end_col
        kind = self.take("ident")
        if kind == "input":
            self.punct("[")
            cls, fields = InputOp, {"size": self.integer()}
            self.punct("]")
        elif kind == "dense":
            self.punct("[")
            n_in = self.integer()
            self.punct("->")
            n_out = self.integer()
            self.punct("]")
            cls, fields = DenseOp, {"in_features": n_in, "out_features": n_out, **self._attrs(kind, {"bias"})}
        elif kind == "population":
            cls, fields = PopulationOp, self._population(col)
        else:
            raise ParseError(self.line, col, f"unknown op kind {kind!r}")
        preds: list[str] = []
        if self.peek("from"):
            self.i += 1
            preds.append(self.name())
            while self.peek(","):
                self.i += 1
                preds.append(self.name())
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
        return cls(name=name, loc=loc, **fields), preds, changed_by

    def _population(self, col: int) -> dict[str, object]:
        neuron_kind = self.take("ident")
        self.punct("[")
        size = self.integer()
        self.punct("]")
        attrs = self._attrs("population", {*_NEURON_FIELDS, "impl", "note", "written"})
        fields = {"size": size, **{k: attrs.pop(k) for k in ("impl", "note", "written") if k in attrs}}
        missing = [k for k, f in _NEURON_FIELDS.items() if f.default is dataclasses.MISSING and k not in attrs]
        if missing:
            raise ParseError(self.line, col, "a population needs " + ", ".join(missing))
        written = fields.get("written", ())
        if not all(isinstance(w, tuple) and isinstance(w[0], str) for w in written):
            raise ParseError(self.line, col, 'written must be a list of "key"@location')
        params = {k: _coerce(_NEURON_FIELDS[k], v) for k, v in attrs.items()}
        fields["neuron"] = Neuron(kind=neuron_kind, **params)
        return fields

    def _attrs(self, kind: str, allowed: set[str]) -> dict[str, object]:
        col = self.toks[self.i][2] if self.peek() else self.end_col
        attrs = self.attrs()
        unknown = sorted(set(attrs) - allowed)
        if unknown:
            raise ParseError(self.line, col, f"unknown {kind} attribute {unknown[0]!r}")
        return attrs
