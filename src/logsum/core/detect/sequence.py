"""Order-aware session models: which event follows which.

Two tools over sessions given as sequences of pattern ids (any ids: nothing here knows a system):

- :class:`SessionModel`, a next-event model trained on sessions known to be normal
  (``fit(normal_sequences)``, then ``score(sequence)``). For every position of a sequence and
  every context length ``0..order`` it asks how confidently the training data says that this
  event does *not* follow that context: with ``n`` training occurrences of the context of which
  ``k`` were followed by this event, the surprise is ``-log2(k / n)`` bits, and
  ``log2(n + 1)`` when ``k`` is 0 (as if the next occurrence were the first). An event never
  seen after a context seen a million times is very surprising; one never seen after a context
  seen twice is not, and an unseen context says nothing (0 bits). A sequence's score is its
  largest surprise. :func:`cross_fitted_scores` and :func:`threshold_at` pick a threshold from
  normal data only (scores of normal sessions under models that did not see them).
- :class:`TransitionTable`, the unsupervised rule the session detector applies to a batch: a
  transition (an event right after another, or first, or last) is unusual when fewer than
  ``support`` sessions have it *and* its context is nearly fixed: all the context's rare
  transitions together occur in at most ``max_rare_share`` of the sessions that have the
  context. Contexts that are followed by many different events (interleaved work) never make a
  transition unusual; only a departure from an order that (almost) every session keeps does.

The sequence start and end are part of the context (``START`` and ``END`` tokens), so "this
session begins with B" and "this session stops right after A" are transitions too; callers leave
the end out for sessions that may not be over, and the start for sessions that may have begun
before the data.

Pure and deterministic: plain counting, no randomness, no I/O. Memory is bounded by
``max_contexts`` (a model stops learning new contexts beyond it).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

START = "\x00start"
"""Context token before a sequence's first event (no pattern id contains a NUL)."""

END = "\x00end"
"""Event token after a sequence's last event."""

Context = tuple[str, ...]
Transition = tuple[Context, str]


def _steps(
    sequence: Sequence[str], order: int, min_context: int, end: bool
) -> Iterator[tuple[int, Context, str]]:
    padded = (START, *sequence)
    last = len(padded) + (1 if end else 0)
    for i in range(1, last):
        event = padded[i] if i < len(padded) else END
        for j in range(min_context, order + 1):
            if i - j < 0:
                break
            yield i - 1, padded[i - j : i], event


def transitions(
    sequence: Sequence[str], order: int, *, min_context: int = 0, end: bool = True
) -> Iterator[Transition]:
    """``(context, event)`` pairs of ``sequence``: for each event (and ``END`` when ``end``),
    its preceding ``min_context..order`` events (``START`` stands before the first one).

    Positions come in sequence order and, at one position, shorter contexts first.
    """
    for _, ctx, event in _steps(sequence, order, min_context, end):
        yield ctx, event


def display(token: str) -> str:
    """A readable name for a token: the id itself, or ``(start)`` / ``(end)``."""
    if token == START:
        return "(start)"
    if token == END:
        return "(end)"
    return token


@dataclass(frozen=True, slots=True)
class Surprise:
    """The most surprising step of a sequence under a :class:`SessionModel`."""

    bits: float
    """``-log2(seen / context_seen)``, or ``log2(context_seen + 1)`` when ``seen`` is 0."""
    position: int
    """0-based index of the event in the sequence (``len(sequence)`` for the end)."""
    context: Context
    """The preceding events the estimate is conditioned on (may start with ``START``)."""
    event: str
    """The event (or ``END``)."""
    seen: int
    """Training occurrences of this event after this context."""
    context_seen: int
    """Training occurrences of the context."""


class SessionModel:
    """A next-event model of normal sessions: ``fit`` on normal sequences, ``score`` others.

    ``order`` is the longest context (1 = the previous event; 0 = event frequencies only).
    ``terminal`` models where sessions stop (use it when scored sessions are complete).
    """

    def __init__(self, order: int = 2, *, terminal: bool = True, max_contexts: int = 200_000):
        if order < 0:
            raise ValueError("order must be >= 0")
        if max_contexts < 1:
            raise ValueError("max_contexts must be >= 1")
        self.order = order
        self.terminal = terminal
        self.max_contexts = max_contexts
        self.sequences = 0
        """Sequences fitted so far."""
        self._context: dict[Context, int] = {}
        self._next: dict[Context, Counter[str]] = {}

    def fit(self, sequences: Iterable[Sequence[str]]) -> SessionModel:
        """Learn from these (normal) sequences, in addition to earlier ones; returns ``self``."""
        for seq in sequences:
            self.update(seq)
        return self

    def update(self, sequence: Sequence[str]) -> None:
        """Learn one (normal) sequence."""
        self.sequences += 1
        for ctx, event in transitions(sequence, self.order, end=self.terminal):
            n = self._context.get(ctx)
            if n is None:
                if len(self._context) >= self.max_contexts:
                    continue
                self._next[ctx] = Counter()
                n = 0
            self._context[ctx] = n + 1
            self._next[ctx][event] += 1

    def explain(self, sequence: Sequence[str]) -> Surprise:
        """The most surprising step of ``sequence`` (the first one on ties)."""
        best = Surprise(0.0, 0, (), END, 0, 0)
        for position, ctx, event in _steps(sequence, self.order, 0, self.terminal):
            n = self._context.get(ctx, 0)
            k = self._next[ctx][event] if n else 0
            bits = math.log2(n / k) if k else math.log2(n + 1)
            if bits > best.bits:
                best = Surprise(bits, position, ctx, event, k, n)
        return best

    def score(self, sequence: Sequence[str]) -> float:
        """The sequence's largest surprise in bits (higher is less like the training data)."""
        return self.explain(sequence).bits


def cross_fitted_scores(
    sequences: Sequence[Sequence[str]],
    *,
    order: int = 2,
    terminal: bool = True,
    folds: int = 2,
    max_contexts: int = 200_000,
) -> list[float]:
    """Scores of normal ``sequences``, each under a model fitted on the other folds only
    (fold of sequence ``i`` is ``i % folds``), in input order: what a new normal session would
    score, for choosing a threshold without any anomaly labels."""
    if folds < 2:
        raise ValueError("folds must be >= 2")
    out = [0.0] * len(sequences)
    for f in range(folds):
        model = SessionModel(order, terminal=terminal, max_contexts=max_contexts)
        model.fit(s for i, s in enumerate(sequences) if i % folds != f)
        for i in range(f, len(sequences), folds):
            out[i] = model.score(sequences[i])
    return out


def threshold_at(scores: Iterable[float], quantile: float) -> float:
    """The ``quantile`` (0..1, nearest rank) of ``scores``: flag scores strictly above it to
    flag about ``1 - quantile`` of sessions like these."""
    ordered = sorted(scores)
    if not ordered:
        raise ValueError("no scores")
    if not 0.0 <= quantile <= 1.0:
        raise ValueError("quantile must be in [0, 1]")
    rank = max(1, math.ceil(quantile * len(ordered)))
    return ordered[rank - 1]


_SEP = "\x01"
"""Joins a context's tokens into one string key (plain strings keep the tables cheap: no
container objects for the garbage collector to walk)."""
_ARROW = "\x02"
"""Joins a context key and the next event into a transition key."""


class TransitionTable:
    """Unsupervised transition statistics of a batch of sessions (see the module docstring).

    ``add`` each session's sequence (with ``complete=False`` when it may not be over: its end is
    then not counted), then ask :meth:`unusual` per session.
    """

    def __init__(self, order: int = 1) -> None:
        if order < 1:
            raise ValueError("order must be >= 1")
        self.order = order
        self._have: Counter[str] = Counter()
        self._context: Counter[str] = Counter()
        self._mass: tuple[float, dict[str, int]] | None = None

    @classmethod
    def of_counts(cls, have: dict[str, int], context: dict[str, int]) -> TransitionTable:
        """An order-1 table from the counts :meth:`counts` gave (a learned baseline)."""
        table = cls(order=1)
        table._have.update(have)
        table._context.update(context)
        return table

    def counts(self) -> tuple[dict[str, int], dict[str, int]]:
        """Sessions per transition key and per context key (JSON-safe; see :meth:`of_counts`)."""
        return dict(self._have), dict(self._context)

    def _keys(self, sequence: Sequence[str], complete: bool, begun: bool) -> list[tuple[str, str]]:
        """``(context key, transition key)`` pairs in sequence order."""
        if self.order == 1:  # the common case, without the general generator's overhead
            after = (*sequence, END) if complete else sequence
            out = [(a, a + _ARROW + b) for a, b in zip((START, *sequence), after, strict=False)]
        else:
            out = []
            for ctx, event in transitions(sequence, self.order, min_context=1, end=complete):
                key = _SEP.join(ctx)
                out.append((key, key + _ARROW + event))
        return out if begun else [k for k in out if not k[0].startswith(START)]

    def add(self, sequence: Sequence[str], *, complete: bool = True, begun: bool = True) -> None:
        """Count the distinct transitions of one session (each once per session).
        ``complete=False``: it may not be over (its end is not counted); ``begun=False``: it
        may have begun before the data (its start is not counted)."""
        keys = self._keys(sequence, complete, begun)
        self._mass = None
        self._have.update({t for _, t in keys})
        self._context.update({c for c, _ in keys})

    def unusual(
        self,
        sequence: Sequence[str],
        support: float,
        max_rare_share: float,
        *,
        complete: bool = True,
        begun: bool = True,
    ) -> tuple[Transition, int, int] | None:
        """The first unusual transition of ``sequence`` as ``(transition, sessions having it,
        sessions having its context)``, or ``None`` (``complete`` and ``begun`` as in
        :meth:`add`)."""
        if max_rare_share <= 0:
            return None
        rare_mass = self._rare_mass(support)
        for ctx, tr in self._keys(sequence, complete, begun):
            have = self._have.get(tr, 0)
            if have >= support:
                continue
            n = self._context.get(ctx, 0)
            if n and rare_mass.get(ctx, 0) <= max_rare_share * n:
                context, event = tr.split(_ARROW)
                return (tuple(context.split(_SEP)), event), have, n
        return None

    def _rare_mass(self, support: float) -> dict[str, int]:
        """Per context, the sessions counted over all its transitions rarer than ``support``
        (cached until the next :meth:`add`)."""
        if self._mass is not None and self._mass[0] == support:
            return self._mass[1]
        mass: Counter[str] = Counter()
        for tr, have in self._have.items():
            if have < support:
                mass[tr.split(_ARROW, 1)[0]] += have
        self._mass = (support, dict(mass))
        return self._mass[1]
