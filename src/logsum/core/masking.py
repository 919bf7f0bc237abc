"""Masking: replace the parts of a message that are variables by their very shape with ``<*>``.

:func:`mask` never crosses whitespace, so the i-th token of a masked message is the mask of the
i-th token of the message; that is what lets the engine read parameters back by position. One
exception, in :class:`TokenMasker`: a timestamp with a date and a time is one ``<*>`` even when
it spans several tokens (``at Mon Mar  2 10:00:00 2026`` gives ``at <*>``); the engine reads such
values back by aligning the template with the line's tokens.

Conventions (those of the corrected Loghub templates): one ``<*>`` for a whole IP with its
port, a path, a URL, a number with its unit, a hex value, a UUID, an id glued to a word with
``_``/``-`` (``blk_-42``); the punctuation around a value stays (``uid=<*>``, ``[<*>]``,
``core.<*>``); numbers joined by punctuation stay apart (``<*>:<*>:<*>`` for a time of day);
directly adjacent variables become one.
Words without digits are left to the miner, which finds them by comparing lines.
"""

from __future__ import annotations

import re

from logsum.core.model import WILDCARD
from logsum.core.text import zero_digits
from logsum.core.timestamps import match_timestamp

MAX_TOKEN_CHARS = 512
"""Longer tokens are one variable without looking at them (and cost no regex time)."""

# A value starts at the start of a token or right after one of these characters (a closing
# bracket too: ``[AF_INET]10.0.0.1:1194``; an approximation's ``~`` at a value's start
# stays: ``~<*>``; so does an arrow between two values: ``10.0.0.1:443->10.0.0.2:5678``)...
_OPEN = r"""(?:(?<![^\s=:,;(\[\]{<'"|@/#.*-])|(?<=(?<![^\s=:,(\[{<'"])~)|(?<=->))"""
# ...and ends at the end of a token or before one of these (a final dot ends a sentence; a
# backslash escapes the quote after a value inside a quoted string).
_CLOSE = r"""(?=[\s,;:()\]}>'"|@#=!?*_\\-]|/(?!/)|\.(?![\w/])|$)"""

# Extensions of source files, whose "name.ext:line" is not a host and its port.
_SOURCE_FILES = "c|cc|cpp|cxx|h|hpp|java|kt|scala|go|rs|py|rb|js|ts|cs|m|mm|swift|php|pl|lua|erl|ex"

_VARIABLE_SHAPES = (
    # IPv4 with optional port, optionally behind a slash (/10.0.0.1:50010 is one address) or a
    # host name and a slash (Java's InetSocketAddress: node7.example.com/10.0.0.1:8030; a host
    # name has a digit, a dot or a dash: a plain word before the slash, such as the user of
    # alice/10.0.0.1:1194, is a value of its own)
    r"(?:(?=[\w.-]{0,253}[\d.-])[A-Za-z0-9][\w.-]{0,253})?/?(?<![^\s/=:,;(\[\]{<>'\"|@])\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?",
    # URL (a trailing ':' or '.' is punctuation, not part of it; a backslash escapes a quote)
    r"[A-Za-z][\w+.-]{1,15}://[^\s,;'\"<>()\[\]{}\\]*[^\s,;'\"<>()\[\]{}:.\\]",
    # Booleans and nulls
    r"(?:true|false|True|False|TRUE|FALSE|null|NULL|nil)(?![\w-])",
    # Unix or Windows path (one run of path characters: no nested repetition, so no
    # backtracking blow-up on long tokens); a path shortened to ".../" is one too
    r"(?:~|\.{1,3})?/[^\s,;:'\"<>()\[\]{}]*",
    r"[A-Za-z]:\\[^\s,;'\"<>()\[\]{}]*",
    # user@host with a domain (an e-mail address, a login at a host): one value
    r"[\w.+\-]{1,64}@[A-Za-z0-9][\w\-]{0,62}(?:\.[\w\-]{1,63}){1,8}(?![\w.@]|:\d)",
    # MAC address; a longer run of such pairs is one value too (a link-layer header as
    # netfilter's LOG prints it: destination, source and type, MAC=<*>)
    r"[0-9A-Fa-f]{2}(?:[:-][0-9A-Fa-f]{2}){5,}",
    # IPv6 in brackets with its port ([::]:3128, [fe80::1]:22): one address
    r"\[[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*\]:\d{1,5}",
    # IPv6 (at least three groups with two colons, or a :: form)
    r"(?=[\w:]{0,40}::|(?:[0-9A-Fa-f]{1,4}:){4})(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?<!:)",
    # UUID; a braced one with a Windows path behind it is one value ({GUID}\dir\file.dll)
    r"\{[0-9A-Fa-f]{8}(?:-[0-9A-Fa-f]{4}){3}-[0-9A-Fa-f]{12}\}\\[^\s,;'\"<>()\[\]{}]*",
    r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}",
    # Host name with a top-level domain (lower case but for a first label with digits, as
    # reverse DNS names have: p548BB490.dip0.t-ipconnect.de; at least two dots), optional port
    r"(?:[a-z0-9][a-z0-9-]{0,62}|(?=[A-Za-z0-9-]{0,62}\d)[A-Za-z0-9][A-Za-z0-9-]{0,62})"
    r"(?:\.[a-z0-9-]{1,63}){1,8}\.[a-z]{2,6}(?::\d{1,5})?(?![\w.])",
    # host:port, the host with a dot or a dash (a bare word before a number is a key:
    # memory:1024 is memory:<*>)
    # (not a source file and its line number: ib_sm_bringup.c:5761 is ib_sm_bringup.c:<*>)
    r"(?=[\w.-]{0,253}[.-])(?![\w.-]{0,253}\.(?:" + _SOURCE_FILES + r"):)"
    r"[A-Za-z][\w.-]{0,253}:\d{2,5}(?![\w:]|\.[\w.])",
    # Numbers joined by "_": one id (a session 30546174_3203946474)
    r"\d+(?:_\d+)+",
    # An id glued from a long hex string and more parts by "_" (an attempt id:
    # 2fcdafc3254c_51bd621d685d_7_0): one value
    r"(?=[0-9a-fA-F]*\d)[0-9a-fA-F]{8,}(?:_[0-9A-Za-z]+)+",
    # Hex: 0x-prefixed, or a long hex string with at least one digit
    r"0[xX][0-9A-Fa-f]+",
    r"(?=[0-9a-fA-F]*\d)[0-9a-fA-F]{8,}",
    # Shorter lower-case hex (abbreviated hashes, object ids): digits and letters mixed
    r"(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{6,7}",
    # Identifier with a numeric part glued by _ or - (blk_-1234, node-17-3, R02-M1), or by ~
    # (a package identity: name~hash~arch~~6.3.1.14)
    r"[A-Za-z][A-Za-z0-9]{0,63}(?:[_-]+[A-Za-z0-9]{1,64}){0,15}[_-]+-?\d[\w-]{0,127}",
    r"[A-Za-z][\w-]{0,63}(?:~+[\w-]{1,64}){1,7}~+\d+(?:\.\d+){0,5}",
    # A package version with its revision (2.36-9+deb12u4, 3.0.15-1~deb12u1, 9.13.5-8build1,
    # 2.11.2-3, 6.1.0-18-amd64; with an epoch 1:2.39.2-1): one value. The revision starts with
    # '+', '~' or a digit after '-', and has a letter, '+' or '~', or the version three parts
    # or an epoch; two numbers joined by '-' stay apart (1.5-2), and so does a named flavour
    # (<*>-slim, <*>-rc1).
    r"(?:\d{1,2}:\d+(?:\.\d+)+|\d+\.\d+(?:\.\d+)+(?=-\d|[+~])"
    # The revision is one loop (no backtracking blow-up); the look for its letter reads at most
    # a token's length ahead, or a run of such versions ("1.1-" * 10,000) is read again from
    # each of its numbers: quadratic.
    r"|\d+(?:\.\d+)+(?=-\d|[+~])"
    rf"(?=[\w.+~-]{{0,{MAX_TOKEN_CHARS}}}[A-Za-z+~]))"
    r"[-+~][A-Za-z0-9]+(?:[-+~.][A-Za-z0-9]+)*",
    # A version with its "v" (v6.1.7601.23505, v1.25)
    r"[vV]\d+(?:\.\d+){1,6}",
    # Number (signed, decimal) with an optional unit glued to it: 42, -1, 0.5, 10ms, 64KB, 99%
    # (never starting inside a dotted number: 6.3.1.14 is masked whole or not at all)
    r"(?<!\d\.)(?:(?<!-)[<>])?[-+]?\d+(?:\.\d+)*(?:[A-Za-zµ]{1,5}\b|%)?",
)

_MASK = re.compile(_OPEN + "(?:" + "|".join(_VARIABLE_SHAPES) + ")" + _CLOSE)
# Directly adjacent variables are one; so is a variable behind a lone leading slash (/10.0.0.1:80).
_GLUED = re.compile(r"(?:<\*>){2,}|(?<!\S)/<\*>")


# A candidate random token (an API key, a session secret): a whole run of 32 or more letters,
# digits, "_" and "-" with a digit, a capital and a small letter, standing alone (a part of a
# dotted name, a path or a "~"-joined identity is not one). Shorter runs stay to the miner: at
# 20 characters the rule took constants of a held-out program's templates.
_TOKEN_CANDIDATE = re.compile(
    r"(?<![^\s=:'\"(\[{<])(?=[\w-]{0,255}\d)(?=[\w-]{0,255}[A-Z])(?=[\w-]{0,255}[a-z])"
    r"[\w-]{32,256}(?=[\s'\")\]}>,;]|\.?$|\.\s)"
)
# Random letters and digits change class (capital, small letter, digit) between two neighbours
# about six times in ten; names in CamelCase (Log4j2LoggerContextFactory) and words about
# three or four times: a run with at least this share of changes and no long run of small
# letters (a word) is random.
_RANDOM_CHANGES = 0.5
_WORD_RUN = 8


def _char_class(c: str) -> int:
    return 0 if c.isdigit() else 1 if c.isupper() else 2


def _random_token(match: re.Match[str]) -> str:
    token = match.group()
    changes = pairs = run = 0
    prev = -1
    for c in token:
        if not c.isalnum():
            prev = -1
            run = 0
            continue
        cls = _char_class(c)
        run = run + 1 if cls == 2 else 0
        if run >= _WORD_RUN:
            return token
        if prev >= 0:
            pairs += 1
            changes += cls != prev
        prev = cls
    return WILDCARD if changes >= _RANDOM_CHANGES * pairs else token


def mask(message: str) -> str:
    """Return ``message`` with variable-shaped parts replaced by ``<*>``."""
    if len(message) >= 32:
        message = _TOKEN_CANDIDATE.sub(_random_token, message)
    masked = _MASK.sub(WILDCARD, message)
    if "<*><*>" in masked or "/<*>" in masked:
        masked = _GLUED.sub(WILDCARD, masked)
    return masked


_DIGIT = re.compile(r"\d")


class TokenMasker:
    """:func:`mask` token by token, remembering the masks of recent tokens: most tokens of a
    log are words that recur, so most lookups are one dictionary hit."""

    def __init__(self, max_entries: int = 50_000) -> None:
        self.max_entries = max_entries
        self._memo: dict[str, str] = {}
        self._shapes: dict[str, str] = {}

    def entries(self) -> int:
        """Masks remembered (for a memory estimate)."""
        return len(self._memo) + len(self._shapes)

    def mask_tokens(self, tokens: list[str]) -> list[str]:
        """The masked form of each token."""
        memo = self._memo
        shapes = self._shapes
        out = []
        times: list[int] = []
        for tok in tokens:
            m = memo.get(tok)
            if m is None and len(tok) > MAX_TOKEN_CHARS:
                m = WILDCARD  # a blob (base64, a dump), not a word of a template
            if m is None:
                # Masks look at digits, never at their values: a token equal to a known one
                # up to its digits is masked the same way, as long as no digit survives.
                shape = zero_digits(tok)
                m = shapes.get(shape)
                if m is None:
                    m = mask(tok)
                    if len(shapes) >= self.max_entries:
                        shapes.clear()
                    if WILDCARD in m and not _DIGIT.search(m):
                        shapes[shape] = m
                if len(memo) >= self.max_entries:
                    memo.clear()
                memo[tok] = m
            out.append(m)
            if _TIME_MARK in m:
                times.append(len(out) - 1)
        if times:
            return _join_timestamps(tokens, out, times)
        return out


_TIME_MARK = ":" + WILDCARD + ":" + WILDCARD  # how a masked time of day looks (12:00:00)
_TIMESTAMP_REACH = 3
"""Tokens before a time of day that may belong to its timestamp (``Mon Mar  2 10:00:00``)."""
_TIME_ALONE = re.compile(r"\d{1,2}:\d{1,2}:\d{1,2}(?:[.,:]\d+)?")
_WEEKDAYS = frozenset(
    {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun", "Monday", "Tuesday", "Wednesday"}
    | {"Thursday", "Friday", "Saturday", "Sunday"}
)
"""Day names that open a timestamp the time-of-day match starts after (``Mon, 02 Mar 2026
10:00:00 GMT``, ``Thu Feb 2 2023 10:11:12 UTC``)."""
_EDGE = "([{<'\"=:"  # punctuation before a timestamp that stays in the template
_TRAIL = ")]}>'\",;.:"  # and after it


def _join_timestamps(raw: list[str], masked: list[str], times: list[int]) -> list[str]:
    """``masked`` with each timestamp that has a date and a time made one ``<*>``, even when
    it spans several tokens (``at Mon Mar  2 10:00:00 2026`` gives ``at <*>``; a time of day
    alone stays ``<*>:<*>:<*>``). The list gets shorter when tokens are joined: the engine
    reads the values back by aligning the template with the line's tokens."""
    out: list[str] = []
    done = 0  # tokens of ``masked`` already copied to ``out``
    for k in times:
        if k < done:
            continue
        found = _timestamp_at(raw, max(done, k - _TIMESTAMP_REACH), k)
        if found is None:
            continue
        start, stop, token = found
        if start > done and token.startswith(WILDCARD) and raw[start - 1].rstrip(",") in _WEEKDAYS:
            start -= 1  # the day's name opens the timestamp (Thu Feb 2 2023 10:11:12 UTC)
        out.extend(masked[done:start])
        out.append(token)
        done = stop
    if not done:
        return masked
    out.extend(masked[done:])
    return out


def _timestamp_at(raw: list[str], first: int, k: int) -> tuple[int, int, str] | None:
    """The earliest timestamp with a date that starts at one of ``raw[first..k]`` and takes
    in the time of day of ``raw[k]``: ``(start, stop, masked token)`` or ``None``."""
    stop_at = min(len(raw), k + _TIMESTAMP_REACH)
    for start in range(first, k + 1):
        head = raw[start]
        lead = len(head) - len(head.lstrip(_EDGE))
        text = " ".join(raw[start:stop_at])
        found = match_timestamp(text, lead, 1970)
        if found is None:
            continue
        end = found[1]
        if start == k and _TIME_ALONE.fullmatch(text, lead, end):
            return None  # a time of day alone keeps its parts (<*>:<*>:<*>)
        # The token the timestamp ends in, and what of that token is left after it.
        pos = 0
        for stop in range(start, stop_at):
            pos += len(raw[stop]) + 1
            if pos > end:
                break
        rest = text[end : pos - 1]
        if stop < k or rest.strip(_TRAIL):
            continue  # ends before the time, or inside a word
        return start, stop + 1, head[:lead] + WILDCARD + rest
    return None
