"""The format corpus (``tests/corpus/``): the files are well formed, and the engine's header
splitting stays at or above the agreement measured when the floors were set.

Floors sit a little under what the engine measured (``python bench/corpus.py``); raise them when
the engine improves. Only ``tune`` is for looking at mismatches; ``holdout`` is measured.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

from logsum import Engine, LineResult

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from corpus_data import (  # bench/ is not a package
    CORPUS,
    LEVEL_NAMES,
    PARTS,
    Agreement,
    Case,
    agreement,
    generic_only,
    load,
    part_of,
    run_family,
    run_interleaved,
)

# (message, timestamp, level, found) per part and mode.
# Set after 44 families were added to both parts in the second issue-15 pass (the 16 new
# holdout ones are harder than the older 34: message 0.854 on those, 0.647 on the new).
# Lowered to the measured values (truncated) when 56 families (33 tune, 23 holdout) were added
# in the fourth corpus pass, written before any engine run on them; they failed the old floors
# (tune 0.92/0.96/0.96/0.96, holdout 0.75/0.94/0.86/0.95 sequential). Measured then: tune
# 0.835/0.941/0.902/0.943, holdout 0.697/0.968/0.832/0.975 sequential; interleaved tune
# 0.834/0.900/0.904/0.929, holdout 0.694/0.936/0.831/0.973. Values that still passed are kept.
# Raised with the general fields and learned columns (docs/HEADERS.md): measured tune
# 0.875/0.970/0.947/0.975, holdout 0.741/0.968/0.848/0.975 sequential; interleaved tune
# 0.875/0.929/0.943/0.963, holdout 0.724/0.936/0.838/0.973.
# Lowered when 45 families (30 tune, 15 holdout) were added in the fifth corpus pass, written
# from each program's documentation before any engine run on them (new tune families alone:
# 0.666/0.891/0.855, new holdout 0.673/0.925/0.912). Measured then: tune 0.853/0.965/0.933/0.962,
# holdout 0.723/0.969/0.891/0.973 sequential; interleaved tune 0.844/0.919/0.929/0.953, holdout
# 0.709/0.937/0.863/0.971. Values that still passed are kept.
# Tune raised with the rules for the new families' misses (timestamp placements, logger
# columns, run brackets): measured tune 0.910/0.985/0.965/0.984 sequential, 0.908/0.939/0.963/
# 0.975 interleaved; holdout unchanged (0.723/0.969/0.891/0.973; 0.709/0.937/0.867/0.971).
FLOORS = {
    ("tune", "sequential"): (0.90, 0.98, 0.96, 0.98),
    ("holdout", "sequential"): (0.72, 0.96, 0.87, 0.97),
    ("tune", "interleaved"): (0.90, 0.93, 0.95, 0.97),
    ("holdout", "interleaved"): (0.70, 0.93, 0.84, 0.97),
}


# The same with every named convention switched off (``bench/corpus.py --generic-only``): what
# the general mechanisms alone give a format nobody coded. Set when they were added, on the
# 156 + 56 families (message: tune 0.553 -> 0.759, holdout 0.563 -> 0.689; 0.720 and 0.668
# once a run with no level anywhere stopped counting as header).
# Lowered with the fifth corpus pass's 45 families (measured: tune 0.723/0.943/0.853/0.938,
# holdout 0.671/0.960/0.832/0.963).
# Tune raised with the same rules (measured 0.756/0.957/0.866/0.953).
GENERIC_FLOORS = {
    "tune": (0.75, 0.95, 0.86, 0.95),
    "holdout": (0.66, 0.96, 0.81, 0.96),
}


def _measure(part: str, mode: str) -> Agreement:
    families = load([part])
    if mode == "sequential":
        return agreement(o for f in families for o in run_family(f))
    return agreement(run_interleaved(families))


@pytest.mark.parametrize("part", sorted(GENERIC_FLOORS))
def test_generic_agreement_floor(part: str) -> None:
    with generic_only():
        got = _measure(part, "sequential")
    names = ("message", "timestamp", "level", "found")
    floor = dict(zip(names, GENERIC_FLOORS[part], strict=True))
    low = {k: (getattr(got, k), v) for k, v in floor.items() if getattr(got, k) < v}
    assert not low, f"{part}, generic only: below the floor (got, floor): {low}"
    assert _measure(part, "sequential").message > got.message  # the conventions came back


@pytest.mark.parametrize(("part", "mode"), sorted(FLOORS))
def test_agreement_floor(part: str, mode: str) -> None:
    got = _measure(part, mode)
    floor = dict(zip(("message", "timestamp", "level", "found"), FLOORS[part, mode], strict=True))
    low = {k: (getattr(got, k), v) for k, v in floor.items() if getattr(got, k) < v}
    assert not low, f"{part}, {mode}: below the floor (got, floor): {low}"


# Families whose lines drift when sources interleave: known engine defects (issue 15), listed
# so that every other family stays guarded; remove an entry once the engine keeps it. (Runs of
# header fields tell their brackets apart since: an Erlang pid "<0.7.0>" no longer replays over
# a JVM thread "[main]", which took nifi-app, solr, wildfly and log4j1-pattern.)
# windows-dhcp-audit: its text preamble (lines with no time, before the CSV header row) reads
# as continuation lines of whatever record came before it, and takes that record's time.
# gcloud-cli-log, slurmctld: since learned columns apply to every line of a layout (branch
# firstlines), interleaved records drift here (alone 0.90 / 0.75, interleaved 0.60 / 0.625):
# a layout shared by several sources ("time, text") learns columns from its first lines, which
# may be another source's; columns are kept per layout and way of writing the time, not yet per
# source.
KNOWN_DRIFT: set[tuple[str, str]] = {
    ("gcloud-cli-log", "message"),
    ("slurmctld", "message"),
    ("windows-dhcp-audit", "timestamp"),
}


def test_interleaved_records_keep_each_familys_agreement() -> None:
    """All tune families' records shuffled into one engine (sources interleaving, each record
    written at once): every family's message and timestamp agreement stays within 0.03 of
    the same family read alone. A layout or a time learned from one source never takes over
    another source's lines."""
    families = load(["tune"])
    assert len(families) >= 5
    mixed = run_interleaved(families, by_record=True)
    assert len(mixed) == sum(len(f.cases) for f in families)
    drift = {}
    for f in families:
        alone = agreement(run_family(f))
        together = agreement(o for o in mixed if o.family == f.name)
        for field in ("message", "timestamp"):
            if (f.name, field) in KNOWN_DRIFT:
                continue
            if abs(getattr(alone, field) - getattr(together, field)) > 0.03:
                drift[f.name, field] = (getattr(alone, field), getattr(together, field))
    assert not drift, f"(alone, interleaved) per family: {drift}"


def test_a_line_splits_in_its_file_as_it_does_alone() -> None:
    """Every line of every tune family gets the same message, level and component when read
    after the lines before it in its file (learned layouts replayed) as when read first, but
    where its file taught more: the header columns a source's lines show (learned from its
    first lines, then stripped from the next) and the extent of a layout's run of general
    fields. There the line read in its file must agree with the corpus on as much of message
    and level as read alone: a file's lines never make a line's header worse."""
    differ = []
    for f in load(["tune"]):
        in_file = Engine(f.config())
        for case in f.cases:
            alone = Engine(f.config()).process(case.line)
            seen = in_file.process(case.line)
            if seen.continuation:
                continue  # part of the record before it, as it should be
            a = (alone.message, alone.header.level, alone.header.component)
            b = (seen.message, seen.header.level, seen.header.component)
            if a != b and _agreeing(case, seen) < _agreeing(case, alone):
                differ.append((f.name, case.line, a, b))
    assert not differ, differ[:5]


def _agreeing(case: Case, r: LineResult) -> int:
    return (r.message.strip() == case.message.strip()) + (r.header.level == case.level)


def test_bulk_parsing_reads_every_line_as_processing_does() -> None:
    """``logsum parse`` calls ``process_compact``, which replays known shapes on a path of
    its own: every line of both parts, three times over, shuffled (so shapes are learned and
    replayed, and lines of one source follow another's, as in a collector's file), gets the
    pattern, message, time, continuation and params that ``process`` gives it."""
    lines = [case.line for _ in range(3) for f in load() for case in f.cases]
    random.Random(7).shuffle(lines)
    one, bulk = Engine(), Engine()
    differ = []
    for line in lines:
        r = one.process(line)
        c = bulk.process_compact(line)
        # (bulk parsing's message is the text its params are read from: for a structured event
        # name, the name and then its context fields)
        same_message = c[4] == r.message or c[4].startswith(f"{r.message} ")
        same = (r.pattern_id, r.timestamp, r.continuation, r.params) == (c[0], c[2], c[5], c[3])
        if not (same and same_message):
            differ.append(line)
    assert not differ, differ[:5]


def test_corpus_is_well_formed() -> None:
    families = load()
    names = [f.name for f in families]
    assert len(families) >= 50
    assert len(names) == len(set(names)), "family names must be unique across parts"
    for part in PARTS:
        assert {f.part for f in families if f.part == part} == {part}
    for f in families:
        assert (CORPUS / f.part / f"{f.name}.jsonl").is_file(), f"{f.name}: file name"
        assert f.part == part_of(f.name), (
            f"{f.name} is in {f.part}, the rule says {part_of(f.name)}"
        )
        assert f.source.strip(), f"{f.name}: no source note"
        assert 6 <= len(f.cases) <= 16, f"{f.name}: {len(f.cases)} lines"
        for c in f.cases:
            assert c.line and "\n" not in c.line
            assert c.level is None or c.level in LEVEL_NAMES, f"{f.name}: level {c.level!r}"
            assert c.timestamp is None or c.timestamp.utcoffset() is not None


def test_parts_are_disjoint_and_both_sizable() -> None:
    tune = {f.name for f in load(["tune"])}
    holdout = {f.name for f in load(["holdout"])}
    assert not tune & holdout
    assert len(holdout) >= 15 and len(tune) >= 30


def test_agreement_can_fail() -> None:
    family = load(["tune"])[0]
    outcome = run_family(family)[0]
    assert outcome.agrees("message") == (outcome.message.strip() == outcome.case.message.strip())
    wrong = type(outcome)(outcome.family, outcome.case, "not the message", None, "NOT A LEVEL")
    assert not wrong.agrees("message") and not wrong.agrees("level")
    assert agreement([wrong]).message == 0.0
