"""The FileCheck-style helper the IR tests use (tests/support/filecheck.py): each directive
matches what it should, and each can fail, with a message that says where."""

from __future__ import annotations

import pytest

from support.filecheck import check

TEXT = """\
// model: "M"
// pipeline: a,b

%x = input : [4]
%y = linear(%x) : [2] {bias=true, key="y"}  // 3:1 #/layers/0
%z = population(%y) : [2] {kind="if"}  changed-by: a

// decision a %z: LIF -> IF
"""


def fails(pattern: str, *expected: str) -> str:
    """check() raises AssertionError on TEXT, with every string in `expected` in its message."""
    with pytest.raises(AssertionError) as info:
        check(TEXT, pattern)
    message = str(info.value)
    for part in expected:
        assert part in message, message
    return message


def test_check_finds_lines_in_order_and_skips_others():
    check(TEXT, """
        CHECK: // model:
        CHECK: %y = linear
        CHECK: // decision a %z
    """)


def test_check_fails_when_absent_or_out_of_order():
    fails("CHECK: %w = input", "pattern line 1: CHECK: %w = input", "no match", "looking from the start")
    fails("""
        CHECK: %z = population
        CHECK: %y = linear
    """, "pattern line 3: CHECK: %y = linear", "looking after line 6: '%z = population")


def test_check_looks_only_at_later_lines():
    """Two CHECKs never match the same line: that is what CHECK-SAME is for."""
    fails("""
        CHECK: %y = linear
        CHECK: key="y"
    """, "no match")


def test_check_next_is_the_very_next_line():
    check(TEXT, """
        CHECK: %x = input
        CHECK-NEXT: %y = linear
        CHECK-NEXT: %z = population
    """)
    message = fails("""
        CHECK: %x = input
        CHECK-NEXT: %z = population
    """, "pattern line 3: CHECK-NEXT: %z = population", "looking at the line after line 4: '%y = linear")
    assert ">   5| %y = linear" in message and ">   4| %x = input" in message


def test_check_next_fails_at_the_end_of_the_text():
    fails("""
        CHECK: // decision
        CHECK-NEXT: anything
    """, "the end of the text")


def test_check_same_is_the_same_line_after_the_match():
    check(TEXT, """
        CHECK: %y = linear(%x)
        CHECK-SAME: bias=true
        CHECK-SAME: key="y"
    """)
    fails("""
        CHECK: %y = linear(%x)
        CHECK-SAME: %x = input
    """, "pattern line 3: CHECK-SAME: %x = input", "looking from line 5, column 16")
    fails("""
        CHECK: %y = linear(%x)
        CHECK-SAME: key="y"
        CHECK-SAME: bias=true
    """, "pattern line 4: CHECK-SAME: bias=true", "no match")


def test_check_not_between_two_matches():
    check(TEXT, """
        CHECK: %x = input
        CHECK-NOT: changed-by
        CHECK: %y = linear
    """)
    message = fails("""
        CHECK: %x = input
        CHECK-NOT: changed-by
        CHECK: // decision
    """, "pattern line 3: CHECK-NOT: changed-by", "found at line 6, column 40: 'changed-by'")
    assert ">   6| %z = population" in message


def test_check_not_covers_the_rest_of_the_previous_line_and_the_start_of_the_next_match():
    """The range runs from the end of one match to the start of the next, within lines too."""
    fails("""
        CHECK: %z = population
        CHECK-NOT: changed-by
        CHECK: // decision
    """, "found at line 6")
    check(TEXT, """
        CHECK: %z = population
        CHECK-NOT: %z
        CHECK-SAME: changed-by
    """)
    fails("""
        CHECK: %y = linear
        CHECK-NOT: changed
        CHECK: by: a
    """, "found at line 6")  # the match starts after 'changed-' on the same line
    check(TEXT, """
        CHECK: %y = linear
        CHECK-NOT: changed-by
        CHECK: by: a
    """)  # ... so 'changed-by' runs past the range's end


def test_check_not_at_the_start_and_at_the_end():
    check(TEXT, """
        CHECK-NOT: %w
        CHECK: %x = input
        CHECK: // decision
        CHECK-NOT: changed-by
    """)
    fails("""
        CHECK-NOT: %y
        CHECK: %z
    """, "pattern line 2: CHECK-NOT: %y", "found at line 5", "looking from line 1, column 1")
    fails("""
        CHECK: %z
        CHECK-NOT: // decision
    """, "found at line 8")


def test_several_check_nots_share_a_range():
    fails("""
        CHECK: %x = input
        CHECK-NOT: %w
        CHECK-NOT: bias=
        CHECK: %z
    """, "pattern line 4: CHECK-NOT: bias=", "found at line 5")


def test_regex_inside_double_braces():
    check(TEXT, """
        CHECK: %y = linear(%x) : [{{[0-9]+}}]
        CHECK-SAME: // {{\\d+:\\d+}} #/layers/0{{$}}
        CHECK: {{^}}%z =
        CHECK-NEXT: {{^$}}
    """)
    fails("CHECK: %y = linear(%x) : [{{[a-z]+}}]", "no match")
    fails("""
        CHECK: %y = linear
        CHECK-SAME: key="y"{{$}}
    """, "no match")


def test_outside_braces_everything_is_literal():
    check("a.b (c) [d]*", "CHECK: a.b (c) [d]*")
    fails("CHECK: a.c", "no match")  # '.' is not a wildcard


def test_mistakes_in_the_pattern_are_errors_not_failures():
    for pattern, message in [
        ("CHEK: x", "not a directive"),
        ("CHECK-DAG: x", "not a directive"),
        ("just text", "not a directive"),
        ("CHECK:   ", "nothing to match"),
        ("CHECK-NEXT: x", "needs a match before it"),
        ("CHECK-NOT: y\nCHECK-SAME: x", "needs a match before it"),
        ("CHECK: {{x", "without"),
        ("CHECK: {{(}}", "bad regex"),
        ("\n  \n", "no directives"),
    ]:
        with pytest.raises(ValueError, match=message):
            check(TEXT, pattern)


def test_the_failure_shows_the_whole_text_numbered():
    message = fails("CHECK: nowhere")
    assert all(f"{i:4d}| " in message for i in range(1, 9))
    assert "   8| // decision a %z: LIF -> IF" in message and "   9|" not in message
