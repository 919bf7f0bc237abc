"""The template corpus (``tests/templates/``): the files are well formed, and template mining
stays at or above the accuracy measured when the floors were set.

Floors sit a little under what the engine measured (``python bench/templates.py``); raise them
when the engine improves. Only ``tune`` is for looking at wrong templates; ``holdout`` is
measured.
"""

from __future__ import annotations

import random
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from logsum.core.model import WILDCARD
from templates_data import (  # bench/ is not a package
    CORPUS,
    HEADER_START,
    PARTS,
    SLOTS,
    Header,
    HeaderWriter,
    Statement,
    TemplateCorpusError,
    load,
    load_program,
    mean,
    run_interleaved,
    run_interleaved_raw,
    run_program,
    statement_level,
)

MULTI_TOKEN = {"datetime", "ctime"}  # timestamps: one value over several tokens

# (GA, PA, FGA, FTA) per part and mode; sequential and raw are means over programs, raw
# interleaved the mean over programs of their scores in one shared engine.
# Lowered when 20 programs (14 tune, 6 holdout) were added, written from each program's
# documented messages before any engine run on them (new tune programs alone: message GA/PA/
# FGA/FTA 0.821/0.752/0.803/0.711, raw 0.819/0.645/0.803/0.602; new holdout: message
# 0.965/0.782/0.948/0.769, raw 0.951/0.721/0.930/0.727). Measured then (truncated below; values
# that still passed kept): tune message 0.916/0.831/0.897/0.800, interleaved 0.909/0.835/0.868/
# 0.782, raw 0.915/0.785/0.897/0.753, raw interleaved 0.916/0.785/0.901/0.755; holdout raw
# interleaved GA 0.899. Lowered again for the branch tmplvals's 13 tune programs (activemq,
# flink, freshclam, kube-scheduler, pacemaker, podman, polkitd, proftpd, solr, systemd-logind,
# systemd-networkd, ufw, vault; raw headers of some not read yet), measured with its rules:
# tune message 0.914/0.838/0.893/0.808, interleaved 0.889/0.828/0.858/0.785, raw 0.893/0.755/
# 0.876/0.723, raw interleaved 0.882/0.742/0.867/0.713.
FLOORS = {
    ("tune", "sequential"): (0.91, 0.83, 0.89, 0.80),
    ("holdout", "sequential"): (0.91, 0.67, 0.88, 0.65),
    ("tune", "interleaved"): (0.88, 0.82, 0.85, 0.78),
    ("holdout", "interleaved"): (0.88, 0.68, 0.83, 0.65),
    ("tune", "raw"): (0.89, 0.75, 0.87, 0.72),
    ("holdout", "raw"): (0.91, 0.55, 0.87, 0.54),
    ("tune", "raw interleaved"): (0.88, 0.74, 0.86, 0.71),
    ("holdout", "raw interleaved"): (0.89, 0.55, 0.87, 0.54),
}


@pytest.mark.parametrize(("part", "mode"), sorted(FLOORS))
def test_accuracy_floor(part: str, mode: str) -> None:
    programs = load([part])
    if mode == "sequential":
        got = mean([run_program(p) for p in programs])
    elif mode == "raw":
        got = mean([run_program(p, "raw") for p in programs])
    elif mode == "raw interleaved":
        got = mean(list(run_interleaved_raw(programs).values()))
    else:
        got = run_interleaved(programs)  # type: ignore[assignment]
    names = ("ga", "pa", "fga", "fta")
    low = {
        n: (round(getattr(got, n), 3), f)
        for n, f in zip(names, FLOORS[part, mode], strict=True)
        if getattr(got, n) < f
    }
    assert not low, f"{part}, {mode}: below the floor (got, floor): {low}"


def test_corpus_is_well_formed() -> None:
    programs = load()
    names = [p.name for p in programs]
    assert len(programs) >= 40
    assert len(names) == len(set(names))
    files = {p.stem for p in CORPUS.glob("*.txt")}
    assert files == set(names)
    for p in programs:
        assert p.source.strip(), f"{p.name}: no source note"
        # (up to 16: one statement per transition of a state machine)
        assert 4 <= len(p.statements) <= 16, f"{p.name}: {len(p.statements)} statements"
        templates = [s.template for s in p.statements]
        assert len(templates) == len(set(templates)), f"{p.name}: two equal templates"
        for line, _ in p.lines():
            assert line and "\n" not in line and "{" + "=" not in line, f"{p.name}: {line!r}"
            assert WILDCARD not in line


def test_every_program_has_a_header_that_writes_its_lines() -> None:
    # Each line is the program's message inside its documented layout, one clock per program
    # running forward from HEADER_START; the expected template stays the statement's (less a
    # program tag the header holds, {msg:prog}).
    start = datetime(*HEADER_START, tzinfo=UTC)
    for p in load():
        assert "{msg" in p.header.text, p.name
        raw = p.raw_lines()
        plain = p.lines()
        assert len(raw) == len(plain)
        for (line, want), (message, template) in zip(raw, plain, strict=True):
            assert "\n" not in line and "{" + "ts:" not in line and "{" + "msg" not in line
            assert want == p.header.expected(template)
            if p.header.msg_mode == "":
                assert message in line, f"{p.name}: {message!r} not in {line!r}"
        assert raw[0][0] != raw[1][0]
    # a time slot writes the program's clock, which starts on HEADER_START and advances
    writer = HeaderWriter("x", Header.parse("{ts:%Y-%m-%d %H:%M:%S.%3f} {msg}", "x"))
    stamps = [writer.line("hello {user}", "hello bob")[:23] for _ in range(5)]
    assert stamps == sorted(stamps) and len(set(stamps)) == 5
    assert stamps[0].startswith(start.strftime("%Y-%m-%d"))


def test_a_header_gives_a_statement_its_level_and_json_or_logfmt_its_fields() -> None:
    assert statement_level("Connection refused by {ipv4}") == 2
    assert statement_level("Slow query took {ms}") == 1
    assert statement_level("Started {service}") == 0
    header = Header.parse('{"level":"{level:info|warn|error}","msg":{msg:json}}', "x")
    line = HeaderWriter("x", header).line("failed {word}", "failed orders\tid=7")
    assert line == '{"level":"error","msg":"failed orders","id":"7"}'
    logfmt = Header.parse("level={level:info|warn|error} msg={msg:logfmt}", "x")
    assert HeaderWriter("x", logfmt).line("a", "two words\tk=v") == 'level=info msg="two words" k=v'


@pytest.mark.parametrize(
    "text",
    [
        "{ts:%H:%M:%S} no message",
        "{ts:%H:%M:%S} {msg} {msg}",
        "{host} {msg}",  # neither a time nor a level
        "{level:INFO|ERROR} {msg}",  # three level names: info, warning, error
        "{ts:%H} {bogus} {msg}",
        "{ts:%H} {msg:yaml}",
    ],
)
def test_a_bad_header_is_refused(text: str) -> None:
    with pytest.raises(TemplateCorpusError):
        Header.parse(text, "x")


def test_a_program_without_a_header_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "prog.txt"
    path.write_text("# source: a program\nstarted {service}\n", encoding="utf-8")
    with pytest.raises(TemplateCorpusError, match="header"):
        load_program(path)


def test_parts_are_fixed_by_name_and_both_sizable() -> None:
    tune = {p.name for p in load(["tune"])}
    holdout = {p.name for p in load(["holdout"])}
    assert not tune & holdout
    assert len(tune) >= 20 and len(holdout) >= 12
    assert {p.part for p in load()} == set(PARTS)


def test_lines_are_the_same_on_every_run() -> None:
    first = [p.lines() for p in load()]
    assert first == [p.lines() for p in load()]


def test_every_slot_kind_gives_one_token() -> None:
    rnd = random.Random(1)
    for kind, gen in SLOTS.items():
        if kind in MULTI_TOKEN:
            continue
        for _ in range(20):
            value = gen(rnd)
            assert value and " " not in value, f"{kind}: {value!r}"


def test_a_statement_fills_slots_and_expects_wildcards() -> None:
    s = Statement("user {user} took {=5ms|7ms}", "user <*> took <*>", 1)
    line = s.line(random.Random(3))
    words = line.split()
    assert words[0] == "user" and words[2] == "took" and words[3] in {"5ms", "7ms"}


def test_floors_can_fail() -> None:
    rows = load(["tune"])[0].lines()
    from logsum.core.scoring import score

    bad = score([t for _, t in rows], list(range(len(rows))), [line for line, _ in rows])
    assert bad.pa == 0.0 and bad.fta == 0.0
