"""Templates of different lengths: aligning a line with a template, and merging two templates
whose constant words line up but whose variable parts span a different number of tokens
(``<*> bytes sent`` and ``<*> bytes (<*> KB) sent`` are one event).

Alignment is on *plain constants* (tokens without ``<*>``): their longest common subsequence is
the skeleton both share; what lies between two skeleton words is a gap. Two templates merge when
the skeleton holds most of both sides' constants and every gap that differs has a variable in
it and at most one word on each side: the difference is in the values, not in the words. A
differing gap becomes one ``<*>``; when one side of it is empty, the skeleton word before it
joins the gap (a variable cannot be empty), which is how ``<*> bytes sent`` and
``<*> bytes (<*> KB) sent`` become ``<*> sent``.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from logsum.core.model import WILDCARD

MAX_ALIGN_TOKENS = 40
"""Templates longer than this are never merged across lengths (the alignment is quadratic)."""

MIN_SKELETON_SHARE = 0.5
"""Share of each side's constant words the shared skeleton must hold."""

MAX_GAP_WORDS = 1
"""Constant words a differing gap may hold on each side (a unit, a label beside a value)."""

MAX_GAP_WORDS_BESIDE_SPAN = 3
"""The same, facing a lone ``<*>`` that earlier merges made stand for several tokens."""

MIN_SKELETON = 2
"""Constant words two templates must share, in order, to be merged across lengths."""


def _plain(token: str) -> bool:
    return WILDCARD not in token


def skeleton_key(tokens: list[str]) -> str | None:
    """The first plain constant of a template: templates that may merge share it."""
    for t in tokens[:MAX_ALIGN_TOKENS]:
        if _plain(t):
            return t
    return None


def _lcs(a: list[str], b: list[str]) -> list[tuple[int, int]]:
    """Index pairs of a longest common subsequence of ``a`` and ``b``."""
    n, m = len(a), len(b)
    table = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        row, below = table[i], table[i + 1]
        for j in range(m - 1, -1, -1):
            row[j] = below[j + 1] + 1 if a[i] == b[j] else max(below[j], row[j + 1])
    pairs = []
    i = j = 0
    while i < n and j < m:
        if a[i] == b[j]:
            pairs.append((i, j))
            i += 1
            j += 1
        elif table[i + 1][j] >= table[i][j + 1]:
            i += 1
        else:
            j += 1
    return pairs


def merge_lengths(
    a: list[str], b: list[str], a_has_spans: bool = False
) -> tuple[list[str], int] | None:
    """The template covering ``a`` and ``b`` (different lengths) and the size of their shared
    skeleton, or ``None`` when they are different events. ``a_has_spans`` says that a lone
    ``<*>`` of ``a`` may already stand for several tokens (``a`` came from such a merge)."""
    if len(a) > MAX_ALIGN_TOKENS or len(b) > MAX_ALIGN_TOKENS:
        return None
    ia = [i for i, t in enumerate(a) if _plain(t)]
    ib = [i for i, t in enumerate(b) if _plain(t)]
    wa, wb = [a[i] for i in ia], [b[i] for i in ib]
    # Cheap bound first: the skeleton cannot be longer than the words both sides share.
    shared = sum((Counter(wa) & Counter(wb)).values())
    if shared < MIN_SKELETON or shared < MIN_SKELETON_SHARE * min(len(wa), len(wb)):
        return None
    pairs = _lcs(wa, wb)
    matched = len(pairs)
    if matched < MIN_SKELETON:
        return None
    if matched < MIN_SKELETON_SHARE * min(len(ia), len(ib)):
        return None
    anchors = _outside_values(a, b, [(ia[p], ib[q]) for p, q in pairs])
    out: list[str] = []
    prev_a = prev_b = -1
    pending_a: list[str] = []  # a gap still open because its skeleton word was absorbed
    pending_b: list[str] = []
    for k, (xa, xb) in enumerate([*anchors, (len(a), len(b))]):
        gap_a = pending_a + a[prev_a + 1 : xa]
        gap_b = pending_b + b[prev_b + 1 : xb]
        pending_a, pending_b = [], []
        if gap_a == gap_b:
            out.extend(gap_a)
        elif gap_a and gap_b and out and out[-1] in _VALUE_TO_END:
            out.append(WILDCARD)  # the value after a lone "=" is one value
        else:
            if not any(WILDCARD in t for t in _difference(gap_a, gap_b)):
                return None  # the words differ, not the values
            raw_a, raw_b = a[prev_a + 1 : xa], b[prev_b + 1 : xb]
            words_a = sum(1 for t in raw_a if _wordy(t))
            words_b = sum(1 for t in raw_b if _wordy(t))
            # A lone <*> already stands for a span of several tokens, words included.
            span = a_has_spans and raw_a == [WILDCARD]  # a lone <*> standing for tokens
            limit_b = MAX_GAP_WORDS_BESIDE_SPAN if span else MAX_GAP_WORDS
            if words_a > MAX_GAP_WORDS or words_b > limit_b:
                return None
            if words_a and words_b and not span:
                return None  # a different word on each side: different events
            rest_a, rest_b = _difference(gap_a, gap_b, split=True)
            if not span and not (rest_a and rest_b) and not _aside(rest_a or rest_b):
                return None  # an optional clause with words is another event
            if (not gap_a or not gap_b) and out:
                # A variable cannot be empty: the skeleton word before joins the gap, and so
                # do the variables just before that word.
                out.pop()
                while out and out[-1] == WILDCARD:
                    out.pop()
                out.append(WILDCARD)
            elif not gap_a or not gap_b:
                if k < len(anchors):
                    # Nothing before it: the gap takes the next skeleton word instead.
                    pending_a = [*gap_a, a[xa]]
                    pending_b = [*gap_b, b[xb]]
                    prev_a, prev_b = xa, xb
                    continue
                return None
            else:
                out.append(WILDCARD)
        if k < len(anchors):
            out.append(a[xa])
        prev_a, prev_b = xa, xb
    if pending_a or pending_b:
        return None
    if align(out, a) is None or align(out, b) is None:
        return None
    return out, matched


# A lone token after which the rest of a line is one value, words and all (``Title = Security
# Update for Windows`` / ``Title = 2024-01 Cumulative Update``).
_VALUE_TO_END = frozenset(("=",))


def _outside_values(
    a: list[str], b: list[str], anchors: list[tuple[int, int]]
) -> list[tuple[int, int]]:
    """``anchors`` without those inside a value after a lone ``=``: what follows it is one
    value, however its words line up, up to the end of the line or to a word that ends with
    ``,`` or ``;`` in both lines (``job name = train model, queue = long``), as the miner reads
    a value there (``miner._after_lone_equals``)."""
    kept: list[tuple[int, int]] = []
    inside = False
    for xa, xb in anchors:
        if inside and not (_ends_value(a[xa - 1]) and _ends_value(b[xb - 1])):
            continue
        kept.append((xa, xb))
        inside = a[xa] in _VALUE_TO_END
    return kept


def _ends_value(token: str) -> bool:
    """A value's last word: it ends with ``,`` or ``;`` (a template's ``<*>`` may hold one)."""
    return token == WILDCARD or token.endswith((",", ";"))


def _wordy(token: str) -> bool:
    """A token with a letter outside its wildcards: a word, even when glued to a value."""
    return any(c.isalpha() for c in token.replace(WILDCARD, ""))


_PAIRS = {"(": ")", "[": "]", "{": "}"}


def _aside(gap: list[str]) -> bool:
    """True for what may be present or absent in one event: a bracketed aside such as
    ``(1.2 KB)``, or values and punctuation without words."""
    if not any(_wordy(t) for t in gap):
        return True
    first, last = gap[0], gap[-1].rstrip(",;:.")
    return first[:1] in _PAIRS and last.endswith(_PAIRS[first[0]])


def _difference(a: list[str], b: list[str], split: bool = False) -> Any:
    """What differs between two gaps once their common first and last tokens are set aside:
    both sides joined, or ``(a_rest, b_rest)`` with ``split``."""
    i = 0
    while i < len(a) and i < len(b) and a[i] == b[i]:
        i += 1
    j = 0
    while j < len(a) - i and j < len(b) - i and a[-1 - j] == b[-1 - j]:
        j += 1
    rest_a, rest_b = a[i : len(a) - j], b[i : len(b) - j]
    return (rest_a, rest_b) if split else rest_a + rest_b


_TOKEN_RES: dict[str, re.Pattern[str]] = {}


def partial_spans(
    template_token: str, text: str, start: int = 0, end: int | None = None
) -> list[tuple[int, int]] | None:
    """Where the values of ``text[start:end]`` sit under a partial template token such as
    ``uid=<*>`` or ``[<*>/<*>]``: one ``(start, end)`` per ``<*>``, in ``text``'s offsets, or
    ``None`` when the text does not fit. Each fixed part is found leftmost (a value stops at
    the first place the text after it appears); the last fixed part ends the token. String
    searches only: no regular expression to compile, no backtracking."""
    if end is None:
        end = len(text)
    parts = _parts(template_token)
    first, last = parts[0], parts[-1]
    if not text.startswith(first, start, end) or end - start < len(first) + len(last):
        return None
    if not text.endswith(last, start, end):
        return None
    stop = end - len(last)
    pos = start + len(first)
    spans = []
    for middle in parts[1:-1]:
        found = text.find(middle, pos, stop) if middle else pos
        if found < 0:
            return None
        spans.append((pos, found))
        pos = found + len(middle)
    spans.append((pos, stop))
    return spans


_PARTS: dict[str, list[str]] = {}


def _parts(template_token: str) -> list[str]:
    parts = _PARTS.get(template_token)
    if parts is None:
        if len(_PARTS) > 8192:
            _PARTS.clear()
        parts = _PARTS[template_token] = template_token.split(WILDCARD)
    return parts


def fits(template_token: str, token: str) -> bool:
    """True when ``token`` is the template token itself or one of its values (``<*>``,
    ``uid=<*>``)."""
    if template_token == token:
        return True
    return WILDCARD in template_token and partial_spans(template_token, token) is not None


def align(template: list[str], tokens: list[str]) -> list[tuple[int, int]] | None:
    """For each template token, the range ``[start, end)`` of ``tokens`` it covers (a lone
    ``<*>`` covers one or more tokens, any other token exactly one), or ``None`` when the
    tokens do not fit the template. Greedy: each ``<*>`` takes as few tokens as it can."""
    spans: list[tuple[int, int]] = []
    n = len(tokens)
    pos = 0
    for i, t in enumerate(template):
        if t != WILDCARD:
            if pos >= n or not fits(t, tokens[pos]):
                return None
            spans.append((pos, pos + 1))
            pos += 1
            continue
        # A lone wildcard: find the next non-wildcard template token and stop before it.
        j = i + 1
        while j < len(template) and template[j] == WILDCARD:
            j += 1
        need = j - i - 1  # wildcards after this one, before the next anchor
        if j == len(template):
            end = n - need  # leave one token to each wildcard that follows
        else:
            end = pos + 1
            while end + need < n and not fits(template[j], tokens[end + need]):
                end += 1
            if end + need >= n:
                return None
        if end <= pos:
            return None
        spans.append((pos, end))
        pos = end
    return spans if pos == n else None
