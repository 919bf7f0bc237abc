"""Case-insensitive regex tests that are cheap on ASCII text, with the same answers.

Python's ``re`` tries a ``re.IGNORECASE`` pattern at every position of the text, folding the
case of each character it compares, and cannot use the fast scans it has for case-sensitive
patterns (a literal prefix, a set of first characters). The detectors and insights test a few
such vocabularies (failure words, authentication, restarts) on every pattern's template or first
message, which made them a large part of an analysis.

On ASCII text the same answer comes from lower-casing the text and searching the pattern
compiled case-sensitively, several times faster: for an ASCII character, case-insensitive
matching against a lower-case letter is equality after ``str.lower()``; ``\\w``, ``\\s``,
``\\d`` and ``\\b`` do not depend on case; and ``lower()`` keeps ASCII text's length and
positions. Text with any other character takes the case-insensitive pattern as it is (Unicode
case folding pairs letters that ``lower()`` does not, such as ``i`` and the dotless ``ı``).
"""

from __future__ import annotations

import re

_CASE_FREE_ESCAPES = frozenset("wWsSdDbBAZ")
"""Escapes whose meaning does not depend on case (character classes and anchors)."""


_INLINE_FLAGS = re.compile(r"\(\?[aiLmsux-]")


def _lowercase_only(pattern: str) -> bool:
    """True when no upper-case letter can be matched literally: letters outside escapes are
    lower-case, and every escaped letter is a class or an anchor (``\\x41`` or a back
    reference is refused, as they could stand for an upper-case letter)."""
    escaped = False
    for ch in pattern:
        if escaped:
            if ch.isalnum() and ch not in _CASE_FREE_ESCAPES:
                return False
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch.isupper():
            return False
    return True


class Caseless:
    """A case-insensitive regex asked only whether it occurs in a text (see the module
    docstring for why :meth:`found_in` is fast on ASCII text and exact on any text)."""

    __slots__ = ("_lower", "folded")

    def __init__(self, pattern: str) -> None:
        """``pattern`` is written in lower case, without inline flags."""
        if not _lowercase_only(pattern) or _INLINE_FLAGS.search(pattern):
            raise ValueError(f"a Caseless pattern is lower case, without inline flags: {pattern}")
        self.folded = re.compile(pattern, re.IGNORECASE)
        """The pattern compiled case-insensitively: what :meth:`found_in` answers for."""
        self._lower = re.compile(pattern)

    def found_in(self, text: str) -> bool:
        """Whether ``self.folded.search(text)`` finds a match."""
        if text.isascii():
            return self._lower.search(text.lower()) is not None
        return self.folded.search(text) is not None
