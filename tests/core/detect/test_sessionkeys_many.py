"""Reading the session keys of many messages in one scan gives each message's own keys."""

from __future__ import annotations

import pytest

from logsum.core.detect.base import DEFAULT_LIMITS
from logsum.core.detect.sessionkeys import MAX_KEY_SCAN_CHARS, CallerKey, FoundKey, joinable

MESSAGES = [
    "Receiving block blk_-1608999687919862906 src: /10.250.19.102:54106",
    "blk_1 and blk_1 and blk_22 blk_333",
    "",
    "no key here",
    "request_id=abc-1 user=7 request_id=abc-2",
    "x" * (MAX_KEY_SCAN_CHARS - 5) + " blk_777 blk_888",
    "blk_" + "9" * 20,
    " ".join(f"blk_{i}" for i in range(20)),
    "édition blk_42é blk_43",
]


@pytest.mark.parametrize(
    "pattern",
    [r"blk_-?\d+", r"request_id=([\w-]+)", r"\bblk_(\d+)\b", r"(?<![\w.-])blk_-?\d+\b"],
)
def test_many_at_once_gives_each_messages_keys(pattern: str) -> None:
    key = CallerKey(pattern, DEFAULT_LIMITS)
    assert key.keys_many(MESSAGES) == [key.keys(m) for m in MESSAGES]
    found = FoundKey(pattern)
    assert found.keys_many(MESSAGES) == [found.keys(m) for m in MESSAGES]


@pytest.mark.parametrize("pattern", [r"^blk_\d+", r"blk_\d+$", r"id=(\S+)", r"(?<=\W)blk", r"a.b"])
def test_keys_that_could_read_across_messages_are_read_one_by_one(pattern: str) -> None:
    assert not joinable(pattern)
    key = CallerKey(pattern, DEFAULT_LIMITS)
    assert key.keys_many(MESSAGES) == [key.keys(m) for m in MESSAGES]
