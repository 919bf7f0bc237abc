"""A guard against user-supplied regular expressions that can backtrack catastrophically.

``options.session_key`` is a regular expression the analysis runs over every line. Python's
``re`` has no time limit, so a pattern such as ``(a+)+$`` can hold a worker thread for minutes
on one unlucky line. The classic shape of such patterns is a repetition nested inside another
unbounded repetition; those are refused (400) before any work. So is the other classic shape: a
repeated group that can match the same text in two ways (``(a|ab)*``, ``(.|\\s)*``, ``(a?a)*``),
which doubles the ways to try with every repetition. This is a heuristic, not a proof: it
refuses the common catastrophic shapes, and the length limit of the option bounds the rest.
"""

from __future__ import annotations

import re

# re's own parser (private, but stable since Python 3.11, the oldest version LogSum supports).
from re import _compiler as _cc  # type: ignore[attr-defined]
from re import _constants as _c
from re import _parser as _p
from typing import Any

_REPEATS = frozenset({_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT})


def nested_repetition(pattern: str) -> bool:
    """True when ``pattern`` has a repetition (``+``, ``*``, ``{n,}``...) inside an unbounded
    repetition, e.g. ``(a+)+`` or ``(\\w*\\s?)*``. Raises :class:`re.error` if it is invalid."""
    re.compile(pattern)
    return _walk(_p.parse(pattern).data, inside_unbounded=False)


def _walk(items: Any, *, inside_unbounded: bool) -> bool:
    for op, av in items:
        if op in _REPEATS:
            low, high, sub = av
            del low
            if inside_unbounded and high != 1:
                return True
            if _walk(sub, inside_unbounded=inside_unbounded or high == _c.MAXREPEAT):
                return True
        elif op == _c.SUBPATTERN:
            if _walk(av[-1], inside_unbounded=inside_unbounded):
                return True
        elif op == _c.BRANCH:
            if any(_walk(branch, inside_unbounded=inside_unbounded) for branch in av[1]):
                return True
        elif op in (_c.ASSERT, _c.ASSERT_NOT):
            if _walk(av[1], inside_unbounded=inside_unbounded):
                return True
        elif op == _c.ATOMIC_GROUP and _walk(av, inside_unbounded=inside_unbounded):
            return True
    return False


def ambiguous_repetition(pattern: str) -> bool:
    """True when the group of a repetition (``*``, ``+``, ``{2,}``, ``{5}``...) can match the
    same text in two ways: two alternatives that can start with the same character or both
    match nothing (``(a|ab)*``, ``(.|\\s)*``, ``(a|a)*``), or an optional item that can start
    like what follows it (``(a?a)*``). Each repetition then doubles the ways a failing match
    tries. Raises :class:`re.error` if ``pattern`` is invalid."""
    re.compile(pattern)
    parsed = _p.parse(pattern)
    return _repeats_ambiguous(parsed.data, parsed.state)


def _repeats_ambiguous(items: Any, state: Any) -> bool:
    for op, av in items:
        if op in _REPEATS:
            _low, high, sub = av
            if high > 1 and _ambiguous(sub, _first(sub, state)[0], state):
                return True
            if _repeats_ambiguous(sub, state):
                return True
        elif op == _c.SUBPATTERN:
            if _repeats_ambiguous(av[-1], state):
                return True
        elif op == _c.BRANCH:
            if any(_repeats_ambiguous(branch, state) for branch in av[1]):
                return True
        elif op in (_c.ASSERT, _c.ASSERT_NOT):
            if _repeats_ambiguous(av[1], state):
                return True
        elif op == _c.ATOMIC_GROUP and _repeats_ambiguous(av, state):
            return True
    return False


def _ambiguous(items: Any, follow: frozenset[str], state: Any) -> bool:
    """Whether ``items`` (followed by text starting with a character of ``follow``) can match
    the same text in two ways."""
    for k, (op, av) in enumerate(items):
        rest, rest_nullable = _first(items[k + 1 :], state)
        after = rest | follow if rest_nullable else rest
        if op in _REPEATS:
            low, high, sub = av
            first, nullable = _first(sub, state)
            if low != high and (nullable or first & after):
                return True  # an optional item (``x?`` is ``(x|)``) that starts like what follows
            if _ambiguous(sub, after, state):
                return True
        elif op == _c.BRANCH:
            starts: list[tuple[Any, frozenset[str]]] = []
            empty = False
            for branch in av[1]:
                first, nullable = _first(branch, state)
                if nullable:
                    if empty:
                        return True  # two alternatives that both match nothing
                    empty = True
                    first = first | after
                for other, other_first in starts:
                    if other_first & first and not _literals_differ(other, branch, state):
                        return True  # two alternatives that can start with the same text
                starts.append((branch, first))
                if _ambiguous(branch, after, state):
                    return True
        elif op == _c.SUBPATTERN and _ambiguous(av[-1], after, state):
            return True
    return False


def _literals_differ(one: Any, two: Any, state: Any) -> bool:
    """Whether two alternatives start with characters that differ (``POST|PUT``)."""
    for (op1, av1), (op2, av2) in zip(one, two, strict=False):
        if op1 not in _ONE_CHAR or op2 not in _ONE_CHAR:
            return False
        if not _first_of(op1, av1, state)[0] & _first_of(op2, av2, state)[0]:
            return True
    return False


_ONE_CHAR = frozenset({_c.LITERAL, _c.NOT_LITERAL, _c.IN, _c.ANY})

_PROBES = tuple(chr(i) for i in range(0x250)) + tuple("\u00a0\u2028\u3000\u0663\u4e2d\U0001f600")
"""The characters first-character sets are made of: Latin-1 and Latin Extended, and a few
others of the classes ``\\s``, ``\\d`` and ``\\w`` treat specially."""
_ALL = frozenset(_PROBES)


def _first(items: Any, state: Any) -> tuple[frozenset[str], bool]:
    """The characters a match of ``items`` can start with, and whether it can be empty."""
    out: set[str] = set()
    for op, av in items:
        first, nullable = _first_of(op, av, state)
        out |= first
        if not nullable:
            return frozenset(out), False
    return frozenset(out), True


def _first_of(op: Any, av: Any, state: Any) -> tuple[frozenset[str], bool]:
    if op in _REPEATS:
        first, nullable = _first(av[2], state)
        return first, nullable or av[0] == 0
    if op == _c.SUBPATTERN:
        return _first(av[-1], state)
    if op == _c.ATOMIC_GROUP:
        return _first(av, state)
    if op == _c.BRANCH:
        firsts = [_first(branch, state) for branch in av[1]]
        return frozenset().union(*(f for f, _ in firsts)), any(n for _, n in firsts)
    if op in (_c.AT, _c.ASSERT, _c.ASSERT_NOT):
        return frozenset(), True  # zero-width
    if op in (_c.GROUPREF, _c.GROUPREF_EXISTS):
        return _ALL, True  # anything, as far as this check can tell
    # One character (a literal, a set, a class, any): ask re itself, under the pattern's flags.
    one = _cc.compile(_p.SubPattern(state, [(op, av)]))
    return frozenset(c for c in _PROBES if one.fullmatch(c)), False
