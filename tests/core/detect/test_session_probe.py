"""Session-key auto-detection: the fast probe finds exactly what the plain one would.

The probe scans the messages joined into one text, skips candidates that a substring count
rules out, and tries some regexes only where a match can start. The reference below is the
plain definition (every candidate regex on every message); both must agree on any input.
"""

from __future__ import annotations

import re
import sys
from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from logsum.core.detect import session
from logsum.core.detect.session import (
    _ID_SPELLINGS,
    _KV_ID,
    _PREFIXED_ID,
    _UUID,
    MAX_KEY_SCAN_CHARS,
    _FoundKey,
    auto_session_key,
)


def reference(messages: list[str], min_share: float) -> str | None:
    """``auto_session_key`` by its definition: each candidate regex on each message."""
    if not messages:
        return None
    prefixes: Counter[str] = Counter()
    for m in messages:
        for hit in _PREFIXED_ID.finditer(m):
            prefixes[hit.group(1)] += 1
    candidates = [rf"(?<![\w.-]){re.escape(p)}_-?\d+\b" for p, _ in prefixes.most_common(5)]
    best: tuple[float, str] | None = None
    for pattern in [*candidates, _UUID, _KV_ID]:
        hit_lines, keys = reference_tally(pattern, messages)
        share = hit_lines / len(messages)
        if share < min_share or len(keys) < 3 or hit_lines / len(keys) < 2.0:
            continue
        if best is None or share > best[0]:
            best = (share, pattern)
    return best[1] if best else None


def reference_tally(pattern: str, messages: list[str]) -> tuple[int, Counter[str]]:
    key = _FoundKey(pattern)
    keys: Counter[str] = Counter()
    lines = 0
    for m in messages:
        found = key.keys(m)
        if found:
            lines += 1
            keys.update(found)
    return lines, keys


_FIXED_IDS = st.sampled_from(
    [
        "blk_1234567",
        "blk_-9876543210",
        "blk_12",
        "xblk_1234567",
        "blk_1234567_2",
        "ab_000001",
        "Task_1234567",
        "job_123456x",
        ".job_1234567",
        "-job_1234567",
        "é_1234567",
        "abcdefghijklm_1234567",
        "abcdefghijkl_1234567",
        "123e4567-e89b-12d3-a456-426614174000",
        "123E4567-E89B-12D3-A456-426614174000",
        "x123e4567-e89b-12d3-a456-426614174000",
        "123e4567-e89b-12d3-a456-426614174000-e89b-12d3-a456-426614174000",
        "123e4567-e89b-12d3-a456",
        "request_id=abc",
        "REQUEST-ID: 'x.y:z'",
        "reqid=7",
        "trace_ıd=a1",
        "Sess_İD = q",
        "connection_id=\x00z",
        "ſession_id=5",
        "transactionid:'t-1'",
        "id=1",
        "pid=42",
    ]
)
_VALUES = st.integers(0, 5)
_IDS = st.one_of(
    _FIXED_IDS,
    _VALUES.map(lambda v: f"blk_{1000000 + v}"),
    _VALUES.map(lambda v: f"job_{2000000 + v}"),
    _VALUES.map(lambda v: f"{v:08x}-e89b-12d3-a456-42661417400{v}"),
    _VALUES.map(lambda v: f"request_id={v}"),
)
_GLUE = st.sampled_from([" ", "", "_", "-", ".", ":", "=", "\x00", "\n", "\t", "'", "é"])
_MESSAGE = st.lists(st.tuples(_GLUE, _IDS), max_size=6).map(
    lambda parts: "".join(g + i for g, i in parts)
)
_MESSAGES = st.lists(
    st.one_of(_MESSAGE, _MESSAGE.map(lambda m: " " * (MAX_KEY_SCAN_CHARS - 10) + m)),
    min_size=1,
    max_size=40,
)


@st.composite
def _repeating(draw: st.DrawFn) -> list[str]:
    """Lines drawn from a few distinct messages, so that keys repeat (as sessions do)."""
    pool = draw(st.lists(_MESSAGE, min_size=1, max_size=8))
    picks = draw(st.lists(st.integers(0, len(pool) - 1), min_size=1, max_size=60))
    return [pool[i] for i in picks]


@settings(max_examples=400, deadline=None)
@given(st.one_of(_MESSAGES, _repeating()), st.sampled_from([0.0, 0.2, 0.5, 0.9]))
def test_the_probe_finds_what_the_plain_scan_finds(messages: list[str], share: float) -> None:
    assert auto_session_key(messages, share) == reference(messages, share)


@settings(max_examples=300, deadline=None)
@given(_MESSAGES)
def test_each_candidate_counts_what_the_plain_scan_counts(messages: list[str]) -> None:
    joined = session._Joined(messages)
    cut = session._Joined([m[:MAX_KEY_SCAN_CHARS] for m in messages])
    candidates = session._candidates(joined.text)
    prefixes: Counter[str] = Counter()
    for m in messages:
        for hit in _PREFIXED_ID.finditer(m):
            prefixes[hit.group(1)] += 1
    assert [c.pattern for c in candidates[:-2]] == [
        rf"(?<![\w.-]){re.escape(p)}_-?\d+\b" for p, _ in prefixes.most_common(5)
    ]
    for c in candidates:
        lines, keys = session._tally(c, cut)
        assert (lines, keys) == reference_tally(c.pattern, messages)
        assert lines <= c.most(cut.text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="iIıİdDx", max_size=30))
def test_ids_are_counted_as_the_regex_sees_them(text: str) -> None:
    assert session._count_ids(text) == sum(text.count(s) for s in _ID_SPELLINGS)
    assert session._count_ids(text) >= len(re.findall("(?i)id", text))


def test_id_spellings_are_every_case_insensitive_match_of_id() -> None:
    rx_i, rx_d = re.compile("(?i)i"), re.compile("(?i)d")
    i_like = {c for c in map(chr, range(sys.maxunicode + 1)) if rx_i.fullmatch(c)}
    d_like = {c for c in map(chr, range(sys.maxunicode + 1)) if rx_d.fullmatch(c)}
    assert set(_ID_SPELLINGS) == {a + b for a in i_like for b in d_like}
