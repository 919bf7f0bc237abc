"""Odd input never raises: lines cut short inside a header, or made only of marks."""

from __future__ import annotations

import pytest

from logsum import Engine


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
