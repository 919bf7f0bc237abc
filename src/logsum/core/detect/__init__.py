"""Anomaly detectors: small stateful objects fed :class:`~logsum.core.model.LineResult` values
one at a time, that report :class:`Anomaly` values when asked."""

from logsum.core.detect.model import (
    Anomaly,
    AnomalyType,
    Insight,
    InsightType,
    TimeWindow,
    iso_utc,
    stable_id,
)

__all__ = [
    "Anomaly",
    "AnomalyType",
    "Insight",
    "InsightType",
    "TimeWindow",
    "iso_utc",
    "stable_id",
]
