"""Check a parsed spec against the spec schema (`schema()`); report every error at once.

Each jsonschema error becomes one `Diagnostic` with a message written for the
spec's author, at the position of the value concerned, except: a missing key
(`required`) is reported at the object that lacks it, and an unknown key
(`additionalProperties`) at the key itself, with a did-you-mean. The schema is
checked once (`Draft202012Validator.check_schema`) when first used. Integers are
strict: 784.0 is not an integer here, because the parser keeps ints and floats apart.
"""

from __future__ import annotations

import functools
import json
from importlib import resources

import jsonschema
from jsonschema import Draft202012Validator

from ..diagnostics import Diagnostic, did_you_mean, show
from .jsonsource import SourceText, pointer_join
from .vocabulary import SIMULATORS, normalize_simulator

_UNSAFE_TEXT = {"$ref": "#/$defs/unsafeText"}
_LEAK_ONLY = {"$ref": "#/$defs/leakOnly"}  # as IFNode's properties refer to it
# Every keyword of the schema that can fail has a message written here (a test checks it).
MESSAGES_FOR = frozenset({
    "type", "enum", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength", "minItems",
    "maxItems", "pattern", "not", "required", "additionalProperties", "anyOf", "oneOf"})
_TYPE_NAMES = {"integer": "an integer", "number": "a number", "string": "a string",
               "boolean": "true or false", "object": "an object", "array": "an array", "null": "null"}


def schema() -> dict:
    """The spec schema: compiler/frontend/schema/spec.schema.json (the top level, neuron layers, shared
    definitions) with every registered op kind's layer definition (`ir.ops`), in registry order."""
    from ir.ops import spec_kinds

    return _schema(tuple((kind, cls) for kind, cls in spec_kinds().items()))


@functools.cache
def _schema(kinds: tuple) -> dict:
    text = resources.files("compiler.frontend").joinpath("schema/spec.schema.json").read_text("utf-8")
    loaded = json.loads(text)
    layer = loaded["$defs"]["layerOfAnyType"]
    for kind, cls in kinds:
        loaded["$defs"].setdefault(cls.SCHEMA_DEF, cls.schema())
    layer["properties"]["type"]["enum"][:0] = [kind for kind, _ in kinds]
    layer["allOf"][:0] = [{"if": {"properties": {"type": {"const": kind}}, "required": ["type"]},
                           "then": {"$ref": f"#/$defs/{cls.SCHEMA_DEF}"}} for kind, cls in kinds]
    Draft202012Validator.check_schema(loaded)
    return loaded


def _validator() -> jsonschema.protocols.Validator:
    return _validator_for(id(schema()))


@functools.cache
def _validator_for(_schema_id: int) -> jsonschema.protocols.Validator:
    strict = Draft202012Validator.TYPE_CHECKER.redefine(
        "integer", lambda _checker, value: isinstance(value, int) and not isinstance(value, bool))
    cls = jsonschema.validators.extend(Draft202012Validator, type_checker=strict)
    return cls(schema())


def validate(spec: object, source: SourceText) -> list[Diagnostic]:
    """Every schema error of `spec`, plus an unknown target_simulator, sorted by position. A layer list
    longer than the schema allows is reported without checking each of its layers (that would take
    seconds only to say the list is too long), with every error outside it."""
    found = list(dict.fromkeys(d for error in _errors(spec) for d in _translate(error, source)))
    simulator = spec.get("target_simulator") if isinstance(spec, dict) else None
    if isinstance(simulator, str) and normalize_simulator(simulator) is None:
        found.append(source.diagnostic(
            "/target_simulator",
            f"unknown simulator {show(simulator)}; expected {_choices(list(SIMULATORS.values()))}"
            f"{did_you_mean(simulator, SIMULATORS.values())}"))
    return sorted(found, key=lambda d: (d.line, d.col))


def _choices(labels: list[str]) -> str:
    """'snnTorch, SpikingJelly or BindsNET'."""
    return ", ".join(labels[:-1]) + " or " + labels[-1] if len(labels) > 1 else "".join(labels)


def _errors(spec: object):
    limit = schema()["$defs"]["layers"]["maxItems"]
    long = [key for key in ("layers", "layer") if isinstance(spec, dict) and isinstance(spec.get(key), list)
            and len(spec[key]) > limit]
    if not long:
        yield from _validator().iter_errors(spec)
        return
    too_long = jsonschema.ValidationError("too long", validator="maxItems", validator_value=limit,
                                          instance=spec[long[0]], path=[long[0]], schema_path=[])
    yield too_long
    short = {**spec, **{key: spec[key][:1] for key in long}}  # one layer stands for the list
    yield from (e for e in _validator().iter_errors(short) if list(e.absolute_path)[:1] not in [[k] for k in long])


def _translate(error: jsonschema.ValidationError, source: SourceText) -> list[Diagnostic]:
    ptr = ""
    for token in error.absolute_path:
        ptr = pointer_join(ptr, token)
    kind, value, instance = error.validator, error.validator_value, error.instance
    schema_path = list(error.absolute_schema_path)
    if kind == "required":
        return [source.diagnostic(ptr, f"missing required key {show(key)}")
                for key in value if key not in instance]
    if kind == "additionalProperties":
        return _unknown_keys(error, ptr, source)
    if kind == "pattern" and _unsafe_char(instance):
        return []  # the unsafe character is reported by the schema's "not"
    if kind == "anyOf" and schema_path == ["anyOf"]:
        return [source.diagnostic(ptr, "missing required key 'layers'")]
    if kind == "not" and schema_path[:2] == ["dependentSchemas", "layer"]:
        return [source.diagnostic("/layer", "give either 'layers' or 'layer', not both", at_key=True)]
    return [source.diagnostic(ptr, _message(kind, value, instance, ptr))]


def _unknown_keys(error, ptr: str, source: SourceText) -> list[Diagnostic]:
    properties = error.schema.get("properties", {})
    allowed = [key for key, sub in properties.items() if sub != _LEAK_ONLY]
    title = error.schema.get("title") if ptr else None
    where = f" in {'an' if title[0] in 'AEIOU' else 'a'} {title}" if title else ""
    return [source.diagnostic(pointer_join(ptr, key),
                              f"unknown key {show(key)}{where}{did_you_mean(key, allowed)}",
                              at_key=True, subject=ptr)
            for key in error.instance if key not in properties]


def _message(kind: str, value, instance, ptr: str) -> str:
    if kind == "type":
        wanted = [value] if isinstance(value, str) else value
        return f"expected {' or '.join(_TYPE_NAMES[t] for t in wanted)}, got {_describe(instance)}"
    if kind == "enum":
        choices = ", ".join(show(v) for v in value)
        hint = did_you_mean(instance, [v for v in value if isinstance(v, str)])
        return f"{show(instance)} is not one of {choices}{hint}"
    bounds = {"minimum": "at least", "maximum": "at most", "exclusiveMinimum": "greater than",
              "exclusiveMaximum": "less than"}
    if kind in bounds:
        return f"must be {bounds[kind]} {show(value)}, got {show(instance)}"
    if kind in ("minLength", "minItems"):
        return "must not be empty"
    if kind == "maxLength":
        return f"is too long ({len(instance)} characters; at most {value})"
    if kind == "maxItems":
        return f"has {len(instance)} items; at most {value} are allowed"
    if kind == "not" and value == {}:  # the schema's leakOnly: a LIF parameter on an IFNode
        key = ptr.rsplit("/", 1)[-1]
        return f"an IFNode has no leak, so it takes no {key}; use a LIFNode or remove it"
    if kind == "not" and value == _UNSAFE_TEXT:
        found = ord(_unsafe_char(instance))
        return f"must not contain control characters or line separators (found U+{found:04X})"
    if kind == "oneOf":  # an int or [height, width] (kernel_size, stride, padding)
        least = "a non-negative" if {"$ref": "#/$defs/padding"} in value else "a positive"
        return f"expected {least} integer or a list [height, width] of them, got {_describe(instance)}"
    if kind == "pattern":
        return (f"{show(instance)} is not a valid name: use ASCII letters, digits and "
                "underscores, not starting with a digit")
    return f"does not satisfy the spec schema ({kind}: {show(value)})"  # see MESSAGES_FOR


def _unsafe_char(text: str) -> str | None:
    """The first character that the schema's unsafeText pattern matches, if any."""
    return next((ch for ch in text if ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F
                 or ch in "\u2028\u2029"), None)


def _describe(instance) -> str:
    if isinstance(instance, str):
        return f"the string {show(instance)}"
    if isinstance(instance, (int, float)) and not isinstance(instance, bool):
        return f"the number {show(instance)}"
    return show(instance)  # an array, an object, true, false, null
