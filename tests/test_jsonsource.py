"""The strict, position-tracking JSON parser."""

from __future__ import annotations

import json
import math

import pytest

from compiler.frontend.jsonsource import MAX_DEPTH, JsonSyntaxError, SourceMap, SourceText, parse, pointer_join


def error_of(text: str) -> tuple[int, int, str]:
    with pytest.raises(JsonSyntaxError) as caught:
        parse(text)
    return caught.value.line, caught.value.col, caught.value.message


def test_values_and_types():
    value, _ = parse('{"i": 1, "neg": -0, "f": 1.0, "e": 2E3, "z": -0.0, "t": true, "n": null, '
                     '"s": "a\\u00e9\\ud83d\\ude00\\n\\"\\\\\\/", "a": [], "o": {}}')
    assert value == {"i": 1, "neg": 0, "f": 1.0, "e": 2000.0, "z": -0.0, "t": True, "n": None,
                     "s": "a\u00e9\U0001F600\n\"\\/", "a": [], "o": {}}
    assert type(value["i"]) is int and type(value["neg"]) is int
    assert type(value["f"]) is float and type(value["e"]) is float
    assert math.copysign(1.0, value["z"]) == -1.0


def test_agrees_with_the_json_module_on_valid_documents():
    text = json.dumps({"a": [1, 2.5, {"b": None, "c": "\u2028\t"}], "d": -1e-7, "\u00e9": True}, ensure_ascii=False)
    assert parse(text)[0] == json.loads(text)


def test_positions_of_values_and_keys():
    text = '{\n  "a": [10,\n        {"b/c~": "x"}],\n  "d": 1\n}'
    _, smap = parse(text)
    assert smap.values == {"": (1, 1), "/a": (2, 8), "/a/0": (2, 9), "/a/1": (3, 9), "/a/1/b~1c~0": (3, 18),
                           "/d": (4, 8)}
    assert smap.keys == {"/a": (2, 3), "/a/1/b~1c~0": (3, 10), "/d": (4, 3)}


def test_columns_count_characters_not_bytes_and_crlf_ends_a_line():
    _, smap = parse('{"\u00e9\U0001F600": 1,\r\n "k": 2}')
    assert smap.values["/\u00e9\U0001F600"] == (1, 8)
    assert smap.keys["/k"] == (2, 2)


def test_source_map_falls_back_to_the_nearest_ancestor():
    _, smap = parse('{"a": {"b": 1}}')
    assert smap.value("/a/missing/deeper") == (1, 7)
    assert smap.key("/a") == (1, 2)
    assert smap.key("") == (1, 1)  # not a member: its value
    assert SourceMap().value("/x") == (0, 0)


def test_pointer_join_escapes_per_rfc6901():
    assert pointer_join("", "a/b~c") == "/a~1b~0c"
    assert pointer_join("/layers", 3) == "/layers/3"


def test_source_text_builds_diagnostics_with_the_line():
    text = '{\r\n  "a": 1\r\n}'
    source = SourceText("f.json", text, parse(text)[1])
    d = source.diagnostic("/a", "bad", at_key=True)
    assert (d.file, d.line, d.col, d.pointer, d.source_line) == ("f.json", 2, 3, "/a", '  "a": 1')
    assert source.diagnostic("/a", "bad", subject="").pointer == ""
    assert source.line(0) is None and source.line(4) is None


@pytest.mark.parametrize("text, expected", [
    ("", (1, 1, "empty file: expected a JSON value")),
    (" \n\t\r\n", (1, 1, "empty file: expected a JSON value")),
    ('{"a": 1,}', (1, 8, "trailing comma before '}' is not allowed in JSON")),
    ('[1,\n 2 ,\n]', (2, 4, "trailing comma before ']' is not allowed in JSON")),
    ('{"a": 1 // note\n}', (1, 9, "comments are not allowed in JSON")),
    ('/* x */ {}', (1, 1, "comments are not allowed in JSON")),
    ("{'a': 1}", (1, 2, "strings must use double quotes, not single quotes")),
    ('{"a": \'x\'}', (1, 7, "strings must use double quotes, not single quotes")),
    ("{a: 1}", (1, 2, 'object keys must be in double quotes: write "a"')),
    ("{1: 1}", (1, 2, "expected a key in double quotes, found '1'")),
    ('{"a": 1, "b": 2,\n "a": 3}', (2, 2, "duplicate key 'a' (first at line 1, column 2)")),
    ("[NaN]", (1, 2, "NaN is not allowed in JSON")),
    ("[Infinity]", (1, 2, "Infinity is not allowed in JSON")),
    ("[-Infinity]", (1, 2, "-Infinity is not allowed in JSON")),
    ("[None]", (1, 2, "None is not JSON; write null")),
    ("[nul]", (1, 2, "unexpected word 'nul'; strings need double quotes")),
    ('["a\nb"]', (1, 4, "unescaped line break in a string (is a closing '\"' missing?)")),
    ('["a\x1bb"]', (1, 4, "control character U+001B in a string must be escaped")),
    ('["a\\x41"]', (1, 4, "invalid escape \\x in a string")),
    ('["\\u12G4"]', (1, 3, "invalid \\u escape: expected 4 hexadecimal digits")),
    ('["\\ud800"]', (1, 3, "lone surrogate \\ud800 in a string")),
    ('["\\ud800\\u0041"]', (1, 3, "lone surrogate \\ud800 in a string")),
    ('["\\udc00"]', (1, 3, "lone surrogate \\udc00 in a string")),
    ('["\ud800"]', (1, 3, "lone surrogate U+D800 in a string")),
    ('"abc', (1, 1, "unterminated string")),
    ('"abc\\', (1, 1, "unterminated string")),
    ("{} {}", (1, 4, "unexpected '{' after the end of the JSON value")),
    ("[1] x", (1, 5, "unexpected 'x' after the end of the JSON value")),
    ("[1 2]", (1, 4, "expected ',' or ']' after the element, found '2'")),
    ('{"a" 1}', (1, 6, "expected ':' after the key 'a', found '1'")),
    ('{"a": 1', (1, 8, "unexpected end of file: the '{' at line 1, column 1 is not closed")),
    ("[[1]", (1, 5, "unexpected end of file: the '[' at line 1, column 1 is not closed")),
    ('{"a":', (1, 6, "unexpected end of file: expected a value")),
    ("[01]", (1, 2, "invalid number '01': leading zeros are not allowed")),
    ("[1.]", (1, 2, "invalid number '1.': write digits on both sides of the '.'")),
    ("[.5]", (1, 2, "invalid number '.5': write digits on both sides of the '.'")),
    ("[+1]", (1, 2, "invalid number '+1': a leading '+' is not allowed")),
    ("[0x1F]", (1, 2, "invalid number '0x1F': only decimal numbers are allowed")),
    ("[1_000]", (1, 2, "invalid number '1_000'")),
    ("[-]", (1, 2, "invalid number '-'")),
    ("[1e400]", (1, 2, "number 1e400 is out of range (it overflows a 64-bit float)")),
    ("[-1e400]", (1, 2, "number -1e400 is out of range (it overflows a 64-bit float)")),
    ("[" + "9" * 400 + "]", (1, 2, "integer 999999999999...(400 digits) is out of range (larger than any float)")),
    ("[" + "1" * 1001 + "]", (1, 2, "number literal too long (1001 characters)")),
    ("\ufeff{}", (1, 1, "expected a value, found U+FEFF (ZERO WIDTH NO-BREAK SPACE)")),
    ("{\u00a0}", (1, 2, "expected a key in double quotes, found U+00A0 (NO-BREAK SPACE)")),
])
def test_syntax_errors(text, expected):
    assert error_of(text) == expected


def test_tiny_numbers_underflow_quietly_and_large_integers_within_float_range_stay_exact():
    value, _ = parse("[1e-400, " + "9" * 300 + "]")
    assert value == [0.0, int("9" * 300)]


def test_nesting_limit():
    ok = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert parse(ok)[0] is not None
    assert error_of("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1)) == (1, MAX_DEPTH + 1, "nesting is deeper than 64 levels")
    assert error_of('{"a":' * 100000)[2] == "nesting is deeper than 64 levels"  # no RecursionError
