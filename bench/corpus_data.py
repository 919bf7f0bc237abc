"""The format corpus (``tests/corpus/``): loading, and agreement of the engine with it.

Each ``tests/corpus/<part>/<family>.jsonl`` starts with one metadata object (``family``,
``source``, ``year``) followed by one object per log line (``line``, ``message``,
``timestamp``, ``level``); ``tests/corpus/README.md`` gives the conventions. Used by
``bench/corpus.py`` (tables) and ``tests/core/test_corpus.py`` (floors).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from logsum import Engine, EngineConfig, LineResult
from logsum.core import header, timestamps

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "corpus"
PARTS = ("tune", "holdout")
"""``tune``: what engine developers look at while tuning. ``holdout``: measured only, to check
that a gain on ``tune`` is real."""
LEVEL_NAMES = ("TRACE", "DEBUG", "INFO", "NOTICE", "WARNING", "ERROR", "CRITICAL")
"""The engine's canonical level names (``logsum.core.header.LEVELS``), the only ones used."""
INTERLEAVE_SEED = 15
"""Seed of the shuffle in interleaved mode, fixed so runs compare."""


class CorpusError(ValueError):
    """A corpus file that does not follow the format."""


@dataclass(frozen=True, slots=True)
class Case:
    """One line and what its format's documentation says its fields are."""

    line: str
    message: str
    timestamp: datetime | None
    level: str | None


@dataclass(frozen=True, slots=True)
class Family:
    """The lines of one log format, in the order a program would write them."""

    name: str
    source: str
    """Where the convention comes from (the layout string or the documented format)."""
    year: int | None
    """Year for the format's year-less timestamps (``EngineConfig.default_year``)."""
    part: str
    cases: tuple[Case, ...]

    def config(self) -> EngineConfig:
        """The engine settings a user reading this file would pass."""
        return EngineConfig() if self.year is None else EngineConfig(default_year=self.year)


def part_of(name: str) -> str:
    """The part a family belongs to: a fixed rule on its name (one in three, by hash), never
    on how well the engine does on it."""
    return "holdout" if hashlib.sha256(name.encode()).digest()[0] % 3 == 0 else "tune"


def _stamp(value: object, where: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise CorpusError(f"{where}: timestamp must be a string or null")
    stamp = datetime.fromisoformat(value)
    if stamp.tzinfo is None:
        raise CorpusError(f"{where}: timestamp {value!r} has no offset")
    return stamp


def _case(row: object, where: str) -> Case:
    if not isinstance(row, dict) or set(row) != {"line", "message", "timestamp", "level"}:
        raise CorpusError(f"{where}: want exactly line, message, timestamp, level")
    line, message, level = row["line"], row["message"], row["level"]
    if not isinstance(line, str) or not isinstance(message, str):
        raise CorpusError(f"{where}: line and message must be strings")
    if level is not None and not isinstance(level, str):
        raise CorpusError(f"{where}: level must be a string or null")
    return Case(line, message, _stamp(row["timestamp"], where), level)


def load_family(path: Path) -> Family:
    """One family file."""
    rows = [json.loads(text) for text in path.read_text(encoding="utf-8").splitlines() if text]
    if not rows or not isinstance(rows[0], dict) or "family" not in rows[0]:
        raise CorpusError(f"{path}: the first line must be the family's metadata")
    meta = rows[0]
    name, source, year = meta.get("family"), meta.get("source"), meta.get("year")
    if not isinstance(name, str) or not isinstance(source, str):
        raise CorpusError(f"{path}: family and source must be strings")
    if year is not None and not isinstance(year, int):
        raise CorpusError(f"{path}: year must be an integer or null")
    cases = tuple(_case(row, f"{path}:{n}") for n, row in enumerate(rows[1:], start=2))
    return Family(name, source, year, path.parent.name, cases)


def load(parts: Sequence[str] = PARTS, root: Path = CORPUS) -> list[Family]:
    """The families of the given parts, by part then name."""
    return [load_family(path) for part in parts for path in sorted((root / part).glob("*.jsonl"))]


# -- Agreement --------------------------------------------------------------------------------

FIELDS = ("message", "timestamp", "level")


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the engine made of one corpus line."""

    family: str
    case: Case
    message: str
    timestamp: datetime | None
    level: str | None

    def agrees(self, field: str) -> bool:
        """Whether the engine's value of ``field`` is the expected one: messages equal after
        stripping, timestamps the same instant to the millisecond (or both absent), levels
        the same canonical name (or both absent)."""
        if field == "message":
            return self.message.strip() == self.case.message.strip()
        if field == "timestamp":
            return _same_instant(self.timestamp, self.case.timestamp)
        if field == "level":
            return self.level == self.case.level
        raise ValueError(f"unknown field {field!r}")

    def got(self, field: str) -> str:
        """The engine's value, for a mismatch listing."""
        value = {"message": self.message, "timestamp": self.timestamp, "level": self.level}
        return _show(value[field])

    def want(self, field: str) -> str:
        """The expected value, for a mismatch listing."""
        return _show(getattr(self.case, field))


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


def _millis(stamp: datetime) -> int:
    return (stamp - _EPOCH) // _MS  # exact: no float rounding at the millisecond boundary


def _same_instant(got: datetime | None, want: datetime | None) -> bool:
    if got is None or want is None:
        return got is None and want is None
    if got.tzinfo is None:  # the engine promises UTC-aware values; a naive one is read as UTC
        got = got.replace(tzinfo=UTC)
    return _millis(got) == _millis(want)


def _show(value: object) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="milliseconds")
    return "null" if value is None else repr(value)


def _outcome(family: str, case: Case, r: LineResult) -> Outcome:
    return Outcome(family, case, r.message, r.timestamp, r.header.level)


def run_family(family: Family) -> list[Outcome]:
    """The family's lines, in order, through one fresh engine (a user parsing one file)."""
    engine = Engine(family.config())
    return [_outcome(family.name, c, engine.process(c.line)) for c in family.cases]


def records(family: Family) -> list[list[Case]]:
    """The family's lines grouped into records: a line that the engine, reading the family
    alone, takes as a continuation (a stack frame, an indented line) or gives the time of the
    record head before it (java.util.logging's ``LEVEL: message`` line) joins that record."""
    engine = Engine(family.config())
    out: list[list[Case]] = []
    for case in family.cases:
        r = engine.process(case.line)
        if out and (r.continuation or (r.timestamp is not None and r.header.timestamp is None)):
            out[-1].append(case)
        else:
            out.append([case])
    return out


def run_interleaved(
    families: Sequence[Family], seed: int = INTERLEAVE_SEED, by_record: bool = False
) -> list[Outcome]:
    """All lines of the families shuffled together (fixed seed) through one engine, as when
    sources interleave. The engine's default year is the most common one of the families.
    ``by_record``: whole records are merged at random, each family's in its own order (a
    record's continuation lines stay behind its first line and a source's records keep their
    order, as a collector that writes each record at once keeps them); otherwise single lines
    are shuffled, so that a stack frame may land after another source's line."""
    if by_record:
        queues = {f.name: records(f) for f in families}
        turns = [f.name for f in families for _ in queues[f.name]]
        random.Random(seed).shuffle(turns)
        taken = dict.fromkeys(queues, 0)
        pairs: list[tuple[str, Case]] = []
        for name in turns:
            rec = queues[name][taken[name]]
            taken[name] += 1
            pairs.extend((name, c) for c in rec)
    else:
        pairs = [(f.name, c) for f in families for c in f.cases]
        random.Random(seed).shuffle(pairs)
    years = [f.year for f in families if f.year is not None]
    year = max(set(years), key=years.count) if years else None
    engine = Engine(EngineConfig() if year is None else EngineConfig(default_year=year))
    return [_outcome(name, case, engine.process(case.line)) for name, case in pairs]


@dataclass(frozen=True, slots=True)
class Agreement:
    """Shares of lines on which the engine agrees with the corpus."""

    lines: int
    message: float
    timestamp: float
    level: float
    stamped: int
    """Lines whose expected timestamp is not null."""
    found: float
    """Share of the stamped lines for which the engine gives a timestamp (right or wrong)."""


def agreement(outcomes: Iterable[Outcome]) -> Agreement:
    """Agreement over some outcomes (0.0 shares when there are none)."""
    rows = list(outcomes)
    n = len(rows) or 1
    stamped = [o for o in rows if o.case.timestamp is not None]
    return Agreement(
        lines=len(rows),
        message=sum(o.agrees("message") for o in rows) / n,
        timestamp=sum(o.agrees("timestamp") for o in rows) / n,
        level=sum(o.agrees("level") for o in rows) / n,
        stamped=len(stamped),
        found=sum(o.timestamp is not None for o in stamped) / (len(stamped) or 1),
    )


# -- Generic-only mode ------------------------------------------------------------------------

_NEVER = re.compile(r"(?!)")


@contextmanager
def generic_only() -> Iterator[None]:
    """Within the block, the engine knows no named convention: the scanner's recognisers of
    one library's or server's field (``header.CONVENTIONS``), their tables of level letters
    and words, one program's timestamp shapes (``timestamps.CONVENTION_SHAPES``) are swapped
    for ones that never match. Every corpus family is then a format the engine was never
    told about, and what it gets right comes from the general mechanisms alone. Bench-only:
    the modules are patched in place and restored on exit (nothing in the core checks a flag,
    so the normal path pays nothing)."""
    saved: list[tuple[object, str, object]] = []

    def swap(module: object, name: str, value: object) -> None:
        saved.append((module, name, getattr(module, name)))
        setattr(module, name, value)

    for name in header.CONVENTIONS:
        swap(header, name, _NEVER)
    for name in header.CONVENTION_TABLES:
        swap(header, name, {})
    for name in timestamps.CONVENTIONS:
        swap(timestamps, name, _NEVER)
    levels = {w: header.LEVELS.pop(w) for w in header.CONVENTION_LEVELS}
    shapes = [
        (i, timestamps._PATTERNS[i], timestamps._PATTERNS_24[i])
        for i in timestamps.CONVENTION_SHAPES
    ]
    for i, _, _ in shapes:
        timestamps._PATTERNS[i] = timestamps._PATTERNS_24[i] = _NEVER
    try:
        yield
    finally:
        for i, normal, clock24 in shapes:
            timestamps._PATTERNS[i], timestamps._PATTERNS_24[i] = normal, clock24
        header.LEVELS.update(levels)
        for module, name, value in reversed(saved):
            setattr(module, name, value)


def run_maybe_generic(
    ap: argparse.ArgumentParser,
    args: argparse.Namespace,
    run: Callable[[argparse.ArgumentParser, argparse.Namespace], int],
) -> int:
    """``run(ap, args)``, within :func:`generic_only` when ``--generic-only`` was given (a mode
    that measures the general mechanisms and writes no document)."""
    if args.generic_only and args.write:
        ap.error("--generic-only measures the general mechanisms; it writes no document")
    if args.generic_only:
        with generic_only():
            return run(ap, args)
    return run(ap, args)
