"""The shape cache: where the parts of a line sit, remembered for lines of the same layout.

A line's *shape key* is its bytes with every digit read as ``0``. Two lines with the same key
differ only in their digits, so their header fields, message, parameters and timestamps sit at
the same character offsets: the engine reads them with slices instead of splitting the header,
masking and mining again. A line whose numbers changed length (``7`` became ``12``) is matched
through its *loose key* (each run of digits as one ``0``): the known shape's offsets are moved
by the length differences of the digit runs before them, and the moved shape is checked before
it is used.

The cache only says where the parts are. What a line does to its pattern (counts, times,
severity, examples, the open multi-line record) is the engine's business, done the same way
whether the parts were found here or by the full path. A shape stays valid while its pattern is
alive and has the template version the shape was learned under; after that it is ignored and the
full path learns the line again.

Interface (owned by one :class:`~logsum.core.engine.Engine`):

* :meth:`ShapeCache.lookup` a line: a valid :class:`Shape`, or ``None``;
* :meth:`ShapeCache.learn` a line the full path parsed: the :class:`Shape` to read its parts
  with, or ``None`` when the line cannot be replayed safely;
* :meth:`ShapeCache.clear` forgets every shape.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable
from datetime import datetime
from functools import partial
from itertools import accumulate, starmap
from operator import itemgetter, sub
from typing import Any, Literal, NamedTuple

from logsum.core.align import align, partial_spans
from logsum.core.header import _without_context as without_context
from logsum.core.masking import TokenMasker
from logsum.core.miner import Cluster
from logsum.core.model import WILDCARD, Header, Severity
from logsum.core.timestamps import (
    ORDERED_SHAPES,
    PlanCache,
    StampPlan,
    match_timestamp,
    plan_for,
    source_context,
)

_TOKEN = re.compile(r"\S+")
_HAS_DIGIT = re.compile(r"\d")
_DIGIT_RUNS = re.compile(r"[0-9]+")
_ZERO_RUNS = re.compile(rb"0+")  # the digit runs of a line, found in its shape key
_DIGITS_TO_ZERO = bytes.maketrans(b"123456789", b"000000000")
# A run of four or more hexadecimal digits standing alone (not part of a longer word) with a
# digit and a letter in it, or one with a letter after "0x" (with its "0x"): an id, a hash, a
# pointer (in a shape key, digits are 0 already). The hex key writes it as as many x: ids of
# one length share a key, and none shares one with a number (a pid) or a word.
_HEX_RUN = re.compile(
    rb"(?<![0-9A-Za-z])(?:0[xX](?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]+"
    rb"|(?=[a-fA-F]*0)(?=0*[a-fA-F])(?=[0-9a-fA-F]{4})[0-9a-fA-F]+)(?![0-9A-Za-z])"
)

StampSpan = tuple[int, int, int]
"""Where header detection found a timestamp: ``(start, end, timestamp shape)``; the span of a
bracketed timestamp includes its brackets."""

NO_HEADER = Header()
"""The header of a line that has none (one shared value: the engine tells it by identity)."""

Field = str | slice | None
"""A header field of a shape: its fixed text (no digits, or not found in the line), the slice
where the line carries it, or ``None`` when the line has no such field."""


def _timestamp_of_text(text: str, year: int) -> datetime | None:
    """The timestamp a logfmt time value gives (the parser's own reading)."""
    found = match_timestamp(text, 0, year)
    return found[0] if found else None


class Replay(NamedTuple):
    """How the lines a structured parser placed are read back: ``read_time`` gives the
    timestamp of the time value's text (as the parser reads it); ``valid``, when set, is what
    a line must pass before it is replayed (a line equal up to its digits may not parse)."""

    read_time: Callable[[str, int], datetime | None] = _timestamp_of_text
    valid: Callable[[str], bool] | None = None


LOGFMT = Replay()
"""Logfmt lines: pairs of two lines equal up to their digits split alike."""

Placed = tuple[int, slice | None, tuple[Field, ...], Replay, tuple[tuple[slice, str], ...]]
"""Where a structured parser (logfmt, JSON) found a line's message (its offset: the message is
written in the line as it is, not necessarily at its end), the text its timestamp is read
from (``None``: none), its header fields (host, component, pid), how to read it back, and
texts with digits that a replayed line must carry as they are (a numeric level)."""


class ValueStamp:
    """A timestamp read from the whole text of a field (a logfmt or JSON time value), by the
    function the parser uses (``read``), so that any digits give what parsing gives. Texts
    read before are remembered (``memo``, shared by the cache's shapes of one reader)."""

    __slots__ = ("memo", "read_time", "where", "year")

    def __init__(
        self,
        where: slice,
        year: int,
        memo: dict[str, datetime | None],
        read_time: Callable[[str, int], datetime | None] = _timestamp_of_text,
    ) -> None:
        self.where = where
        self.year = year
        self.memo = memo
        self.read_time = read_time

    def read(self, line: str) -> datetime | None:
        """The timestamp of the text at ``where`` in ``line``, or ``None``."""
        text = line[self.where]
        memo = self.memo
        if text in memo:
            return memo[text]
        if len(memo) >= _VALUE_STAMPS:
            memo.clear()
        value = memo[text] = self.read_time(text, self.year)
        return value


_VALUE_STAMPS = 4096
"""Timestamp texts remembered by a cache's value stamps."""


def shape_key(line: str) -> bytes:
    """The line's bytes with every digit read as ``0``."""
    return line.encode("utf-8", "surrogatepass").translate(_DIGITS_TO_ZERO)


class Shape:
    """Where the parts of a line sit, replayed on lines equal to it up to their digits.

    Holds the line's pattern (``cluster``) and its template ``version`` when learned, the
    message and parameter slices, the header fields and timestamp plans, the severity the
    line's level or template gives, and what a moved copy must be checked against.
    """

    __slots__ = (
        "checks",
        "cluster",
        "fields",
        "guarded",
        "header",
        "headerless",
        "level_severity",
        "masked",
        "message",
        "move_plan",
        "params",
        "read_params",
        "record",
        "runs",
        "severity",
        "source",
        "stamp",
        "stamps",
        "tail",
        "trace",
        "valid",
        "value_stamp",
        "version",
    )

    def __init__(
        self,
        cluster: Cluster,
        *,
        message: slice,
        params: tuple[slice, ...],
        checks: tuple[tuple[slice, str], ...],
        header: Header | None,
        fields: tuple[Field, ...] | None,
        stamps: tuple[StampPlan, ...],
        level_severity: Severity | None,
        severity: Severity,
        masked: list[str],
        source: str,
        runs: int,
        value_stamp: ValueStamp | None = None,
        valid: Callable[[str], bool] | None = None,
        tail: bool = False,
    ) -> None:
        self.cluster = cluster
        self.version = cluster.version
        self.message = message
        self.params = params
        self.read_params: Callable[[str], tuple[str, ...]] = _params_reader(params)
        """The line's parameters (one C call for two or more: ``itemgetter``)."""
        self.checks = checks  # (slice, word): words with digits the line must carry as they are
        self.headerless = header is None
        self.header = NO_HEADER if header is None else header
        self.fields = fields  # host, component, pid; None: all three fixed, as in ``header``
        self.stamps = stamps
        self.value_stamp = value_stamp  # the timestamp's text, when a parser placed it
        self.stamp: Callable[[str], datetime | None] = (
            value_stamp.read if value_stamp is not None else _stamp_reader(stamps)
        )
        """The line's timestamp (a plan's own reader when there is one plan: no extra call)."""
        self.level_severity = level_severity
        self.severity = severity  # the level's, or the template's words' (at this version)
        self.masked = masked  # the masked message tokens (to check a moved shape)
        self.valid = valid  # what a line must pass to be replayed (None: nothing)
        self.guarded = bool(checks) or valid is not None  # lookup has checks to make
        self.tail = tail  # context columns follow the message (``valid`` checks where they go)
        self.source = source  # the line it was learned from ("" for a moved copy)
        self.runs = runs  # how many digit runs that line has
        # How its offsets move to lines whose numbers have other lengths (False: they cannot),
        # found when a line is first moved from this shape.
        self.move_plan: MovePlan | Literal[False] | None = None
        self.record: ShapeRecord | None = None  # what it was rebuilt from (ShapeCache.revive)
        # How a header line of this shape may continue a trace (the engine's to fill in once):
        # 0 never, 1 always (indented), 2 inside one (a blank or closing line), 3 a line
        # without a header (each line is asked), -1 not known
        self.trace = -1

    def header_of(self, line: str, stamp: datetime | None) -> Header:
        """The line's header, given its timestamp."""
        fields = self.fields
        h = self.header
        if fields is None:
            # (A header shape whose timestamp does not read keeps the learned line's: kept as
            # it was, results must not change here; a value stamp gives exactly what parsing
            # gives, ``None`` included.)
            if stamp or self.value_stamp is not None:
                return Header(stamp, h.level, h.host, h.component, h.pid)
            return h
        values = [v if v is None or isinstance(v, str) else line[v] for v in fields]
        return Header(stamp, h.level, values[0], values[1], values[2])


class ShapeCache:
    """Shapes by shape key, and by loose key for lines whose numbers changed length.

    ``size`` bounds each of the two tables (a full table is emptied and refilled), and so does
    ``max_bytes``, an estimate of their memory (see :func:`_cost`); lines with
    more than ``max_tokens - 1`` message tokens are not learned (their tail is folded into one
    value). ``masker`` and ``year`` are the engine's, so a moved shape is checked the way the
    full path would read the line.
    """

    def __init__(
        self,
        size: int,
        max_tokens: int,
        masker: TokenMasker,
        year: int,
        max_bytes: int = 32 * 1024 * 1024,
    ) -> None:
        self.size = size
        self.max_bytes = max_bytes
        self._bytes = 0  # estimated size of the shapes held
        self.max_tokens = max_tokens
        self._masker = masker
        self._year = year
        self._plans: PlanCache = {}
        # Timestamps of value texts, one table per reading function.
        self._value_stamps: dict[
            Callable[[str, int], datetime | None], dict[str, datetime | None]
        ] = {}
        self._exact: dict[bytes, Shape] = {}
        self._loose: dict[bytes, Shape] = {}
        # By hex key (see _hex_key): the shape of the last line with hexadecimal ids learned
        # under it and how many were, and the keys of lines replayed from them once.
        self._hex: dict[bytes, tuple[Shape, int]] = {}
        self._hex_seen: set[bytes] = set()
        self._hex_seen_bytes = 0
        self._last_loose: tuple[bytes, bytes] = (b"", b"")
        self._last_hexed: tuple[bytes, bytes] = (b"", b"")
        self._missed: tuple[str, bytes] = ("", b"")  # the last line lookup did not find
        self._dormant: dict[bytes, ShapeRecord] = {}  # shapes to rebuild on first use
        self._clusters: list[Cluster] = []  # the patterns of the dormant shapes, by index
        self._versions: list[int] = []  # their template versions when the shapes came

    def clear(self) -> None:
        """Forget every shape."""
        self._exact.clear()
        self._loose.clear()
        self._hex.clear()
        self._hex_seen.clear()
        self._hex_seen_bytes = 0
        self._dormant.clear()
        self._bytes = 0

    def forget(self, line: str) -> None:
        """No longer replay the shape learned from ``line`` (its parts are read otherwise
        now): it is marked stale wherever it is kept (a line equal to ``line`` up to its
        digits takes the full path and is learned again)."""
        key = shape_key(line)
        self._dormant.pop(key, None)
        shape = self._exact.get(key)
        if shape is not None:
            shape.version = -1  # lookup checks it against its pattern's version

    def lookup(self, line: str) -> Shape | None:
        """The shape to replay ``line`` with, or ``None`` when no valid one is known: its
        pattern is gone or changed, or a word with digits differs (``ssh1`` for ``ssh2``)."""
        key = line.encode("utf-8", "surrogatepass").translate(_DIGITS_TO_ZERO)  # shape_key
        shape = self._exact.get(key)
        if shape is None:
            shape = self._unknown(line, key)
            if shape is None:
                return None
        cluster = shape.cluster
        if cluster.version != shape.version or not cluster.alive:
            return None
        if shape.guarded:
            for where, word in shape.checks:
                if line[where] != word:
                    return None
            valid = shape.valid
            if valid is not None and not valid(line):
                return None
        return shape

    def _unknown(self, line: str, key: bytes) -> Shape | None:
        """:meth:`lookup` of a line whose key is not in the exact table: a shape rebuilt,
        moved or found by its hexadecimal ids (not yet checked), or ``None``."""
        shape = (self._dormant and self._wake(key)) or self._moved(line, key)
        if shape is None:
            self._missed = (line, key)  # the full path learns this very line next
            if not self._hex:
                return None
            shape = self._hexed(line, key)
            if shape is None:
                return None
            seen = self._hex_seen
            if key in seen:  # this very id again: remembered from now on
                self._bytes += len(key) + _HEX_ENTRY_BYTES
                self._put(self._exact, key, shape)
            else:  # (most ids come once: not worth an entry)
                if len(seen) >= _HEX_SEEN or self._hex_seen_bytes > _HEX_SEEN_BYTES:
                    seen.clear()
                    self._hex_seen_bytes = 0
                seen.add(key)
                self._hex_seen_bytes += len(key)
        return shape

    def learn(
        self,
        line: str,
        *,
        placed: Placed | None = None,
        header: Header | None,
        stamps: list[StampSpan],
        message: str,
        cluster: Cluster,
        raw_tokens: list[str],
        masked: list[str],
        level_severity: Severity | None,
        severity: Severity,
        header_end: int = -1,
        valid: Callable[[str], bool] | None = None,
    ) -> Shape | None:
        """Remember where the parts of ``line`` sit, as the full path read them: ``header``
        (``None`` for a line without one) with its timestamps at ``stamps``, the ``message``
        with its tokens (``raw_tokens``, ``masked``), placed in ``cluster`` with the given
        severities. The message ends the line, unless ``placed`` says where it and the header
        fields are, or the header reader cut context columns off its end (``header_end``: where
        the header ended; the message starts the rest of the line). ``valid`` (or the placing
        parser's) is what a line must pass to be replayed. Returns the shape, or ``None`` when
        the line cannot be replayed safely."""
        if len(raw_tokens) > self.max_tokens - 1:
            return None
        tail = False  # context columns follow the message
        if placed is None:
            msg_end = len(line.rstrip())
            msg_start = msg_end - len(message)
            if line[msg_start:msg_end] != message and header_end >= 0 and valid is None:
                rest = line[header_end:]
                msg_start = header_end + len(rest) - len(rest.lstrip())
                msg_end = msg_start + len(message)
                tail = True
        else:
            msg_start = placed[0]
            msg_end = msg_start + len(message)
        if line[msg_start:msg_end] != message:
            return None
        if tail:
            # A line equal up to its digits must lose the same columns (its JSON may not parse).
            valid = partial(_cut_at, msg_start, msg_end)
        found = _message_places(line, msg_start, msg_end, cluster, raw_tokens)
        if found is None:
            return None
        params, checks = found
        if placed is not None:
            checks.extend(placed[4])
        fields: tuple[Field, ...] | None = None
        plans: list[StampPlan] = []
        if header is not None:
            values = (header.host, header.component, header.pid)
            if placed is not None:
                if any(isinstance(v, slice) for v in placed[2]):
                    fields = placed[2]
            elif any(v is not None and _HAS_DIGIT.search(v) for v in values):
                fields = tuple(_field(line, v, msg_start) for v in values)
            for start, end, ts_shape in stamps:
                bracket = line[start] == "["
                a = start + 1 if bracket else start
                b = end - 1 if bracket else end
                context = source_context(line, a) if ts_shape in ORDERED_SHAPES else None
                plan = plan_for(line[a:b], a, ts_shape, self._year, self._plans, context)
                if plan is not None:
                    plans.append(plan)
            if header.timestamp is not None and not plans and (placed is None or placed[1] is None):
                return None  # a timestamp we could not locate: do not replay
        shape = Shape(
            cluster,
            message=slice(msg_start, msg_end),
            params=tuple(params),
            checks=tuple(checks),
            header=header,
            fields=fields,
            stamps=tuple(plans),
            level_severity=level_severity,
            severity=severity,
            masked=masked,
            source=line,
            runs=0,
            value_stamp=None if placed is None else self._value_stamp(placed),
            valid=valid if placed is None else placed[3].valid,
            tail=tail,
        )
        return self._keep(line, shape)

    def _keep(self, line: str, shape: Shape) -> Shape:
        """``shape``, learned from ``line``, kept under the line's keys."""
        missed = self._missed
        key = missed[1] if missed[0] is line else shape_key(line)
        loose = self._loose_key(key)
        shape.runs = loose.count(b"0")  # each digit run is one 0 there
        cost = _cost(key, shape)
        hexed = self._hex_key(key) if line.isascii() else key
        if hexed != key:
            cost += len(hexed) + _HEX_ENTRY_BYTES
        replaced = self._exact.get(key)  # a shape whose pattern changed since: its cost goes
        if replaced is not None:
            self._bytes -= _cost(key, replaced)
        if self._bytes + cost > self.max_bytes:
            self.clear()
            if cost > self.max_bytes:
                return shape  # replayed by nobody: the line alone is over the budget
        self._bytes += cost
        self._put(self._exact, key, shape)
        self._put(self._loose, loose, shape)
        if hexed != key:
            hex_table = self._hex
            if len(hex_table) >= self.size:
                self.clear()
            known = hex_table.get(hexed)
            hex_table[hexed] = (shape, 1 if known is None else known[1] + 1)
        return shape

    def _hexed(self, line: str, key: bytes) -> Shape | None:
        """A shape for a line equal to a known one but for its hexadecimal ids (a request id,
        a hash, a pointer: ``_HEX_RUN``), of the same lengths, whose message masks alike,
        once ``_HEX_AFTER`` lines were learned under its hex key; ``None`` otherwise. Such a
        line's own key is remembered only when it comes again (most ids come once)."""
        if not line.isascii():
            return None  # (offsets in the key are bytes: equal to characters in ASCII)
        hexed = self._hex_key(key)
        if hexed == key:
            return None
        found = self._hex.get(hexed)
        if found is None or found[1] < _HEX_AFTER:
            return None
        shape = found[0]
        if self._masker.mask_tokens(line[shape.message].split()) != shape.masked:
            return None
        return shape

    def _value_stamp(self, placed: Placed) -> ValueStamp | None:
        where, read_time = placed[1], placed[3].read_time
        if where is None:
            return None
        memo = self._value_stamps.setdefault(read_time, {})
        return ValueStamp(where, self._year, memo, read_time)

    def export(self, index_of: dict[str, int]) -> list[ShapeRecord]:
        """The valid shapes as records (oldest first), their patterns given by their index in
        ``index_of`` (pattern id -> index; shapes of other patterns are left out)."""
        out = []
        clusters, versions = self._clusters, self._versions
        for r in self._dormant.values():  # not rebuilt yet: as they came, if still valid
            c = clusters[r[1]]
            i = index_of.get(c.id)
            if i is not None and c.alive and c.version == versions[r[1]]:
                out.append((r[0], i, *r[2:]))
        for key, shape in self._exact.items():
            c = shape.cluster
            i = index_of.get(c.id)
            if i is None or not c.alive or c.version != shape.version:
                continue
            record = _export(key, shape, i)
            if record is not None:
                out.append(record)
        return out

    def revive(self, records: list[ShapeRecord], clusters: list[Cluster]) -> None:
        """Know the shapes :meth:`export` gave again, without the lines they came from. Each is
        rebuilt when a line first looks it up (a tenant brought back pays only for the shapes
        its lines use); records over this cache's limits are dropped."""
        self._clusters = clusters
        self._versions = [c.version for c in clusters]
        dormant = self._dormant
        room = min(self.size - len(self._exact), (self.max_bytes - self._bytes) // _RECORD_COST)
        for r in records[-room:] if room > 0 else ():
            dormant[r[0]] = r

    def _wake(self, key: bytes) -> Shape | None:
        """The shape of a record :meth:`revive` left, rebuilt (``None``: none for ``key``, or
        its timestamp no longer plans)."""
        r = self._dormant.pop(key, None)
        if r is None:
            return None
        (key, i, m0, m1, params, checks, head, fields, stamps, lsev, sev, masked, source) = r
        cluster = self._clusters[i]
        if not cluster.alive or cluster.version != self._versions[i]:
            return None  # its pattern changed since: the line takes the full path
        year = self._year
        plans = []
        for start, index, text in stamps:
            plan = plan_for(text, start, index, year, self._plans)
            if plan is None:
                return None
            plans.append(plan)
        header = None
        if head is not None:
            ts = None if head[0] is None else datetime.fromisoformat(head[0])
            header = Header(ts, head[1], head[2], head[3], head[4])
        shape = Shape(
            cluster,
            message=slice(m0, m1),
            params=tuple(starmap(slice, params)),
            checks=tuple((slice(a, b), t) for a, b, t in checks) if checks else (),
            header=header,
            fields=None
            if fields is None
            else tuple(slice(*v) if v.__class__ is tuple else v for v in fields),
            stamps=tuple(plans),
            level_severity=None if lsev is None else _SEVERITIES[lsev],
            severity=_SEVERITIES[sev],
            masked=list(masked),
            source=source,
            runs=0,
        )
        shape.record = r
        cost = _cost(key, shape)
        if self._bytes + cost > self.max_bytes:
            self.clear()
        self._bytes += cost
        self._put(self._exact, key, shape)
        self._put(self._loose, self._loose_key(key), shape)
        return shape

    @property
    def held_bytes(self) -> int:
        """Estimated bytes of the shapes held (what ``max_bytes`` bounds), of those left to
        rebuild, and of the keys of lines with ids replayed once (at most ``_HEX_SEEN_BYTES``)."""
        return self._bytes + _RECORD_COST * len(self._dormant) + self._hex_seen_bytes

    def _put(self, table: dict[bytes, Shape], key: bytes, shape: Shape) -> None:
        if len(table) >= self.size:
            self.clear()
        table[key] = shape

    def _loose_key(self, key: bytes) -> bytes:
        """The shape key with each run of digits as one ``0`` (remembered for the last key:
        a miss asks for it twice, in :meth:`lookup` and in :meth:`learn`)."""
        last = self._last_loose
        if last[0] == key:
            return last[1]
        loose = _collapse_zeros(key)
        self._last_loose = (key, loose)
        return loose

    def _hex_key(self, key: bytes) -> bytes:
        """:func:`_hex_key`, remembered for the last key (a miss asks for it twice, in
        :meth:`lookup` and in :meth:`learn`)."""
        last = self._last_hexed
        if last[0] == key:
            return last[1]
        hexed = _hex_key(key)
        self._last_hexed = (key, hexed)
        return hexed

    def _moved(self, line: str, key: bytes) -> Shape | None:
        """A shape for a line that matches a known one except in how long its numbers are:
        the known shape's offsets are moved by the length differences of the digit runs
        before them, and the result is checked (same masked words, timestamps that parse)
        before it is kept."""
        if not self._loose:
            return None
        base = self._loose.get(self._loose_key(key))
        if base is None or not base.cluster.alive or base.cluster.version != base.version:
            return None
        if isinstance(base.valid, AtOffset):
            return None  # a check bound to an offset in the line (a JSON body's): not moved
        # The lengths of the line's digit runs (its key has them as runs of 0), against the
        # base's: an offset after run k moves by how much runs 0..k grew together.
        lengths = list(map(len, _ZERO_RUNS.findall(key)))
        if len(lengths) != base.runs:
            return None
        moving = base.move_plan
        if moving is None:
            moving = base.move_plan = _move_plan(base)
        if moving is False:
            return None  # an offset of the base falls inside one of its numbers
        offsets, runs, widths = moving
        shifts: list[int] = [0, *accumulate(map(sub, lengths, widths))]
        moved = iter([offset + shifts[k] for offset, k in zip(offsets, runs, strict=True)])
        message = slice(next(moved), next(moved))
        params = tuple(slice(next(moved), next(moved)) for _ in base.params)
        fields = (
            None
            if base.fields is None
            else tuple(
                v if v is None or isinstance(v, str) else slice(next(moved), next(moved))
                for v in base.fields
            )
        )
        checks = tuple((slice(next(moved), next(moved)), t) for _, t in base.checks)
        spans = [(next(moved), next(moved), p.shape_index) for p in base.stamps]
        value = base.value_stamp
        if value is not None:
            value = ValueStamp(
                slice(next(moved), next(moved)), value.year, value.memo, value.read_time
            )
        if self._masker.mask_tokens(line[message].split()) != base.masked:
            return None  # a number that changed length changed what masking sees
        plans = []
        for a, b, index in spans:
            context = source_context(line, a) if index in ORDERED_SHAPES else None
            plan = plan_for(line[a:b], a, index, self._year, self._plans, context)
            if plan is None or plan.end != b:
                return None
            plans.append(plan)
        shape = Shape(
            base.cluster,
            message=message,
            params=params,
            checks=checks,
            header=None if base.headerless else base.header,
            fields=fields,
            stamps=tuple(plans),
            level_severity=base.level_severity,
            severity=base.severity,
            masked=base.masked,
            source="",
            runs=base.runs,
            value_stamp=value,
            valid=partial(_cut_at, message.start, message.stop) if base.tail else base.valid,
            tail=base.tail,
        )
        self._put(self._exact, key, shape)
        return shape


def _message_places(
    line: str, msg_start: int, msg_end: int, cluster: Cluster, raw_tokens: list[str]
) -> tuple[list[slice], list[tuple[slice, str]]] | None:
    """Where the values of ``cluster``'s template sit in the message ``line[msg_start:msg_end]``
    (its tokens ``raw_tokens``), and the words with digits a line of the same shape must carry
    as they are; ``None`` when they cannot be placed."""
    tokens = cluster.tokens
    spans = [m.span() for m in _TOKEN.finditer(line, msg_start, msg_end)]
    if len(spans) != len(raw_tokens):
        return None
    if len(tokens) != len(spans):
        # Wildcards spanning several tokens: one character span per template token.
        ranges = align(tokens, raw_tokens)
        if ranges is None:
            return None
        # A value over several tokens is read as they are joined by one space.
        if any(
            j - i > 1 and line[spans[i][0] : spans[j - 1][1]] != " ".join(raw_tokens[i:j])
            for i, j in ranges
        ):
            return None
        spans = [(spans[i][0], spans[j - 1][1]) for i, j in ranges]
    params: list[slice] = []
    checks: list[tuple[slice, str]] = []
    # Most templates have no digit at all: then no token needs a check.
    digits = _HAS_DIGIT.search(cluster.template) is not None
    for tok, (a, b) in zip(tokens, spans, strict=True):
        if tok == WILDCARD:
            params.append(slice(a, b))
        elif WILDCARD not in tok:
            if digits and _HAS_DIGIT.search(tok):
                # A word with digits (ssh2, IPv6) is part of the template: lines of this
                # shape must carry the very same word, not just any digits there.
                checks.append((slice(a, b), tok))
        else:
            groups = partial_spans(tok, line, a, b)
            if groups is None:
                return None
            params.extend(slice(x, y) for x, y in groups)
            if digits and _HAS_DIGIT.search(tok.replace(WILDCARD, "")):
                # Fixed text with digits around the values ([0701/<*>:...): checked too.
                edges = [a, *(x for span in groups for x in span), b]
                for lo, hi in zip(edges[::2], edges[1::2], strict=True):
                    if _HAS_DIGIT.search(line, lo, hi):
                        checks.append((slice(lo, hi), line[lo:hi]))
    return params, checks


def _hex_key(key: bytes) -> bytes:
    """A shape key with the hexadecimal runs of ``_HEX_RUN`` written as x's (``key`` itself
    when there are none: most keys have no digit beside a hex letter, which one translation
    and three searches in C tell)."""
    marks = key.translate(_HEX_MARKS)
    if b"0a" not in marks and b"a0" not in marks and b"0x" not in marks:
        return key
    hexed, count = _HEX_RUN.subn(_zero_hex, key)
    return hexed if count else key


def _zero_hex(m: re.Match[bytes]) -> bytes:
    return b"x" * (m.end() - m.start())


_HEX_MARKS = bytes(
    ord("a") if c in b"abcdefABCDEF" else c if c in b"0x" else ord("x") if c == ord("X") else 32
    for c in range(256)
)
"""Hex letters as ``a``, digits (``0`` in a key) and ``x`` kept, everything else a space."""

_HEX_AFTER = 4
"""Lines learned under a hex key before lines are replayed from it: the header detector learns
a layout's columns from its first three lines that differ beyond their numbers (lines with
other ids do), and splits the lines after them with those columns; the shape replayed is one
learned after that."""

_HEX_SEEN = 4096
"""Keys of lines replayed from the hex table remembered, to tell ids that come again."""
_HEX_SEEN_BYTES = 1 << 20
"""And their bytes, at most (long lines)."""

_HEX_ENTRY_BYTES = 120
"""Estimated bytes of a hex table entry besides its key (dict slot, tuple, known key)."""


MovePlan = tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]
"""How a shape's offsets move to a line whose numbers have other lengths: every offset (in the
order :meth:`ShapeCache._moved` reads them back), the index of the digit run of the shape's
line each moves with (the runs that end at or before it), and the lengths of those runs."""


def _move_plan(base: Shape) -> MovePlan | Literal[False]:
    """``base``'s :data:`MovePlan`, or ``False`` when one of its offsets falls inside a run of
    digits (no moved copy can be read from it). Found once per shape, from the line it was
    learned from."""
    runs = [m.span() for m in _DIGIT_RUNS.finditer(base.source)]
    starts = [a for a, _ in runs]
    ends = [b for _, b in runs]
    offsets = [base.message.start, base.message.stop]
    for where in base.params:
        offsets += (where.start, where.stop)
    for v in base.fields or ():
        if isinstance(v, slice):
            offsets += (v.start, v.stop)
    for where, _ in base.checks:
        offsets += (where.start, where.stop)
    for p in base.stamps:
        offsets += (p.start, p.end)
    if base.value_stamp is not None:
        offsets += (base.value_stamp.where.start, base.value_stamp.where.stop)
    # Runs are sorted and apart: an offset moves with the last run that ends at or before
    # it, and is inside the next one if that starts before it.
    n = len(runs)
    moves_with = []
    for offset in offsets:
        k = bisect_right(ends, offset)
        if k < n and starts[k] < offset:
            return False
        moves_with.append(k)
    return tuple(offsets), tuple(moves_with), tuple(b - a for a, b in runs)


ShapeRecord = tuple[Any, ...]
"""A shape as plain values (:meth:`ShapeCache.export`): key, pattern index, message, params,
checks, header, fields, timestamp plans, severities, masked words and value-stamp place."""


def _export_field(v: Field) -> Any:
    return (v.start, v.stop) if isinstance(v, slice) else v


def _export(key: bytes, shape: Shape, index: int) -> ShapeRecord | None:
    """``shape`` as a record, or ``None`` when it cannot be rebuilt from plain values (a
    structured line's shape, which holds what checks its values; a moved copy)."""
    record = shape.record
    if record is not None:
        return (key, index, *record[2:])
    source = shape.source
    if not source or shape.valid is not None or shape.value_stamp is not None:
        return None
    stamps = [(p.start, p.shape_index, source[p.start : p.end]) for p in shape.stamps]
    h = shape.header
    ts = h.timestamp
    return (
        key,
        index,
        shape.message.start,
        shape.message.stop,
        tuple((p.start, p.stop) for p in shape.params),
        tuple((w.start, w.stop, t) for w, t in shape.checks) if shape.checks else (),
        None
        if shape.headerless
        else (None if ts is None else ts.isoformat(), h.level, h.host, h.component, h.pid),
        None if shape.fields is None else tuple(map(_export_field, shape.fields)),
        tuple(stamps),
        None if shape.level_severity is None else shape.level_severity.value,
        shape.severity.value,
        tuple(shape.masked),
        source,
    )


_SEVERITIES = {s.value: s for s in Severity}
_RECORD_COST = 1024
"""Estimated bytes of a shape record left to rebuild (its tuples, key and words)."""


def _collapse_zeros(key: bytes) -> bytes:
    """``key`` with each run of ``0`` as one ``0`` (what ``re.sub(b"0+", b"0", key)`` gives,
    in a third of its time: split, filter and join run in C)."""
    out = b"0".join(filter(None, key.split(b"0")))
    if key[:1] == b"0":
        if not out:
            return b"0"  # zeros only
        out = b"0" + out
    if key[-1:] == b"0":
        out += b"0"
    return out


def _cut_at(start: int, stop: int, line: str) -> bool:
    """Whether the header reader, given the rest of ``line`` from the message's ``start``,
    cuts the context columns off where the message ends (``stop``; ``_without_context``), as
    it did for the line the shape was learned from."""
    return len(without_context(line[start:].strip())) == stop - start


def _params_reader(params: tuple[slice, ...]) -> Callable[[str], tuple[str, ...]]:
    """What reads a line's parameters at these slices, as a tuple."""
    if len(params) >= 2:
        return itemgetter(*params)
    if params:
        where = params[0]
        return lambda line: (line[where],)
    return _no_params


def _no_params(line: str) -> tuple[str, ...]:
    return ()


def _stamp_reader(stamps: tuple[StampPlan, ...]) -> Callable[[str], datetime | None]:
    """What reads a line's timestamp from these plans."""
    if not stamps:
        return _no_stamp
    if len(stamps) == 1:
        return stamps[0].read
    return partial(_best_stamp, stamps)


def _no_stamp(line: str) -> None:
    return None


def _best_stamp(stamps: tuple[StampPlan, ...], line: str) -> datetime | None:
    """The first timestamp that parses; a time of day improves on a date alone."""
    stamp = None
    for plan in stamps:
        value = plan.read(line)
        if value is None:
            continue
        if stamp is None or value.hour or value.minute:
            stamp = value
        if stamp.hour or stamp.minute:
            break
    return stamp


class AtOffset(partial[bool]):
    """A replay check bound to an offset in the line (``AtOffset(check, start)``): a shape
    with one is not moved to lines whose numbers changed length."""


def header_field(line: str, value: str | None, msg_start: int) -> Field:
    """:func:`_field`, for the engine's merged headers."""
    return _field(line, value, msg_start)


def _field(line: str, value: str | None, msg_start: int) -> Field:
    """Where a header field's ``value`` sits in ``line`` (before the message), when it has
    digits and can be found; else the value itself."""
    if not value or not _HAS_DIGIT.search(value):
        return value
    at = _last_word_at(line, value, msg_start)
    return value if at < 0 else slice(at, at + len(value))


def _last_word_at(line: str, value: str, end: int) -> int:
    """Offset of the last occurrence of ``value`` before ``end`` that is not part of a longer
    word or number, or -1."""
    at = line.rfind(value, 0, end)
    while at >= 0:
        before = line[at - 1] if at else " "
        after = line[at + len(value)] if at + len(value) < len(line) else " "
        if not before.isalnum() and not after.isalnum():
            return at
        at = line.rfind(value, 0, at)
    return -1


def _cost(key: bytes, shape: Shape) -> int:
    """Estimated bytes a shape holds in the cache: its keys (exact and loose, at most the
    line's length each), the line it was learned from, the positions of the line's numbers,
    its slices, and the objects."""
    return (
        2 * len(key)
        + len(shape.source)
        + 72 * shape.runs
        + 64 * (len(shape.params) + len(shape.checks) + len(shape.masked))
        + 512
    )
