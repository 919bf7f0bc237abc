"""Structured lines whose keys the engine does not know by name: message, timestamp and level
chosen by what the values look like (``golden/structured.jsonl``, lines written by us after
each library's documented output: GELF 1.1, ECS, Google Cloud Logging, zap's development
encoder keys, Serilog CLEF, structlog, logrus, klog JSON, Docker's json-file driver, an
application's own keys, logfmt, CSV and TSV exports with and without a header row).

Lines of one ``source`` go through one engine in order (a header row, or a key that held free
text on an earlier line, teaches the later ones). A ``message`` of ``null`` is not checked (a
header row)."""

from __future__ import annotations

import json
import random
from collections import defaultdict
from datetime import datetime
from pathlib import Path

import pytest

from logsum import Engine, EngineConfig

CASES = [
    json.loads(row)
    for row in (Path(__file__).parent / "golden" / "structured.jsonl").read_text().splitlines()
]
SOURCES: dict[str, list[dict[str, str | None]]] = defaultdict(list)
for case in CASES:
    SOURCES[str(case["source"])].append(case)


@pytest.mark.parametrize("source", sorted(SOURCES))
def test_structured_source(source: str) -> None:
    engine = Engine(EngineConfig(default_year=2026))
    wrong = []
    for case in SOURCES[source]:
        r = engine.process(str(case["line"]))
        want_time = None if case["timestamp"] is None else datetime.fromisoformat(case["timestamp"])
        got = (r.message if case["message"] is not None else None, r.timestamp, r.header.level)
        if got != (case["message"], want_time, case["level"]):
            wrong.append(
                f"{case['line'][:100]}\n  want {case['message']!r} {want_time} "
                f"{case['level']}\n  got  {got[0]!r} {got[1]} {got[2]}"
            )
    assert not wrong, "\n".join(wrong)


def test_an_event_names_context_stays_in_its_template() -> None:
    """The message is the event name alone; its fields are mined after it, so two kinds of
    request stay apart and the values are parameters."""
    engine = Engine()
    lines = [
        f"time=2026-03-02T10:00:0{i}.123Z level=INFO msg=request method=GET path=/u/{i} status=200"
        for i in range(4)
    ]
    results = [engine.process(line) for line in lines]
    assert {r.message for r in results} == {"request"}
    assert engine.template(results[0].pattern_id) == "request method=GET path=<*> status=<*>"
    assert results[3].params == ("/u/3", "200")


def test_a_battery_level_is_data_not_a_level() -> None:
    r = Engine().process('{"ts":1772445600.5,"battery_level":3,"text":"Battery low"}')
    assert (r.message, r.header.level) == ("Battery low", None)


def test_a_number_under_any_key_is_not_a_time() -> None:
    r = Engine().process('{"bytes":1772445600,"note":"Upload finished for user 12"}')
    assert (r.message, r.timestamp) == ("Upload finished for user 12", None)


def test_the_shape_cache_changes_no_result_on_these_lines() -> None:
    """Lines equal to the golden ones up to their digits (dates kept valid in text records)
    read the same with the shape cache on and off."""
    rng = random.Random(7)
    lines = []
    for _ in range(600):
        line = str(rng.choice(CASES)["line"])
        keep = 0 if line.startswith("{") else 30
        lines.append(
            line[:keep]
            + "".join(
                rng.choice("0123456789") if c.isdigit() and rng.random() < 0.5 else c
                for c in line[keep:]
            )
        )

    def run(cache: bool) -> list[tuple[object, ...]]:
        engine = Engine(EngineConfig(shape_cache=cache, default_year=2026))
        results = [engine.process(line) for line in lines]
        return [(r.message, r.timestamp, r.header, r.pattern_id, r.params) for r in results]

    assert run(True) == run(False)


@pytest.mark.parametrize(
    "line",
    [
        '{"a":' * 200 + "1" + "}" * 200,  # deep nesting
        '{"' + "k" * 60_000 + '":"Some words here for a message"}',  # a huge key
        '{"x":NaN,"msg":"not JSON"}',
        '{"t":1e400,"when":-1,"level_x":"info","note":"Upload finished"}',
        '{"m":"caf\udcc3 au lait ok"}',  # a lone surrogate from invalid UTF-8
        "Level,Date,Message,A,B,C\n" + "x," * 5000,
    ],
)
def test_bad_structured_input_is_harmless(line: str) -> None:
    engine = Engine()
    r = engine.process(line)
    assert r.pattern_id
    assert engine.process(line).pattern_id == r.pattern_id
