"""Every cache of the engine is bounded in bytes as well as in entries (EngineConfig's
match_cache_bytes, max_pattern_bytes, max_example_chars): hostile input keeps its memory flat."""

from __future__ import annotations

import random

import pytest

from logsum import Engine, EngineConfig


def test_the_shape_cache_stays_within_its_byte_budget() -> None:
    rng = random.Random(1)
    engine = Engine(EngineConfig(match_cache_bytes=1024 * 1024))
    for _ in range(50):  # each line has thousands of digit runs: megabytes of positions
        engine.process(rng.randbytes(8 * 1024).hex())
    shapes = engine._shapes
    assert shapes is not None
    assert 0 < shapes._bytes <= 1024 * 1024


def test_patterns_past_their_byte_budget_are_evicted_oldest_first() -> None:
    rng = random.Random(2)
    words = ["".join(rng.choices("abcdefghij", k=8)) for _ in range(2_000)]
    engine = Engine(EngineConfig(max_pattern_bytes=2 * 1024 * 1024))
    for _ in range(300):
        engine.process(" ".join(rng.choices(words, k=400)))
    assert engine.evictions > 0
    assert engine._miner._bytes <= 2 * 1024 * 1024
    assert len(engine.patterns()) < 300


def test_example_values_are_cut() -> None:
    engine = Engine(EngineConfig(max_example_chars=32), message_only=True)
    engine.process("payload " + "x" * 1000)
    engine.process("payload " + "y" * 1000)
    (pattern,) = engine.patterns()
    assert pattern.template == "payload <*>"
    assert [len(v) for v in pattern.params[0].examples] == [33, 33]
    assert pattern.params[0].examples[0].endswith("…")


@pytest.mark.parametrize("field", ["match_cache_bytes", "max_pattern_bytes", "max_example_chars"])
def test_bounds_refuse_nonsense(field: str) -> None:
    with pytest.raises(ValueError, match=field):
        EngineConfig(**{field: -1})  # type: ignore[arg-type]


def test_header_evidence_keeps_no_long_text() -> None:
    # sources whose header field or message opens with a long word: what the header detector
    # remembers of each source and statement stays short, whatever the words' length
    rng = random.Random(3)

    def word(n: int) -> str:
        return "".join(rng.choices("abcdefghijklmnopqrstuvwxyzABCDEFGHIJ", k=n))

    engine = Engine()
    for i in range(200):
        stamp = f"2026/03/02 10:00:{i % 60:02d}"
        if i % 3 == 0:
            engine.process(f"{stamp} Claim successful {i}")
        elif i % 3 == 1:
            engine.process(f"{stamp} {word(8)}: {word(20_000)} more")
        else:
            engine.process(f"{stamp} [{word(20_000)}] {word(20_000)} x")
        # a level with a name after it, and without: the level's sources are remembered too
        engine.process(f"{stamp} [{word(3_000)}] INFO {word(5)}: hello {i}")
        engine.process(f"{stamp} [{word(3_000)}] INFO hello there {i}")
    headers = engine._headers
    kept = sum(len(k) for k in headers._heads)
    kept += sum(len(k) for k in headers._decided)
    kept += sum(len(k) + len(v) for k, v in headers._values.items())
    kept += sum(len(k) for k in headers._plain) + sum(len(k) for k in headers._with_name)
    assert kept < 200 * 2_000
