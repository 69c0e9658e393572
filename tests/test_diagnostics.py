"""Diagnostics: rendering, escaping, ordering, did-you-mean."""

from __future__ import annotations

import pytest

from compiler import diagnostics
from compiler.diagnostics import CompileError, Diagnostic, did_you_mean, printable, show


def test_exit_codes():
    assert (diagnostics.EXIT_OK, diagnostics.EXIT_SPEC_ERROR, diagnostics.EXIT_USAGE,
            diagnostics.EXIT_INTERNAL) == (0, 1, 2, 3)


def test_render_with_pointer_source_line_and_caret():
    d = Diagnostic("error", "128 does not match the 256 outputs of layer_1", "spec.json", 14, 22,
                   "/layers/2/in_features", '      "in_features": 128,')
    assert d.render() == (
        "spec.json:14:22: error: layers/2/in_features: 128 does not match the 256 outputs of layer_1\n"
        '          "in_features": 128,\n'
        "                         ^")


def test_headline_without_pointer_or_position():
    assert Diagnostic("warning", "w", "a.json", 3, 4, "", "x").headline() == "a.json:3:4: warning: w"
    assert Diagnostic("error", "cannot read", "a.json").render() == "a.json: error: cannot read"
    assert Diagnostic("note", "n", "a.json", 1, 1, "/x").render() == "a.json:1:1: note: x: n"


def test_unknown_severity_is_refused():
    with pytest.raises(ValueError):
        Diagnostic("fatal", "m", "f")


def test_nothing_from_the_spec_reaches_the_terminal_raw():
    hostile = "a\nspec.json:1:1: error: fake\x1b[31m\u2028\u202e\r\x00\x7f\x85"
    d = Diagnostic("error", f"unknown key {show(hostile)}", hostile, 1, 3, "/" + hostile, '{"' + hostile + '": 1}')
    lines = d.render().split("\n")
    assert len(lines) == 3
    assert all(line.isprintable() for line in lines)
    assert "\\x1b[31m" in lines[0] and "\\u2028" in lines[1] and "\\u202e" in lines[1]


def test_caret_stays_under_the_column_after_escapes_tabs_and_wide_characters():
    d = Diagnostic("error", "m", "f", 1, 5, None, "\t\x01\u4e2d\u00e9x")  # column 5: the x
    _, text, caret = d.render().split("\n")
    assert text == "     \\x01\u4e2d\u00e9x"  # tab shown as one space, control character escaped
    assert caret == "    " + " " * (1 + 4 + 2 + 1) + "^"  # the CJK character is two columns wide


def test_long_lines_are_cut_around_the_column():
    line = "".join(f"{i:03d}|" for i in range(100))  # 400 characters
    d = Diagnostic("error", "m", "f", 1, 201, None, line)
    _, text, caret = d.render().split("\n")
    assert text == "    ..." + line[150:250] + "..."
    assert text[caret.index("^"):].startswith("050|")  # column 201 starts "050|"


def test_caret_at_the_end_of_the_line():
    _, text, caret = Diagnostic("error", "m", "f", 1, 4, None, "abc").render().split("\n")
    assert (text, caret) == ("    abc", "       ^")


def test_compile_error_sorts_by_position_and_keeps_ties_in_order():
    a = Diagnostic("error", "a", "f", 3, 1)
    b = Diagnostic("error", "b", "f", 1, 9)
    c = Diagnostic("error", "c", "f", 1, 2)
    d = Diagnostic("error", "d", "f", 1, 2)
    err = CompileError([a, b, c, d])
    assert [x.message for x in err.diagnostics] == ["c", "d", "b", "a"]
    assert str(err) == err.render() == "f:1:2: error: c\nf:1:2: error: d\nf:1:9: error: b\nf:3:1: error: a"
    with pytest.raises(ValueError):
        CompileError([])


@pytest.mark.parametrize("word, choices, expected", [
    ("bta", ["beta", "tau"], "; did you mean 'beta'?"),
    ("lifnode", ["linear", "LIFNode", "IFNode"], "; did you mean 'LIFNode'?"),
    ("SNNTORCH", ["snnTorch", "SpikingJelly"], "; did you mean 'snnTorch'?"),
    ("xyz", ["beta", "tau"], ""),
    ("", ["beta"], ""),
    ("b" * 101, ["b" * 101], ""),
])
def test_did_you_mean(word, choices, expected):
    assert did_you_mean(word, choices) == expected


@pytest.mark.parametrize("value, shown", [
    ("it's", '"it\'s"'), ("x" * 61, "'" + "x" * 60 + "'..."), ("a\nb", "'a\\nb'"),
    (None, "null"), (True, "true"), (False, "false"), (7, "7"), (10**25, "100000000000...(26 digits)"),
    (0.5, "0.5"), ([1], "an array"), ({}, "an object"),
])
def test_show(value, shown):
    assert show(value) == shown


def test_printable_escapes_every_non_printable_character():
    assert printable("a\tb\n\r\x00\x9b\u200b\U000E0001 ok") == "a\\tb\\n\\r\\x00\\x9b\\u200b\\U000e0001 ok"


def test_names_list_says_runs_by_their_ends_and_counts_the_rest():
    from compiler.diagnostics import names_list

    assert names_list([f"layer_{k}" for k in range(1, 101)]) == "layer_1..layer_100"
    assert names_list(["h"]) == "h"
    assert names_list(["h", "out"]) == "h and out"
    assert names_list(["h", "layer_2", "out"]) == "h, layer_2 and out"
    assert names_list(["layer_1", "layer_2"]) == "layer_1 and layer_2"  # a run of two is said in full
    assert names_list([f"layer_{k}" for k in range(1, 15, 2)]) == "layer_1, layer_3 and 5 more"
    assert names_list(["h", "layer_1", "layer_2", "layer_3", "a", "b"]) == "h, layer_1..layer_3 and 2 more"


def test_merge_repeats_makes_one_diagnostic_of_the_same_words_about_several_layers():
    from compiler.diagnostics import merge_repeats

    def warning(pointer, message, line):
        return Diagnostic("warning", message, "s.json", line, 3, pointer)

    layers = {f"/layers/{2 * k - 1}": f"layer_{k}" for k in range(1, 6)}
    got = merge_repeats([warning("/time_steps", "few", 1)]
                        + [warning(f"/layers/{2 * k - 1}/rest", "rest dropped", 10 + k) for k in range(1, 6)]
                        + [warning("/layers/3", "rest dropped", 30), warning("/layers/5/rest", "other", 31)],
                       layers)
    assert [d.headline() for d in got] == [
        "s.json:1:3: warning: time_steps: few",
        "s.json:11:3: warning: layers/1/rest: rest dropped (the same for 5 layers: layer_1..layer_5)",
        "s.json:30:3: warning: layers/3: rest dropped",  # another pointer below the layer: not the same
        "s.json:31:3: warning: layers/5/rest: other"]
    assert merge_repeats([warning(None, "x", 1), warning(None, "x", 2)], {"": "nothing"}) == \
        [warning(None, "x", 1), warning(None, "x", 2)]  # about no layer: never merged
