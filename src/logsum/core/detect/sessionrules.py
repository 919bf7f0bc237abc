"""What a usual session looks like: count rules learned from sessions, and the profile that
holds them (learned from a batch, or from a known-good baseline).

A session is reduced to its *counts* (pattern id -> lines of it in the session). Two things
are learned from many sessions' counts, with no labels:

- how many sessions have each pattern (``df``): a pattern few sessions have is unusual;
- **count rules** (invariants): linear relations between the counts of two or three patterns
  that (almost) every session keeps, such as ``count(A) = count(B)`` (every opened thing is
  closed), ``count(A) = 2 x count(B)`` or ``count(A) = count(B) + count(C)`` (A is followed by
  either B or C). A rule is kept when at most ``tolerance`` of the sessions touching it (having
  any of its patterns) break it, and most of the sessions having each of its patterns keep it:
  a rule that only holds because one of its patterns is nearly always absent is not a rule
  (anomalous sessions may be many among those having a rare pattern, so this is a majority,
  not the tolerance). For each pair of main patterns, the one relation kept is the one the
  fewest sessions break, two-pattern ones before three-pattern ones on ties; so a rare but
  ordinary variant (a third pattern that stands in for one of the two) refines the rule
  instead of breaking it.

The tolerance makes learning robust to contamination: anomalous sessions in the batch break a
rule without preventing it from being learned, as long as they are fewer than the tolerance.

Pure and deterministic: the work is on distinct count signatures with their multiplicities.
The cost is bounded by ``max_patterns`` (patterns considered for rules, most common first)
and the number of distinct signatures kept.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

Signature = tuple[tuple[str, int], ...]
"""A session's counts, sorted by pattern id."""

_RATIOS = ((1, 1), (1, 2), (2, 1))
"""Coefficients tried for two-pattern rules ``a * count(x) = b * count(y)``."""
_MULTIPLES = (1, 2)
_STAND_INS = 6
"""Third patterns tried per pair (those most present where the pair's relation breaks)."""
_PART = 0.5
"""Most sessions having each pattern of a rule keep it: a pattern takes part in the rule (it
does not only hold because the pattern is nearly always absent)."""
"""Coefficients ``k`` tried for the third pattern: ``count(x) = count(y) + k * count(z)``."""


@dataclass(frozen=True, slots=True)
class CountRule:
    """``sum(coefficient * count(pattern)) == 0`` over ``terms``; the first term's coefficient
    is positive, the others negative (``x = y + k z`` is ``((x, 1), (y, -1), (z, -k))``)."""

    terms: tuple[tuple[str, int], ...]
    held: float
    """Share of the learning sessions touching the rule that keep it."""
    sessions: int
    """Learning sessions touching the rule."""
    values: tuple[int, ...] = ()
    """A one-pattern rule instead: ``count(pattern)`` is one of these (from a baseline's
    sessions having the pattern)."""

    @property
    def pattern_ids(self) -> tuple[str, ...]:
        return tuple(p for p, _ in self.terms)

    def broken(self, counts: Mapping[str, int]) -> bool:
        """Whether a session with these counts breaks the rule."""
        if self.values:
            return counts.get(self.terms[0][0], 0) not in self.values
        return sum(k * counts.get(p, 0) for p, k in self.terms) != 0

    def text(self, name: Callable[[str], str]) -> str:
        """The rule in words, patterns named by ``name``."""

        def term(p: str, k: int) -> str:
            return f"{abs(k)} x count({name(p)})" if abs(k) != 1 else f"count({name(p)})"

        (x, a), *rest = self.terms
        if self.values:
            return f"count({name(x)}) is one of " + ", ".join(map(str, self.values[:10]))
        return f"{term(x, a)} = " + " + ".join(term(p, k) for p, k in rest)

    def to_dict(self) -> dict[str, Any]:
        return {
            "terms": [[p, k] for p, k in self.terms],
            "held": self.held,
            "sessions": self.sessions,
            "values": list(self.values),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> CountRule:
        return cls(
            tuple((str(p), int(k)) for p, k in d["terms"]),
            float(d["held"]),
            int(d["sessions"]),
            tuple(int(v) for v in d.get("values", ())),
        )


@dataclass(slots=True)
class _Column:
    """Where one pattern is present: row index -> count."""

    rows: dict[int, int] = field(default_factory=dict)
    weight: int = 0


def mine_rules(
    signatures: Mapping[Signature, int],
    *,
    tolerance: float,
    min_sessions: int,
    max_patterns: int = 40,
) -> list[CountRule]:
    """Count rules kept by all but ``tolerance`` of the sessions (see the module docstring).

    ``signatures``: distinct session counts with how many sessions have them. Patterns in fewer
    than ``min_sessions`` sessions take part in no rule, and a rule must touch at least that
    many sessions.
    """
    rows = list(signatures.items())
    weights = [w for _, w in rows]
    cols: dict[str, _Column] = {}
    for i, (sig, w) in enumerate(rows):
        for p, c in sig:
            col = cols.setdefault(p, _Column())
            col.rows[i] = c
            col.weight += w
    ranked = sorted(cols, key=lambda p: (-cols[p].weight, p))
    common = [p for p in ranked[:max_patterns] if cols[p].weight >= min_sessions]

    def judge(terms: Sequence[tuple[str, int]]) -> tuple[int, int] | None:
        """(sessions breaking, sessions touching) when the rule passes every check."""
        maps = [(cols[p].rows, k) for p, k in terms]
        touched: set[int] = set()
        for rows_p, _ in maps:
            touched.update(rows_p)
        touch = sum(weights[i] for i in touched)
        if touch < min_sessions:
            return None
        allowed = tolerance * touch
        bad = 0
        broken_rows = []
        for i in touched:
            if sum(k * rows_p.get(i, 0) for rows_p, k in maps) != 0:
                bad += weights[i]
                if bad > allowed:
                    return None  # more break it than the tolerance: no need to read on
                broken_rows.append(i)
        for p, _ in terms:
            rows_p = cols[p].rows
            if sum(weights[i] for i in broken_rows if i in rows_p) > _PART * cols[p].weight:
                return None
        return bad, touch

    rank = {p: i for i, p in enumerate(ranked)}
    kept: dict[tuple[str, ...], tuple[int, int, tuple[tuple[str, int], ...]]] = {}
    for x, y in combinations(common, 2):
        rx, ry = cols[x].rows, cols[y].rows
        small, large = (rx, ry) if len(rx) <= len(ry) else (ry, rx)
        if sum(weights[i] for i in small if i in large) < min_sessions:
            continue  # they seldom meet: no relation worth learning
        best: tuple[int, int, tuple[tuple[str, int], ...]] | None = None
        terms: tuple[tuple[str, int], ...]
        for a, b in _RATIOS:
            terms = ((x, a), (y, -b))
            got = judge(terms)
            if got is not None and (best is None or got[0] < best[0]):
                best = (got[0], got[1], terms)
        # Patterns present where x = y is broken may stand in for one side.
        broken = [i for i in set(rx) | set(ry) if rx.get(i, 0) != ry.get(i, 0)]
        stand_ins: Counter[str] = Counter()
        for i in broken if best is None or best[0] > 0 else ():
            for p, _ in rows[i][0]:
                if p not in (x, y):
                    stand_ins[p] += weights[i]
        for z, _ in stand_ins.most_common(_STAND_INS):
            if z not in cols or cols[z].weight < min_sessions or z not in common:
                continue
            # z stands in on the side with fewer lines where it is present and x = y breaks.
            rz = cols[z].rows
            lean = sum(weights[i] * (rx.get(i, 0) - ry.get(i, 0)) for i in broken if i in rz)
            big, other = (x, y) if lean >= 0 else (y, x)
            for k in _MULTIPLES:
                terms = ((big, 1), (other, -1), (z, -k))
                got = judge(terms)
                if got is not None and (best is None or got[0] < best[0]):
                    best = (got[0], got[1], terms)
        if best is not None:
            # One rule per pair of main patterns (the two most common of its terms): the
            # pair (x, z) may have found x = z + y where (x, y) found a better x = y + w.
            main = tuple(sorted(sorted((p for p, _ in best[2]), key=rank.__getitem__)[:2]))
            if main not in kept or best[0] < kept[main][0]:
                kept[main] = best
    rules = [CountRule(t, 1.0 - bad / touch, touch) for bad, touch, t in kept.values()]
    rules.sort(key=lambda r: (-r.held, -r.sessions, r.terms))
    return rules


MAX_VALUES = 64
"""Distinct counts of one pattern a profile keeps (the most common)."""


def count_values(signatures: Mapping[Signature, int]) -> dict[str, dict[int, int]]:
    """Per pattern, how many sessions have each count of it (the ``MAX_VALUES`` most common)."""
    values: dict[str, Counter[int]] = {}
    for sig, n in signatures.items():
        for p, c in sig:
            values.setdefault(p, Counter())[c] += n
    return {p: dict(vs.most_common(MAX_VALUES)) for p, vs in values.items()}


@dataclass(frozen=True, slots=True)
class SessionProfile:
    """What usual sessions look like, learned from many sessions (a batch or a baseline).

    Bounded: ``signatures`` keeps the most common distinct counts only, ``rules`` is at most
    one per pair of the ``max_patterns`` most common patterns, ``transitions`` counts at most
    one entry per pair of patterns seen one after the other.
    """

    sessions: int
    """Sessions learned from."""
    df: Mapping[str, int]
    """Sessions having each pattern."""
    signatures: Mapping[Signature, int]
    """The most common distinct counts, with how many sessions have them."""
    rules: tuple[CountRule, ...]
    transitions: Mapping[str, int] = field(default_factory=dict)
    """Sessions having each order-1 transition (``"a\\x01b"``; see ``TransitionTable``)."""
    contexts: Mapping[str, int] = field(default_factory=dict)
    """Sessions having each transition context."""
    session_key: str | None = None
    """The session-key regex the sessions were read with."""
    values: Mapping[str, Mapping[int, int]] = field(default_factory=dict)
    """Per pattern, sessions having each count of it (at most ``MAX_VALUES`` counts each)."""

    def usual_signature(self, counts: Mapping[str, int], floor: float = 0.0) -> Signature:
        """The signature of at least ``floor`` sessions (at least 1% of the most common one's)
        closest to ``counts`` (fewest lines differing)."""
        if not self.signatures:
            return ()
        floor = max(floor, max(self.signatures.values()) / 100)

        def distance(sig: Signature) -> int:
            d = dict(sig)
            return sum(abs(d.get(p, 0) - counts.get(p, 0)) for p in set(d) | set(counts))

        usual = [s for s, n in self.signatures.items() if n >= floor]
        if not usual:
            usual = [max(self.signatures, key=lambda s: (self.signatures[s], s))]
        return min(usual, key=lambda s: (distance(s), -self.signatures[s], s))

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (for storing a baseline)."""
        return {
            "version": 1,
            "sessions": self.sessions,
            "df": dict(self.df),
            "signatures": [[[[p, c] for p, c in s], n] for s, n in self.signatures.items()],
            "rules": [r.to_dict() for r in self.rules],
            "transitions": dict(self.transitions),
            "contexts": dict(self.contexts),
            "session_key": self.session_key,
            "values": {p: [[v, n] for v, n in vs.items()] for p, vs in self.values.items()},
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> SessionProfile:
        """The inverse of :meth:`to_dict` (raises ``ValueError`` on another version)."""
        if d.get("version") != 1:
            raise ValueError("unknown session profile version")
        return cls(
            sessions=int(d["sessions"]),
            df={str(k): int(v) for k, v in d["df"].items()},
            signatures={tuple((str(p), int(c)) for p, c in s): int(n) for s, n in d["signatures"]},
            rules=tuple(CountRule.from_dict(r) for r in d["rules"]),
            transitions={str(k): int(v) for k, v in d.get("transitions", {}).items()},
            contexts={str(k): int(v) for k, v in d.get("contexts", {}).items()},
            session_key=d.get("session_key"),
            values={
                str(p): {int(v): int(n) for v, n in vs} for p, vs in d.get("values", {}).items()
            },
        )


def merge_profiles(
    old: SessionProfile,
    new: SessionProfile,
    *,
    tolerance: float,
    min_sessions: int,
    max_patterns: int,
    max_signatures: int,
    max_rules: int,
    max_transitions: int = 20_000,
) -> SessionProfile:
    """``old`` and ``new`` as one profile (known-good sessions learned in two parts): counts
    added, the most common signatures kept, rules learned again from those. The result is as
    bounded as each part; its rules see only the kept signatures (the rarest ones of a very
    varied baseline are left out)."""

    def add(a: Mapping[Any, int], b: Mapping[Any, int]) -> dict[Any, int]:
        out = dict(a)
        for k, v in b.items():
            out[k] = out.get(k, 0) + v
        return out

    signatures = dict(Counter(add(old.signatures, new.signatures)).most_common(max_signatures))
    values: dict[str, dict[int, int]] = {}
    for p in set(old.values) | set(new.values):
        both = add(old.values.get(p, {}), new.values.get(p, {}))
        values[p] = dict(Counter(both).most_common(MAX_VALUES))
    rules = mine_rules(
        signatures, tolerance=tolerance, min_sessions=min_sessions, max_patterns=max_patterns
    )
    return SessionProfile(
        sessions=old.sessions + new.sessions,
        df=add(old.df, new.df),
        signatures=signatures,
        rules=tuple(rules[:max_rules]),
        transitions=dict(
            Counter(add(old.transitions, new.transitions)).most_common(max_transitions)
        ),
        contexts=dict(Counter(add(old.contexts, new.contexts)).most_common(max_transitions)),
        session_key=new.session_key or old.session_key,
        values=values,
    )
