"""The guard on user-supplied session-key expressions."""

from __future__ import annotations

import re

import pytest

from logsum.api.regexcheck import ambiguous_repetition, nested_repetition


@pytest.mark.parametrize(
    "pattern",
    [r"(a+)+$", r"(\w*\s?)*", r"((ab)*)+", r"(x{2,5})+", r"(a|b+)*", r"(?=(a+)+)b", r"(?>(a+))*"],
)
def test_catastrophic_shapes_are_refused(pattern: str) -> None:
    assert nested_repetition(pattern)


@pytest.mark.parametrize(
    "pattern",
    [r"blk_-?\d+", r"request_id=(\w+)", r"(?:ab|cd)+", r"trace[=:]([0-9a-f]{32})", r"(a+)?b"],
)
def test_ordinary_keys_pass(pattern: str) -> None:
    assert not nested_repetition(pattern)


def test_invalid_expression_raises() -> None:
    with pytest.raises(re.error):
        nested_repetition("(unclosed")


@pytest.mark.parametrize(
    "pattern",
    [r"(a|a)*$", r"(a|aa)*c", r"(.|\s)*x", r"(a?a)*", r"(a|a){1,50}$", r"(?i)(A|ab)*", r"(a|)*"],
)
def test_repeated_groups_that_match_one_text_two_ways_are_refused(pattern: str) -> None:
    assert ambiguous_repetition(pattern)


@pytest.mark.parametrize(
    "pattern",
    [
        r"blk_-?\d+",
        r"request_id=(\w+)",
        r"(?:ab|cd)+",
        r"(?:GET|POST|PUT)+",
        r"(?:[a-f0-9]{2}:?)+",
        r"(ab?)*",
        r"(\d+\.){3}\d+",
    ],
)
def test_unambiguous_repeated_groups_pass(pattern: str) -> None:
    assert not ambiguous_repetition(pattern)
