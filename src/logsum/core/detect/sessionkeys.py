"""Reading session keys off a message: with the caller's ``session_key`` (:class:`CallerKey`,
on a budget of CPU time, after :func:`compile_caller_key` checked it) or with an expression the
detector's probe found (:class:`FoundKey`). Used by :mod:`logsum.core.detect.session`."""

from __future__ import annotations

import functools
import re
import time
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import accumulate

import regex

from logsum.core.detect import reparse
from logsum.core.detect.base import DetectLimits
from logsum.core.errors import InvalidOption

MAX_KEYS_PER_LINE = 8
"""Session keys taken from one line (a line naming many ids counts for the first few)."""

MAX_KEY_SCAN_CHARS = 4_096
"""Characters of a message searched for session keys (keys sit near the start; this bounds the
work a caller's regex can do on one line)."""


def distinct_keys(hits: Iterable[re.Match[str] | regex.Match[str]], groups: int) -> list[str]:
    """The distinct keys of a message's matches (the first group, or the whole match), at
    most :data:`MAX_KEYS_PER_LINE`."""
    out: list[str] = []
    for hit in hits:
        k = hit.group(1) if groups else hit.group(0)
        if k and k not in out:
            out.append(k)
            if len(out) >= MAX_KEYS_PER_LINE:
                break
    return out


_SEP = "\x00"
"""Joins messages for one scan of many (see :func:`keys_of_many`)."""

CHUNK_MESSAGES = 256
"""Messages scanned at once by :func:`keys_of_many`."""

_EDGE_SENSITIVE = re.compile(r"\\[AZzWSDN0xuU]|\\[1-7][0-7]{0,2}|[.^$]|\(\?<?[=!]|\[\^")
"""Syntax whose meaning could change next to a NUL separator: anchors, lookarounds, classes
that match any character or a NUL (``.``, ``\\W``, ``\\S``, ``\\D``, negated sets, escapes of
code points). A key without any of it never matches a NUL, and treats one as it treats the
start or end of a string (it is not a word character)."""


def joinable(pattern: str) -> bool:
    """Whether a key may run once over many messages joined with NULs and give exactly the
    keys it gives message by message (conservative: False when unsure)."""
    return _SEP not in pattern and not _EDGE_SENSITIVE.search(pattern)


def keys_of_many(
    messages: Sequence[str],
    scan: Callable[[str], Iterator[re.Match[str] | regex.Match[str]]],
    groups: int,
) -> list[list[str]]:
    """Each message's keys (as :func:`distinct_keys`), from one ``scan`` of the messages (cut
    at :data:`MAX_KEY_SCAN_CHARS`) joined with NULs. Only for a :func:`joinable` key."""
    parts = [m if len(m) <= MAX_KEY_SCAN_CHARS else m[:MAX_KEY_SCAN_CHARS] for m in messages]
    text = _SEP.join(parts)
    starts = [0, *accumulate(len(m) + 1 for m in parts)][:-1]
    out: list[list[str]] = [[] for _ in parts]
    line, at, found = -1, 0, out[0] if out else []
    for hit in scan(text):
        pos = hit.start()
        if line < 0 or pos >= at:
            line = bisect_right(starts, pos) - 1
            at = starts[line + 1] if line + 1 < len(starts) else len(text) + 1
            found = out[line]
        k = hit.group(1) if groups else hit.group(0)
        if k and len(found) < MAX_KEYS_PER_LINE and k not in found:
            found.append(k)
    return out


class FoundKey:
    """An auto-detected session key: one of the probe's own expressions, run by ``re``."""

    def __init__(self, pattern: str) -> None:
        self._rx = re.compile(pattern)
        self.pattern = pattern

    def keys(self, message: str) -> list[str]:
        return distinct_keys(self._rx.finditer(message, 0, MAX_KEY_SCAN_CHARS), self._rx.groups)

    def keys_many(self, messages: Sequence[str]) -> list[list[str]]:
        """``[keys(m) for m in messages]``, in one scan (the probe's expressions never match
        a NUL and treat one as the end of a string)."""
        return keys_of_many(messages, self._rx.finditer, self._rx.groups)


MAX_KEY_SIZE = 2_000
"""Largest size of a caller's key once its counted repeats are unrolled (parsed items, each
repeat counted as many times as it repeats). The ``regex`` engine unrolls them when it
compiles, holding the interpreter lock, in time that grows faster than the size: ``(){9999}``
takes 1.5 s, ``((a{1000}){1000}){10}`` gigabytes."""

LINE_BACKSTOP_SECONDS = 1.0
"""Wall-clock time after which a caller's key is stopped on one line whatever its budget, or
twice the budget's full amount when that is more. A usual key takes microseconds a line, a
few milliseconds when other threads keep it waiting for the interpreter lock."""

_QUANTIFIER = re.compile(r"\{(?:\d+(?:,\d*)?|,\d*)\}")

_VERBOSE_OR_COMMENT = re.compile(r"\(\?(?:#|[a-zA-Z]*x[a-zA-Z-]*[:)])")


@functools.lru_cache(maxsize=64)
def compile_caller_key(pattern: str) -> regex.Pattern[str]:
    """``pattern`` compiled for :class:`CallerKey`, or :class:`InvalidOption` saying why not
    (the last 64 keys are kept compiled: clients send the same key again and again).

    The key must be valid for Python's ``re`` and is run with ``re``'s meaning: what ``re``
    reads as a literal but ``regex`` would not (a ``{`` that is not a repeat count, as in
    ``{"rid":"(\\w+)"`` or ``a{e}``, a fuzzy match for ``regex``; a ``[`` inside a character
    class, as in ``[[:digit:]]``, a POSIX class for ``regex``) is escaped for it. Comments and
    verbose mode are refused (the two engines end comments differently). The key may be at most
    :data:`MAX_KEY_SIZE` items once its repeat counts are unrolled: ``regex`` unrolls them when
    it compiles, holding the interpreter lock.
    """
    if _VERBOSE_OR_COMMENT.search(pattern):
        raise InvalidOption("session_key may not use comments or verbose mode (?x)")
    translated = _as_re_reads_it(pattern)
    try:
        parsed = reparse.parse(translated)
        re.compile(translated)
    except (re.error, Warning, RecursionError, OverflowError) as exc:  # Warning: under -W error
        raise InvalidOption(f"session_key is not a valid regular expression: {exc}") from None
    if reparse.unrolled_size(parsed) > MAX_KEY_SIZE:
        raise InvalidOption(
            f"session_key is too large once its repeat counts are unrolled (over "
            f"{MAX_KEY_SIZE:,} items); use + or * for long runs"
        )
    try:
        return regex.compile(translated, cache_pattern=False)
    except (regex.error, MemoryError, RecursionError, OverflowError) as exc:
        raise InvalidOption(f"session_key is not usable: {exc}") from None


def _as_re_reads_it(pattern: str) -> str:
    """``pattern`` (valid for ``re``) with a backslash before each character ``re`` reads as a
    literal where ``regex`` would read syntax (see :func:`compile_caller_key`)."""
    out: list[str] = []
    i, in_class = 0, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            if pattern[i + 1 : i + 3] == "N{":  # \N{NAME}: one escape, braces included
                end = pattern.find("}", i + 3)
                step = len(pattern) - i if end < 0 else end + 1 - i
            else:
                step = 2
            out.append(pattern[i : i + step])
            i += step
            continue
        if in_class:
            if c == "]":
                in_class = False
            elif c == "[":  # [[:digit:]]: literals for re, a POSIX class for regex
                c = "\\["
        elif c == "[":
            in_class = True
            # "[^]..." and "[]...": a leading ] is a member, not the end.
            lead = "^]" if pattern.startswith("^]", i + 1) else "]" * pattern.startswith("]", i + 1)
            out.append("[" + lead)
            i += 1 + len(lead)
            continue
        elif c == "{" and not _QUANTIFIER.match(pattern, i):
            c = "\\{"
        out.append(c)
        i += 1
    return "".join(out)


class CallerKey:
    """A caller's session-key expression (see :func:`compile_caller_key`), run by the ``regex``
    engine under a budget of CPU time: :attr:`~DetectLimits.session_key_grace_seconds` in
    hand, refilled by :attr:`~DetectLimits.session_key_char_seconds` for every character
    searched (up to the full amount: a long stream saves up no more), checked between lines;
    one line is stopped after a wall-clock backstop (:data:`LINE_BACKSTOP_SECONDS`). While it
    matches, other threads run (the engine lets go of the interpreter lock), and the time
    counted is this thread's own. An expression that backtracks on some lines, such as
    ``(a|a)*$`` on a run of ``a``, uses the budget up and ends the analysis with
    :class:`~logsum.core.errors.InvalidOption`, instead of holding the process for hours."""

    def __init__(self, pattern: str, limits: DetectLimits) -> None:
        self._rx = compile_caller_key(pattern)
        self.pattern = pattern
        self._full = self._left = limits.session_key_grace_seconds
        self._per_char = limits.session_key_char_seconds
        self._backstop = max(LINE_BACKSTOP_SECONDS, 2 * self._full)
        self._joinable = joinable(pattern)

    def keys_many(self, messages: Sequence[str]) -> list[list[str]]:
        """``[keys(m) for m in messages]``; a :func:`joinable` key scans up to
        :data:`CHUNK_MESSAGES` messages at once, on the same budget (checked between
        chunks; the backstop bounds one chunk)."""
        if not self._joinable:
            return [self.keys(m) for m in messages]
        out: list[list[str]] = []
        spent = [0.0]

        def scan(text: str) -> Iterator[regex.Match[str]]:
            # Only the matching is counted (as for one line); reading the keys off the matches
            # is the detector's own work.
            t0 = time.thread_time()
            try:
                hits = list(self._rx.finditer(text, concurrent=True, timeout=self._backstop))
            finally:
                spent[0] += time.thread_time() - t0
            return iter(hits)

        for i in range(0, len(messages), CHUNK_MESSAGES):
            chunk = messages[i : i + CHUNK_MESSAGES]
            if self._left <= 0:
                raise self._too_slow()
            spent[0] = 0.0
            try:
                out.extend(keys_of_many(chunk, scan, self._rx.groups))
            except TimeoutError:
                raise self._too_slow() from None
            finally:
                searched = sum(min(len(m), MAX_KEY_SCAN_CHARS) for m in chunk)
                self._left = min(self._left - spent[0] + searched * self._per_char, self._full)
        return out

    def keys(self, message: str) -> list[str]:
        if self._left <= 0:
            raise self._too_slow()
        t0 = time.thread_time()
        try:
            # regex's own timeout is wall-clock time, which other threads stretch (it takes
            # the interpreter lock back now and then): only a backstop for one line that never
            # ends. The budget counts this thread's CPU time, line by line.
            hits = self._rx.finditer(
                message, 0, MAX_KEY_SCAN_CHARS, concurrent=True, timeout=self._backstop
            )
            return distinct_keys(hits, self._rx.groups)
        except TimeoutError:
            raise self._too_slow() from None
        finally:
            searched = min(len(message), MAX_KEY_SCAN_CHARS)
            spent = time.thread_time() - t0
            self._left = min(self._left - spent + searched * self._per_char, self._full)

    def _too_slow(self) -> InvalidOption:
        return InvalidOption(
            f"session_key {self.pattern!r} takes too long to match these lines (most likely "
            "it backtracks: a repeated group that can match the same text in more than one "
            "way, such as (a|ab)*); simplify the expression"
        )
