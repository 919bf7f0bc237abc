"""Header detection on the layouts of common logging libraries and servers, alone and
interleaved: a line gets the same header and message whatever lines came before it.

``golden/headers.jsonl`` holds one line per convention (written by us after each library's or
server's documented default format) with its expected message, level, component and
timestamp (year-less lines are read with ``default_year=2026``)."""

from __future__ import annotations

import json
import random
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from logsum import Engine
from logsum.core.config import EngineConfig
from logsum.core.model import Severity

GOLDEN = Path(__file__).parent / "golden" / "headers.jsonl"
CASES = [json.loads(x) for x in GOLDEN.read_text(encoding="utf-8").splitlines() if x.strip()]


def _engine() -> Engine:
    return Engine(EngineConfig(default_year=2026))


def _seen(engine: Engine, line: str) -> dict[str, Any]:
    r = engine.process(line)
    return {
        "line": line,
        "message": r.message,
        "level": r.header.level,
        "component": r.header.component,
        "timestamp": r.timestamp.isoformat() if r.timestamp else None,
    }


@pytest.mark.parametrize("case", CASES, ids=[c["line"][:40] for c in CASES])
def test_each_layout_alone(case: dict[str, Any]) -> None:
    assert _seen(_engine(), case["line"]) == case


def test_interleaved_sources_keep_their_own_layouts() -> None:
    """Every line, repeated and shuffled with the others into one engine, is split as it is
    alone: a layout learned from one source never takes over the lines of another."""
    rng = random.Random(7)
    for _ in range(10):
        stream = [c for c in CASES for _ in range(3)]
        rng.shuffle(stream)
        engine = _engine()
        for case in stream:
            assert _seen(engine, case["line"]) == case


POSTGRES = [
    ("2026-03-02 10:00:00.101 UTC [16291] LOG:  database system is ready", "INFO"),
    ('2026-03-02 10:00:01.202 UTC [16292] ERROR:  relation "foo" does not exist', "ERROR"),
    ("2026-03-02 10:00:01.203 UTC [16292] STATEMENT:  select * from foo;", None),
    ("2026-03-02 10:00:02.304 UTC [16293] FATAL:  password authentication failed", "CRITICAL"),
    ("2026-03-02 10:00:02.305 UTC [16293] DETAIL:  Connection matched pg_hba.conf line 99", None),
    (
        "2026-03-02 10:00:03.406 UTC [16294] WARNING:  there is no transaction in progress",
        "WARNING",
    ),
    ("2026-03-02 10:00:04.507 UTC [16291] LOG:  checkpoint starting: time", "INFO"),
]


def test_a_learned_layout_never_overrules_the_level_a_line_states() -> None:
    engine = _engine()
    for line, level in POSTGRES:
        r = engine.process(line)
        assert r.header.level == level, line
        assert r.message == line.split(":  ", 1)[1]
        assert isinstance(r.timestamp, datetime)
    fatal = _engine()
    for line, _ in POSTGRES:
        last = fatal.process(line)
        if "FATAL" in line:
            assert last.severity is Severity.CRITICAL


DOC = Path(__file__).parents[2] / "docs" / "HEADERS.md"


def _doc_examples() -> list[tuple[str, str]]:
    """(line, message) of every row of docs/HEADERS.md's table whose message is quoted."""
    out = []
    for row in DOC.read_text(encoding="utf-8").splitlines():
        cells = row.split(" | ")
        if len(cells) < 3 or not cells[1].startswith("`"):
            continue
        want = cells[2].strip().rstrip("|").strip()
        if want.startswith("`"):
            out.append((cells[1].strip("`").replace("\\|", "|"), want.split("`")[1]))
    return out


def test_the_documented_examples_split_as_documented() -> None:
    examples = _doc_examples()
    assert len(examples) >= 50
    for line, message in examples:
        assert _engine().process(line).message == message, line
