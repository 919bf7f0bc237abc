"""Every limit and interval of the watch feature, with its documented default.

:class:`WatchConfig` is built once by the composition root from the service settings
(:meth:`WatchConfig.from_settings`, ``LOGSUM_WATCH_*`` / ``LOGSUM_WEBHOOK_*`` variables) and
handed to the service, the runners and the API routes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from logsum.watch.retry import RetryPolicy


@dataclass(frozen=True, slots=True)
class WatchConfig:
    """Settings of the watch feature (see each field)."""

    roots: tuple[Path, ...] = ()
    """``LOGSUM_WATCH_ROOTS``: directories whose files may be watched (``os.pathsep``-separated).
    Empty (the default): creating a watch is refused; the operator opts in."""
    allow_private: bool = False
    """``LOGSUM_WEBHOOK_ALLOW_PRIVATE``: allow webhooks to loopback/private/link-local addresses
    (tests, single-host setups). Metadata and multicast addresses stay refused."""
    batch_max_events: int = 500
    """``LOGSUM_WATCH_BATCH_MAX_EVENTS``: a delivery carries at most this many events; a full
    batch is sent at once. Large enough that a busy file costs few commits and requests
    (20,000 lines/s = 40 deliveries/s), small enough for any receiver (about 200 KB)."""
    batch_max_wait_s: float = 1.0
    """``LOGSUM_WATCH_BATCH_MAX_WAIT_SECONDS``: a batch that is not full is sent this long after
    its first event (the latency bound at low rates)."""
    poll_interval_s: float = 0.1
    """``LOGSUM_WATCH_POLL_INTERVAL_SECONDS``: how often an idle file is checked for new data and
    rotation. Adds up to this much latency; costs one ``fstat`` + ``stat`` per poll."""
    record_idle_s: float = 0.25
    """A multi-line record with no new line for this long is complete (its continuation lines
    normally close it as soon as the next record starts)."""
    max_line_bytes: int = 64 * 1024
    """Longer lines are cut (the engine cuts at the same length)."""
    max_record_lines: int = 1_000
    """Continuation lines folded into one event before a new event starts."""
    max_event_chars: int = 16 * 1024
    """Characters of a record's text kept in its event (the rest is cut, ``truncated: true``)."""
    max_batch_lines: int = 20_000
    """A batch is committed after this many lines even when few of them pass the filters, so
    the checkpoint advances and memory stays bounded at high line rates."""
    max_pending_deliveries: int = 1_000
    """When this many deliveries wait in a watch's outbox (receiver down), reading pauses: the
    log file itself is the buffer, and the database does not grow with the outage."""
    pattern_flush_s: float = 2.0
    """The tenant's stored pattern counts are updated at most this often per watch."""
    engine_state_s: float = 30.0
    """A watch's engine state (what it learned: patterns, header layouts, message keys...) is
    saved with a commit at most this often, and when its runner stops: a restarted runner
    goes on from it (after a crash, from the last one saved)."""
    analysis_window_s: float = 5.0
    """Anomaly detection runs over windows of this length (or ``analysis_max_lines``): the
    detectors need some history, and one report per window keeps their cost per line low.
    An anomaly is delivered with the batch that closes its window."""
    analysis_max_lines: int = 100_000
    """A window also ends after this many lines (bounds the detectors' memory)."""
    max_payload_bytes: int = 1024 * 1024
    """A batch is sent early when its events reach this size, bounding memory and body size."""
    lease_ttl_s: float = 15.0
    """``LOGSUM_WATCH_LEASE_SECONDS``: a process that stops renewing its lease (crash, kill -9)
    loses its watches to another process after this long."""
    supervisor_interval_s: float = 2.0
    """How often a process renews its leases and looks for watches to take (new ones, or ones
    whose owner died). Must be well under ``lease_ttl_s``."""
    delivery_timeout_s: float = 10.0
    """``LOGSUM_WEBHOOK_TIMEOUT_SECONDS``: one delivery attempt's timeout (connect + response)."""
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    """``LOGSUM_WEBHOOK_MAX_ATTEMPTS``, ``LOGSUM_WEBHOOK_RETRY_BASE_SECONDS``,
    ``LOGSUM_WEBHOOK_RETRY_CAP_SECONDS``: see :class:`~logsum.watch.retry.RetryPolicy`."""
    max_watches_per_key: int = 20
    """``LOGSUM_MAX_WATCHES_PER_KEY``: watches one API key may have (each costs two threads)."""
    run_watches: bool = True
    """``LOGSUM_WATCH_RUN``: this process runs watches (set false for API-only processes)."""

    def __post_init__(self) -> None:
        positive = {
            "batch_max_events": self.batch_max_events,
            "batch_max_wait_s": self.batch_max_wait_s,
            "poll_interval_s": self.poll_interval_s,
            "record_idle_s": self.record_idle_s,
            "max_line_bytes": self.max_line_bytes,
            "max_record_lines": self.max_record_lines,
            "max_event_chars": self.max_event_chars,
            "max_payload_bytes": self.max_payload_bytes,
            "max_batch_lines": self.max_batch_lines,
            "analysis_window_s": self.analysis_window_s,
            "pattern_flush_s": self.pattern_flush_s,
            "engine_state_s": self.engine_state_s,
            "max_pending_deliveries": self.max_pending_deliveries,
            "analysis_max_lines": self.analysis_max_lines,
            "lease_ttl_s": self.lease_ttl_s,
            "supervisor_interval_s": self.supervisor_interval_s,
            "delivery_timeout_s": self.delivery_timeout_s,
            "max_watches_per_key": self.max_watches_per_key,
        }
        for name, value in positive.items():
            if value <= 0:
                raise ValueError(f"{name} must be positive")
        if self.supervisor_interval_s * 2 > self.lease_ttl_s:
            raise ValueError("supervisor_interval_s must be at most half of lease_ttl_s")

    @classmethod
    def from_settings(cls, settings: Any) -> WatchConfig:
        """Build from the service :class:`~logsum.settings.Settings` (fields it lacks keep
        their defaults here)."""
        d = cls()

        def get(name: str, default: Any) -> Any:
            value = getattr(settings, name, None)
            return default if value is None else value

        roots_text = str(get("watch_roots", ""))
        roots = tuple(Path(p) for p in roots_text.split(os.pathsep) if p.strip())
        retry = RetryPolicy(
            max_attempts=int(get("webhook_max_attempts", d.retry.max_attempts)),
            base_s=float(get("webhook_retry_base_seconds", d.retry.base_s)),
            cap_s=float(get("webhook_retry_cap_seconds", d.retry.cap_s)),
        )
        lease = float(get("watch_lease_seconds", d.lease_ttl_s))
        wait = float(get("watch_batch_max_wait_seconds", d.batch_max_wait_s))
        return cls(
            roots=roots,
            allow_private=bool(get("webhook_allow_private", d.allow_private)),
            batch_max_events=int(get("watch_batch_max_events", d.batch_max_events)),
            batch_max_wait_s=wait,
            poll_interval_s=float(get("watch_poll_interval_seconds", d.poll_interval_s)),
            record_idle_s=min(d.record_idle_s, wait),
            max_line_bytes=int(get("max_line_chars", d.max_line_bytes)),
            lease_ttl_s=lease,
            supervisor_interval_s=min(d.supervisor_interval_s, lease / 3),
            delivery_timeout_s=float(get("webhook_timeout_seconds", d.delivery_timeout_s)),
            retry=retry,
            max_watches_per_key=int(get("max_watches_per_key", d.max_watches_per_key)),
            run_watches=bool(get("watch_run", d.run_watches)),
        )
