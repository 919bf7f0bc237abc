"""Wire models: the JSON the API accepts and returns (never database rows or core objects).

Field names follow ``docs/seed/api-endpoints.md``; timestamps are ISO 8601 in UTC with a ``Z``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, field_validator

from logsum.core.detect.model import AnomalyType, InsightType
from logsum.core.timestamps import zone_named

SEVERITIES = ("critical", "error", "warning", "info", "debug")

SEVERITY_SCHEMA: dict[str, Any] = {
    "type": "string",
    "enum": list(SEVERITIES),
    "title": "Severity",
    "description": "Severity of a line, pattern or anomaly, most severe first.",
}
"""The ``Severity`` component of the OpenAPI document: :mod:`logsum.api.openapi` puts a
reference to it in place of every inline enum of :data:`SeverityName`, so generated clients
share one enum for every severity field."""

SeverityName = Literal["critical", "error", "warning", "info", "debug"]

UtcTime = Annotated[
    str,
    WithJsonSchema(
        {
            "type": "string",
            "format": "date-time",
            "description": "ISO 8601 in UTC with Z, e.g. 2024-01-01T10:00:00Z.",
        }
    ),
]
"""A time on the wire: ISO 8601 in UTC with ``Z``, kept as the text the service wrote
(documented as ``format: date-time``, so generated clients read it as a datetime)."""


class Wire(BaseModel):
    """A JSON object of the API, in or out."""

    # Strict: JSON's types as the schema says (no 0/1 or "true" for booleans, no "5" for numbers).
    model_config = ConfigDict(extra="forbid", strict=True)


class AnalyzeOptions(Wire):
    """What ``POST /v1/analyze`` should compute. Unknown option names are rejected (400)."""

    detect_patterns: bool = Field(
        default=True,
        description="Return the request's patterns. The stored patterns are updated anyway.",
    )
    find_anomalies: bool = Field(default=True, description="Return anomalies.")
    generate_insights: bool = Field(default=True, description="Return insights.")
    bucket_seconds: int | None = Field(
        default=None,
        ge=1,
        le=86_400,
        description="Width of the time buckets used by volume detectors (seconds); "
        "default: chosen from the batch's time span. A batch spanning more than 2,048 such "
        "buckets uses the smallest multiple that fits.",
    )
    session_key: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="A regular expression whose first group (or whole match) is a session key "
        "(request id, trace id, block id) for session anomalies; default: auto-detected. "
        "The syntax of Python's re. An invalid expression is a 400, and so is one that "
        "backtracks (such as (a|ab)* on some lines): matching has up to 1 s of CPU in hand, "
        "refilled by 2 microseconds per character searched, and when it runs out the request "
        "stores nothing.",
        json_schema_extra={"format": "regex"},
    )

    learn_only: bool = Field(
        default=False,
        description="Known-good lines: learn from them, judge nothing. Their patterns are "
        "stored as usual; what their sessions look like is merged into the key's baseline, "
        "against which the key's later analyses judge sessions. The response has the "
        "patterns and no anomalies or insights. See GET and DELETE /v1/baseline.",
    )

    timezone: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="IANA zone (e.g. Europe/Berlin) in which timestamps that name no offset are "
        "read; default: UTC. Timestamps with an offset (Z, +01:00, -0700, or an unambiguous "
        "abbreviation such as CET) keep it; every time in the response is UTC. A local time "
        "that a daylight saving change skips or repeats takes the offset in force before the "
        "change. An unknown zone is a 400.",
        examples=["Europe/Berlin"],
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            zone_named(value)  # InvalidOption, a ValueError: a 400 naming the field
        return value

    @field_validator("bucket_seconds", mode="before")
    @classmethod
    def _integral_number(cls, value: object) -> object:
        # JSON Schema counts 60.0 as an integer; strict mode alone would refuse it.
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value


class AnalyzeRequest(Wire):
    """Body of ``POST /v1/analyze``."""

    logs: list[str] = Field(
        ...,
        description="Raw log lines, as applications write them (header included), one per item. "
        "At most LOGSUM_MAX_BATCH_LINES items (413 above); a line longer than "
        "LOGSUM_MAX_LINE_CHARS is cut by the engine (the cut part becomes a trailing <*>).",
        examples=[["2024-01-01 10:00:00 ERROR Database connection failed"]],
    )
    options: AnalyzeOptions = Field(default_factory=lambda: AnalyzeOptions())


class ParamOut(Wire):
    """One ``<*>`` position of a template with a few example values."""

    index: int = Field(..., description="0-based index among the template's wildcards.")
    examples: list[str]


class PatternOut(Wire):
    """A pattern: a template and the lines that share it."""

    id: str = Field(..., description="Stable id: same template, same id, across requests.")
    template: str = Field(..., description="The message's template; variables are <*>.")
    count: int = Field(
        ...,
        description="Lines of this pattern (in this request for analyze; "
        "accumulated over all requests for /v1/patterns).",
    )
    severity: SeverityName
    first_seen: UtcTime | None = Field(
        default=None, description="Earliest line timestamp, ISO 8601 UTC."
    )
    last_seen: UtcTime | None = Field(
        default=None, description="Latest line timestamp, ISO 8601 UTC."
    )
    params: list[ParamOut] = Field(default_factory=list)


class TimeWindow(Wire):
    """The time span an anomaly covers."""

    start: UtcTime
    end: UtcTime


Number = int | float


class Evidence(BaseModel):
    """What an anomaly or insight rests on. The fields depend on its type; the common ones are
    typed here, every one optional, and others may appear (a detector's own)."""

    model_config = ConfigDict(extra="allow")

    pattern_id: str | None = None
    template: str | None = None
    count: int | None = None
    lines: int | None = Field(default=None, description="Lines in the batch or scope counted.")
    error_lines: int | None = None
    first_line: int | None = Field(default=None, description="1-based line of the request.")
    first_seen: UtcTime | None = None
    last_seen: UtcTime | None = None
    share: Number | None = None
    bucket_seconds: int | None = Field(default=None, description="Width of the time buckets.")
    baseline_median: Number | None = None
    baseline_sigma: Number | None = None
    threshold: Number | None = None
    observed_total: int | None = None
    observed_peak: int | None = None
    baseline_share: Number | None = None
    observed_share: Number | None = None
    session_key: str | None = None
    session_count: int | None = None
    window: TimeWindow | None = None


class AnomalyOut(BaseModel):
    """One anomaly (the analysis module's shape; extra fields may be added over time)."""

    model_config = ConfigDict(extra="allow")

    id: str
    type: AnomalyType
    severity: SeverityName
    score: float = Field(..., description="0..1; 0.5 is the reporting threshold.")
    message: str
    pattern_ids: list[str]
    window: TimeWindow | None = Field(default=None, description="The span it covers, UTC.")
    evidence: Evidence
    lines: list[int] = Field(..., description="Some 1-based line numbers of the request.")
    line_count: int


class InsightOut(BaseModel):
    """One insight: a typed, ranked statement with its evidence."""

    model_config = ConfigDict(extra="allow")

    id: str
    type: InsightType
    message: str
    score: float
    rank: int
    pattern_ids: list[str]
    evidence: Evidence


class AnalyzeResponse(Wire):
    """Result of ``POST /v1/analyze``."""

    patterns: list[PatternOut]
    anomalies: list[AnomalyOut]
    insights: list[InsightOut]


class PatternList(Wire):
    """A page of the caller's stored patterns, ordered by count descending then id."""

    patterns: list[PatternOut]
    total: int = Field(..., description="Patterns matching the filter, over all pages.")
    limit: int
    offset: int


class BaselineOut(Wire):
    """What a key learned from its ``learn_only`` analyses."""

    sessions: int = Field(..., description="Sessions learned from, over every learn_only request.")
    lines: int = Field(..., description="Lines learned from.")
    session_key: str | None = Field(
        ..., description="The session-key expression the sessions were read with."
    )
    session_rules: int = Field(..., description="Count rules learned (count(A) = count(B)...).")
    size_bytes: int = Field(..., description="Stored size (bounded; see docs/API.md).")
    updated_at: str = Field(..., description="Last learn_only request, ISO 8601 in UTC.")


class HistoryPoint(Wire):
    """Lines of a pattern in one time bucket."""

    start: UtcTime = Field(..., description="The bucket's start.")
    count: int


class PatternHistory(Wire):
    """A stored pattern's lines per time bucket."""

    pattern_id: str
    bucket_seconds: int
    points: list[HistoryPoint] = Field(
        ..., description="Every bucket of the range, oldest first, empty ones included."
    )
    total: int = Field(..., description="The sum of the points.")


class StoredAnomalyOut(AnomalyOut):
    """An anomaly as ``POST /v1/analyze`` returned it, with when and by what it was found."""

    found_at: UtcTime = Field(..., description="When the analysis that found it was stored.")
    source: str = Field(..., description="analyze, or watch:<watch id>.")


class AnomalyList(Wire):
    """A page of the caller's stored anomalies, newest first."""

    anomalies: list[StoredAnomalyOut]
    total: int = Field(..., description="Anomalies matching the filters, over all pages.")
    limit: int
    offset: int


class ErrorDetail(Wire):
    """The inside of the error envelope."""

    code: str = Field(..., examples=["invalid_request"])
    message: str = Field(..., examples=["Missing required field: logs"])


class ErrorEnvelope(Wire):
    """Every error response: ``{"error": {"code", "message"}}``."""

    error: ErrorDetail


class Health(Wire):
    """Liveness / readiness answer."""

    status: Literal["ok", "unavailable"]


# -- /v1/watch --------------------------------------------------------------------------------


class WatchFiltersIn(Wire):
    """Which records are delivered."""

    severity: list[SeverityName] = Field(
        default_factory=list,
        max_length=5,
        description="Severities to deliver; empty or absent: every severity.",
        examples=[["error", "warning"]],
    )


class WatchCreate(Wire):
    """Body of ``POST /v1/watch``."""

    source: str = Field(
        ...,
        min_length=1,
        max_length=4096,
        description="Absolute path of a file on the server, inside one of the directories in "
        "LOGSUM_WATCH_ROOTS (after resolving '..' and symlinks). It may not exist yet.",
        examples=["/var/log/app.log"],
    )
    filters: WatchFiltersIn = Field(default_factory=WatchFiltersIn)
    webhook_url: str = Field(
        ...,
        min_length=1,
        max_length=2048,
        description="http(s) URL receiving the signed batches. Refused when it resolves to a "
        "loopback, private, link-local or metadata address (unless the operator allows "
        "private targets).",
        examples=["https://your-app.com/webhook"],
    )
    from_beginning: bool = Field(
        False, description="Read the file from its start instead of from its current end."
    )
    timezone: str | None = Field(
        default=None,
        min_length=1,
        max_length=64,
        description="IANA zone (e.g. Europe/Berlin) in which the file's timestamps that name no "
        "offset are read; default: UTC. Timestamps with an offset keep it; delivered times are "
        "UTC. An unknown zone is a 400.",
        examples=["Europe/Berlin"],
    )


class WatchFiltersOut(Wire):
    severity: list[str]


class WatchOut(Wire):
    """A watch and what it has done so far."""

    id: str
    source: str = Field(..., description="The resolved path followed.")
    filters: WatchFiltersOut
    webhook_url: str
    status: str = Field(..., description="pending, waiting (no file yet), following or error.")
    from_beginning: bool
    timezone: str = Field(..., description="The zone of zone-less timestamps (UTC by default).")
    created_at: UtcTime
    updated_at: UtcTime
    lines_read: int = Field(..., description="Lines read and committed (checkpointed).")
    offset: int | None = Field(..., description="Byte offset of the checkpoint in the file.")
    events_count: int = Field(..., description="Events (records passing the filters) queued.")
    anomalies_count: int
    delivered_count: int = Field(..., description="Deliveries the webhook confirmed (2xx).")
    failed_count: int = Field(..., description="Deliveries given up after the last retry.")
    pending_count: int = Field(..., description="Deliveries waiting in the outbox.")
    last_delivery_at: UtcTime | None
    last_error: str | None
    last_error_at: UtcTime | None


class WatchCreated(WatchOut):
    """``POST /v1/watch``'s answer: the watch and its signing secret, shown this once."""

    secret: str = Field(
        ...,
        description="Standard Webhooks signing secret (whsec_...). Verify webhook-signature "
        "with it; it is not shown again.",
    )


class WatchList(Wire):
    watches: list[WatchOut]
    total: int
