"""The analysis use case behind ``POST /v1/analyze`` (synchronous: runs in a worker thread).

Per request: parse and validate the body (:mod:`logsum.api.bodies`), take the tenant's engine
(kept warm per process and synchronised with the tenant's stored patterns, so matching lines
keep their stored ids; see :mod:`logsum.api.engines`), run the lines, add the request's pattern
counts to the store (atomic upsert), and ask the analysis module for anomalies and insights. The
tenant's history lives in the store; the engines are a cache of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from logsum import Engine, EngineConfig, LineResult, Pattern
from logsum.api.baselines import TenantBaselines
from logsum.api.bodies import parse_batch
from logsum.api.engines import SentPattern, TenantEngines
from logsum.api.schemas import AnalyzeOptions
from logsum.core.analysis import AnalysisOptions, Baseline, analyze_batch
from logsum.core.model import by_id_and_alias
from logsum.core.timestamps import DEFAULT_ZONE
from logsum.settings import Settings
from logsum.store import PatternDelta, Store, StoredPattern
from logsum.store.history import timelines
from logsum.timeutil import iso, utc_for_json

Examples = tuple[tuple[str, ...], ...]
"""Per wildcard position, a few example values."""


def stored_pattern_wire(p: StoredPattern) -> dict[str, Any]:
    """A stored pattern as the wire's pattern object (``count`` over all requests)."""
    return {
        "id": p.id,
        "template": p.template,
        "count": p.count,
        "severity": str(p.severity),
        "first_seen": iso(p.first_seen),
        "last_seen": iso(p.last_seen),
        "params": _params_wire(p.examples),
    }


def _params_wire(examples: Examples) -> list[dict[str, Any]]:
    return [{"index": i, "examples": list(ex)} for i, ex in enumerate(examples)]


def _examples(p: Pattern) -> Examples:
    """Example values per wildcard position, in position order (a position without values
    has none)."""
    params = p.params
    if all(ps.index == i for i, ps in enumerate(params)):  # the engine's own order
        return tuple(ps.examples for ps in params)
    by_index = {ps.index: ps.examples for ps in params}
    return tuple(by_index.get(i, ()) for i in range(max(by_index) + 1))


WIRE_JSON = orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC
"""orjson options of a response holding datetimes: ISO 8601 in UTC with ``Z``, exactly as
:func:`iso` writes them."""

_MAX_SENT = 50_000
"""Patterns per warm engine whose last sent examples (and their wire form) are remembered."""


def _delta_and_wire(
    p: Pattern,
    sent: dict[str, SentPattern],
    wire: list[dict[str, Any]] | None,
    timeline: dict[int, int] | None = None,
) -> PatternDelta:
    """The store's delta for ``p``, and (when ``wire`` is a list) its pattern object for the
    response appended there. Example values the store already has for the same template are
    not sent again; the engine hands out the same params tuple until a pattern's examples
    change, so the usual case is an identity check, and the response reuses their wire form."""
    examples: Examples = ()
    last = sent.get(p.id)
    if last is not None and last[0] == p.template and (last[1] is p.params or last[1] == p.params):
        params = last[2]
    else:
        examples = _examples(p)
        params = [{"index": i, "examples": ex} for i, ex in enumerate(examples)]
        if examples:
            if len(sent) >= _MAX_SENT:
                sent.clear()
            sent[p.id] = (p.template, p.params, params)
    severity = p.severity.value
    if wire is not None:
        wire.append(
            {
                "id": p.id,
                "template": p.template,
                "count": p.count,
                "severity": severity,
                "first_seen": utc_for_json(p.first_seen),
                "last_seen": utc_for_json(p.last_seen),
                "params": params,
            }
        )
    return PatternDelta(
        p.id,
        p.template,
        severity,
        p.count,
        p.first_seen,
        p.last_seen,
        examples,
        tuple(timeline.items()) if timeline else (),
    )


@dataclass(frozen=True, slots=True)
class AnalysisOutcome:
    """What one analysis produced, ready for the wire."""

    patterns: list[dict[str, Any]]
    anomalies: list[dict[str, Any]] = field(default_factory=list)
    insights: list[dict[str, Any]] = field(default_factory=list)
    lines: int = 0
    timezone: str = DEFAULT_ZONE
    """The zone the request's zone-less timestamps were read in (``X-LogSum-Timezone``)."""

    def to_wire(self) -> dict[str, Any]:
        """The response body of ``POST /v1/analyze`` (datetimes in it: see :data:`WIRE_JSON`)."""
        return {"patterns": self.patterns, "anomalies": self.anomalies, "insights": self.insights}

    def to_json(self) -> bytes:
        """The response body of ``POST /v1/analyze`` as JSON."""
        return orjson.dumps(self.to_wire(), option=WIRE_JSON)


class AnalysisService:
    """Runs analyses for tenants against one store."""

    def __init__(self, settings: Settings, store: Store) -> None:
        self._settings = settings
        self._store = store
        self._history_bucket = store.limits.history[0][0]
        self._engines = TenantEngines(
            self._new_engine,
            restore=self._restore_engine,
            max_tenants=settings.engine_tenants,
            max_bytes=settings.engine_memory_mib * 1024 * 1024,
            sync_seconds=settings.engine_sync_seconds,
        )
        self.baselines = TenantBaselines(store, settings.engine_sync_seconds)

    @property
    def engines(self) -> TenantEngines:
        """The tenants' engines this service keeps (for metrics and tests)."""
        return self._engines

    def _new_engine(self) -> Engine:
        return Engine(self._engine_config())

    def _restore_engine(self, data: bytes) -> Engine:
        return Engine.from_compact(data, self._engine_config())

    def _engine_config(self) -> EngineConfig:
        # The core reads no clock: the adapter supplies the year for timestamps without one.
        return EngineConfig(
            max_line_chars=self._settings.max_line_chars,
            match_cache_size=self._settings.engine_match_cache,
            match_cache_bytes=self._settings.engine_cache_mib * 1024 * 1024,
            max_pattern_bytes=self._settings.engine_pattern_mib * 1024 * 1024,
            default_year=datetime.now(UTC).year,
            today=datetime.now(UTC).date(),
        )

    def analyze_raw(
        self,
        tenant_id: str,
        raw: bytes,
        content_type: str | None = None,
        query: Sequence[tuple[str, str]] = (),
    ) -> AnalysisOutcome:
        """Parse ``raw`` (the request body, read as its ``content_type`` says, with options
        from the ``query`` parameters when it is not the contract's object: see
        :mod:`logsum.api.bodies`) and analyse it for ``tenant_id``."""
        batch = parse_batch(
            raw, content_type, query, max_batch_lines=self._settings.max_batch_lines
        )
        return self.analyze(tenant_id, batch.lines, batch.options)

    def analyze(
        self, tenant_id: str, lines: Sequence[str], options: AnalyzeOptions
    ) -> AnalysisOutcome:
        """Mine ``lines``, add the counts to the tenant's stored patterns, and report.

        Raises :class:`~logsum.core.errors.InvalidOption` (400) when an option is unusable:
        before any work (e.g. ``session_key`` is not a valid regular expression), or during the
        analysis, before the tenant's history or store change (a ``session_key`` that
        backtracks).
        """
        analysis_options = AnalysisOptions(
            find_anomalies=options.find_anomalies,
            generate_insights=options.generate_insights,
            bucket_seconds=options.bucket_seconds,
            session_key=options.session_key,
        )
        lines = without_nul(lines)
        learn = options.learn_only
        analysed = (options.find_anomalies or options.generate_insights) and not learn
        with self._engines.lease(
            tenant_id, lambda after: self._store.patterns_since(tenant_id, after)
        ) as te:
            known_ids = te.known_ids() if analysed else frozenset()
            # The zone is the request's (UTC when it names none), set on the tenant's warm
            # engine under the lease: a zone never outlives its request. Switching drops the
            # engine's timestamp caches, so a tenant alternating zones replays less.
            te.engine.use_timezone(options.timezone or DEFAULT_ZONE)
            _end_open_record(te.engine)
            results = te.engine.process_many(lines)
            patterns = te.engine.batch_patterns(results)
        # The analysis outside the lease (the tenant's other requests need only its engine)
        # and before the tenant's history and the store change: an option it refuses while it
        # runs (a session key that backtracks) fails the request with neither touched (the
        # warm engine has seen the lines, as after a failed write). ``ids`` and ``sent`` take
        # single set and dict operations, atomic in the interpreter; a race between two
        # requests of a tenant at worst sends an example value twice.
        anomalies: list[dict[str, Any]] = []
        insights: list[dict[str, Any]] = []
        if learn:
            self.baselines.learn(tenant_id, results, patterns, options.session_key)
        else:
            baseline = self.baselines.get(tenant_id) if options.find_anomalies else None
            anomalies, insights = self._report(
                results, patterns, known_ids, analysis_options, baseline
            )
        # Lines per pattern per history bucket, by their own timestamps (a line's id may be
        # one its pattern has absorbed since).
        ids = {pid: p.id for pid, p in by_id_and_alias(patterns).items()}
        timeline = timelines(results, ids, self._history_bucket)
        te.ids.update([p.id for p in patterns])
        wire: list[dict[str, Any]] | None = [] if options.detect_patterns else None
        deltas = [_delta_and_wire(p, te.sent, wire, timeline.get(p.id)) for p in patterns]
        if deltas:
            try:
                # The anomalies ride the same journal row as the counts (stored for
                # GET /v1/anomalies).
                self._store.upsert_patterns(tenant_id, deltas, anomalies)
            except BaseException:
                # These examples never reached the store: send them again next time (outside
                # the lease: a lone dict removal, and at worst a value is sent twice).
                for d in deltas:
                    if d.examples:
                        te.sent.pop(d.pattern_id, None)
                raise
        return AnalysisOutcome(
            patterns=wire or [],
            anomalies=anomalies,
            insights=insights,
            lines=len(lines),
            timezone=options.timezone or DEFAULT_ZONE,
        )

    def _report(
        self,
        results: Sequence[LineResult],
        patterns: Sequence[Pattern],
        known_ids: frozenset[str],
        options: AnalysisOptions,
        baseline: Baseline | None = None,
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        if not (options.find_anomalies or options.generate_insights):
            return [], []
        if results and results[0].line != 1:
            renumber(results, results[0].line - 1)
        report = analyze_batch(
            results, patterns, known_pattern_ids=known_ids, options=options, baseline=baseline
        )
        anomalies = [a.to_dict() for a in report.anomalies] if options.find_anomalies else []
        insights = [i.to_dict() for i in report.insights] if options.generate_insights else []
        return anomalies, insights


def _end_open_record(engine: Engine) -> None:
    """Forget the multi-line record the tenant's previous request ended with: a request is a
    batch of its own, so an indented first line starts a record instead of continuing one."""
    engine.end_record()


def renumber(results: Sequence[LineResult], offset: int) -> None:
    """Count ``line`` from 1 in this request. A tenant's warm engine numbers lines over its whole
    life; anomalies cite line numbers of the request. In place: the request owns these results
    (the engine builds new ones for every line and keeps none), and a copy of each would cost
    about a tenth of the engine's own time."""
    for r in results:
        r.line -= offset


def without_nul(lines: Sequence[str]) -> Sequence[str]:
    """``lines`` with NUL characters replaced by U+FFFD. NUL never carries meaning in a log
    line, and PostgreSQL text columns cannot hold it (templates and examples are stored)."""
    if not any("\x00" in line for line in lines):
        return lines
    return [line.replace("\x00", "\ufffd") for line in lines]
