"""FileCheck-style matching of printed text (after LLVM's FileCheck), for tests of the IR text.

A test that compares a whole printed graph with a golden string restates the printer:
one new attribute on any op rewrites every such test. `check(text, pattern)` instead
checks only the lines a test is about, in order::

    check(print_graph(graph), '''
        CHECK:      // pipeline: surrogate-swap
        CHECK:      %layer_1 = population(%linear_0)
        CHECK-SAME: surrogate=fast_sigmoid(25.0, "snntorch")
        CHECK-SAME: changed-by: surrogate-swap
        CHECK-NOT:  changed-by
        CHECK:      // decision surrogate-swap %layer_1:
    ''')

Directives, one per pattern line (blank pattern lines are ignored; any other line is a
mistake in the pattern and raises ValueError, so a misspelt directive cannot pass silently):

``CHECK: s``
    the first line after the previous match's line (from the first line, for the first
    directive) that contains `s`.
``CHECK-NEXT: s``
    the line right after the previous match's line must contain `s`.
``CHECK-SAME: s``
    the previous match's line must contain `s` after the end of that match.
``CHECK-NOT: s``
    `s` must not occur between the end of the previous match (the start of the text if
    none) and the start of the next positive match (the end of the text if none):
    the rest of the previous match's line, every line in between, and the next match's
    line before the match. Several CHECK-NOTs in a row share that range.

`s` is matched as a plain substring, except that ``{{regex}}`` inside it is a Python
regular expression (``{{^}}`` and ``{{$}}`` anchor at the line's start and end,
``{{^$}}`` matches an empty line). Whitespace around `s` is ignored; write ``{{ }}`` for
a space that matters there. In a CHECK-NOT, ``{{$}}`` also matches where the range ends.
The text is split into lines at "\\n" only.

On failure `check` raises AssertionError naming the pattern line that failed, the line
of the text it was looking from, and the whole text with line numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DIRECTIVES = ("CHECK", "CHECK-NEXT", "CHECK-SAME", "CHECK-NOT")
_DIRECTIVE = re.compile(r"(CHECK(?:-[A-Z]+)?):(.*)")


@dataclass(frozen=True)
class Directive:
    kind: str  # one of DIRECTIVES
    text: str  # the pattern as written, whitespace stripped
    regex: re.Pattern
    line: int  # 1-based line in the pattern

    def __str__(self) -> str:
        return f"pattern line {self.line}: {self.kind}: {self.text}"


def compile_pattern(pattern: str) -> list[Directive]:
    """The directives of `pattern`; ValueError for anything that is not a well-formed directive."""
    directives: list[Directive] = []
    for number, raw in enumerate(pattern.split("\n"), start=1):
        line = raw.strip()
        if not line:
            continue
        found = _DIRECTIVE.fullmatch(line)
        if found is None or found.group(1) not in DIRECTIVES:
            raise ValueError(f"pattern line {number}: not a directive ({', '.join(DIRECTIVES)}): {line!r}")
        kind, text = found.group(1), found.group(2).strip()
        if not text:
            raise ValueError(f"pattern line {number}: {kind} with nothing to match")
        if kind in ("CHECK-NEXT", "CHECK-SAME") and not any(d.kind != "CHECK-NOT" for d in directives):
            raise ValueError(f"pattern line {number}: {kind} needs a match before it")
        directives.append(Directive(kind, text, _to_regex(text, number), number))
    if not directives:
        raise ValueError("the pattern has no directives")
    return directives


def _to_regex(text: str, number: int) -> re.Pattern:
    parts, rest = [], text
    while "{{" in rest:
        before, _, after = rest.partition("{{")
        if "}}" not in after:
            raise ValueError(f"pattern line {number}: '{{{{' without '}}}}': {text!r}")
        regex, _, rest = after.partition("}}")
        try:
            re.compile(regex)
        except re.error as error:
            raise ValueError(f"pattern line {number}: bad regex {{{{{regex}}}}}: {error}") from None
        parts += [re.escape(before), f"(?:{regex})"]
    parts.append(re.escape(rest))
    return re.compile("".join(parts))


def check(text: str, pattern: str) -> None:
    """Match `pattern`'s directives against `text` in order; AssertionError at the first that fails."""
    __tracebackhide__ = True  # pytest shows the caller's line, not this function's
    directives = compile_pattern(pattern)
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()  # the newline ends the last line, it does not start another
    # The end of the previous match: (line index, column); line -1 before the first match.
    at = (-1, 0)
    nots: list[Directive] = []
    for directive in directives:
        if directive.kind == "CHECK-NOT":
            nots.append(directive)
            continue
        found = _match(lines, at, directive)
        if found is None:
            _fail(directive, "no match", lines, at)
        _check_nots(lines, nots, at, (found[0], found[1]))
        nots = []
        at = (found[0], found[2])
    end = (len(lines) - 1, len(lines[-1])) if lines else (0, 0)
    _check_nots(lines, nots, at, end)


def _match(lines: list[str], at: tuple[int, int], d: Directive) -> tuple[int, int, int] | None:
    """(line, start, end) of `d`'s match after `at`, or None."""
    line, col = at
    if d.kind == "CHECK-SAME":
        candidates = [(line, col)]
    elif d.kind == "CHECK-NEXT":
        candidates = [(line + 1, 0)] if line + 1 < len(lines) else []
    else:  # CHECK
        candidates = [(i, 0) for i in range(line + 1, len(lines))]
    for i, start in candidates:
        m = d.regex.search(lines[i], start)
        if m:
            return i, m.start(), m.end()
    return None


def _check_nots(lines: list[str], nots: list[Directive], start: tuple[int, int], end: tuple[int, int]) -> None:
    """No CHECK-NOT in `nots` matches between `start` and `end` ((line, column), line -1: the text's start)."""
    __tracebackhide__ = True
    if start[0] < 0:
        start = (0, 0)
    for d in nots:
        for i in range(start[0], min(end[0], len(lines) - 1) + 1):
            lo = start[1] if i == start[0] else 0
            hi = end[1] if i == end[0] else len(lines[i])
            m = d.regex.search(lines[i][:hi], lo)
            if m:
                _fail(d, f"found at line {i + 1}, column {m.start() + 1}: {m.group(0)!r}", lines, start, i)


def _fail(d: Directive, why: str, lines: list[str], at: tuple[int, int], found: int | None = None) -> None:
    __tracebackhide__ = True
    line, col = at
    marked = {line, found}
    if line < 0:
        where = "looking from the start of the text"
    elif d.kind == "CHECK":
        where = f"looking after line {line + 1}: {lines[line]!r}"
    elif d.kind == "CHECK-NEXT":
        following = repr(lines[line + 1]) if line + 1 < len(lines) else "the end of the text"
        where = f"looking at the line after line {line + 1}: {following}"
        marked.add(line + 1)
    else:
        where = f"looking from line {line + 1}, column {col + 1}: {lines[line]!r}"
    numbered = "\n".join(f"{'>' if i in marked else ' '}{i + 1:4d}| {text}" for i, text in enumerate(lines))
    raise AssertionError(f"{d}\n{why}, {where}\nthe text ('>' marks the lines named above):\n{numbered}")
