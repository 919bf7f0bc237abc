"""Service settings, read once from ``LOGSUM_*`` environment variables (pydantic-settings).

Nothing here runs at import time: the composition root (:mod:`logsum.app_factory`) calls
:func:`load_settings` and hands the result down. Every field documents its variable, its default
and why the default is what it is; ``docs/API.md`` lists them all.
"""

from __future__ import annotations

import itertools
import logging
from enum import StrEnum
from pathlib import Path

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class RateLimitStrategy(StrEnum):
    """How requests are counted against a key's limit (the ``limits`` library's strategies)."""

    FIXED_WINDOW = "fixed-window"
    """One counter per key and window; the window starts with the key's first request and
    ``X-RateLimit-Reset`` is its end. Cheapest; allows a burst at a window boundary."""
    MOVING_WINDOW = "moving-window"
    """Exact: at most N requests in any window-long interval. One entry per request in storage."""
    SLIDING_WINDOW = "sliding-window"
    """Approximates the moving window from two fixed-window counters."""


class SettingsError(ValueError):
    """A ``LOGSUM_*`` variable has a value the service cannot use; the message names it."""


class Settings(BaseSettings):
    """All settings of the service. Each field is read from ``LOGSUM_<FIELD NAME>``."""

    model_config = SettingsConfigDict(
        env_prefix="LOGSUM_", case_sensitive=False, extra="ignore", frozen=True
    )

    data_dir: Path = Field(default=Path("data"))
    """``LOGSUM_DATA_DIR``: directory for the embedded SQLite database (created on start).
    Default ``./data`` relative to the working directory, so ``make run`` keeps its state next to
    the checkout; point it elsewhere (``/var/lib/logsum``) in production."""

    database_url: str | None = None
    """``LOGSUM_DATABASE_URL``: SQLAlchemy URL of the store. Unset: SQLite file
    ``<DATA_DIR>/logsum.db``. For PostgreSQL: ``postgresql+psycopg://user:pw@host/db``."""

    redis_url: str | None = None
    """``LOGSUM_REDIS_URL``: ``redis://host:port/db`` to keep rate-limit counters in Redis, so
    that several service processes (workers, machines) share one limit per key exactly. Unset:
    counters live in each process's memory (correct for one process only)."""

    host: str = "127.0.0.1"
    """``LOGSUM_HOST``: address ``logsum serve`` binds. Loopback by default: exposing the
    service is a deliberate choice (``0.0.0.0``)."""

    port: int = Field(default=8000, ge=1, le=65535)
    """``LOGSUM_PORT``: TCP port ``logsum serve`` listens on."""

    workers: int = Field(default=1, ge=1, le=64)
    """``LOGSUM_WORKERS``: uvicorn worker processes. With more than one, set ``LOGSUM_REDIS_URL``
    so that rate limits are shared (each worker otherwise counts on its own)."""

    log_level: str = "info"
    """``LOGSUM_LOG_LEVEL``: ``debug``, ``info``, ``warning``, ``error`` or ``critical``. Access
    log lines (one JSON object per request, with its request id) are written at ``info``."""

    rate_limit_free: int = Field(default=100, ge=1)
    """``LOGSUM_RATE_LIMIT_FREE``: requests per window for ``free`` keys (contract: 100/minute)."""

    rate_limit_pro: int = Field(default=1_000, ge=1)
    """``LOGSUM_RATE_LIMIT_PRO``: requests per window for ``pro`` keys (contract: 1000/minute)."""

    rate_limit_enterprise: int = Field(default=10_000, ge=1)
    """``LOGSUM_RATE_LIMIT_ENTERPRISE``: requests per window for ``enterprise`` keys
    (contract: 10000/minute)."""

    rate_limit_window_seconds: int = Field(default=60, ge=1, le=86_400)
    """``LOGSUM_RATE_LIMIT_WINDOW_SECONDS``: length of the rate-limit window. The contract's
    limits are per minute."""

    rate_limit_strategy: RateLimitStrategy = RateLimitStrategy.FIXED_WINDOW
    """``LOGSUM_RATE_LIMIT_STRATEGY``: ``fixed-window`` (default: one counter per key, so a
    shared Redis limit costs one round trip), ``moving-window`` or ``sliding-window``."""

    rate_limit_auth_failures: int = Field(default=30, ge=1)
    """``LOGSUM_RATE_LIMIT_AUTH_FAILURES``: failed authentications (``/v1`` requests answered
    401: no, malformed, unknown or revoked key) one client IP may make per window (the same
    ``LOGSUM_RATE_LIMIT_WINDOW_SECONDS``, strategy and storage as the per-key limits). Beyond
    it the client's requests are refused with 429 before the key is looked up, so a client can
    neither flood the store with lookups nor probe keys without bound; keys already verified
    keep working from that IP (clients behind one NAT). 30 leaves room for a misconfigured
    client's retries while bounding the store lookups a bad client causes."""

    max_body_bytes: int = Field(default=16 * 1024 * 1024, ge=1_024)
    """``LOGSUM_MAX_BODY_BYTES``: largest request body accepted (16 MiB). Checked against
    ``Content-Length`` and while the body is read, so an oversized body is refused (413) without
    being held in memory."""

    body_timeout_seconds: float = Field(default=60.0, gt=0, le=3_600)
    """``LOGSUM_BODY_TIMEOUT_SECONDS``: time a client has to send its whole request body once
    the headers arrived; slower is 408 and the connection is closed. A request counts against
    ``LOGSUM_MAX_IN_FLIGHT`` while its body is read, so without a deadline a few dozen clients
    that stop sending mid-body would hold every slot (503 for everyone) for as long as they
    keep the connections open. 60 s passes a 16 MiB body at about 300 KB/s."""

    header_timeout_seconds: float = Field(default=10.0, gt=0, le=3_600)
    """``LOGSUM_HEADER_TIMEOUT_SECONDS``: time a client has to send a request's headers, from
    the moment it connects or sends the request's first byte; slower is 408 and the connection
    is closed (read by each server process's HTTP protocol, see :mod:`logsum.api.protocol`).
    Without it, half-sent requests kept connections open for ever."""

    max_batch_lines: int = Field(default=20_000, ge=1)
    """``LOGSUM_MAX_BATCH_LINES``: most lines in one ``POST /v1/analyze`` (413 above). Bounds the
    time one request holds a worker thread (about a second at the engine's rate)."""

    max_in_flight: int = Field(default=64, ge=1, le=100_000)
    """``LOGSUM_MAX_IN_FLIGHT``: requests one process handles at once; more get 503
    ``unavailable`` with ``Retry-After`` at once (``/healthz``, ``/readyz`` and ``/metrics`` are
    exempt). With ``LOGSUM_MAX_BODY_BYTES`` it bounds the memory held by request bodies."""

    max_uploads_per_client: int = Field(default=8, ge=1, le=100_000)
    """``LOGSUM_MAX_UPLOADS_PER_CLIENT``: request bodies one client address may be sending to a
    process at once; more get 429 ``rate_limited`` with ``Retry-After``. Without it, one
    address that opens connections and sends bodies slowly (reconnecting after each 408)
    holds every ``LOGSUM_MAX_IN_FLIGHT`` slot. The address is the peer's, or the forwarded
    one when the peer is a trusted proxy (uvicorn's ``FORWARDED_ALLOW_IPS``)."""

    analysis_slots: int = Field(default=4, ge=1, le=256)
    """``LOGSUM_ANALYSIS_SLOTS``: analyses one process runs at once in its thread pool; further
    ``POST /v1/analyze`` requests wait for a slot. Bounds the memory of decoded batches and
    keeps the pool free for the cheap endpoints (the GIL runs one analysis at a time anyway)."""

    max_line_chars: int = Field(default=64 * 1024, ge=16)
    """``LOGSUM_MAX_LINE_CHARS``: the engine cuts longer lines to this many characters before
    parsing (the cut part becomes a trailing ``<*>``); such a line is not an error."""

    engine_memory_mib: int = Field(default=1_536, ge=16, le=1_048_576)
    """``LOGSUM_ENGINE_MEMORY_MIB``: estimated MiB each process may hold in its tenants' engines,
    as the engines count their own memory (``Engine.memory_bytes``). Past it the least
    recently active engines are put away in compact form (a tenth of their size or less; the
    tenant's next request brings its engine back in a millisecond or two), and past it with
    every idle engine compact, the least recently active compact ones are dropped (rebuilt
    from the store when their tenant returns, as in a new process). The process's resident
    memory is about 120 MiB more than this at most (docs/API.md, "Many tenants")."""

    engine_tenants: int = Field(default=10_000, ge=1, le=1_000_000)
    """``LOGSUM_ENGINE_TENANTS``: at most this many warm engines per process, whatever their
    memory (the least recently active beyond it are put away in compact form, as past
    ``LOGSUM_ENGINE_MEMORY_MIB``). Was the only bound (32) before the memory budget; the budget
    is what an operator tunes now."""

    engine_sync_seconds: float = Field(default=2.0, ge=0.0, le=3_600.0)
    """``LOGSUM_ENGINE_SYNC_SECONDS``: how often (at most) a warm engine pulls in patterns that
    other processes stored for its tenant. 0 syncs on every request. Ids agree across processes
    regardless; this only bounds how long another process's generalised template goes unseen."""

    engine_match_cache: int = Field(default=20_000, ge=0)
    """``LOGSUM_ENGINE_MATCH_CACHE``: entries of each warm engine's line-shape cache (the
    engine's fast path). Smaller than the engine's default because one process keeps many
    engines (within ``LOGSUM_ENGINE_MEMORY_MIB``)."""

    engine_cache_mib: int = Field(default=16, ge=0, le=4_096)
    """``LOGSUM_ENGINE_CACHE_MIB``: estimated MiB each of a warm engine's two fast-path caches
    (line shapes, masked messages) may hold besides ``LOGSUM_ENGINE_MATCH_CACHE`` entries; a
    full cache is emptied (shapes) or loses its oldest entries (messages). Long lines full of
    numbers cost megabytes each: without it a tenant sending them grew a process by gigabytes."""

    engine_pattern_mib: int = Field(default=64, ge=1, le=65_536)
    """``LOGSUM_ENGINE_PATTERN_MIB``: estimated MiB a warm engine's patterns may hold (the
    least recently seen are evicted past it, as past 50,000 patterns). Ordinary patterns cost a
    kilobyte or two; patterns of long random lines cost tens of kilobytes each. One tenant's
    engine holds at most this plus twice ``LOGSUM_ENGINE_CACHE_MIB``; all of them together,
    ``LOGSUM_ENGINE_MEMORY_MIB`` (the engine in use may pass it alone)."""

    thread_switch_ms: float = Field(default=1.0, ge=0.0, le=100.0)
    """``LOGSUM_THREAD_SWITCH_MS``: how long a thread of a service process may hold the
    interpreter before another runnable thread gets it (Python's default is 5 ms; 0 keeps it).
    Requests wait for the database in worker threads; with the default, each wait can cost up
    to 5 ms more while an analysis runs in another thread. At 1 ms, 10-line requests from 16
    clients had a p99 of 94 ms instead of 214 ms at the same throughput (bench/api.py)."""

    cpu_affinity: bool = False
    """``LOGSUM_CPU_AFFINITY``: pin each service process to a core of its own, for machines
    whose cores the service has to itself (workers of the user's services on the machine take
    different cores; a process that finds none free stays unpinned, and so do all in a
    container whose CPU quota is below its cores). Its threads then stop moving between cores
    with cold caches: a 1,000-line request cost about a fifth less CPU on the 2-core benchmark
    machine (bench/api.py runs with it). Off by default: processes that do not share the slot
    directory (other containers, other users) cannot see each other's claims and would all
    take the first core, and the scheduler can no longer move a pinned process off a busy
    core."""

    gc_gen0_threshold: int = Field(default=10_000, ge=0, le=10_000_000)
    """``LOGSUM_GC_GEN0_THRESHOLD``: allocations between young-generation garbage collections
    in a service process (Python's default is 700; 0 keeps it). A service process holds large,
    long-lived engine state, and frequent collections cost about a third of an analysis's CPU
    time (measured on 10,000-line batches); a higher threshold keeps at most that many more
    short-lived objects around."""

    bootstrap_key_tier: str = "enterprise"
    """``LOGSUM_BOOTSTRAP_KEY_TIER``: tier of the key ``logsum serve`` creates (and prints once)
    when the store has no key at all. ``enterprise`` by default: the first key belongs to the
    operator, who should not be throttled by their own instance; create ``free``/``pro`` keys for
    others with ``logsum keys create``."""

    # -- watch (files followed and delivered to webhooks; see logsum.watch.config) ----------

    watch_roots: str = ""
    """``LOGSUM_WATCH_ROOTS``: directories whose files ``POST /v1/watch`` may follow, separated
    by ``:`` (``os.pathsep``). Empty by default: watching files is refused until the operator
    names the directories (``..`` and symlinks are resolved before the check)."""

    webhook_allow_private: bool = False
    """``LOGSUM_WEBHOOK_ALLOW_PRIVATE``: allow webhook URLs that resolve to loopback, private or
    link-local addresses (single-host setups, tests). Off: such URLs are refused (SSRF)."""

    watch_batch_max_events: int = Field(default=500, ge=1, le=10_000)
    """``LOGSUM_WATCH_BATCH_MAX_EVENTS``: events per webhook delivery; a full batch goes at once."""

    watch_batch_max_wait_seconds: float = Field(default=1.0, gt=0, le=3600)
    """``LOGSUM_WATCH_BATCH_MAX_WAIT_SECONDS``: a batch is sent at most this long after its
    first event, full or not."""

    watch_poll_interval_seconds: float = Field(default=0.1, gt=0, le=60)
    """``LOGSUM_WATCH_POLL_INTERVAL_SECONDS``: how often an idle file is checked for new lines."""

    watch_lease_seconds: float = Field(default=15.0, ge=0.3, le=3600)
    """``LOGSUM_WATCH_LEASE_SECONDS``: a service process that dies loses its watches to another
    process after this long."""

    watch_run: bool = True
    """``LOGSUM_WATCH_RUN``: this process runs watches (false: API only)."""

    max_watches_per_key: int = Field(default=20, ge=0, le=10_000)
    """``LOGSUM_MAX_WATCHES_PER_KEY``: watches one API key may have."""

    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    """``LOGSUM_WEBHOOK_TIMEOUT_SECONDS``: timeout of one delivery attempt."""

    webhook_max_attempts: int = Field(default=15, ge=1, le=100)
    """``LOGSUM_WEBHOOK_MAX_ATTEMPTS``: attempts before a delivery is marked failed."""

    webhook_retry_base_seconds: float = Field(default=1.0, ge=0, le=3600)
    """``LOGSUM_WEBHOOK_RETRY_BASE_SECONDS``: upper bound of the first retry wait (doubling after
    each failure, full jitter)."""

    webhook_retry_cap_seconds: float = Field(default=600.0, ge=0, le=86_400)
    """``LOGSUM_WEBHOOK_RETRY_CAP_SECONDS``: upper bound of any one retry wait."""

    # -- pattern history and stored anomalies (GET /v1/patterns/{id}/history, /v1/anomalies) -

    history: str = "1m:2d,1h:30d"
    """``LOGSUM_HISTORY``: the resolutions of the pattern history, finest first, each
    ``<bucket>:<retention>`` with units ``s``, ``m``, ``h``, ``d`` (each bucket a multiple of the
    finer one, each retention longer; at most 4). Default: minute buckets for 2 days, hour
    buckets for 30 days. A bucket row costs about 60-100 bytes with its index entries, so a
    pattern seen every minute costs at most 2,880 + 720 rows, about 0.3 MB; a pattern seen
    once an hour, 48 + 720 rows. Lines are counted by their own timestamps (arrival time
    when they have none); lines older than every retention count in no bucket."""

    max_anomalies_per_key: int = Field(default=10_000, ge=1, le=10_000_000)
    """``LOGSUM_MAX_ANOMALIES_PER_KEY``: anomalies stored per API key (found by its analyze
    requests and its watches); the oldest are deleted beyond it. An anomaly takes about 1 KB."""

    @field_validator("history")
    @classmethod
    def _history_spec(cls, value: str) -> str:
        parse_history(value)
        return value

    @property
    def history_resolutions(self) -> tuple[tuple[int, int], ...]:
        """``LOGSUM_HISTORY`` as ``(bucket seconds, retention seconds)`` pairs, finest first."""
        return parse_history(self.history)

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        schemes = (
            "redis://",
            "rediss://",
            "redis+unix://",
            "redis+cluster://",
            "redis+sentinel://",
        )
        if not value.startswith(schemes):
            raise ValueError(f"must start with one of {', '.join(schemes)}")
        return value

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.strip().lower()
        if level not in {"debug", "info", "warning", "error", "critical"}:
            raise ValueError("must be one of debug, info, warning, error, critical")
        return level

    @field_validator("bootstrap_key_tier")
    @classmethod
    def _known_tier(cls, value: str) -> str:
        tier = value.strip().lower()
        if tier not in {"free", "pro", "enterprise"}:
            raise ValueError("must be one of free, pro, enterprise")
        return tier

    @property
    def store_url(self) -> str:
        """The store's SQLAlchemy URL: ``LOGSUM_DATABASE_URL`` or the SQLite file in the data
        directory (absolute, so the working directory of a worker does not matter)."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.embedded_db_path.as_posix()}"

    @property
    def embedded_db_path(self) -> Path:
        """The embedded SQLite file, ``<DATA_DIR>/logsum.db`` (absolute); used only while
        ``LOGSUM_DATABASE_URL`` is unset."""
        return self.data_dir.expanduser().resolve() / "logsum.db"

    @property
    def uses_embedded_store(self) -> bool:
        """True when the store is the SQLite file in ``data_dir`` (which must then exist)."""
        return not self.database_url

    @property
    def log_level_number(self) -> int:
        """``log_level`` as a :mod:`logging` level number."""
        return int(logging.getLevelName(self.log_level.upper()))

    def rate_limit_for(self, tier: str) -> int:
        """Requests per window allowed to a key of ``tier`` (``free``, ``pro``, ``enterprise``)."""
        limits = {
            "free": self.rate_limit_free,
            "pro": self.rate_limit_pro,
            "enterprise": self.rate_limit_enterprise,
        }
        return limits[str(tier)]


_UNITS = {"s": 1, "m": 60, "h": 3_600, "d": 86_400}


def _seconds(text: str) -> int:
    text = text.strip().lower()
    unit = _UNITS.get(text[-1:]) if text else None
    number = text[:-1] if unit else text
    if not number.isdigit() or int(number) < 1:
        raise ValueError(f"{text!r} is not a duration such as 60s, 1m, 1h or 30d")
    return int(number) * (unit or 1)


def parse_history(value: str) -> tuple[tuple[int, int], ...]:
    """``"1m:2d,1h:30d"`` as ``((60, 172800), (3600, 2592000))``; raises ``ValueError`` for a
    malformed list or resolutions out of order (see :attr:`Settings.history`)."""
    out: list[tuple[int, int]] = []
    for part in value.split(","):
        bucket, sep, keep = part.partition(":")
        if not sep:
            raise ValueError(f"{part.strip()!r} is not <bucket>:<retention>, e.g. 1m:2d")
        out.append((_seconds(bucket), _seconds(keep)))
    if not 1 <= len(out) <= 4:
        raise ValueError("between 1 and 4 resolutions")
    for (b0, k0), (b1, k1) in itertools.pairwise(out):
        if b1 <= b0 or b1 % b0 or k1 <= k0:
            raise ValueError(
                "finest first: each bucket a multiple of the finer one, each retention longer"
            )
    for b, k in out:
        if k < b:
            raise ValueError("a retention is shorter than its bucket")
    return tuple(out)


def load_settings(**overrides: object) -> Settings:
    """Read the settings from the environment; ``overrides`` (e.g. CLI options) win.

    Raises :class:`SettingsError` naming the offending ``LOGSUM_*`` variable(s).
    """
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "; ".join(
            f"LOGSUM_{'_'.join(str(p) for p in err['loc']).upper()}: {err['msg']}"
            for err in exc.errors()
        )
        raise SettingsError(f"invalid settings: {problems}") from exc
