"""Diagnostics: errors and warnings with a file position, rendered GCC/MLIR style.

    spec.json:14:22: error: layers/2/in_features: 128 does not match the 256 outputs of layer_1
        "in_features": 128,
                       ^

Everything rendered goes through `printable`, so no character taken from a spec
(newline, escape sequence, bidi override, line separator...) can reach the
terminal raw and fake lines or colours. Spec values inside messages are shown
with `show`, which quotes and shortens them.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, replace

EXIT_OK = 0
EXIT_SPEC_ERROR = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3

SEVERITIES = ("error", "warning", "note")

_SHOW_LIMIT = 60  # characters of a spec string shown inside a message
_EXCERPT_WIDTH = 100  # display columns of a source line shown under a message
_INDENT = "    "


@dataclass(frozen=True)
class Diagnostic:
    severity: str  # error | warning | note
    message: str
    file: str
    line: int = 0  # 1-based; 0 when the problem has no position
    col: int = 0  # 1-based, in characters
    pointer: str | None = None  # JSON pointer of the value concerned
    source_line: str | None = None  # the text of `line`, for the excerpt

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"unknown severity {self.severity!r}")

    def headline(self) -> str:
        """The first rendered line: ``file:line:col: severity: pointer: message``."""
        where = f"{self.file}:{self.line}:{self.col}" if self.line else self.file
        subject = f"{self.pointer[1:]}: " if self.pointer else ""
        return printable(f"{where}: {self.severity}: {subject}{self.message}")

    def render(self) -> str:
        """The headline, then the source line and a caret under the column."""
        if self.source_line is None or not self.line:
            return self.headline()
        text, caret = _excerpt(self.source_line, max(self.col, 1))
        return "\n".join((self.headline(), _INDENT + text, _INDENT + caret))


class CompileError(Exception):
    """One or more diagnostics that stop compilation, sorted by position."""

    def __init__(self, diagnostics: list[Diagnostic]):
        if not diagnostics:
            raise ValueError("a CompileError needs at least one diagnostic")
        self.diagnostics = sorted(diagnostics, key=lambda d: (d.line, d.col))
        super().__init__(self.render())

    def render(self) -> str:
        return "\n".join(d.render() for d in self.diagnostics)


def names_list(names: list[str], most: int = 3) -> str:
    """Names said compactly: runs of one prefix with consecutive numbers by their ends
    (``layer_1..layer_100``), and past `most` items the count of the rest
    (``h, layer_1..layer_4 and 7 more``)."""
    parts: list[tuple[str, int]] = []  # (text, how many names it stands for)
    run: list[tuple[str, str, int]] = []  # (name, prefix, number)

    def flush() -> None:
        if len(run) >= 3:
            parts.append((f"{run[0][0]}..{run[-1][0]}", len(run)))
        else:
            parts.extend((n, 1) for n, _, _ in run)
        run.clear()

    for name in names:
        match = re.fullmatch(r"(.*?)(\d+)", name)
        if match is None:
            flush()
            parts.append((name, 1))
            continue
        prefix, number = match.group(1), int(match.group(2))
        if not (run and prefix == run[-1][1] and number == run[-1][2] + 1):
            flush()
        run.append((name, prefix, number))
    flush()
    if len(parts) > most:
        shown = parts[: most - 1]
        rest = sum(count for _, count in parts[most - 1:])
        return f"{', '.join(text for text, _ in shown)} and {rest} more"
    texts = [text for text, _ in parts]
    return texts[0] if len(texts) == 1 else f"{', '.join(texts[:-1])} and {texts[-1]}"


def merge_repeats(diagnostics: list[Diagnostic], layers: dict[str, str]) -> list[Diagnostic]:
    """Diagnostics that say the same thing about several layers, as one at the first of them
    naming them all: a 100-layer chain gets one warning, not 100.

    `layers` maps a layer's JSON pointer (``"/layers/3"``) to its name. A diagnostic is about the
    layer its pointer starts with; two say the same thing when their severity, file, message
    and pointer below the layer (``"/rest"`` in ``"/layers/3/rest"``) agree. Order is kept
    (each group where its first member was); diagnostics about no layer are left alone.
    """
    groups: dict[object, tuple[Diagnostic, list[str]]] = {}
    for index, d in enumerate(diagnostics):
        pointer = d.pointer or ""
        head = "/".join(pointer.split("/")[:3])
        if head and head in layers:
            key = (d.severity, d.file, d.message, pointer[len(head):])
            groups.setdefault(key, (d, []))[1].append(layers[head])
        else:
            groups[index] = (d, [])
    out = []
    for first, names in groups.values():
        if len(names) > 1:
            first = replace(first, message=f"{first.message} (the same for {len(names)} layers: {names_list(names)})")
        out.append(first)
    return out


def layer_pointers(graph) -> dict[str, str]:
    """The JSON pointer of each layer object in the spec (``"/layers/3"``) -> its op's name, for
    `merge_repeats`; `graph` is an `ir.Graph` whose ops are located in the spec."""
    return {op.loc.pointer: op.name for op in graph.ops() if op.kind != "input" and op.loc.pointer}


def did_you_mean(word: str, choices) -> str:
    """``"; did you mean 'beta'?"`` for the closest choice (case-insensitive), else ``""``.

    Meant to be appended to a message: ``f"unknown key {show(k)}{did_you_mean(k, keys)}"``.
    """
    if not isinstance(word, str) or not word or len(word) > 100:
        return ""
    by_lower: dict[str, str] = {}
    for choice in choices:
        by_lower.setdefault(choice.lower(), choice)
    match = difflib.get_close_matches(word.lower(), list(by_lower), n=1, cutoff=0.6)
    return f"; did you mean {show(by_lower[match[0]])}?" if match else ""


def show(value: object) -> str:
    """A spec value as it appears in a message: JSON-like, quoted, shortened."""
    if isinstance(value, str):
        if len(value) > _SHOW_LIMIT:
            return repr(value[:_SHOW_LIMIT]) + "..."
        return repr(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        digits = str(value)
        return digits if len(digits) <= 20 else f"{digits[:12]}...({len(digits)} digits)"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return printable(repr(value))


def printable(text: str) -> str:
    """`text` with every non-printable character written as a Python escape."""
    return "".join(ch if ch.isprintable() else _escape(ch) for ch in text)


def _escape(ch: str) -> str:
    named = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}
    if ch in named:
        return named[ch]
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def _display(ch: str) -> str:
    """How one source character is shown in an excerpt."""
    if ch == "\t":
        return " "
    return ch if ch.isprintable() else _escape(ch)


def _width(shown: str) -> int:
    width = 0
    for ch in shown:
        if unicodedata.combining(ch):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


def _excerpt(line: str, col: int) -> tuple[str, str]:
    """The source line as shown, cut to a window around `col`, and its caret line."""
    pieces = [_display(ch) for ch in line]
    widths = [_width(p) for p in pieces]
    index = min(col - 1, len(pieces))
    start, end = 0, len(pieces)
    if sum(widths) > _EXCERPT_WIDTH:
        start = max(0, index - _EXCERPT_WIDTH // 2)
        end = start
        budget = _EXCERPT_WIDTH
        while end < len(pieces) and budget >= widths[end]:
            budget -= widths[end]
            end += 1
    head = "..." if start > 0 else ""
    tail = "..." if end < len(pieces) else ""
    text = head + "".join(pieces[start:end]) + tail
    caret = " " * (len(head) + sum(widths[start:index])) + "^"
    return text, caret
