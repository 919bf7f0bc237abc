"""The engine: raw lines in, per-line results and patterns out (streaming, bounded).

Per line: cut to ``max_line_chars``; split the header from the message (unless message-only);
decide whether the line continues the previous record; mask variable-shaped parts; find or
create the line's pattern with the :class:`~logsum.core.miner.Miner`; read the parameters back
by token position. Then :meth:`Engine._observe` records what the line does to its pattern.

Two caches make repeated lines cheap: masked message to pattern, and the
:class:`~logsum.core.shapes.ShapeCache`, which finds the parts of a line equal to a known one
up to its digits without parsing it. Both only find parts; the bookkeeping is the same step
either way, and turning the shape cache off (``EngineConfig.shape_cache``) changes no result.
"""

from __future__ import annotations

import contextlib
import re
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime
from typing import Any

from logsum.core.align import align, partial_spans
from logsum.core.config import EngineConfig
from logsum.core.csvlog import CsvColumns, looks_like_csv, split_csv
from logsum.core.header import LogFormat, framed_timestamp
from logsum.core.layouts import HeaderDetector
from logsum.core.logfmt import looks_like_logfmt, split_logfmt, split_logfmt_placed
from logsum.core.masking import TokenMasker
from logsum.core.miner import Cluster, Miner
from logsum.core.model import WILDCARD, Header, LineResult, ParamSummary, Pattern, Severity
from logsum.core.severity import severity_of_level, severity_of_text
from logsum.core.shapes import (
    NO_HEADER,
    AtOffset,
    Field,
    Placed,
    Replay,
    Shape,
    ShapeCache,
    StampSpan,
    header_field,
)
from logsum.core.structured import (
    KeyMemory,
    body_parses,
    not_json,
    split_json_body,
    split_json_placed,
)
from logsum.core.timestamps import YearHint, zone_named

Compact = tuple[str, Severity, datetime | None, tuple[str, ...], str, bool, int]
"""What :meth:`Engine.process_compact` returns for a line."""
_Read = tuple[Cluster, Severity, datetime | None, str, tuple[str, ...], Header | None, bool]
"""What one line came to: its pattern, severity, timestamp, message, parameters, header (when
asked for) and whether it continues the previous record."""
# Lines that continue a record: indented, stack frames, "Caused by", "... 12 more", closing
# brackets of a pretty-printed value.
_CONTINUATION = re.compile(
    r"(?:\s|at\s+[\w$.<>]+[.(]|Caused by:|\.\.\.\s*\d+\s+(?:more|common)|[}\])](?:[,;]?\s*$)"
    # a JVM trace's lines behind a "! " prefix (Dropwizard's "%rEx" layout)
    r"|!\s(?=at\s|Caused by:|\.\.\.\s*\d|(?:[\w$]+\.)+[\w$]*(?:Exception|Error|Throwable)\b)"
    # the exception line that opens a trace (Java, Python, .NET...)
    r"|(?:[\w$]+\.)*[\w$]*(?:Exception|Error|Throwable|Fault)\b(?::|$)"
    r"|Traceback \(most recent call last\):"
    # Python's lines between chained exceptions
    r"|The above exception was the direct cause of|During handling of the above exception"
    # frames and headings of other runtimes' traces: PHP and gdb (#0 ...), Go's goroutines
    r"|#\d+\s|Stack trace:|goroutine \d+ \[|created by "
    # a Go frame's function line alone: main.main(), net/http.(*conn).serve(0xc000...)
    r"|(?:[\w\-]+/)*[\w\-]+(?:\.\(\*?\w+\))?\.\w+\(.*\)\s*$)"
)


# An exception line at the start of a line: after a blank line it opens a record of its own
# (Node.js prints an uncaught error as the source line, a caret, a blank line, then
# "TypeError: ..." and its frames), where inside a trace it continues it.
_EXCEPTION_OPENS = re.compile(r"(?:[\w$]+\.)*[\w$]*(?:Exception|Error)\b:\s")

_LOGFMT_MESSAGE = re.compile(r"(?:^|\s)(?:msg|message)=")
"""Logfmt pairs after a header are read as a record only with a message key."""

_LEVEL_LINE = re.compile(r"[A-Z]{3,9}: (?! )")
"""A record's text line that opens with its level (``SEVERE: Could not write report``)."""


def _indented_after_header(line: str, start: int, in_trace: bool) -> bool:
    """Whether the message at ``start`` of a line with a header is a trace line that a logger
    wrote with its header on every line (pip's log): a traceback's first line; inside a trace
    also a message indented past the separator, a blank one and the exception line that closes
    it (``pkg.mod.SomeError: ...``). Indentation alone does not open a trace: a column padded
    after the time (a proxy's right-aligned elapsed time) is no trace, however many of its
    lines share a millisecond."""
    if line.startswith(_TRACEBACK, start):
        return True
    return in_trace and (
        line.startswith("  ", start - 2)
        or not line[start:].strip()
        or _EXCEPTION_LINE.match(line, start) is not None
        or _CONTINUATION.match(line, start) is not None
    )


_TRACEBACK = "Traceback (most recent call last):"
_EXCEPTION_LINE = re.compile(r"(?:[A-Za-z_]\w*\.)+[A-Z]\w*: ")
"""A trace's closing line: a qualified exception class, a colon, its message."""


def _trace_kind(shape: Shape, line: str) -> None:
    """Fill in the shape's ``trace`` kind from its first line (lines of one shape agree on
    their text but for digits)."""
    if shape.headerless:
        shape.trace = 3  # whether it continues a record is asked of each line (_continues)
        return
    start = shape.message.start
    header = shape.header
    if (
        header.component is not None
        or header.level is not None
        or shape.message.stop < len(line.rstrip())
    ):
        shape.trace = 0  # a labelled line ("DETAIL:  ..."), or a message inside the line
    elif _indented_after_header(line, start, False):
        shape.trace = 1
    else:
        shape.trace = 2 if _indented_after_header(line, start, True) else 0


def _not_json_from(start: int, line: str) -> bool:
    """Whether ``line`` from ``start`` on is not a JSON object's text."""
    return not_json(line[start:])


_CLOSERS = {"[": "]", "{": "}", "(": ")"}


def _opens_structure(line: str) -> bool:
    """Whether a line opens a list, dict or tuple that it does not close and goes on after a
    comma or the opening itself: the first line of a data structure printed over several
    lines (Python's pprint of a list after ``Enabled extensions:``)."""
    text = line.strip()
    opener = text[:1]
    if opener not in _CLOSERS or not text.endswith((",", opener)):
        return False
    return text.count(opener) > text.count(_CLOSERS[opener])


def _continues(line: str) -> bool:
    """Whether a line without a header may continue the open record: a stack frame or trace
    line, an indented or blank line (blank lines separate a trace's goroutines or causes)."""
    return not line.strip() or _CONTINUATION.match(line) is not None


_CUT = " " + WILDCARD  # stands for what was cut off an over-long line
# A terminal control sequence (colours, erasing the line): a program writing to a terminal, or
# forced to colour its output, puts them around its level and text; they are not the text.
_TERMINAL_CONTROL = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_CACHE_ENTRY_BYTES = 200  # a masked-message cache entry besides its key: dict slot, objects
_NO_STAMPS: list[StampSpan] = []

_EXAMPLES_BYTES = 400
"""Estimated bytes of one pattern's example values (a few short values per wildcard)."""
_MASK_ENTRY_BYTES = 150
"""Estimated bytes of one remembered token mask (a dict slot, the token and its mask)."""
_HEADER_ENTRY_BYTES = 400
"""Estimated bytes of one entry of the header detector's memories (layouts, timestamps)."""
_ENGINE_BYTES = 16 * 1024
"""An empty engine's objects."""

_EXAMPLE_LINES = 200
"""Lines of one template version whose parameters are looked at for examples."""
_TOUCH_EVERY = 1_000
"""Lines between two refreshes of a pattern's recency by the shape cache (eviction needs no
finer order; the full path refreshes it on every line)."""
_MAX_SOURCES = 4_096  # kinds of header layout numbered before the numbering starts anew


class Engine:
    """Mines patterns from a stream of log lines.

    One engine owns its state and is not thread-safe. Feed lines with :meth:`process`; read the
    patterns with :meth:`patterns`. ``message_only`` skips header detection (each line is a bare
    message); ``log_format`` is an optional Loghub-style header format such as
    ``"<Date> <Time> <Level> <Content>"`` (lines that do not fit it fall back to detection).
    """

    def __init__(
        self,
        config: EngineConfig | None = None,
        *,
        message_only: bool = False,
        log_format: str | None = None,
    ) -> None:
        self.config = config or EngineConfig()
        self.message_only = message_only
        self.log_format = log_format
        self._set_timestamp_reading()
        cfg = self.config
        self._masker = TokenMasker()
        self._miner = Miner(
            cfg.similarity,
            cfg.max_patterns,
            cfg.min_word_values,
            cfg.min_slot_values,
            cfg.max_pattern_bytes,
        )
        self._cache: OrderedDict[str, Cluster] = OrderedDict()
        self._cache_bytes = 0  # estimated bytes of the masked-message cache (keys and entries)
        self._shapes = self._new_shapes()
        self._record: tuple[Cluster, Severity, datetime | None] | None = None
        self._record_lines = 0
        self._blank_at = -1  # the line number of the open record's last blank line
        self._head_stamp: datetime | None = None
        """The time of the last line that held only a header (a record's head: java.util.logging's
        "date class method" line, a line holding only a timestamp); lines without a time of
        their own that follow it carry it, until a line brings its own time."""
        self._head_next = False  # the line after the head is the next one
        self._head_named = False  # the head names a component (java.util.logging's class)
        self._placed: Placed | None = None
        self._header_end = -1
        # Each kind of header layout seen, as a small number: the source of a line for the
        # miner, which keeps interleaved sources' patterns apart (see Miner.learn).
        self._sources: dict[str, int] = {}
        self._source = -1  # the source of the line being parsed (-1: not known)
        self._source_base = 0
        self._context = ""
        """The context fields of a structured line whose message is an event name (one word):
        mined after the message (``request method=<*> path=<*>``), not part of it."""
        self._keys = KeyMemory()
        self._inner = False  # the line's message was read from a structured body after its header
        self._columns = CsvColumns()
        """The header rows of the CSV exports seen (their columns name time, level, message)."""
        self._max_line_chars = cfg.max_line_chars
        self.line_count = 0
        self.full_path_lines = 0
        """Lines this engine parsed in full since it was built; the other lines were replayed
        from the shape cache (``line_count`` minus these, when no state was loaded)."""

    def _set_timestamp_reading(self) -> None:
        """(Re)build what reads timestamps, from the config's year, date and zone."""
        # The default year travels with today's date and the zone (see EngineConfig).
        cfg = self.config
        self._year = YearHint(cfg.default_year, cfg.today, zone_named(cfg.timezone))
        self._format = LogFormat(self.log_format, self._year) if self.log_format else None
        self._headers = HeaderDetector(self._year)

    def _new_shapes(self) -> ShapeCache | None:
        """The shape cache, when enabled (not under a log format: its fields are not located
        in the line)."""
        cfg = self.config
        if cfg.shape_cache and cfg.match_cache_size and self._format is None:
            return ShapeCache(
                cfg.match_cache_size,
                cfg.max_tokens,
                self._masker,
                self._year,
                cfg.match_cache_bytes,
            )
        return None

    def use_timezone(self, name: str) -> None:
        """Read timestamps that name no offset in zone ``name`` (an IANA name) from the next
        line on; the patterns learned so far are kept. Raises
        :class:`~logsum.core.errors.InvalidOption` for an unknown zone (nothing changes)."""
        if name == self.config.timezone:
            return
        self.config = replace(self.config, timezone=name)
        # Every cache holding timestamp values or plans read in the old zone is dropped.
        self._set_timestamp_reading()
        self._shapes = self._new_shapes()

    # -- processing -----------------------------------------------------------------------

    def process(self, line: str) -> LineResult:
        """Parse one line (a trailing line break is ignored) and update the patterns."""
        cluster, severity, stamp, message, params, header, continuation = self._read(line, True)
        if self._head_stamp is not None or (stamp is not None and not message):
            named = header is not None and header.component is not None
            stamp = self._head_time(line, stamp, message, named)  # a record head, or after one
        return LineResult(
            self.line_count,
            cluster.id,
            severity,
            stamp,
            message,
            params,
            header,  # type: ignore[arg-type]  # asked for: never None
            continuation,
        )

    def process_with_text(self, line: str) -> tuple[LineResult, str]:
        """:meth:`process`, with the text the line's params are read from (:meth:`params_of`,
        :meth:`masked_tokens`): its message, or for a structured event name its message
        followed by its context fields (as :meth:`process_compact` gives it)."""
        full = self.full_path_lines
        r = self.process(line)
        # (a line replayed from a known shape has no context fields: such lines have no shape)
        context = self._context if self.full_path_lines != full and not r.continuation else ""
        return r, f"{r.message} {context}" if context else r.message

    def process_compact(self, line: str) -> Compact:
        """:meth:`process` for bulk tools: the same work, without building the header and
        result objects. Returns ``(pattern_id, severity, timestamp, params, message,
        continuation, version)`` where ``version`` changes whenever the pattern's template
        does (params read under one version stay valid while it is current), and ``message``
        is the text the params are read from (:meth:`params_of`): a structured event name
        followed by its context fields."""
        # The steps of _read, with the replay of a known shape and what _observe does to its
        # pattern written out here: this is the call of bulk parsing, and the calls and tuples
        # saved per line count there. Any change to _observe is made here as well.
        shapes = self._shapes
        if shapes is not None and len(line) <= self._max_line_chars:
            self.line_count = n = self.line_count + 1
            line = line.rstrip("\r\n")
            if "\x1b" in line:
                line = _TERMINAL_CONTROL.sub("", line)
            shape = shapes.lookup(line)
            # (trace 0: a header line that never continues a record; no call needed)
            if shape is not None and not (shape.trace and self._may_continue(shape, line)):
                cluster = shape.cluster
                if n - cluster.touched > _TOUCH_EVERY:
                    cluster.touched = n
                    self._miner.touch(cluster)
                stamp = shape.stamp(line)
                params = shape.read_params(line)
                severity = shape.severity
                # _observe(cluster, stamp, shape.level_severity, severity, params):
                cluster.count += 1
                if stamp is not None:
                    first = cluster.first_seen
                    if first is None or stamp < first:
                        cluster.first_seen = stamp
                    last = cluster.last_seen
                    if last is None or stamp > last:
                        cluster.last_seen = stamp
                level_sev = shape.level_severity
                if level_sev is not None:
                    known = cluster.level_severity
                    if known is not level_sev and (known is None or level_sev.rank < known.rank):
                        cluster.level_severity = level_sev
                version = cluster.version  # a shape's pattern is alive: lookup checked it
                if cluster.examples_version != version or not (
                    cluster.examples_full or cluster.examples_capped
                ):
                    self._remember_examples(cluster, params)
                self._record = (cluster, severity, stamp)
                self._record_lines = 0
                message = line[shape.message]
                if self._head_stamp is not None or (stamp is not None and not message):
                    named = shape.header.component is not None
                    stamp = self._head_time(line, stamp, message, named)
                return (cluster.id, severity, stamp, params, message, False, version)
            cluster, severity, stamp, message, params, header, continuation = self._read_full(line)
        else:
            cluster, severity, stamp, message, params, header, continuation = self._read(
                line, False
            )
        if self._context and not continuation:
            # an event name with its context fields: the text its params are read from
            # (params_of on the name alone would find none)
            message = f"{message} {self._context}"
        named = header is not None and header.component is not None
        # A continuation line's record may have been evicted or folded since.
        version = cluster.version if cluster.alive else self.version_of(cluster.id)
        if self._head_stamp is not None or (stamp is not None and not message):
            stamp = self._head_time(line, stamp, message, named)  # a record head, or after one
        return (cluster.id, severity, stamp, params, message, continuation, version)

    def _head_time(
        self, line: str, stamp: datetime | None, message: str, named: bool
    ) -> datetime | None:
        """A line's time: its own, else that of the record head it follows (see
        ``_head_stamp``) when the line is the record's text: no header at all, or only a
        level word and its colon (java.util.logging's ``SEVERE: ...`` line). ``named``: the
        line's header names a component. After a head that names one (java.util.logging's
        ``date class method``), past its text line only its trace's lines are its own (another
        source's header-less line is not); after a time alone, any plain line is."""
        if stamp is not None:
            self._head_stamp = None if message else stamp
            self._head_named = named
            self._head_next = True
            return stamp
        head = self._head_stamp
        if head is None:
            return None
        next_line, self._head_next = self._head_next, False
        text = line.strip()
        if message == text:
            if next_line or not self._head_named or self._continues(line):
                return head
            self._head_stamp = None
            return None
        # the level line right after the head ("SEVERE: ...", one space after the colon)
        level = _LEVEL_LINE.match(text) if next_line else None
        return head if level is not None and text[level.end() :].strip() == message else None

    def _may_continue(self, shape: Shape, line: str) -> bool:
        """Whether a line of a known shape may continue the open record, so that it is read
        in full rather than replayed: a header-less line that looks like a trace line, or a
        line whose header is followed by an indented trace line (a trace each of whose lines
        carries the time)."""
        if shape.trace < 0:
            _trace_kind(shape, line)
        if self._record is None or self.message_only:
            return False
        if shape.headerless:
            return self._continues(line)
        return shape.trace == 1 or (shape.trace == 2 and self._record_lines > 0)

    def _continues(self, line: str) -> bool:
        """Whether a header-less line may continue the open record (:func:`_continues`); inside
        a trace also the exception line that closes it, whatever its class is named
        (``aiohue.errors.BridgeBusy: Bridge is busy`` after a Python traceback's frames); and a
        line ended by a space and a backslash, as a shell continues a line: one of a command
        line logged over several lines (libvirt's ``LC_ALL=C`` line after ``starting up``); and
        the first line of a data structure printed over several lines."""
        return (
            _continues(line)
            or (self._record_lines > 0 and _EXCEPTION_LINE.match(line) is not None)
            or line.rstrip().endswith(" \\")
            or _opens_structure(line)
        )

    def version_of(self, pattern_id: str) -> int:
        """The current template version of a pattern (see :meth:`process_compact`); -1 when
        the pattern is unknown or was evicted."""
        c = self._miner.get(pattern_id)
        return -1 if c is None else c.version

    def _read(self, line: str, want_header: bool) -> _Read:
        """Process one line: count it, cut it to size, find its parts (from a known shape,
        else by parsing it) and observe it. The header is built only when ``want_header``."""
        self.line_count += 1
        limit = self._max_line_chars
        if len(line) > limit:
            line = line[:limit].rstrip() + _CUT
        line = line.rstrip("\r\n")
        if "\x1b" in line:
            line = _TERMINAL_CONTROL.sub("", line)
        shapes = self._shapes
        shape = None if shapes is None else shapes.lookup(line)
        if shape is None or (shape.trace and self._may_continue(shape, line)):
            return self._read_full(line)  # unknown, or it may continue the open record
        cluster = shape.cluster
        n = self.line_count
        if n - cluster.touched > _TOUCH_EVERY:  # recency for eviction, refreshed now and then
            cluster.touched = n
            self._miner.touch(cluster)
        stamp = shape.stamp(line)
        params = shape.read_params(line)
        severity = shape.severity
        self._observe(cluster, stamp, shape.level_severity, severity, params)
        header = shape.header_of(line, stamp) if want_header else None
        return cluster, severity, stamp, line[shape.message], params, header, False

    def _read_full(self, line: str) -> _Read:
        """:meth:`_read` by parsing the line (learning its shape when the cache is on)."""
        self.full_path_lines += 1
        cfg = self.config
        header, message, stamps = self._split(line)
        record = self._record
        if (
            record is not None
            and header is NO_HEADER
            and not self.message_only
            and self._record_lines < cfg.max_record_lines
            and self._continues(line)
            and not (self._blank_at == self.line_count - 1 and _EXCEPTION_OPENS.match(line))
        ):
            self._record_lines += 1
            if not line.strip():
                self._blank_at = self.line_count
            cluster, severity, stamp = record
            return cluster, severity, stamp, message, (), header, True
        if (
            record is not None
            and header is not NO_HEADER
            and header.level is None
            and header.component is None  # not a labelled line ("DETAIL:  Role ...")
            and header.timestamp is not None
            and header.timestamp == record[2]
            and self._record_lines < cfg.max_record_lines
            and line.endswith(message)
            and _indented_after_header(line, len(line) - len(message), self._record_lines > 0)
        ):
            # A trace whose lines each carry the record's own time ("<time>   File ..."):
            # the lines continue that record, as they would without the header.
            self._record_lines += 1
            cluster, severity, stamp = record
            return cluster, severity, stamp, message, (), header, True
        context = self._context
        tokens, raw_tokens = self._tokens(f"{message} {context}" if context else message)
        cluster = self._cluster_for(tokens)
        level_sev = severity_of_level(header.level)
        severity = level_sev or self._text_severity(cluster)
        shapes = self._shapes
        shape = None
        if shapes is not None and not self._miner.noisy and not context and not self._inner:
            shape = shapes.learn(
                line,
                placed=self._placed,
                header=None if header is NO_HEADER else header,
                stamps=stamps,
                message=message,
                cluster=cluster,
                raw_tokens=raw_tokens,
                masked=tokens,
                level_severity=level_sev,
                severity=severity,
                header_end=self._header_end,
                # A line read as text that starts like JSON, or whose message after its
                # header does: only lines that are not JSON there either (their digits
                # decide) may be read like it.
                valid=self._json_check(line, message),
            )
        # A shape knows where the values are: no second reading.
        params = shape.read_params(line) if shape is not None else self._params(cluster, raw_tokens)
        self._observe(cluster, header.timestamp, level_sev, severity, params)
        return cluster, severity, header.timestamp, message, params, header, False

    def _observe(
        self,
        cluster: Cluster,
        stamp: datetime | None,
        level_sev: Severity | None,
        severity: Severity,
        params: tuple[str, ...],
    ) -> None:
        """What a line (not a continuation) does to its pattern, however its parts were found:
        count, first and last seen, the most severe level, example values; the line opens a
        record that continuation lines may join. (:meth:`process_compact` does the same, written
        out, for the lines it replays.)"""
        cluster.count += 1
        if stamp is not None:
            first = cluster.first_seen
            if first is None or stamp < first:
                cluster.first_seen = stamp
            last = cluster.last_seen
            if last is None or stamp > last:
                cluster.last_seen = stamp
        if level_sev is not None:
            known = cluster.level_severity
            if known is not level_sev and (known is None or level_sev.rank < known.rank):
                cluster.level_severity = level_sev
        # (a version whose wildcards all hold their examples adds none: not asked again)
        if cluster.examples_version != cluster.version or not (
            cluster.examples_full or cluster.examples_capped
        ):
            self._remember_examples(cluster, params)
        self._record = (cluster, severity, stamp)
        self._record_lines = 0

    def end_record(self) -> None:
        """End the open multi-line record: the next line starts a record of its own even if
        it looks like a continuation (a new batch, a new file)."""
        self._record = None
        self._record_lines = 0
        self._head_stamp = None
        self._head_next = False

    def process_many(self, lines: Iterable[str]) -> list[LineResult]:
        """Process lines in order and return their results."""
        return [self.process(line) for line in lines]

    def _split(self, line: str) -> tuple[Header, str, list[StampSpan]]:
        """The line's header (``NO_HEADER`` when it has none), its message, and where header
        detection found its timestamps (for the shape cache; empty for other headers). A
        logfmt or JSON line whose message and header values are written in it as they are
        leaves their places in ``self._placed`` (else it is ``None``). A header found by the
        detector leaves where it ended in ``self._header_end`` (else it is -1)."""
        self._placed = None
        self._header_end = -1
        self._source = -1
        self._context = ""
        self._inner = False
        if self.message_only:
            return NO_HEADER, line.strip(), _NO_STAMPS
        if self._format is not None:
            found = self._format.split(line)
            if found is not None:
                return found[0], found[1], _NO_STAMPS
        if line[:1] == "{":
            json = split_json_placed(line, self._year, self._headers.split, self._keys)
            if json is not None:
                # A sentence written in the line as it is: its shape can be replayed.
                self._placed = json[3]
                self._context = json[2]
                self._source = self._source_id("{json")
                return json[0], json[1], _NO_STAMPS
        elif looks_like_logfmt(line):
            placed = split_logfmt_placed(line, self._year)
            if placed is not None:
                self._source = self._source_id("=logfmt")
                header, message, self._context, places = placed
                if places is None:
                    return header, message, _NO_STAMPS
                # A sentence (or an audit record's text) written in the line: its shape can
                # be replayed like a header's.
                self._placed = (*places, ())
                return header, message, _NO_STAMPS
        elif looks_like_csv(line):
            record = split_csv(line, self._year, self._columns)
            if self._columns.changed:
                # A new header row: lines like the ones read before it now read otherwise.
                self._columns.changed = False
                self._shapes = self._new_shapes()
            if record is not None:
                self._source = self._source_id(",csv")
                return record
        headers = self._headers
        found = headers.split(line)
        if headers.revised:  # lines split before may split differently now
            headers.revised = False
            if self._shapes is not None:
                self._shapes.clear()
        if found is None:
            # fields, then the time: the whole line is the message; never on a line that may
            # continue the open record (an exception's text ending with a date it names)
            if self._record is None or not self._continues(line):
                framed = framed_timestamp(line, self._year)
                if framed is not None:
                    return Header(timestamp=framed), line.strip(), _NO_STAMPS
            return NO_HEADER, line.strip(), _NO_STAMPS
        header, message = found
        self._source = self._source_id(headers.last_layout)
        if headers.moved:
            moved, headers.moved = headers.moved, []
            for taught, before, now in moved:
                if self._shapes is not None:
                    self._shapes.forget(taught)  # lines equal to it up to digits: read anew
                self._move(before, now)
        if (message[:1] == "{" and message[-1:] == "}") or looks_like_logfmt(message):
            body = self._structured_body(message)
            if body is not None:
                # An application's record after a runtime's or syslog's header: its own
                # fields first, the header's for the rest.
                self._context = body[2]
                filled = {k: v for k, v in body[0]._asdict().items() if v is not None}
                merged = header._replace(**filled)
                if body[3] is not None and body[3][1] is not None:
                    # the record's own time field decides, even when it holds no time (a line
                    # equal up to its digits replays that field)
                    merged = merged._replace(timestamp=body[0].timestamp)
                stamps = headers.last_stamps
                self._placed = self._body_places(line, message, body[3], header, merged, stamps)
                self._inner = self._placed is None  # else replayed like a JSON line
                return merged, body[1], stamps
        self._header_end = headers.last_end
        return header, message, headers.last_stamps

    def _move(self, before: str, now: str) -> None:
        """An earlier line of this line's source had ``before`` as its message and has ``now``
        (its layout learned header columns from it since): its pattern, when it is the one
        this message made alone (the template is the message's, masked), is folded into the
        pattern ``now`` joins, so the source's lines stay in one pattern whichever line taught
        its layout. The earlier line's pattern id answers to the new one (an alias)."""
        miner = self._miner
        tokens = self._tokens(before)[0]
        old = miner.match(tokens)
        if old is None or old.template != " ".join(tokens):
            return  # its pattern holds other lines too: left as it is
        new = self._cluster_for(self._tokens(now)[0])
        if new is not old and miner.fold_into(new, old):
            record = self._record
            if record is not None and record[0] is old:
                self._record = (new, record[1], record[2])

    def _json_check(self, line: str, message: str) -> Callable[[str], bool] | None:
        """What a line must pass to be read like ``line`` (read as text) by its shape: not
        be JSON where ``line`` starts like it and is not (a digit can make ``01`` ``10``)."""
        if self._placed is not None:
            return None
        if line[:1] == "{":
            return not_json
        if message[:1] == "{" and message[-1:] == "}" and line.endswith(message):
            return AtOffset(_not_json_from, len(line) - len(message))
        return None

    def _structured_body(self, text: str) -> tuple[Header, str, str, Placed | None] | None:
        """``(header, message, context, places in text)`` of a JSON object or logfmt pairs
        that follow a line's header, when they carry a message key; else ``None``."""
        if text[:1] == "{":
            return split_json_body(text, self._year, self._headers.split, self._keys)
        found = split_logfmt(text, self._year)
        if found is None or not _LOGFMT_MESSAGE.search(text):
            return None
        return (*found, None)

    @staticmethod
    def _body_places(
        line: str,
        body: str,
        placed: Placed | None,
        outer: Header,
        merged: Header,
        stamps: list[StampSpan],
    ) -> Placed | None:
        """Where a JSON body's parts sit in the whole ``line``, for the shape cache: its own
        places moved to where it starts, its header fields or else the outer header's, and a
        replayed line's body must parse; a record without a time field takes the header's
        time from where the header detector found it (``stamps``). ``None`` (not replayed)
        when the body ends no line, or the time is the header's and no place was found."""
        if placed is None or not line.endswith(body):
            return None
        msg_at, stamp_at, fields, replay, checks = placed
        if stamp_at is None and merged.timestamp is not None and not stamps:
            return None
        at = len(line) - len(body)

        def moved(where: slice) -> slice:
            return slice(where.start + at, where.stop + at)

        own = [merged.host, merged.component, merged.pid]
        outside = (outer.host, outer.component, outer.pid)
        places: list[Field] = []
        for inner, value, theirs in zip(fields, own, outside, strict=True):
            if isinstance(inner, slice):
                places.append(moved(inner))
            elif inner is not None or value is None or value != theirs:
                places.append(inner)
            else:
                places.append(header_field(line, value, at))
        return (
            msg_at + at,
            None if stamp_at is None else moved(stamp_at),
            tuple(places),
            Replay(replay.read_time, AtOffset(body_parses, at)),
            tuple((moved(where), text) for where, text in checks),
        )

    def _source_id(self, layout: str) -> int:
        """The number of a kind of header layout (see ``_sources``)."""
        sources = self._sources
        known = sources.get(layout)
        if known is None:
            if len(sources) >= _MAX_SOURCES:
                # (numbered anew: the patterns learned so far count as another source's)
                sources.clear()
                self._source_base += _MAX_SOURCES
            known = sources[layout] = self._source_base + len(sources)
        return known

    def _tokens(self, message: str) -> tuple[list[str], list[str]]:
        raw = message.split()
        limit = self.config.max_tokens
        if len(raw) > limit:
            raw = [*raw[: limit - 1], " ".join(raw[limit - 1 :])]
            return [*self._masker.mask_tokens(raw[:-1]), WILDCARD], raw
        return self._masker.mask_tokens(raw), raw

    def masked_tokens(self, message: str) -> list[str]:
        """The masked tokens the miner learns ``message`` (a line's message) as."""
        return self._tokens(message)[0]

    def _cluster_for(self, tokens: list[str]) -> Cluster:
        key = " ".join(tokens)
        cache = self._cache
        cluster = cache.get(key)
        if cluster is not None and cluster.alive:
            self._miner.touch(cluster)
            return cluster
        if cluster is not None:
            folded = self._miner.get(cluster.id)
            if folded is not None:
                cache[key] = folded
                self._miner.touch(folded)
                return folded
        cluster = self._miner.learn_form(tokens, self._source)
        cfg = self.config
        if cfg.match_cache_size and not self._miner.noisy:
            cache[key] = cluster
            self._cache_bytes += len(key) + _CACHE_ENTRY_BYTES
            while cache and (
                len(cache) > cfg.match_cache_size or self._cache_bytes > cfg.match_cache_bytes
            ):
                gone, _ = cache.popitem(last=False)
                self._cache_bytes -= len(gone) + _CACHE_ENTRY_BYTES
        return cluster

    @staticmethod
    def _text_severity(cluster: Cluster) -> Severity:
        memo = cluster.text_severity
        if memo is None or memo[0] != cluster.version:
            memo = cluster.text_severity = (cluster.version, severity_of_text(cluster.template))
        return memo[1]

    # -- parameters -----------------------------------------------------------------------

    def _params(self, cluster: Cluster, raw_tokens: list[str]) -> tuple[str, ...]:
        tokens = cluster.tokens
        if len(tokens) != len(raw_tokens):
            return self._params_aligned(cluster, raw_tokens)
        out: list[str] = []
        for tok, value in zip(tokens, raw_tokens, strict=True):
            if tok == WILDCARD:
                out.append(value)
            elif WILDCARD in tok:
                out.extend(self._token_values(tok, value))
        return tuple(out)

    @staticmethod
    def _token_values(tok: str, value: str) -> tuple[str, ...]:
        spans = partial_spans(tok, value)
        if spans is None:
            return (value,) * tok.count(WILDCARD)
        return tuple(value[a:b] for a, b in spans)

    def _params_aligned(self, cluster: Cluster, raw_tokens: list[str]) -> tuple[str, ...]:
        """Parameters when a wildcard spans several tokens (templates merged across lengths)."""
        spans = align(cluster.tokens, raw_tokens)
        if spans is None:
            return ()
        out: list[str] = []
        for tok, (a, b) in zip(cluster.tokens, spans, strict=True):
            if tok == WILDCARD:
                out.append(" ".join(raw_tokens[a:b]))
            elif WILDCARD in tok:
                out.extend(self._token_values(tok, raw_tokens[a]))
        return tuple(out)

    def _remember_examples(self, cluster: Cluster, params: tuple[str, ...]) -> None:
        """Keep a few distinct values per wildcard, from the first lines of each version of
        the template (after ``_EXAMPLE_LINES`` lines the examples stay as they are)."""
        k = self.config.max_param_examples
        if cluster.examples_version != cluster.version:
            # The template changed shape: wildcard indexes moved, start the examples afresh.
            cluster.examples = {}
            cluster.examples_version = cluster.version
            cluster.examples_seen = 0
            cluster.examples_capped = False
            cluster.params_memo = None
        cluster.examples_seen += 1
        if cluster.examples_seen >= _EXAMPLE_LINES or not k:
            cluster.examples_full = True
        if cluster.examples_capped:
            return  # every wildcard has its k values: nothing to add
        examples = cluster.examples
        filled = False
        cap = self.config.max_example_chars
        for i, value in enumerate(params):
            if len(value) > cap:
                value = value[:cap] + "…"  # an example shows a value; it does not keep a dump
            seen = examples.get(i)
            if seen is None:
                examples[i] = [value]
                cluster.params_memo = None
                filled = k == 1
            elif len(seen) < k and value not in seen:
                seen.append(value)
                cluster.params_memo = None
                filled = filled or len(seen) == k
        if filled and len(examples) == len(params) and all(len(v) >= k for v in examples.values()):
            # Later lines of this version add nothing (a version reads the same number of
            # values from every line, or none), though they still count towards
            # _EXAMPLE_LINES.
            cluster.examples_capped = True

    # -- reading --------------------------------------------------------------------------

    def patterns(self) -> list[Pattern]:
        """All live patterns, most frequent first (ties: oldest first)."""
        clusters = sorted(self._miner.clusters(), key=lambda c: (-c.count, c.order))
        return [self._snapshot(c, self._miner.folded_into(c.id)) for c in clusters]

    def batch_patterns(self, results: Iterable[LineResult]) -> list[Pattern]:
        """The patterns that ``results`` (this engine's, in order) fall in, as they are now
        (template, severity, example values; ids of patterns folded since then resolved), with
        ``count``, ``first_seen`` and ``last_seen`` over these results alone: what one batch
        added. Continuation lines of multi-line records are not counted, as in the engine.
        Patterns evicted since (``max_patterns``) are left out. Most frequent first, then id."""
        stats: dict[str, list[Any]] = {}
        get = stats.get
        for r in results:
            if r.continuation:
                continue
            ts = r.timestamp
            entry = get(r.pattern_id)
            if entry is None:
                stats[r.pattern_id] = [1, ts, ts]
            elif ts is None:
                entry[0] += 1
            else:
                entry[0] += 1
                # Lines mostly arrive in time order: one comparison for the common case.
                last = entry[2]
                if last is None or ts > last:
                    entry[2] = ts
                    if entry[1] is None:
                        entry[1] = ts
                elif ts < entry[1]:
                    entry[1] = ts
        by_cluster: dict[str, tuple[Cluster, list[Any]]] = {}
        for pid, entry in stats.items():
            c = self._miner.get(pid)
            if c is None:
                continue
            seen = by_cluster.get(c.id)
            if seen is None:
                by_cluster[c.id] = (c, entry)
            else:  # folded into another pattern of the batch
                into = seen[1]
                into[0] += entry[0]
                into[1] = _earlier(into[1], entry[1])
                into[2] = _later(into[2], entry[2])
        out = [
            self._snapshot(c, self._miner.folded_into(c.id), entry)
            for c, entry in by_cluster.values()
        ]
        out.sort(key=lambda p: (-p.count, p.id))
        return out

    def pattern(self, pattern_id: str) -> Pattern | None:
        """One pattern by id (or by the id of a pattern folded into it), or ``None``."""
        c = self._miner.get(pattern_id)
        if c is None:
            return None
        return self._snapshot(c, self._miner.folded_into(c.id))

    def resolve(self, pattern_id: str) -> str:
        """The id a pattern answers to now (patterns whose templates became equal are folded
        into the older one). Unknown ids are returned unchanged."""
        c = self._miner.get(pattern_id)
        return pattern_id if c is None else c.id

    def template(self, pattern_id: str) -> str:
        """The current template of a pattern. Raises ``KeyError`` for an unknown id."""
        c = self._miner.get(pattern_id)
        if c is None:
            raise KeyError(pattern_id)
        return c.template

    def params_of(self, pattern_id: str, message: str) -> tuple[str, ...]:
        """Values of ``message`` at the wildcards of the pattern's current template."""
        c = self._miner.get(pattern_id)
        if c is None:
            raise KeyError(pattern_id)
        raw = message.split()
        limit = self.config.max_tokens
        if len(raw) > limit:
            raw = [*raw[: limit - 1], " ".join(raw[limit - 1 :])]
        return self._params(c, raw)

    def add_pattern(self, pattern_id: str, template: str, severity: str | None = None) -> None:
        """Seed a known pattern (for example from a store) so that lines of that template get
        ``pattern_id``. Its count starts at zero."""
        tokens = template.split()
        c = self._miner.add(pattern_id, tokens)
        if severity is not None and c.level_severity is None:
            with contextlib.suppress(ValueError):
                c.level_severity = Severity(severity)

    @property
    def evictions(self) -> int:
        """Patterns evicted so far because ``max_patterns`` was reached."""
        return self._miner.evictions

    def _snapshot(
        self, c: Cluster, aliases: Iterable[str] = (), counts: list[Any] | None = None
    ) -> Pattern:
        """``c`` as a :class:`Pattern`; ``counts`` ([count, first, last]) replaces its
        lifetime count and times."""
        severity = c.level_severity or self._text_severity(c)
        memo = c.params_memo
        if memo is not None and memo[0] == c.version:
            params = memo[1]
        else:
            params = tuple(
                ParamSummary(i, tuple(values)) for i, values in sorted(c.examples.items())
            )
            # Shared by later snapshots until the examples change (which drops the memo), so a
            # caller can tell "unchanged" by identity.
            c.params_memo = (c.version, params)
        count, first, last = counts or (c.count, c.first_seen, c.last_seen)
        return Pattern(
            c.id, c.template, count, severity, first, last, params, tuple(sorted(aliases))
        )

    # -- state ----------------------------------------------------------------------------

    def to_state(self) -> dict[str, Any]:
        """The engine's learned state as a JSON-safe dict (see :mod:`logsum.core.state`)."""
        from logsum.core.state import dump_state

        return dump_state(self)

    @classmethod
    def from_state(cls, state: dict[str, Any], config: EngineConfig | None = None) -> Engine:
        """An engine that continues from a state made by :meth:`to_state`."""
        from logsum.core.state import load_state

        return load_state(cls, state, config)

    def to_compact(self) -> bytes:
        """The engine as compact bytes for this process to keep (see
        :func:`logsum.core.state.dump_compact`): a service puts idle engines away with it."""
        from logsum.core.state import dump_compact

        return dump_compact(self)

    @classmethod
    def from_compact(cls, data: bytes, config: EngineConfig | None = None) -> Engine:
        """The engine :meth:`to_compact` gave ``data`` for, in a few milliseconds: the same
        pattern ids and templates for the same lines, and its known lines replayed."""
        from logsum.core.state import load_compact

        return load_compact(cls, data, config)

    def memory_bytes(self) -> int:
        """Estimated bytes this engine holds: its patterns (as ``max_pattern_bytes`` counts
        them) with their example values, its caches (as ``match_cache_bytes`` counts them),
        and its memories of words and header layouts. An estimate from counts, calibrated
        against tracemalloc (tests/core/test_compact.py), not a measurement."""
        shapes = self._shapes
        patterns = len(self._miner)
        return (
            self._miner.held_bytes
            + patterns * _EXAMPLES_BYTES
            + self._cache_bytes
            + (0 if shapes is None else shapes.held_bytes)
            + self._masker.entries() * _MASK_ENTRY_BYTES
            + (self._headers.entries() + len(self._sources)) * _HEADER_ENTRY_BYTES
            + _ENGINE_BYTES
        )


def _earlier(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else min(a, b)


def _later(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else max(a, b)
