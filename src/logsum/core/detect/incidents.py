"""One incident, one anomaly: what an error burst already says is folded into it.

A rare pattern, or a volume spike of a pattern, that lies wholly inside an error burst's window
and is one of the patterns the burst names is the same incident seen from another side: it is
folded into the burst (listed in ``evidence.merged``, its lines added, the higher score kept)
instead of being reported again. Everything else is left as it is. Pure, deterministic.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from logsum.core.detect.model import Anomaly, AnomalyType, JSONValue

_FOLDED = frozenset({AnomalyType.RARE_PATTERN, AnomalyType.VOLUME_SPIKE})


def _inside(a: Anomaly, burst: Anomaly) -> bool:
    if a.window is None or burst.window is None:
        return False
    return burst.window.start <= a.window.start and a.window.end <= burst.window.end


def merge_incidents(anomalies: Sequence[Anomaly], max_lines: int) -> list[Anomaly]:
    """``anomalies`` with those that an error burst explains folded into it."""
    bursts = [a for a in anomalies if a.type is AnomalyType.ERROR_BURST]
    if not bursts:
        return list(anomalies)
    folded: dict[str, list[Anomaly]] = {}
    gone: set[str] = set()
    for a in anomalies:
        if a.type not in _FOLDED or not a.pattern_ids:
            continue
        for b in bursts:
            if _inside(a, b) and set(a.pattern_ids) <= set(b.pattern_ids):
                folded.setdefault(b.id, []).append(a)
                gone.add(a.id)
                break
    out: list[Anomaly] = []
    for a in anomalies:
        if a.id in gone:
            continue
        parts = folded.get(a.id)
        if parts:
            merged: list[JSONValue] = [
                {"id": p.id, "type": p.type.value, "message": p.message} for p in parts
            ]
            lines = sorted({*a.lines, *(n for p in parts for n in p.lines)})[:max_lines]
            a = replace(
                a,
                score=max([a.score, *(p.score for p in parts)]),
                evidence={**a.evidence, "merged": merged},
                lines=tuple(lines),
            )
        out.append(a)
    return out
