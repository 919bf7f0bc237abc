"""A known-good baseline: what was learned from logs that are taken as normal.

``Analyzer.learned(patterns)`` after feeding known-good lines gives a :class:`Baseline`; an
``Analyzer(..., baseline=b)`` then judges other lines against it only:

- patterns: a pattern of the baseline is never ``new_pattern`` (its ids join the caller's
  history);
- sessions: what a usual session is (which patterns sessions have, the count rules they keep,
  the order they keep, the common event counts) comes from the baseline's sessions, not from
  the judged lines (:class:`~logsum.core.detect.sessionrules.SessionProfile`); the session key
  found in the baseline is used when none is given;
- rates: each steady pattern's lines per second in the baseline
  (:class:`~logsum.core.detect.rate.RateProfile`, when its lines had timestamps); a pattern whose
  level in the judged lines is several times that rate, a fraction of it, or nothing at all is
  a ``volume_spike`` or ``volume_drop`` over the judged span (``evidence.compared_with``).

The engine that read the baseline must also read the judged lines (pattern ids are the
engine's). A baseline is bounded whatever the size of the known-good logs: pattern ids (at
most the engine's pattern cap), and a session profile of at most
``DetectLimits.baseline_max_signatures`` count signatures, ``baseline_max_rules`` rules and one
transition count per pair of patterns seen in order, and the rates of at most
``DetectLimits.baseline_max_rates`` patterns. ``to_dict``/``from_dict`` give a
JSON-safe, versioned form.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from logsum.core.detect.base import DEFAULT_LIMITS, DetectLimits
from logsum.core.detect.rate import RateProfile
from logsum.core.detect.sessionrules import SessionProfile, merge_profiles


@dataclass(frozen=True, slots=True)
class Baseline:
    """What an analyzer learned from known-good lines."""

    pattern_ids: frozenset[str]
    """Patterns the baseline's lines had."""
    lines: int
    """Lines learned from."""
    sessions: SessionProfile | None = None
    """The sessions' profile, when the lines had sessions (a key given or found)."""
    rates: RateProfile | None = None
    """The steady patterns' rates, when the lines had timestamps."""

    def merged(self, other: Baseline, limits: DetectLimits = DEFAULT_LIMITS) -> Baseline:
        """This baseline and ``other`` (learned later, by the same engine) as one, as bounded
        as each (see :func:`~logsum.core.detect.sessionrules.merge_profiles`)."""
        a, b = self.sessions, other.sessions
        if a is None or b is None:
            sessions = a or b
        else:
            sessions = merge_profiles(
                a,
                b,
                tolerance=limits.baseline_rule_tolerance,
                min_sessions=limits.session_min_support_count,
                max_patterns=limits.session_rule_patterns,
                max_signatures=limits.baseline_max_signatures,
                max_rules=limits.baseline_max_rules,
                max_transitions=limits.baseline_max_transitions,
            )
        ra, rb = self.rates, other.rates
        rates = ra or rb if ra is None or rb is None else ra.merged(rb, limits.baseline_max_rates)
        return Baseline(
            self.pattern_ids | other.pattern_ids, self.lines + other.lines, sessions, rates
        )

    def merged_known(self, known: frozenset[str]) -> frozenset[str]:
        """The caller's history with the baseline's patterns."""
        return known | self.pattern_ids

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {
            "version": 1,
            "pattern_ids": sorted(self.pattern_ids),
            "lines": self.lines,
            "sessions": self.sessions.to_dict() if self.sessions is not None else None,
            "rates": self.rates.to_dict() if self.rates is not None else None,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Baseline:
        """The inverse of :meth:`to_dict` (``ValueError`` on an unknown version; rates that do not
        read are left out, see :func:`_rates`)."""
        if d.get("version") != 1:
            raise ValueError("unknown baseline version")
        s = d.get("sessions")
        return cls(
            pattern_ids=frozenset(str(p) for p in d["pattern_ids"]),
            lines=int(d["lines"]),
            sessions=SessionProfile.from_dict(s) if s is not None else None,
            rates=_rates(d.get("rates")),
        )


def _rates(stored: Any) -> RateProfile | None:
    """The stored rates, or ``None``: absent (a baseline stored before rates were learned, or
    from lines without timestamps) or of a shape that does not read. Rates are only a
    comparison of levels, learned again by the next ``learn_only`` analysis: unreadable ones
    are left out rather than making the whole baseline unusable."""
    if stored is None:
        return None
    try:
        return RateProfile.from_dict(stored)
    except ValueError:
        return None
