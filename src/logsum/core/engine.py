"""The engine: raw lines in, per-line results and patterns out (streaming, bounded).

Per line: cut to ``max_line_chars``; split the header from the message (unless message-only);
decide whether the line continues the previous record; mask variable-shaped parts; find or
create the line's pattern with the :class:`~logsum.core.miner.Miner`; read the parameters back
by token position. A cache from masked message to pattern makes repeated shapes cheap.
"""

from __future__ import annotations

import contextlib
import re
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from typing import Any

from logsum.core.align import align, partial_spans
from logsum.core.config import EngineConfig
from logsum.core.header import HeaderDetector, LogFormat
from logsum.core.logfmt import looks_like_logfmt, split_logfmt
from logsum.core.masking import TokenMasker
from logsum.core.miner import Cluster, Miner
from logsum.core.model import WILDCARD, Header, LineResult, ParamSummary, Pattern, Severity
from logsum.core.severity import severity_of_level, severity_of_text
from logsum.core.structured import split_json
from logsum.core.timestamps import PlanCache, StampPlan, YearHint, plan_for, zone_named

_NO_HEADER = Header()
Compact = tuple[str, Severity, datetime | None, tuple[str, ...], str, bool, int]
"""What :meth:`Engine.process_compact` returns for a line."""
# Lines that continue a record: indented, stack frames, "Caused by", "... 12 more", closing
# brackets of a pretty-printed value.
_CONTINUATION = re.compile(
    r"(?:\s|at\s+[\w$.<>]+[.(]|Caused by:|\.\.\.\s*\d+\s+(?:more|common)|[}\])](?:[,;]?\s*$)"
    # the exception line that opens a trace (Java, Python, .NET...)
    r"|(?:[\w$]+\.)*[\w$]*(?:Exception|Error|Throwable|Fault)\b(?::|$)"
    r"|Traceback \(most recent call last\):"
    # frames and headings of other runtimes' traces: PHP and gdb (#0 ...), Go's goroutines
    r"|#\d+\s|Stack trace:|goroutine \d+ \[)"
)
_TOKEN = re.compile(r"\S+")
_CUT = " " + WILDCARD  # stands for what was cut off an over-long line
_DIGIT_RUNS = re.compile(r"[0-9]+")
_DIGIT_RUNS_KEY = re.compile(rb"0+")


class _Inside(Exception):
    """An offset falls inside a run of digits: it cannot be moved."""


_EXAMPLE_LINES = 200
"""Lines of one template version whose parameters are looked at for examples."""
_TOUCH_EVERY = 1_000
"""Lines between two refreshes of a pattern's recency (eviction needs no finer order)."""
_HAS_DIGIT = re.compile(r"\d")
_DIGITS_TO_ZERO = bytes.maketrans(b"123456789", b"000000000")


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


class _Shape:
    """Where the parts of a line sit, replayed on lines equal to it up to their digits."""

    __slots__ = (
        "checks",
        "cluster",
        "fields",
        "header",
        "headerless",
        "level_severity",
        "masked",
        "message",
        "params",
        "runs",
        "severity",
        "stamps",
        "version",
    )

    def __init__(
        self,
        cluster: Cluster,
        version: int,
        msg_start: int,
        msg_end: int,
        stamps: tuple[StampPlan, ...],
        header: Header,
        fields: list[str | tuple[int, int] | None] | None,
        params: tuple[tuple[int, int], ...],
        level_severity: Severity | None,
        headerless: bool,
        checks: tuple[tuple[slice, str], ...],
    ) -> None:
        self.cluster = cluster
        self.version = version
        self.message = slice(msg_start, msg_end)
        self.stamps = stamps
        self.header = header
        self.fields = [v if v is None or isinstance(v, str) else slice(*v) for v in fields or ()]
        if fields is None:
            self.fields = None  # type: ignore[assignment]
        self.params = tuple(slice(a, b) for a, b in params)
        self.level_severity = level_severity
        self.headerless = headerless
        self.checks = checks
        self.masked: list[str] = []  # the masked message tokens (to check a rebased line)
        self.severity = level_severity or Severity.INFO  # set by the engine when learned
        self.runs: list[tuple[int, int]] = []  # digit runs of the line it came from


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
        self._masker = TokenMasker()
        self._miner = Miner(
            self.config.similarity,
            self.config.max_patterns,
            self.config.min_word_values,
            self.config.min_slot_values,
        )
        self._cache: OrderedDict[str, Cluster] = OrderedDict()
        self._shapes: dict[bytes, _Shape] = {}
        self._relaxed: dict[bytes, _Shape] = {}  # shapes by line with digit runs collapsed
        self._last_loose: tuple[bytes, bytes] = (b"", b"")
        self._plans: PlanCache = {}
        self._record: tuple[Cluster, Severity, datetime | None] | None = None
        self._record_lines = 0
        self.line_count = 0

    def _set_timestamp_reading(self) -> None:
        """(Re)build what reads timestamps, from the config's year, date and zone."""
        # The default year travels with today's date and the zone (see EngineConfig).
        cfg = self.config
        self._year = YearHint(cfg.default_year, cfg.today, zone_named(cfg.timezone))
        self._format = LogFormat(self.log_format, self._year) if self.log_format else None
        self._headers = HeaderDetector(self._year)

    def use_timezone(self, name: str) -> None:
        """Read timestamps that name no offset in zone ``name`` (an IANA name) from the next
        line on; the patterns learned so far are kept. Raises
        :class:`~logsum.core.errors.InvalidOption` for an unknown zone (nothing changes)."""
        if name == self.config.timezone:
            return
        self.config = replace(self.config, timezone=name)
        # Every cache holding timestamp values or plans read in the old zone is dropped.
        self._set_timestamp_reading()
        self._plans.clear()
        self._shapes.clear()
        self._relaxed.clear()

    # -- processing -----------------------------------------------------------------------

    def _prepare(self, line: str) -> tuple[str, bytes]:
        """Count the line, cut it to size, and compute its shape key: the line's bytes with
        every digit read as ``0`` (a line equal to a known one up to its digits has the same
        layout, so its header fields, message and values sit at the same offsets)."""
        self.line_count += 1
        limit = self.config.max_line_chars
        if len(line) > limit:
            line = line[:limit].rstrip() + _CUT
        line = line.rstrip("\r\n")
        return line, line.encode("utf-8", "surrogatepass").translate(_DIGITS_TO_ZERO)

    def process(self, line: str) -> LineResult:
        """Parse one line (a trailing line break is ignored) and update the patterns."""
        line, key = self._prepare(line)
        shape = self._shapes.get(key) or self._rebased(line, key)
        if shape is not None:
            result = self._replay(shape, line, False)
            if result is not None:
                return result  # type: ignore[return-value]
        return self._process_full(line, key)

    def process_compact(self, line: str) -> Compact:
        """:meth:`process` for bulk tools: the same work, without building the header and
        result objects. Returns ``(pattern_id, severity, timestamp, params, message,
        continuation, version)`` where ``version`` changes whenever the pattern's template
        does (params read under one version stay valid while it is current)."""
        line, key = self._prepare(line)
        shape = self._shapes.get(key) or self._rebased(line, key)
        if shape is not None:
            result = self._replay(shape, line, True)
            if result is not None:
                return result  # type: ignore[return-value]
        r = self._process_full(line, key)
        c = self._miner.get(r.pattern_id)
        version = -1 if c is None else c.version
        return (r.pattern_id, r.severity, r.timestamp, r.params, r.message, r.continuation, version)

    def version_of(self, pattern_id: str) -> int:
        """The current template version of a pattern (see :meth:`process_compact`); -1 when
        the pattern is unknown or was evicted."""
        c = self._miner.get(pattern_id)
        return -1 if c is None else c.version

    def _process_full(self, line: str, key: bytes) -> LineResult:
        cfg = self.config
        header, message = self._split(line)
        record = self._record
        if (
            record is not None
            and header is _NO_HEADER
            and not self.message_only
            and self._record_lines < cfg.max_record_lines
            and (_CONTINUATION.match(line) is not None)
            and line.strip()
        ):
            self._record_lines += 1
            cluster, severity, stamp = record
            return LineResult(
                self.line_count,
                cluster.id,
                severity,
                stamp,
                message,
                (),
                header,
                continuation=True,
            )
        tokens, raw_tokens = self._tokens(message)
        cluster = self._cluster_for(tokens)
        level_sev = severity_of_level(header.level)
        severity = level_sev or self._text_severity(cluster)
        self._observe(cluster, header.timestamp, level_sev)
        shape = None
        if cfg.match_cache_size and not self._miner.noisy:
            shape = self._learn_shape(
                key, line, header, message, cluster, raw_tokens, level_sev, tokens
            )
        if shape is not None:  # the shape knows where the values are: no second reading
            params = tuple(map(line.__getitem__, shape.params))
        else:
            params = self._params(cluster, raw_tokens)
        if not cluster.examples_full or cluster.examples_version != cluster.version:
            self._remember_examples(cluster, params)
        self._record = (cluster, severity, header.timestamp)
        self._record_lines = 0
        return LineResult(
            self.line_count, cluster.id, severity, header.timestamp, message, params, header
        )

    def _loose_key(self, key: bytes) -> bytes:
        """The shape key with each run of digits as one ``0`` (remembered for the last key:
        a miss asks for it twice)."""
        last = self._last_loose
        if last[0] is key:
            return last[1]
        loose = _DIGIT_RUNS_KEY.sub(b"0", key)
        self._last_loose = (key, loose)
        return loose

    def _rebased(self, line: str, key: bytes) -> _Shape | None:
        """A shape for a line that matches a known one except in how long its numbers are:
        the known shape's offsets are moved by the length differences of the digit runs
        before them, and the result is checked (same masked words, timestamps that parse)
        before it is kept."""
        if not self._relaxed:
            return None
        loose = self._loose_key(key)
        base = self._relaxed.get(loose)
        if base is None or not base.cluster.alive or base.cluster.version != base.version:
            return None
        runs = [m.span() for m in _DIGIT_RUNS.finditer(line)]
        if len(runs) != len(base.runs):
            return None
        moves = [(e0, e1 - e0, s0) for (s0, e0), (_, e1) in zip(base.runs, runs, strict=True)]

        def move(offset: int) -> int:
            shift = 0
            for end, delta, start in moves:
                if end <= offset:
                    shift = delta
                elif start < offset:
                    raise _Inside
                else:
                    break
            return offset + shift

        try:
            message = slice(move(base.message.start), move(base.message.stop))
            params = tuple(slice(move(x.start), move(x.stop)) for x in base.params)
            fields = (
                None
                if base.fields is None
                else [
                    v if v is None or isinstance(v, str) else slice(move(v.start), move(v.stop))
                    for v in base.fields
                ]
            )
            checks = tuple((slice(move(w.start), move(w.stop)), t) for w, t in base.checks)
            spans = [(move(p.start), move(p.end), p.shape_index) for p in base.stamps]
        except _Inside:
            return None
        if self._masker.mask_tokens(line[message].split()) != base.masked:
            return None  # a number that changed length changed what masking sees
        stamps = []
        for a, b, index in spans:
            plan = plan_for(line[a:b], a, index, self._year, self._plans)
            if plan is None or plan.end != b:
                return None
            stamps.append(plan)
        shape = _Shape.__new__(_Shape)
        shape.cluster, shape.version = base.cluster, base.version
        shape.message, shape.params, shape.fields = message, params, fields
        shape.checks, shape.stamps = checks, tuple(stamps)
        shape.header, shape.level_severity = base.header, base.level_severity
        shape.severity = base.severity
        shape.headerless, shape.masked = base.headerless, base.masked
        shape.runs = runs
        if len(self._shapes) >= self.config.match_cache_size:
            self._shapes.clear()
        self._shapes[key] = shape
        return shape

    def _replay(self, shape: _Shape, line: str, compact: bool) -> LineResult | Compact | None:
        cluster = shape.cluster
        if not cluster.alive or cluster.version != shape.version:
            return None
        for where, word in shape.checks:
            if line[where] != word:
                return None  # same shape, another word (ssh1 for ssh2): the full path decides
        if (
            shape.headerless
            and self._record is not None
            and not self.message_only
            and _CONTINUATION.match(line) is not None
        ):
            return None  # may continue the previous record: let the full path decide
        n = self.line_count
        if n - cluster.touched > _TOUCH_EVERY:  # recency for eviction, refreshed now and then
            cluster.touched = n
            self._miner.touch(cluster)
        stamps = shape.stamps
        stamp = None
        if len(stamps) == 1:
            stamp = stamps[0].read(line)
        else:
            for plan in stamps:
                value = plan.read(line)
                if value is None:
                    continue
                if stamp is None or value.hour or value.minute:
                    stamp = value  # a time of day improves on a date alone
                if stamp.hour or stamp.minute:
                    break
        severity = shape.severity  # the level's, or the template's words' (same version)
        level_sev = shape.level_severity
        if level_sev is not None:
            known = cluster.level_severity
            if known is not level_sev and (known is None or level_sev.rank < known.rank):
                cluster.level_severity = level_sev
        cluster.count += 1
        if stamp is not None:
            first = cluster.first_seen
            if first is None or stamp < first:
                cluster.first_seen = stamp
            last = cluster.last_seen
            if last is None or stamp > last:
                cluster.last_seen = stamp
        params = tuple(map(line.__getitem__, shape.params))
        if not cluster.examples_full:  # the shape's version is the cluster's: no reset due
            self._remember_examples(cluster, params)
        self._record = (cluster, severity, stamp)
        self._record_lines = 0
        if compact:
            return (cluster.id, severity, stamp, params, line[shape.message], False, shape.version)
        fields = shape.fields
        if fields is None:
            h = shape.header
            header = Header(stamp, h.level, h.host, h.component, h.pid) if stamp else h
        else:
            values = [v if v is None or isinstance(v, str) else line[v] for v in fields]
            header = Header(stamp, shape.header.level, values[0], values[1], values[2])
        return LineResult(n, cluster.id, severity, stamp, line[shape.message], params, header)

    def _learn_shape(
        self,
        key: bytes,
        line: str,
        header: Header,
        message: str,
        cluster: Cluster,
        raw_tokens: list[str],
        level_sev: Severity | None,
        masked: list[str],
    ) -> _Shape | None:
        """Remember where this line's parts sit, for lines of the same shape (see _replay)."""
        tokens = cluster.tokens
        if self._format is not None or len(raw_tokens) > self.config.max_tokens - 1:
            return None
        msg_end = len(line.rstrip())
        msg_start = msg_end - len(message)
        if line[msg_start:msg_end] != message:
            return None
        spans = [(m.start(), m.end()) for m in _TOKEN.finditer(line, msg_start, msg_end)]
        if len(spans) != len(raw_tokens):
            return None
        if len(tokens) != len(spans):
            # Wildcards spanning several tokens: one character span per template token.
            ranges = align(tokens, raw_tokens)
            if ranges is None:
                return None
            spans = [(spans[i][0], spans[j - 1][1]) for i, j in ranges]
        params: list[tuple[int, int]] = []
        checks: list[tuple[slice, str]] = []
        for tok, (a, b) in zip(tokens, spans, strict=True):
            if tok == WILDCARD:
                params.append((a, b))
            elif WILDCARD not in tok:
                if _HAS_DIGIT.search(tok):
                    # A word with digits (ssh2, IPv6) is part of the template: lines of this
                    # shape must carry the very same word, not just any digits there.
                    checks.append((slice(a, b), tok))
            else:
                groups = partial_spans(tok, line, a, b)
                if groups is None:
                    return None
                params.extend(groups)
                if _HAS_DIGIT.search(tok.replace(WILDCARD, "")):
                    # Fixed text with digits around the values ([0701/<*>:...): checked too.
                    edges = [a, *(x for span in groups for x in span), b]
                    for lo, hi in zip(edges[::2], edges[1::2], strict=True):
                        if _HAS_DIGIT.search(line, lo, hi):
                            checks.append((slice(lo, hi), line[lo:hi]))
        fields: list[str | tuple[int, int] | None] | None = None
        if header is not _NO_HEADER:
            values = (header.host, header.component, header.pid)
            if any(v is not None and _HAS_DIGIT.search(v) for v in values):
                fields = []
                for v in values:
                    at = _last_word_at(line, v, msg_start) if v and _HAS_DIGIT.search(v) else -1
                    fields.append(v if at < 0 else (at, at + len(v)))  # type: ignore[arg-type]
        stamps = []
        if header is not _NO_HEADER:
            for start, end, ts_shape in self._headers.last_stamps:
                bracket = line[start] == "["
                a = start + 1 if bracket else start
                b = end - 1 if bracket else end
                plan = plan_for(line[a:b], a, ts_shape, self._year, self._plans)
                if plan is not None:
                    stamps.append(plan)
        if header.timestamp is not None and not stamps:
            return None  # a timestamp we could not locate: do not replay
        shapes = self._shapes
        if len(shapes) >= self.config.match_cache_size:
            shapes.clear()
        shape = shapes[key] = _Shape(
            cluster,
            cluster.version,
            msg_start,
            msg_end,
            tuple(stamps),
            header,
            fields,
            tuple(params),
            level_sev,
            header is _NO_HEADER,
            tuple(checks),
        )
        shape.masked = masked
        shape.severity = level_sev or self._text_severity(cluster)
        shape.runs = [m.span() for m in _DIGIT_RUNS.finditer(line)]
        relaxed = self._relaxed
        if len(relaxed) >= self.config.match_cache_size:
            relaxed.clear()
        relaxed[self._loose_key(key)] = shape
        return shape

    def end_record(self) -> None:
        """End the open multi-line record: the next line starts a record of its own even if
        it looks like a continuation (a new batch, a new file)."""
        self._record = None
        self._record_lines = 0

    def process_many(self, lines: Iterable[str]) -> list[LineResult]:
        """Process lines in order and return their results."""
        return [self.process(line) for line in lines]

    def _split(self, line: str) -> tuple[Header, str]:
        if self.message_only:
            return _NO_HEADER, line.strip()
        if self._format is not None:
            found = self._format.split(line)
            if found is not None:
                return found
        if line[:1] == "{":
            found = split_json(line, self._year, self._headers.split)
            if found is not None:
                return found
        elif looks_like_logfmt(line):
            found = split_logfmt(line, self._year)
            if found is not None:
                return found
        found = self._headers.split(line)
        if found is None:
            return _NO_HEADER, line.strip()
        return found

    def _tokens(self, message: str) -> tuple[list[str], list[str]]:
        raw = message.split()
        limit = self.config.max_tokens
        if len(raw) > limit:
            raw = [*raw[: limit - 1], " ".join(raw[limit - 1 :])]
            return [*self._masker.mask_tokens(raw[:-1]), WILDCARD], raw
        return self._masker.mask_tokens(raw), raw

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
        cluster = self._miner.learn(tokens)
        if self.config.match_cache_size and not self._miner.noisy:
            cache[key] = cluster
            if len(cache) > self.config.match_cache_size:
                cache.popitem(last=False)
        return cluster

    @staticmethod
    def _observe(cluster: Cluster, stamp: datetime | None, level_sev: Severity | None) -> None:
        cluster.count += 1
        if stamp is not None:
            if cluster.first_seen is None or stamp < cluster.first_seen:
                cluster.first_seen = stamp
            if cluster.last_seen is None or stamp > cluster.last_seen:
                cluster.last_seen = stamp
        if level_sev is not None and (
            cluster.level_severity is None or level_sev.rank < cluster.level_severity.rank
        ):
            cluster.level_severity = level_sev

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
            cluster.params_memo = None
        cluster.examples_seen += 1
        if cluster.examples_seen >= _EXAMPLE_LINES or not k:
            cluster.examples_full = True
        examples = cluster.examples
        for i, value in enumerate(params):
            seen = examples.get(i)
            if seen is None:
                examples[i] = [value]
                cluster.params_memo = None
            elif len(seen) < k and value not in seen:
                seen.append(value)
                cluster.params_memo = None

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


def _earlier(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else min(a, b)


def _later(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else max(a, b)
