"""A strict JSON parser that remembers where every value and key was written.

`parse(text)` returns plain Python values (dict, list, str, int, float, bool,
None; integers stay int) and a `SourceMap` from JSON pointer to the 1-based
line and column (in characters) of each value, and of each object member's key.

It accepts exactly RFC 8259 JSON and fails on the first problem with a
`JsonSyntaxError` that says what is wrong and where: trailing commas, comments,
single quotes, unquoted keys, duplicate keys (at the second one), NaN and
Infinity, raw control characters and bad escapes in strings, lone surrogates,
numbers that overflow a float, nesting deeper than `MAX_DEPTH`, trailing text.
A byte order mark is not JSON either: callers strip a leading one (see
`compiler.frontend`) before parsing, so positions do not count it.
"""

from __future__ import annotations

import bisect
import re
import sys
import unicodedata
from dataclasses import dataclass, field

from ..diagnostics import Diagnostic, show

MAX_DEPTH = 64  # nested arrays/objects
MAX_NUMBER_CHARS = 1000  # longer number literals are refused, not parsed

_WS = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")
_NUMBER_TOKEN = re.compile(r"[-+0-9A-Za-z_.]+")  # what a reader takes for "the number"
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PLAIN = re.compile(r'[^"\\\x00-\x1f\ud800-\udfff]*')  # string characters needing no care
_HEX4 = re.compile(r"[0-9a-fA-F]{4}")
_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_MISTAKEN_WORDS = {
    "NaN": "NaN is not allowed in JSON",
    "Infinity": "Infinity is not allowed in JSON",
    "True": "True is not JSON; write true",
    "False": "False is not JSON; write false",
    "None": "None is not JSON; write null",
    "undefined": "undefined is not JSON; write null",
}


class JsonSyntaxError(Exception):
    def __init__(self, message: str, line: int, col: int):
        self.message, self.line, self.col = message, line, col
        super().__init__(f"{line}:{col}: {message}")


@dataclass
class SourceMap:
    """JSON pointer -> (line, col) of each value, and of each member's key."""

    values: dict[str, tuple[int, int]] = field(default_factory=dict)
    keys: dict[str, tuple[int, int]] = field(default_factory=dict)

    def value(self, pointer: str) -> tuple[int, int]:
        """Where the value at `pointer` starts, else where its nearest known ancestor does."""
        while pointer not in self.values and pointer:
            pointer = pointer.rsplit("/", 1)[0]
        return self.values.get(pointer, (0, 0))

    def key(self, pointer: str) -> tuple[int, int]:
        """Where the key of the member at `pointer` is written (its value if not a member)."""
        return self.keys.get(pointer) or self.value(pointer)


@dataclass
class SourceText:
    """A parsed file: its name, its lines and its map, to turn pointers into diagnostics."""

    filename: str
    text: str
    map: SourceMap

    def __post_init__(self) -> None:
        self._lines = self.text.split("\n")

    def line(self, number: int) -> str | None:
        if 1 <= number <= len(self._lines):
            return self._lines[number - 1].rstrip("\r")
        return None

    def at(self, line: int, col: int, message: str, severity: str = "error",
           pointer: str | None = None) -> Diagnostic:
        return Diagnostic(severity, message, self.filename, line, col, pointer, self.line(line))

    def diagnostic(self, pointer: str, message: str, severity: str = "error",
                   *, at_key: bool = False, subject: str | None = None) -> Diagnostic:
        """A diagnostic at the value (or key) of `pointer`, about `subject` (default `pointer`)."""
        line, col = self.map.key(pointer) if at_key else self.map.value(pointer)
        return self.at(line, col, message, severity, pointer if subject is None else subject)


def pointer_join(parent: str, token: str | int) -> str:
    """RFC 6901: the pointer of member/element `token` of the value at `parent`."""
    return f"{parent}/{str(token).replace('~', '~0').replace('/', '~1')}"


def parse(text: str) -> tuple[object, SourceMap]:
    return _Parser(text).document()


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.n = len(text)
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self.map = SourceMap()

    # -- positions and errors ---------------------------------------------
    def pos(self, offset: int) -> tuple[int, int]:
        row = bisect.bisect_right(self.line_starts, offset) - 1
        return row + 1, offset - self.line_starts[row] + 1

    def fail(self, offset: int, message: str):
        raise JsonSyntaxError(message, *self.pos(offset))

    def found(self, i: int) -> str:
        if i >= self.n:
            return "the end of the file"
        ch = self.text[i]
        if ch.isprintable():
            return repr(ch)
        name = unicodedata.name(ch, "")
        return f"U+{ord(ch):04X}" + (f" ({name})" if name else "")

    def where(self, offset: int) -> str:
        line, col = self.pos(offset)
        return f"line {line}, column {col}"

    # -- grammar ----------------------------------------------------------
    def document(self) -> tuple[object, SourceMap]:
        i = self.skip(0)
        if i >= self.n:
            self.fail(0, "empty file: expected a JSON value")
        value, i = self.value(i, "", 0)
        i = self.skip(i)
        if i < self.n:
            self.fail(i, f"unexpected {self.found(i)} after the end of the JSON value")
        return value, self.map

    def skip(self, i: int) -> int:
        i = _WS.match(self.text, i).end()
        if self.text.startswith(("//", "/*", "#"), i):
            self.fail(i, "comments are not allowed in JSON")
        return i

    def value(self, i: int, ptr: str, depth: int):
        i = self.skip(i)
        if i >= self.n:
            self.fail(i, "unexpected end of file: expected a value")
        self.map.values[ptr] = self.pos(i)
        ch = self.text[i]
        if ch == "{":
            return self.object(i, ptr, depth + 1)
        if ch == "[":
            return self.array(i, ptr, depth + 1)
        if ch == '"':
            return self.string(i)
        if ch == "'":
            self.fail(i, "strings must use double quotes, not single quotes")
        if ch == "-" or ch == "." or ch == "+" or ch.isdigit():
            return self.number(i)
        word = _WORD.match(self.text, i)
        if word:
            literal = {"true": True, "false": False, "null": None}
            if word.group() in literal:
                return literal[word.group()], word.end()
            self.fail(i, _MISTAKEN_WORDS.get(
                word.group(), f"unexpected word {show(word.group())}; strings need double quotes"))
        self.fail(i, f"expected a value, found {self.found(i)}")

    def object(self, start: int, ptr: str, depth: int):
        if depth > MAX_DEPTH:
            self.fail(start, f"nesting is deeper than {MAX_DEPTH} levels")
        obj: dict[str, object] = {}
        i = self.skip(start + 1)
        if i < self.n and self.text[i] == "}":
            return obj, i + 1
        while True:
            key, child, i = self.key(i, start, ptr, obj)
            i = self.skip(i)
            if i >= self.n or self.text[i] != ":":
                self.fail(i, f"expected ':' after the key {show(key)}, found {self.found(i)}")
            obj[key], i = self.value(i + 1, child, depth)
            i = self.after_item(i, start, "}", "member")
            if self.text[i] == "}":
                return obj, i + 1
            i = self.skip(i + 1)

    def key(self, i: int, start: int, ptr: str, obj: dict) -> tuple[str, str, int]:
        i = self.skip(i)
        if i >= self.n:
            self.fail(i, f"unexpected end of file: the '{{' at {self.where(start)} is not closed")
        ch = self.text[i]
        if ch == "'":
            self.fail(i, "strings must use double quotes, not single quotes")
        if ch != '"':
            word = _WORD.match(self.text, i)
            if word:
                self.fail(i, f"object keys must be in double quotes: write \"{word.group()}\"")
            self.fail(i, f"expected a key in double quotes, found {self.found(i)}")
        key, end = self.string(i)
        child = pointer_join(ptr, key)
        if key in obj:
            line, col = self.map.keys[child]
            self.fail(i, f"duplicate key {show(key)} (first at line {line}, column {col})")
        self.map.keys[child] = self.pos(i)
        return key, child, end

    def array(self, start: int, ptr: str, depth: int):
        if depth > MAX_DEPTH:
            self.fail(start, f"nesting is deeper than {MAX_DEPTH} levels")
        items: list[object] = []
        i = self.skip(start + 1)
        if i < self.n and self.text[i] == "]":
            return items, i + 1
        while True:
            item, i = self.value(i, pointer_join(ptr, len(items)), depth)
            items.append(item)
            i = self.after_item(i, start, "]", "element")
            if self.text[i] == "]":
                return items, i + 1
            i = self.skip(i + 1)

    def after_item(self, i: int, start: int, close: str, what: str) -> int:
        """Past an item: the offset of the ',' or `close` that follows it (a trailing ',' fails)."""
        i = self.skip(i)
        opener = "{" if close == "}" else "["
        if i >= self.n:
            self.fail(i, f"unexpected end of file: the '{opener}' at {self.where(start)} is not closed")
        ch = self.text[i]
        if ch == close:
            return i
        if ch != ",":
            self.fail(i, f"expected ',' or '{close}' after the {what}, found {self.found(i)}")
        after = self.skip(i + 1)
        if after < self.n and self.text[after] == close:
            self.fail(i, f"trailing comma before '{close}' is not allowed in JSON")
        return i

    def string(self, start: int) -> tuple[str, int]:
        parts: list[str] = []
        i = start + 1
        while True:
            plain = _PLAIN.match(self.text, i)
            parts.append(plain.group())
            i = plain.end()
            if i >= self.n or (i == self.n - 1 and self.text[i] == "\\"):
                self.fail(start, "unterminated string")
            ch = self.text[i]
            if ch == '"':
                return "".join(parts), i + 1
            if ch == "\\":
                char, i = self.escape(i)
                parts.append(char)
            elif ch == "\n":
                self.fail(i, "unescaped line break in a string (is a closing '\"' missing?)")
            elif ch < " ":
                self.fail(i, f"control character U+{ord(ch):04X} in a string must be escaped")
            else:
                self.fail(i, f"lone surrogate U+{ord(ch):04X} in a string")

    def escape(self, i: int) -> tuple[str, int]:
        """Decode the escape at `i` (a backslash); return the character and the offset after it."""
        code = self.text[i + 1: i + 2]
        if code in _ESCAPES:
            return _ESCAPES[code], i + 2
        if code != "u":
            shown = f"\\{code}" if code.isprintable() else f"'\\' followed by {self.found(i + 1)}"
            self.fail(i, f"invalid escape {shown} in a string")
        high = self.hex4(i)
        if 0xDC00 <= high <= 0xDFFF:
            self.fail(i, f"lone surrogate \\u{high:04x} in a string")
        if not 0xD800 <= high <= 0xDBFF:
            return chr(high), i + 6
        low = self.hex4(i + 6) if self.text.startswith("\\u", i + 6) else None
        if low is None or not 0xDC00 <= low <= 0xDFFF:
            self.fail(i, f"lone surrogate \\u{high:04x} in a string")
        return chr(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)), i + 12

    def hex4(self, i: int) -> int:
        digits = _HEX4.match(self.text, i + 2)
        if not digits:
            self.fail(i, "invalid \\u escape: expected 4 hexadecimal digits")
        return int(digits.group(), 16)

    def number(self, i: int):
        token = _NUMBER_TOKEN.match(self.text, i)
        token = token.group() if token else self.text[i]
        if token in ("-Infinity", "+Infinity"):
            self.fail(i, f"{token} is not allowed in JSON")
        if len(token) > MAX_NUMBER_CHARS:
            self.fail(i, f"number literal too long ({len(token)} characters)")
        match = _NUMBER.match(self.text, i)
        if not match or match.end() - i != len(token):
            self.fail(i, f"invalid number {show(token)}" + _number_hint(token))
        if match.group(1) or match.group(2):
            value = float(token)
            if value in (float("inf"), float("-inf")):
                self.fail(i, f"number {token} is out of range (it overflows a 64-bit float)")
        else:
            value = int(token)
            if abs(value) > sys.float_info.max:
                self.fail(i, f"integer {show(value)} is out of range (larger than any float)")
        return value, match.end()


def _number_hint(token: str) -> str:
    if token.startswith("+"):
        return ": a leading '+' is not allowed"
    if re.match(r"-?0[0-9]", token):
        return ": leading zeros are not allowed"
    if token.startswith((".", "-.")) or token.endswith(".") or ".e" in token.lower():
        return ": write digits on both sides of the '.'"
    if re.match(r"-?0[xXoObB]", token):
        return ": only decimal numbers are allowed"
    return ""
