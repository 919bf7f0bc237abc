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

Most texts hold none of the words at all, and the regex still tries every position to find that
out. So before searching, the lower-cased text is checked for *needles*: literal pieces, read off
the pattern's syntax tree, one of which every match contains (a vocabulary of words has its
words as needles). A text with none of them cannot match; a few substring tests say so.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from logsum.core.detect import reparse

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


def needles(pattern: str) -> tuple[str, ...] | None:
    """Literal substrings one of which every match of ``pattern`` (case-sensitive) contains, or
    ``None`` when the pattern guarantees none (or cannot be read)."""
    sre_c = reparse.opcodes

    def of_sequence(items: Iterable[tuple[Any, Any]]) -> frozenset[str] | None:
        # Every piece of a sequence is in the match: a run of literals, or whatever a part
        # guarantees. Keep the most selective choice (longest shortest needle, then fewest).
        options: list[frozenset[str]] = []
        run: list[str] = []
        for op, av in items:
            if op is sre_c.LITERAL:
                run.append(chr(av))
                continue
            if run:
                options.append(frozenset(["".join(run)]))
                run = []
            part = of_item(op, av)
            if part is not None:
                options.append(part)
        if run:
            options.append(frozenset(["".join(run)]))
        return max(options, key=lambda o: (min(map(len, o)), -len(o)), default=None)

    def of_item(op: Any, av: Any) -> frozenset[str] | None:
        if op is sre_c.SUBPATTERN:
            return of_sequence(av[-1])
        if op is sre_c.ATOMIC_GROUP:
            return of_sequence(av)
        if op is sre_c.BRANCH:
            found: set[str] = set()
            for branch in av[1]:
                one = of_sequence(branch)
                if one is None:
                    return None  # a branch without a needle: nothing is guaranteed
                found |= one
            return frozenset(found)
        if op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT, sre_c.POSSESSIVE_REPEAT):
            lo, _, sub = av
            return of_sequence(sub) if lo >= 1 else None
        return None  # a class, an anchor, a lookaround...: no literal text guaranteed

    try:
        found = of_sequence(reparse.tree(pattern))
    except Exception:  # an internal parser change must only cost the shortcut
        return None
    if not found or not all(found):
        return None
    # A text holding a needle that contains another holds that one too: test the shorter only.
    return tuple(sorted(n for n in found if not any(m != n and m in n for m in found)))


class Caseless:
    """A case-insensitive regex asked only whether it occurs in a text (see the module
    docstring for why :meth:`found_in` is fast on ASCII text and exact on any text)."""

    __slots__ = ("_lower", "_needles", "folded")

    def __init__(self, pattern: str) -> None:
        """``pattern`` is written in lower case, without inline flags."""
        if not _lowercase_only(pattern) or _INLINE_FLAGS.search(pattern):
            raise ValueError(f"a Caseless pattern is lower case, without inline flags: {pattern}")
        self.folded = re.compile(pattern, re.IGNORECASE)
        """The pattern compiled case-insensitively: what :meth:`found_in` answers for."""
        self._lower = re.compile(pattern)
        self._needles = needles(pattern)

    def found_in(self, text: str) -> bool:
        """Whether ``self.folded.search(text)`` finds a match."""
        if not text.isascii():
            return self.folded.search(text) is not None
        low = text.lower()
        if self._needles is not None:
            for n in self._needles:
                if n in low:
                    break
            else:
                return False
        return self._lower.search(low) is not None
