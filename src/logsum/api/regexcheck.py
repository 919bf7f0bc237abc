"""A guard against user-supplied regular expressions that can backtrack catastrophically.

``options.session_key`` is a regular expression the analysis runs over every line. Python's
``re`` has no time limit, so a pattern such as ``(a+)+$`` can hold a worker thread for minutes
on one unlucky line. The classic shape of such patterns is a repetition nested inside another
unbounded repetition; those are refused (400) before any work. This is a heuristic, not a
proof: it refuses the common catastrophic shapes, and the length limit of the option bounds the
rest.
"""

from __future__ import annotations

import re

# re's own parser (private, but stable since Python 3.11, the oldest version LogSum supports).
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
