"""Odd input never raises: lines cut short inside a header, or made only of marks."""

from __future__ import annotations

import pytest

from logsum import Engine
from logsum.core.config import EngineConfig


@pytest.mark.parametrize(
    "line",
    ["[2026-03-02 10:00:00", "[+14ms: 10:00:00 PM", "[10:00:00 PM"],
)
def test_a_line_that_ends_inside_a_bracket_opened_by_its_time_is_read(line: str) -> None:
    engine = Engine()
    result = engine.process(line)
    assert result.message  # the text is kept, not lost to an error
    assert engine.process("[2026-03-02 10:00:01] next").message.endswith("next")


@pytest.mark.parametrize(
    "line", ["", " " * 300, "[" * 5000, "]" * 5000, "|" * 5000, "\x00\x1b\x7f"]
)
def test_lines_of_marks_only_are_read(line: str) -> None:
    engine = Engine()
    for _ in range(3):
        engine.process(line)
        engine.process_compact(line)


def test_a_line_cut_short_inside_its_bracketed_time_does_not_teach_a_layout() -> None:
    # a file cut mid-write (rotation, a crash): one line ends inside the bracket that opens
    # its time; the lines around it keep their time and their message
    engine = Engine(EngineConfig(default_year=2026))
    lines = [
        "[2026-03-02 10:00:01] cache warmed in 12 ms",
        "[2026-03-02 10:00:0",
        "[2026-03-02 10:00:02] cache warmed in 15 ms",
        "[2026-03-02 10:00:03] worker 4 started",
    ]
    got = [engine.process(line) for line in lines]
    assert [r.message for r in got[2:]] == ["cache warmed in 15 ms", "worker 4 started"]
    assert [r.timestamp.second if r.timestamp else None for r in got[2:]] == [2, 3]
