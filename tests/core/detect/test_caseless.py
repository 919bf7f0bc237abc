"""Case-insensitive vocabularies answer as ``re.IGNORECASE`` does, on any text."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from logsum.core import insights
from logsum.core.detect import faults
from logsum.core.detect.caseless import Caseless

VOCABULARIES = [
    faults._FAILURE,
    insights._AUTH,
    insights._FAIL,
    insights._CONN_FAIL,
    insights._RESTART,
    insights._DURATION_UNIT,
    insights._DURATION_WORD,
]

_WORDS = st.sampled_from(
    [
        "error",
        "FAILED",
        "Timed Out",
        "connection refused",
        "could not connect",
        "authentication",
        "invalid user",
        "LogIn",
        "passwd",
        "restarting",
        "shut down",
        "oom",
        "took",
        "12 ms",
        "3s",
        "5 µs",
        "broken pipe",
        "unauthorized",
        "ſession",  # long s: matches "s" case-insensitively, but is not ASCII
        "faıl",  # dotless i
        "İnvalid",  # dotted capital I
        "KILLED",  # Kelvin sign
        "Μs",  # Greek capital mu
    ]
)
_TEXT = st.lists(
    st.one_of(_WORDS, _WORDS.map(str.upper), _WORDS.map(str.swapcase), st.text(max_size=4)),
    max_size=8,
).map(" ".join)


@settings(max_examples=500, deadline=None)
@given(_TEXT)
def test_found_in_is_the_case_insensitive_search(text: str) -> None:
    for v in VOCABULARIES:
        assert v.found_in(text) is (v.folded.search(text) is not None)
        assert v.folded.flags & re.IGNORECASE


@pytest.mark.parametrize("pattern", [r"Error", r"(?i)error", r"\x41", r"a\1", r"[A-Z]"])
def test_patterns_that_could_match_upper_case_literally_are_refused(pattern: str) -> None:
    with pytest.raises(ValueError):
        Caseless(pattern)
