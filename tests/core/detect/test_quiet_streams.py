"""What a user notices on a steady stream: a heartbeat that stops is reported; a rare error in
the first minutes (nothing before it to compare with) is not, the same error later is."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from logsum import Engine
from logsum.core.analysis import analyze_batch
from logsum.core.detect.model import AnomalyType

T0 = datetime(2024, 3, 1, tzinfo=UTC)
WORK = [
    "INFO GET /api/orders/{i} 200 in {ms} ms",
    "INFO user {u} logged in from 10.0.{a}.{b}",
    "INFO cache refreshed: {i} entries",
    "DEBUG pool stats: {a} active, {b} idle",
]


def _stream(hours: float, heartbeat_until: float, error_at: float | None) -> list[str]:
    lines: list[tuple[datetime, str]] = []
    for k in range(int(hours * 3600 / 5)):
        t = T0 + timedelta(seconds=5 * k)
        msg = WORK[k % len(WORK)].format(i=k, ms=k % 90, u=k % 50, a=k % 7, b=k % 11)
        lines.append((t, msg))
    for k in range(int(heartbeat_until * 60)):
        lines.append(
            (T0 + timedelta(seconds=60 * k + 3), f"INFO heartbeat: scheduler alive, {k % 9} jobs")
        )
    if error_at is not None:
        for j in range(2):
            t = T0 + timedelta(hours=error_at, seconds=20 * j)
            lines.append((t, f"ERROR payment gateway rejected batch {j}: signature mismatch"))
    lines.sort(key=lambda tl: tl[0])
    return [f"{t:%Y-%m-%d %H:%M:%S} {m}" for t, m in lines]


def _report(lines: list[str]):  # type: ignore[no-untyped-def]
    engine = Engine()
    results = engine.process_many(lines)
    return analyze_batch(results, engine.patterns())


def test_a_heartbeat_that_goes_silent_is_reported() -> None:
    report = _report(_stream(3, heartbeat_until=2.5, error_at=None))
    silent = [a for a in report.anomalies if a.type is AnomalyType.VOLUME_DROP]
    assert len(silent) == 1
    a = silent[0]
    assert "scheduler alive" in a.message and "silent" in a.message
    assert a.window is not None and a.window.start >= T0 + timedelta(hours=2, minutes=25)
    # Without the silence, nothing is reported at all.
    assert _report(_stream(3, heartbeat_until=3, error_at=None)).anomalies == ()


def test_a_rare_error_in_the_first_minutes_is_not_an_alarm_later_it_is() -> None:
    early = _report(_stream(3, heartbeat_until=3, error_at=0.02))
    assert [a for a in early.anomalies if a.type is AnomalyType.RARE_PATTERN] == []
    later = _report(_stream(3, heartbeat_until=3, error_at=1.5))
    rare = [a for a in later.anomalies if a.type is AnomalyType.RARE_PATTERN]
    assert len(rare) == 1 and "signature mismatch" in rare[0].message


def test_a_burst_of_a_rare_error_is_one_anomaly() -> None:
    lines = _stream(3, heartbeat_until=3, error_at=None)
    burst = [
        f"2024-03-01 01:30:{s:02d} ERROR payment gateway rejected batch {s}: signature mismatch"
        for s in range(0, 60, 2)
    ]
    report = _report(sorted(lines + burst))
    # The burst says it once (the pattern being new in the batch is said apart: it is news on
    # its own); the pattern's rarity and its spike are folded into the burst.
    kinds = sorted(a.type.value for a in report.anomalies)
    assert kinds == ["error_burst", "new_pattern"]
    (a,) = [a for a in report.anomalies if a.type is AnomalyType.ERROR_BURST]
    merged = a.evidence["merged"]
    assert isinstance(merged, list) and merged
    assert all(m["type"] in ("rare_pattern", "volume_spike") for m in merged)  # type: ignore[index]
