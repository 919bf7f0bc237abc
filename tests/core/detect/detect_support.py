"""Build LineResults by hand, so detector tests do not depend on the engine's parsing."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from logsum import Header, LineResult, Pattern, Severity

T0 = datetime(2024, 3, 1, tzinfo=UTC)


def line(
    n: int,
    pid: str,
    *,
    seconds: float | None = None,
    severity: Severity = Severity.INFO,
    message: str | None = None,
    params: tuple[str, ...] = (),
    component: str | None = None,
) -> LineResult:
    """Line ``n`` of pattern ``pid`` at ``T0 + seconds`` (no timestamp when ``None``)."""
    return LineResult(
        line=n,
        pattern_id=pid,
        severity=severity,
        timestamp=T0 + timedelta(seconds=seconds) if seconds is not None else None,
        message=message if message is not None else f"event {pid} happened",
        params=params,
        header=Header(component=component),
    )


def patterns(
    results: Iterable[LineResult], templates: dict[str, str] | None = None
) -> list[Pattern]:
    """Pattern snapshots for ``results`` (template = the first message unless given)."""
    counts: Counter[str] = Counter()
    first: dict[str, LineResult] = {}
    for r in results:
        counts[r.pattern_id] += 1
        first.setdefault(r.pattern_id, r)
    templates = templates or {}
    return [
        Pattern(pid, templates.get(pid, first[pid].message), c, first[pid].severity, None, None)
        for pid, c in counts.most_common()
    ]


def steady(
    minutes: int, per_minute: int = 20, pids: tuple[str, ...] = ("a", "b", "c", "d")
) -> list[tuple[float, str]]:
    """A steady stream: ``per_minute`` lines a minute cycling through ``pids``."""
    step = 60.0 / per_minute
    return [(i * step, pids[i % len(pids)]) for i in range(minutes * per_minute)]
