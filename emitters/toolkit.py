"""The shared toolkit of the emitters: literals, identifiers, checked templates, comments, formatting.

Rules it enforces, so that no spec string can become code:
- values reach the output only through `literal`, whose result evaluates back to the value;
- identifiers only through a `Namespace`, which rejects or mangles keywords, builtins and collisions;
- templates only through `stmts`/`expr`, which insist that every placeholder is filled with a CST node,
  or `fixed`, for declared templates without placeholders;
- free text only through `comment_lines`, which strips every line break and control character.
"""

from __future__ import annotations

import builtins
import dataclasses
import functools
import keyword
import math
import re
import unicodedata
from collections import OrderedDict
from typing import Iterable, Mapping

import libcst as cst
from libcst.helpers._template import mangle_template, unmangled_name

# -- literals ----------------------------------------------------------------


def literal(value: object) -> cst.BaseExpression:
    """A CST expression `e` with `eval(e) == value` for plain data (no floats that are not finite)."""
    if value is None or isinstance(value, bool):
        return cst.Name(repr(value))
    if isinstance(value, int):
        node = cst.Integer(str(abs(value)))
        return _negate(node) if value < 0 else node
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"cannot emit the non-finite float {value!r}")
        node = cst.Float(repr(abs(value)))
        return _negate(node) if math.copysign(1.0, value) < 0 else node
    if isinstance(value, str):
        return cst.SimpleString(_quote(value))
    if isinstance(value, tuple):
        elements = [cst.Element(literal(v)) for v in value]
        if len(elements) == 1:
            elements = [cst.Element(elements[0].value, comma=cst.Comma())]
        return cst.Tuple(elements)
    if isinstance(value, list):
        return cst.List([cst.Element(literal(v)) for v in value])
    if isinstance(value, dict):
        return cst.Dict([cst.DictElement(literal(k), literal(v)) for k, v in value.items()])
    raise TypeError(f"no literal for {type(value).__name__}")


def _negate(node: cst.BaseExpression) -> cst.BaseExpression:
    return cst.UnaryOperation(cst.Minus(), node)


def _quote(s: str) -> str:
    # repr() escapes quotes, backslashes, newlines and non-printable characters,
    # including U+2028/U+2029, so the literal is always a single line.
    out = repr(s)
    if "\n" in out or "\r" in out:  # pragma: no cover - repr never does this
        raise AssertionError("multi-line literal")
    return out


# -- identifiers ---------------------------------------------------------------

_RESERVED = frozenset(keyword.kwlist) | frozenset(keyword.softkwlist) | frozenset(dir(builtins))


class Namespace:
    """Hands out valid, unique Python identifiers (after torch.fx's _Namespace).

    `reserve` claims names the emitter itself uses; `name(hint)` returns `hint`
    when it is free and valid, otherwise a deterministic mangled form. Asking again
    with the same `key` (default: the hint) returns the same name; different keys
    always get different names, even when their hints coincide (the step function
    of population "Neuron_a" and the class of population "a_step" are both hinted
    "Neuron_a_step": give each its own key, e.g. ("step", population)).
    """

    def __init__(self, reserved: Iterable[str] = ()):
        self._used: set[str] = set(_RESERVED)
        self._by_hint: dict[object, str] = {}
        self._counts: dict[str, int] = {}
        for n in reserved:
            self._used.add(n)

    def reserve(self, *names: str) -> None:
        self._used.update(names)

    def name(self, hint: str, key: object = None) -> str:
        key = hint if key is None else key
        if key in self._by_hint:
            return self._by_hint[key]
        base = re.sub(r"\W", "_", unicodedata.normalize("NFKC", hint), flags=re.ASCII) or "_"
        if base[0].isdigit():
            base = "_" + base
        if base.startswith("__"):  # inside a class body Python would mangle it to _Class__name
            base = "_" + base.lstrip("_")
        candidate, k = base, 1
        while candidate in self._used or keyword.iskeyword(candidate):
            candidate = f"{base}_{k}"
            k += 1
        self._used.add(candidate)
        self._by_hint[key] = candidate
        return candidate

    def numbered(self, hint: str, key: object) -> str:
        """Like `name`, for helpers named for what they compute: the first key asking for `hint`
        gets `hint`, the n-th distinct one `hint_n` (lif_step, lif_step_2, ...), mangled if taken."""
        if key in self._by_hint:
            return self._by_hint[key]
        n = self._counts[hint] = self._counts.get(hint, 0) + 1
        return self.name(hint if n == 1 else f"{hint}_{n}", key=key)

    def __getitem__(self, key: object) -> str:
        return self._by_hint[key]

    def taken(self) -> frozenset[str]:
        """Every name handed out or reserved so far (for a nested scope that must not shadow them)."""
        return frozenset(self._used)


def name(identifier: str) -> cst.Name:
    """A Name node for an identifier the emitter chose itself (checked)."""
    if not identifier.isidentifier() or keyword.iskeyword(identifier):
        raise ValueError(f"{identifier!r} is not a valid identifier")
    return cst.Name(identifier)


def attr(dotted: str) -> cst.BaseExpression:
    """`a.b.c` as a CST expression; every part is checked."""
    parts = dotted.split(".")
    node: cst.BaseExpression = name(parts[0])
    for part in parts[1:]:
        node = cst.Attribute(node, name(part))
    return node


# -- checked templates ---------------------------------------------------------

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _check(template: str, subs: Mapping[str, object]) -> dict[str, cst.CSTNode]:
    wanted = set(_PLACEHOLDER.findall(template))
    given = set(subs)
    if wanted != given:
        raise ValueError(f"template placeholders {sorted(wanted)} but got {sorted(given)}")
    for key, value in subs.items():
        if not isinstance(value, cst.CSTNode):
            raise TypeError(f"placeholder {key!r} must be a CST node, not {type(value).__name__}")
    return dict(subs)


Path = tuple[tuple[str, int | None], ...]  # (field, index in a sequence field or None) from a root down


@functools.lru_cache(maxsize=1024)
def _parsed_module(template: str, names: frozenset[str]) -> tuple[cst.Module, tuple[tuple[str, Path], ...]]:
    # libcst nodes are immutable, so one parse of a template serves every use of it.
    module = cst.parse_module(mangle_template(template, set(names)))
    return module, _placeholder_paths(module, names)


@functools.lru_cache(maxsize=1024)
def _parsed_expression(template: str, names: frozenset[str]) -> tuple[cst.BaseExpression, tuple[tuple[str, Path], ...]]:
    node = cst.parse_expression(mangle_template(template, set(names)))
    return node, _placeholder_paths(node, names)


def _placeholder_paths(root: cst.CSTNode, names: frozenset[str]) -> tuple[tuple[str, Path], ...]:
    """Where each placeholder's Name sits in a parsed template; every placeholder must sit in one
    (libcst's TemplateChecker: a placeholder inside a string or comment is an error)."""
    found: list[tuple[str, Path]] = []

    def walk(node: cst.CSTNode, path: Path) -> None:
        if isinstance(node, cst.Name):
            var = unmangled_name(node.value)
            if var in names:
                found.append((var, path))
            return
        for field in dataclasses.fields(node):
            value = getattr(node, field.name)
            if isinstance(value, cst.CSTNode):
                walk(value, path + ((field.name, None),))
            elif isinstance(value, (list, tuple)):
                for i, item in enumerate(value):
                    if isinstance(item, cst.CSTNode):
                        walk(item, path + ((field.name, i),))

    walk(root, ())
    missing = names - {var for var, _ in found}
    if missing:
        raise ValueError(f"template variable {sorted(missing)[0]!r} is not in a place a node can fill")
    return tuple(found)


def _replace_at(node: cst.CSTNode, path: Path, new: cst.CSTNode) -> cst.CSTNode:
    if not path:
        return new
    (field, index), rest = path[0], path[1:]
    child = getattr(node, field)
    if index is None:
        return node.with_changes(**{field: _replace_at(child, rest, new)})
    items = list(child)
    items[index] = _replace_at(items[index], rest, new)
    return node.with_changes(**{field: tuple(items) if isinstance(child, tuple) else items})


def _fill(tree: cst.CSTNode, paths: tuple[tuple[str, Path], ...], subs: dict[str, cst.CSTNode]) -> cst.CSTNode:
    """What libcst's parse_template_* do after parsing, rebuilding only the paths to the placeholders:
    each placeholder Name (with its parentheses) is replaced by its node."""
    for var, path in paths:
        tree = _replace_at(tree, path, subs[var])
    return tree


def stmts(template: str, **subs: cst.CSTNode) -> list[cst.BaseStatement]:
    """Statements from a template whose `{placeholders}` are all filled with CST nodes.

    A substituted node replaces its placeholder together with the placeholder's
    parentheses: a compound expression must carry its own (lpar/rpar) where
    precedence matters."""
    checked = _check(template, subs)
    module, paths = _parsed_module(template, frozenset(checked))
    return list(_fill(module, paths, checked).body)


def expr(template: str, **subs: cst.CSTNode) -> cst.BaseExpression:
    checked = _check(template, subs)
    node, paths = _parsed_expression(template, frozenset(checked))
    return _fill(node, paths, checked)


# -- fixed blocks --------------------------------------------------------------
# Most of a generated file is the same text in every file (the contract, helpers,
# generated classes). Those templates are declared with `fixed_text` and kept in
# black's format in the source (a test checks each), so `finish` copies them as they
# are and black formats only what the spec decides: the bulk of compile time is black's.

_DECLARED: set[str] = set()
_FIXED: dict[int, tuple[cst.BaseStatement, str]] = {}  # id(node) -> (node, its text); holding the node keeps the id


def fixed_text(text: str) -> str:
    """Declare a template without placeholders whose statements are black-formatted as written."""
    _DECLARED.add(text)
    return text


def declared_fixed() -> frozenset[str]:
    return frozenset(_DECLARED)


def fixed(text: str) -> list[cst.BaseStatement]:
    """The statements of a declared fixed template (the same node objects on every call)."""
    if text not in _DECLARED:
        raise ValueError("fixed() needs a template declared with fixed_text()")
    return list(_fixed_module(text).body)


@functools.lru_cache(maxsize=None)
def _fixed_module(text: str) -> cst.Module:
    module = cst.parse_module(text)
    for node in module.body:
        if _placeholder(node, 0) is not None:
            _FIXED[id(node)] = (node, statement_text(node))
    return module


# Statements an emitter wrote in black's format itself (a generated table): the same shortcut, per
# compile. Only the latest are remembered, so that nothing grows without bound; one forgotten before
# `finish` is formatted by black, to the same text.
_PREFORMATTED: OrderedDict[int, tuple[cst.BaseStatement, str]] = OrderedDict()
_PREFORMATTED_KEPT = 64


def preformatted(node: cst.BaseStatement, text: str) -> cst.BaseStatement:
    """`node`, a top-level statement, with `text` declared as black's format of it (without
    the lines before it): `finish` copies the text instead of having black format the node.
    The caller must know the text is black's (a test holds each caller to black)."""
    if _placeholder(node, 0) is None:
        raise ValueError("only a def, class, if or single assignment can be preformatted")
    _PREFORMATTED[id(node)] = (node, text)
    while len(_PREFORMATTED) > _PREFORMATTED_KEPT:
        _PREFORMATTED.popitem(last=False)
    return node


def statement_text(node: cst.BaseStatement) -> str:
    """The code of one top-level statement on its own, without the lines before it."""
    return cst.Module(body=[node.with_changes(leading_lines=[])]).code


def _placeholder(node: cst.BaseStatement, k: int) -> tuple[cst.BaseStatement, str] | None:
    """A two-line stand-in of the same kind for black (its blank lines around a block depend only on
    the kind of the block's first line and on its depth), and the stand-in's text after black."""
    label = f"__snnc_fixed_{k}__"
    if isinstance(node, cst.FunctionDef) and not node.decorators and node.asynchronous is None:
        text = f"def {label}():\n    pass\n"
    elif isinstance(node, cst.ClassDef) and not node.decorators:
        text = f"class {label}:\n    pass\n"
    elif isinstance(node, cst.If):
        text = f"if {label}:\n    pass\n"
    elif isinstance(node, cst.SimpleStatementLine) and len(node.body) == 1 and isinstance(node.body[0], cst.Assign):
        text = f"{label} = 0\n"
    else:
        return None
    (stand_in,) = cst.parse_module(text).body
    return stand_in.with_changes(leading_lines=node.leading_lines), text


def _format_module(module: cst.Module, filename: str) -> str:
    """black's format of the module, running black only on the statements that are not fixed blocks."""
    body, blocks = [], []
    for node in module.body:
        entry = _FIXED.get(id(node)) or _PREFORMATTED.get(id(node))
        if entry is not None and entry[0] is node:
            stand_in, stand_text = _placeholder(node, len(blocks))
            body.append(stand_in)
            blocks.append((stand_text, entry[1]))
        else:
            body.append(node)
    source = module.with_changes(body=body).code
    compile(source, filename, "exec")
    formatted = format_source(source)
    for stand_text, text in blocks:
        if formatted.count("\n" + stand_text) != 1:  # a name clash with a stand-in: format it all
            return format_source(module.code)
        formatted = formatted.replace("\n" + stand_text, "\n" + text)
    return formatted


# -- comments ------------------------------------------------------------------


def clean_text(text: str) -> list[str]:
    """Free text as safe comment lines: no line breaks, no control or format characters,
    and no '#', which black reads as the start of a directive (`# fmt: off`) anywhere in a comment."""
    lines = []
    for line in text.splitlines() or [""]:
        kept = "".join(ch for ch in line if unicodedata.category(ch)[0] != "C")
        lines.append(kept.replace("#", "\u266f").rstrip())
    return lines


def comment_lines(text: str, label: str) -> list[cst.EmptyLine]:
    """Comment lines for spec text. Every line starts with a fixed, non-blank prefix, so the
    text can never begin a comment directive (`fmt: off` right after '#' is one)."""
    out = []
    for i, line in enumerate(clean_text(text)):
        lead = f"# {label}: " if i == 0 else "#   | "
        out.append(cst.EmptyLine(comment=cst.Comment((lead + line).rstrip())))
    return out


def with_comments(statement: cst.BaseStatement, lines: list[cst.EmptyLine]) -> cst.BaseStatement:
    return statement.with_changes(leading_lines=[*statement.leading_lines, *lines])


# -- finishing ---------------------------------------------------------------

BLACK_LINE_LENGTH = 88


def format_source(source: str) -> str:
    import black  # slow to import; only needed when a file is written

    mode = black.Mode(target_versions={black.TargetVersion.PY311}, line_length=BLACK_LINE_LENGTH)
    return black.format_str(source, mode=mode)


def finish(module: cst.Module, filename: str = "<generated>") -> str:
    """Render, check that it compiles, format once with black (fixed blocks as written), check again."""
    formatted = _format_module(module, filename)
    compile(formatted, filename, "exec")
    return formatted
