"""Header layouts: what :class:`HeaderDetector` learns from each header the scanner of
:mod:`logsum.core.header` reads, and replays on the next lines of the same source.

A layout is the sequence of field kinds one scanned line had (a timestamp of some shape, a
level, a bracketed thread, a logger...), replayed field by field with one compiled regular
expression per kind: several times cheaper than scanning. It is a guess about a line, never a
verdict (see :class:`_Layout`), and the scanner's own rules (``scan``) decide whenever a layout
does not fit. docs/HEADERS.md describes both.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable
from datetime import datetime
from functools import lru_cache
from typing import Any

from logsum.core import header as scan
from logsum.core.model import Header
from logsum.core.text import zero_digits
from logsum.core.timestamps import (
    ORDERED_SHAPES,
    PlanCache,
    compact_field_time,
    match_timestamp_shape,
    plan_for,
    shape_regex,
    source_context,
    twenty_four_hour,
)


def _unnamed(pattern: re.Pattern[str]) -> str:
    return re.sub(r"\(\?P<\w+>", "(?:", pattern.pattern)


# The text each kind of header field may take, used to replay a learned layout.
_DIGIT_RUN = re.compile(r"\d+")
_KIND_REGEX = {
    "pri": scan._PRI.pattern,
    "letter": r"[VDIWEF]",
    "stream": r"(?:stdout|stderr) [FP]",
    # Level and component fields match loosely here (a small regex compiles fast) and are
    # checked word by word when the layout is replayed.
    # (as the scanner reads a level: the word, or the word in brackets, and a colon glued to
    # it; the spaces after it are the gap to the next field)
    "level": r"(?:[<\[(][A-Za-z]{1,11} *[>\])]|[A-Za-z]{1,11})(?=[\s:|,\[\]-]|$):?",
    "blevel": scan._BRACKET.pattern,
    "pipe": r"\| *[^\s|]*(?=\|)",
    "plevel": r"\| *[^\s|]* *(?=\|)",
    "pcaller": r"\|" + scan._PIPE_CALLER.pattern,
    "pcolumn": scan._PIPE_CALLER_COLUMN.pattern,
    "nlevel": scan._NUMBERED_LEVEL.pattern,
    "lline": scan._LOGGER_LINE.pattern,
    "thread": scan._THREAD_NAME.pattern,
    "hexlevel": scan._HEX_LEVEL.pattern,
    "comp": r"[^\s\[\]:]+(?:::[^\s\[\]:]+)*(?: [^\s\[\]:]+)?(?:\[[^\]\s]*\])?"
    r"(?:\s\([^()]*\))?:(?=\s|$)",
    "bracket": scan._BRACKET.pattern,
    "bopen": r"\[",
    "popen": r"\(",
    "pclose": r"\)",
    "aopen": r"<",
    "aclose": r">",
    "qopen": r'"',
    "qclose": r'"',
    "bctx": r"(?:[\s,]|: )[^\[\]]{0,160}\]",
    "bclose": r"\]",
    "glib": scan._GLIB_HEAD.pattern,
    "lcbrief": scan._LOGCAT_BRIEF.pattern,
    "msource": scan._SOURCE_MODULE.pattern,
    "bletter": r"\[ ?[VDIWETNC] ",
    "dash": _unnamed(scan._PROGRAM_DASH),
    "pid": scan._PID.pattern,
    "pidtid": f"(?:{scan._PID_TID.pattern}|{scan._PID_BEFORE.pattern})",
    "sep": scan._SEPARATOR.pattern,
    "mark": r"[*#.-](?=\s)",
    "npidtid": scan._NAME_PID_TID.pattern,
    "gpid": scan._GLUED_ID.pattern,
    "glead": scan._GLUED_LEAD.pattern,
    "bcaller": scan._BRACE_CALLER.pattern,
    "tparen": scan._THREAD_PARENS.pattern,
    "program": scan._PROGRAM_PID.pattern,
    "spans": scan._SPANS.pattern,
    "event": r"[A-Za-z_][\w.$]*\[\d{1,9}\]",
    "uptime": r"\[ *\d{1,9}\.\d{3,9}s?\]",
    "ndash": scan._NAME_DASH.pattern,
    "glued": scan._GLUED_NAME.pattern,
    "caller": scan._CALLER.pattern,
    "source": scan._LOGGER_SOURCE.pattern,
    "rfc5424": _unnamed(scan._RFC5424),
    "host": f"(?:{scan._HOSTLIKE.pattern}|{scan._SLASHED_HOST.pattern})",
    "headerish": scan._HEADERISH.pattern,
    "logger": scan._DOTTED_LOGGER.pattern,
    "column": r"[A-Za-z][\w.\-]{0,31}(?=  +\S)",
    "lpipe": scan._LETTER_PIPE.pattern,
    "chlevel": scan._CHANNEL_LEVEL.pattern,
    "ptag": scan._PIPE_TAG.pattern,
    "ppid": scan._PAREN_PID.pattern,
    "epid": scan._ERLANG_PID.pattern,
    "kvctx": scan._KV_RUN.pattern,
    "tcolumn": scan._TIME_COLUMN.pattern,
    "plogger": scan._PADDED_LOGGER.pattern,
    "rhead": scan._RECORD_HEAD.pattern.replace(r")\s*", r")(?=\s*$)"),
    "chead": scan._CLASS_HEAD.pattern.replace(r")\s*", r")(?=\s*$)"),
    "mnemonic": scan._MNEMONIC.pattern,
    "braceid": scan._BRACE_ID.pattern,
    "worker": scan._WORKER.pattern,
    "cpuworld": scan._CPU_WORLD.pattern,
    "pprogram": scan._PADDED_PROGRAM.pattern,
    "tlevel": scan._TITLE_LEVEL.pattern,
    "nthread": scan._NAMED_THREAD.pattern,
    "corr": r"\[[\w\-]{0,64}\]",
    "psource": scan._PAREN_SOURCE.pattern,
    "inmodule": scan._IN_MODULE.pattern,
    "uptimec": scan._UPTIME_COLON.pattern,
    "tabname": scan._TAB_NAME.pattern,
    "dcaller": scan._CALLER.pattern + r" - ",
    "clevel": r"[A-Za-z]{1,11}:?(?=[\s:|,\[\]-]|$)",
    "shead": scan._SOURCE_HEAD.pattern.replace(r")\s*", r")(?=\s*$)"),
    "semi": f"(?:{scan._SEMI_FIELDS.pattern}|;)",
}
# Kinds whose text names something; when that text is a level keyword, the line says more
# than the layout knows, and the layout does not apply.
_NAMING_KINDS = frozenset(
    {"comp", "bracket", "pipe", "headerish", "column", "dash", "host", "thread"}
)


_ENDS_HEADER = frozenset(
    {
        "run",
        "nlevel",
        "clevel",
        "shead",
        "pprogram",
        "mnemonic",
        "cpuworld",
        "tlevel",
        "inmodule",
        "uptimec",
        "semi",
        "glib",
        "lcbrief",
        "msource",
    }
)
"""Kinds after which the scanner always lets the message start."""


# A component learned in one word ("imap-login:") is not "host program[pid]:" on a later line
_ONE_WORD_COMP = _KIND_REGEX["comp"].replace(r"(?: [^\s\[\]:]+)?", "")
_WS = re.compile(r"\s*")
_COLUMNS = 4
"""Tokens at the start of a layout's messages whose shapes are compared across its lines."""
_LEARN_AFTER = 3
"""Lines of a layout seen before its columns are trusted."""
_MAX_COLUMN_VALUES = 64
"""Values of one column a saved state may bring back (a column counts the tokens of at most
:data:`_LEARN_AFTER` lines)."""
_LEARN_EARLY = 2
"""Lines of a layout enough to trust columns that no sentence starts with: each one a level,
or a token with a digit, a bracket or punctuation in it (``kid1|``, ``main.go:41:``,
``[initandlisten]``, ``#``), not a plain word (``ok:`` / ``fatal:`` open messages too)."""
_SHAPE_CLASSES = str.maketrans(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
    "A" * 26 + "a" * 26 + "0" * 10,
)
_RUNS = re.compile(r"(.)\1+")
_ADDRESS = re.compile(r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}")
_SNAKE = re.compile(r"a+(?:_a+)+")
_CLOSERS = {"(": ")", "[": "]", "{": "}", "<": ">"}
_CODE = re.compile(r"[A-Z]+-?0[.:]?")  # "AH00126:", "WFLYSRV0049:", "ORA-00942:": a message's
_DOTTED_SHAPE = re.compile(r"[Aa_][Aa0_]*(?:[.][Aa0_]+)+")
"""The shape of a dotted name (``svc.db``, ``org.acme.Store``): a logger's, a module's."""
_LEVEL_INITIALS = {
    "T": "TRACE", "D": "DEBUG", "V": "DEBUG", "I": "INFO", "N": "NOTICE",
    "W": "WARNING", "E": "ERROR", "C": "CRITICAL", "F": "CRITICAL",
}  # fmt: skip
"""A level column of one letter: each letter the initial of the level words loggers share."""


def _token_shape(token: str) -> str:
    """A token's shape: its runs of upper-case letters, lower-case letters and digits as
    ``A``, ``a``, ``0`` (``etcdmain:`` is ``a:``, ``#12`` is ``#0``); a group in brackets is its
    brackets (``[initandlisten]`` and ``[conn12]`` are ``[]``), or ``""`` (no column) when it
    holds words of a sentence; one punctuation mark is ``.`` (``#``, ``*``)."""
    first, last = token[:1], token[-1:]
    if first in "\"'`":
        return ""  # a quoted value is the message's
    if first in _CLOSERS and last == _CLOSERS[first]:
        inner = token[1:-1].split()
        if not any(c.isalnum() for c in token) or (
            len(inner) > 1 and not all(scan._KV.fullmatch(w) for w in inner)
        ):
            return ""  # marks ("[**]"), or words of a sentence in brackets
        if _ADDRESS.search(token):
            return ""  # a peer's address ("(10.0.0.5[10.0.0.5])"): what the message is about
        return first + last
    if len(token) == 1 and not token.isalnum():
        return "."
    shape = token.translate(_SHAPE_CLASSES)
    if len(shape) > _MAX_KEY_CHARS:
        return _RUNS.sub(r"\1", _SNAKE.sub("a", shape))
    return _shape_runs(shape)


@lru_cache(maxsize=4096)
def _shape_runs(shape: str) -> str:
    """A token's shape (:func:`_token_shape`) from its text with letters as ``A``/``a`` and
    digits as ``0``: tokens of a few shapes recur, so each is worked out once."""
    return _RUNS.sub(r"\1", _SNAKE.sub("a", shape))


_GLUED_GROUP = re.compile(r"[Aa0]+(?:\[[Aa0]+\]|\([Aa0]+\))")
"""The shape of a name or number with a group glued to it: ``0[A]``, ``a[0]``, ``a(a)``."""


def _column_level(values: set[str]) -> bool:
    """Whether a column's values are all levels: level words, or the letters of
    :data:`_LEVEL_INITIALS`."""
    return bool(values) and all(_value_level(v) is not None for v in values)


def _value_level(value: str) -> str | None:
    word = value.strip("[]()<>{}:| ")
    if len(word) == 1:
        return _LEVEL_INITIALS.get(word)
    return scan.LEVELS.get(word.upper()) if word.isalpha() else None


class _Columns:
    """The first tokens of the messages a layout gave, compared across its lines: a source's
    header may go on past what the scanner read (a level letter and a facility, ``I CONTROL
    [initandlisten] ...``; a level letter and a pipe, ``I | etcdmain: ...``; a thread id,
    ``#0 ...``). Columns whose shape stays the same on every line, while a column after them
    varies, are header, as long as they are not words of a sentence (a column of plain words
    is header only between others, and a code such as ``AH00126:`` opens the message) and the
    last one closes the header (a level, a separator, a group in brackets, a name with a
    colon...). Learned after :data:`_LEARN_AFTER` lines; the layout then strips them from
    every line of its source whose tokens have those shapes."""

    __slots__ = ("learned", "levels", "seen", "shapes", "take", "taught", "values")

    def __init__(self, levels: bool) -> None:
        self.levels = levels  # whether a column may hold the level (the header named none)
        self.seen: set[str] = set()  # the lines counted, up to their numbers
        self.shapes: list[str | None] = []  # None: varied
        self.values: list[set[str]] = [set() for _ in range(_COLUMNS)]
        self.take = 0
        self.learned = False
        self.taught: list[tuple[str, int]] = []  # the lines counted, and where their messages start

    def export(self) -> dict[str, Any]:
        """What the columns learned, as JSON values (see :meth:`load`)."""
        return {
            "levels": self.levels,
            "seen": sorted(self.seen),
            "shapes": list(self.shapes),
            "values": [sorted(v) for v in self.values],
            "take": self.take,
            "learned": self.learned,
            "taught": [[line, pos] for line, pos in self.taught],
        }

    def load(self, data: Any) -> None:
        """Take back what :meth:`export` gave (validated; ``ValueError`` when malformed)."""
        if not isinstance(data, dict):
            raise ValueError("layout columns must be an object")
        seen, shapes, values = data.get("seen"), data.get("shapes"), data.get("values")
        take, levels, learned = data.get("take"), data.get("levels"), data.get("learned")
        if not (
            isinstance(seen, list)
            and len(seen) <= _LEARN_AFTER
            and all(isinstance(k, str) for k in seen)
            and isinstance(shapes, list)
            and len(shapes) in ((_COLUMNS,) if seen else (0, _COLUMNS))
            and all(x is None or isinstance(x, str) for x in shapes)
            and isinstance(values, list)
            and len(values) == _COLUMNS
            and all(isinstance(v, list) and all(isinstance(x, str) for x in v) for v in values)
            and isinstance(take, int)
            and 0 <= take <= (len(shapes) if shapes else 0)
            and isinstance(levels, bool)
            and isinstance(learned, bool)
        ):
            raise ValueError("malformed layout columns")
        taught = data.get("taught", [])
        if not (
            isinstance(taught, list)
            and len(taught) <= _LEARN_AFTER
            and all(
                isinstance(t, list)
                and len(t) == 2
                and isinstance(t[0], str)
                and isinstance(t[1], int)
                and 0 <= t[1] <= len(t[0])
                for t in taught
            )
        ):
            raise ValueError("malformed layout columns")
        self.taught = [(line, pos) for line, pos in taught]
        self.levels, self.learned, self.take = levels, learned, take
        self.seen = set(seen)
        self.shapes = list(shapes)
        # (a column's values are counted only from the first lines: few of them)
        self.values = [set(v[:_MAX_COLUMN_VALUES]) for v in values]

    def _tokens(self, line: str, pos: int, count: int) -> list[tuple[str, int]]:
        out: list[tuple[str, int]] = []
        while len(out) < count and pos < len(line):
            end = scan._token_end(line, pos)
            if end <= pos:
                break
            out.append((line[pos:end], end))
            pos = _WS.match(line, end).end()  # type: ignore[union-attr]
        return out

    def observe(self, line: str, pos: int) -> None:
        """Count the message of one more line of the layout, starting at ``pos``. Only lines
        that differ beyond their numbers count, and the columns are learned once, from the
        first :data:`_LEARN_AFTER` of them (:data:`_LEARN_EARLY` when the columns are
        unlike words); they then apply to every line of the layout, the ones that taught
        them too (:meth:`_Layout.split` says how those lines read now)."""
        if self.learned:
            return
        key = _DIGIT_RUN.sub("0", line)
        if key in self.seen:
            return
        self.seen.add(key)
        self.taught.append((line, pos))
        tokens = self._tokens(line, pos, _COLUMNS)
        shapes = [_token_shape(t) for t, _ in tokens] + [""] * (_COLUMNS - len(tokens))
        if len(self.seen) == 1:
            self.shapes = list(shapes)
        else:
            self.shapes = [a if a == b else None for a, b in zip(self.shapes, shapes, strict=True)]
        for (token, _), values in zip(tokens, self.values, strict=False):
            values.add(token)
        if len(self.seen) >= _LEARN_AFTER:
            self.take = self._learned()
            self.learned = True
        elif len(self.seen) >= _LEARN_EARLY:
            take = self._learned()
            # (header-like columns after the last that closes may close on a third line: a
            # logger that repeats)
            if take and take == self._run() and not any(self._word(k) for k in range(take)):
                self.take, self.learned = take, True

    def adopt(self, other: _Columns) -> None:
        """Take the columns ``other`` learned (a layout of the same fields: one source)."""
        self.shapes = list(other.shapes)
        self.values = [set(v) for v in other.values]
        self.take, self.learned, self.taught = other.take, True, []

    def _word(self, k: int) -> bool:
        """Whether column ``k`` holds plain words (a colon after them or not), not levels."""
        return not self._level(k) and (self.shapes[k] or "").rstrip(":").isalpha()

    def _run(self) -> int:
        """How many columns from the first are header-like (the most :meth:`_learned` takes)."""
        k = 0
        while k < _COLUMNS and self.shapes[k] and self._header_like(k):
            k += 1
        return k

    def _learned(self) -> int:
        k = self._run()
        if k == _COLUMNS:
            return 0  # nothing varies: the messages are alike, not their headers
        while k and not self._closes(k - 1):
            k -= 1
        return k

    def _level(self, k: int) -> bool:
        return self.levels and _column_level(self.values[k])

    def _header_like(self, k: int) -> bool:
        shape = self.shapes[k] or ""
        if self._level(k):
            return True
        if _CODE.fullmatch(shape):
            return False
        return shape == "A" or not shape.isalpha()

    def _closes(self, k: int) -> bool:
        """A level, a mark or separator, a group in brackets, or a field with a separator
        glued to it closes a header; a value (an address, a number) may be the message's."""
        shape = self.shapes[k] or ""
        if self._level(k) or shape == "." or shape[-1:] == "|":
            return True
        if shape[-1:] == ":":
            # a name and its colon names a source when it varies ("etcdmain:",
            # "etcdserver:"); the same name on every line opens the message ("ciod: ...")
            return len(self.values[k]) > 1
        if shape in ("()", "[]", "{}", "<>"):
            return True
        if (
            not self.levels
            and (shape == "0" or _DOTTED_SHAPE.fullmatch(shape))
            and len(self.values[k]) < len(self.seen)
        ):
            # after the level, a number or a dotted name that repeats while the text after it
            # varies: a process id or a logger on every line ("INFO 4121 svc.db Slow ...")
            return True
        if _GLUED_GROUP.fullmatch(shape) and len(self.values[k]) > 1:
            # a name or number with a group glued to it, varying: a thread and its subsystem
            # on every line ("00[DMN] ...", "08[CFG] ...")
            return True
        last = shape[-1:]  # a bracket it did not open: "file.cc:87]"
        return last in ")]" and shape.count(last) > shape.count("(" if last == ")" else "[")

    def read(self, line: str, pos: int) -> tuple[int, str | None, str | None] | None:
        """Where the message of ``line`` starts past the learned columns at ``pos``, the level
        and the name they hold; None when its tokens do not have the learned shapes. A line
        whose tokens have the shapes of the first columns only loses those, up to the last one
        that closes a header (``info app.api: request-id=... [App] GET /health`` where the
        columns were a level, a logger and a bracket)."""
        tokens = self._tokens(line, pos, self.take + 1)
        if len(tokens) <= self.take:
            return None
        take = self.take
        for k in range(take):
            if _token_shape(tokens[k][0]) != self.shapes[k]:
                take = k
                while take and not self._closes(take - 1):
                    take -= 1
                if not take:
                    return None
                break
        level = name = None
        for k in range(take):
            token = tokens[k][0]
            if self._level(k) or len(token.strip("[]()<>{}:| ")) > 1:
                # (a level word in a column of names is what the line says: it is the level)
                level = level or _value_level(token)
            if not self._level(k) and name is None and token[:1].isalpha():
                name = token.rstrip(":|")
        return _WS.match(line, tokens[take - 1][1]).end(), level, name  # type: ignore[union-attr]


_DELIMITERS: tuple[tuple[str, re.Pattern[str] | None], ...] = (
    ("<>", re.compile(r">[ \t]*<")),
    ("[]", None),
    ("|", re.compile(r"[ \t]*\|[ \t]*")),
    ("\t", re.compile(r"[ \t]*\t[ \t]*")),
)
"""The delimiters a record's columns may be written with, each a name and what separates two
columns: angle-bracket fields (``<a> <b> <message>``: the record's first ``<`` and last ``>``
close the outer fields), bracket groups before the message (``[a] [b: c] message``), pipes
with or without spaces, tabs. (A ``;`` between an object's type and name and the text is
left in the message: ``Job;12.head;Job queued``, as the template corpus writes it.)"""

_DELIM_LEARN_AFTER = 2
"""Lines of a source (differing beyond their numbers) whose messages must all split into
columns the same way before the columns are believed."""

_DELIM_TRIES = 12
"""Lines of a source (differing beyond their numbers) after which, with no two consecutive
ones agreeing on columns, its messages are taken as not delimited."""

_MAX_DELIM_CHARS = 4096
"""Longer messages teach no columns (a source's learning keeps at most two of them)."""

_MAX_DELIM_SOURCES = 1024
"""Sources whose delimited columns are remembered: past it, they are forgotten."""

_MAX_COLUMN_CHARS = 96
"""A header column is short: a longer value is text."""

_PLAIN_WORD = re.compile(r"[A-Za-z][a-z]*(?:'[a-z]+)?[.,:;!?]?")


def _words(value: str) -> int:
    """How much a column reads as free text: its count of plain words when they are at least
    two and half its tokens (else 0)."""
    tokens = value.split()
    words = sum(1 for t in tokens if _PLAIN_WORD.fullmatch(t))
    return words if words >= 2 and 2 * words >= len(tokens) else 0


def _plain_words(value: str) -> int:
    return sum(1 for t in value.split() if _PLAIN_WORD.fullmatch(t))


def _header_column(value: str) -> bool:
    """A column that may be a header field: empty, or short and not text (an id, a name, a
    code, a time, a thread named in a few words)."""
    return len(value) <= _MAX_COLUMN_CHARS and _words(value) == 0


def _balanced(text: str, start: int, stop: int, opener: str, closer: str) -> bool:
    """Whether every ``closer`` in ``text[start:stop]`` closes an ``opener`` before it."""
    depth = 0
    for c in text[start:stop]:
        if c == opener:
            depth += 1
        elif c == closer:
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def _bracket_columns(text: str) -> list[tuple[int, int]] | None:
    """``[a] [b] message``: each group's inside, then the text after the last group."""
    spans: list[tuple[int, int]] = []
    pos = 0
    while pos < len(text) and text[pos] == "[":
        depth, end = 0, -1
        for i in range(pos, min(len(text), pos + 2 * _MAX_COLUMN_CHARS)):
            c = text[i]
            depth += c == "["
            depth -= c == "]"
            if not depth:
                end = i
                break
        if end < 0 or (end > pos + 1 and not any(c.isalnum() for c in text[pos:end])):
            return None  # (a group of marks, "[**]", is no field; an empty one, "[]", is)
        spans.append((pos + 1, end))
        pos = end + 1
        while pos < len(text) and text[pos] in " \t":
            pos += 1
    if len(spans) < 2 or pos >= len(text):
        return None
    spans.append((pos, len(text)))
    return spans


def _stable(rows: list[list[str]], places: set[tuple[int, int]]) -> bool:
    """Whether the columns other than the message hold, when there are any, one column of a
    stable kind: one name or id on every line (a logger, a code, a number) or a field with
    the same label (``tid: 12``), not a detail of the message in a few words or ``key=value``
    pairs (``| action 6``, ``| input=I_NOT_DC``)."""
    lead = min(b for b, _ in places)
    trail = next(iter(places))[1]
    if not lead and not trail:
        return True
    for k in [*range(lead), *range(-trail, 0)]:
        values = [c[k] for c in rows]
        if all(v and not any(ch.isspace() or ch == "=" for ch in v) for v in values):
            return True
        label = values[0].split(" ", 1)[0]
        if label[-1:] == ":" and all(v.startswith(label + " ") for v in values):
            return True  # a labelled field ("tid: 12", "ecid: 0a1b,0")
    return False


def _delimited(text: str, delim: int) -> list[tuple[int, int]] | None:
    """The columns of ``text`` as ``(start, end)`` spans under ``_DELIMITERS[delim]``, or
    ``None`` when it is not written so (fewer than two columns, or an angle field holding a
    stray bracket)."""
    name, rx = _DELIMITERS[delim]
    if rx is None:
        return _bracket_columns(text)
    angle = name == "<>"
    if angle:
        if text[:1] != "<" or text[-1:] != ">":
            return None
        start, stop = 1, len(text) - 1
    else:
        start, stop = 0, len(text)
    spans: list[tuple[int, int]] = []
    for sep in rx.finditer(text, start, stop):
        spans.append((start, sep.start()))
        start = sep.end()
    spans.append((start, stop))
    if angle:
        # one field or more: each holds its brackets in pairs ("<WLS Kernel>")
        if not all(_balanced(text, a, b, "<", ">") for a, b in spans):
            return None
        return spans
    return spans if len(spans) > 1 else None


def _line_key(message: str) -> int:
    """A message up to its numbers, as a number that is the same in every process (a saved
    state carries them: ``hash`` of a string differs between processes)."""
    return zlib.crc32(_DIGIT_RUN.sub("0", message).encode("utf-8", "surrogatepass"))


class _Delimited:
    """The columns a source's messages are written in, when a delimiter separates them
    (``message | logger | thread``, ``<id> <> <code> <message>``, ``[a] [b: c] message``):
    learned from :data:`_DELIM_LEARN_AFTER` consecutive lines of the source that differ beyond
    their numbers (among its first :data:`_DELIM_TRIES`). When each of them splits into
    columns with one delimiter, one column reads as text (the most plain words) at the same
    place counted from the end, every other column is a short field that is not text and one
    of them is of a stable kind (:func:`_stable`), that column is the message: later lines
    whose other columns are such fields lose them (a column of level words after the message,
    or a level word in a column before it, gives the level when the header had none). The
    columns before the message may vary in number (a field the header scanner read on some
    lines only); the message column may hold the delimiter itself when its first part is
    text. The lines read before that keep their columns, and so do later lines equal to one
    of them up to their numbers (the engine's shape cache replays such lines as they were
    read). Bounded: messages longer than :data:`_MAX_DELIM_CHARS` are not learned from, and
    lines are remembered by hash."""

    __slots__ = ("delim", "lead", "learned", "levels", "rows", "seen", "trail")

    def __init__(self) -> None:
        self.seen: set[int] = set()  # hashes of the lines counted, up to their numbers
        self.rows: list[str] = []  # the messages counted
        self.learned = False
        self.delim = -1  # index into _DELIMITERS; -1: none
        self.lead = 0  # the fewest columns seen before the message
        self.trail = 0  # columns after it
        self.levels: set[int] = set()  # trailing columns (from the end) of level words

    def export(self) -> dict[str, Any]:
        """What was learned, as JSON values (see :meth:`load`)."""
        return {
            "seen": sorted(self.seen),
            "rows": list(self.rows),
            "learned": self.learned,
            "delim": self.delim,
            "lead": self.lead,
            "trail": self.trail,
            "levels": sorted(self.levels),
        }

    def load(self, data: Any) -> None:
        """Take back what :meth:`export` gave (validated; ``ValueError`` when malformed)."""
        if not isinstance(data, dict):
            raise ValueError("delimited columns must be an object")
        seen, rows, levels = data.get("seen"), data.get("rows"), data.get("levels")
        learned, delim = data.get("learned"), data.get("delim")
        lead, trail = data.get("lead"), data.get("trail")
        if not (
            isinstance(seen, list)
            and len(seen) <= _DELIM_TRIES
            and all(isinstance(k, int) for k in seen)
            and isinstance(rows, list)
            and len(rows) <= _DELIM_LEARN_AFTER
            and all(isinstance(r, str) and len(r) <= _MAX_DELIM_CHARS for r in rows)
            and isinstance(learned, bool)
            and isinstance(delim, int)
            and -1 <= delim < len(_DELIMITERS)
            and isinstance(lead, int)
            and isinstance(trail, int)
            and 0 <= lead <= _MAX_DELIM_CHARS
            and 0 <= trail <= _MAX_DELIM_CHARS
            and isinstance(levels, list)
            and all(isinstance(k, int) and 1 <= k <= trail for k in levels)
        ):
            raise ValueError("malformed delimited columns")
        self.seen, self.rows, self.learned = set(seen), list(rows), learned
        self.delim, self.lead, self.trail, self.levels = delim, lead, trail, set(levels)

    def observe(self, message: str) -> None:
        if self.learned or len(message) > _MAX_DELIM_CHARS:
            return
        key = _line_key(message)
        if key in self.seen:
            return
        self.seen.add(key)
        self.rows = [*self.rows[1 - _DELIM_LEARN_AFTER :], message]
        if len(self.rows) >= _DELIM_LEARN_AFTER:
            self._learn()
            # (the last lines are tried until they agree, a few times: another source's
            # line among them, one that shares the layout, does not settle it)
            self.learned = self.delim >= 0 or len(self.seen) >= _DELIM_TRIES
            if self.learned:
                self.rows = []
                # the lines read before keep their columns, and so do lines equal to them up
                # to their numbers (the engine replays those as they were read); the line
                # that decided loses them
                self.seen.discard(key)
                if self.delim < 0:
                    self.seen = set()

    def _learn(self) -> None:
        for d in range(len(_DELIMITERS)):
            split = [_delimited(m, d) for m in self.rows]
            if any(s is None for s in split):
                continue
            rows = [
                [m[a:b].strip() for a, b in s or ()] for m, s in zip(self.rows, split, strict=True)
            ]
            places = set()
            for columns in rows:
                text = [(_words(c), _plain_words(c)) for c in columns]
                best = max(range(len(columns)), key=lambda k: (text[k], -k))
                others = columns[:best] + columns[best + 1 :]
                if not text[best][1] or not all(_header_column(c) for c in others):
                    break
                places.add((best, len(columns) - 1 - best))
            else:
                trails = {t for _, t in places}
                if len(trails) != 1 or not _stable(rows, places):
                    continue
                self.delim, self.trail = d, trails.pop()
                self.lead = min(b for b, _ in places)
                self.levels = {
                    k
                    for k in range(1, self.trail + 1)
                    if all(_value_level(c[-k]) is not None for c in rows)
                }
                return

    def read(self, message: str) -> tuple[int, int, str | None] | None:
        """Where the message column is in ``message`` (start, end) and the level a column of
        levels after it gave; ``None`` when the line's other columns are not such fields."""
        if self.delim < 0 or (self.seen and _line_key(message) in self.seen):
            return None
        spans = _delimited(message, self.delim)
        lead, trail = self.lead, self.trail
        if spans is None or len(spans) < lead + trail + 1:
            return None
        if not all(_header_column(message[a:b].strip()) for a, b in spans[len(spans) - trail :]):
            return None
        last = len(spans) - trail - 1  # the message's last column
        if all(_header_column(message[a:b].strip()) for a, b in spans[:last]):
            lead = last  # the one column before the trailing ones
        elif not all(_header_column(message[a:b].strip()) for a, b in spans[:lead]):
            return None
        level = None
        for k in sorted(self.levels):
            a, b = spans[-k]
            level = level or _value_level(message[a:b])
        for a, b in spans[:lead]:  # a column of the header before the message: "| INFO  |"
            level = level or _value_level(message[a:b])
        start, end = spans[lead][0], spans[last][1]
        while start < end and message[start].isspace():
            start += 1
        return start, len(message[:end].rstrip()), level


class _Found:
    """What a :class:`_RunStep` matched (the part of ``re.Match`` a layout reads)."""

    __slots__ = ("_end", "_start", "_text")

    def __init__(self, text: str, start: int, end: int) -> None:
        self._text, self._start, self._end = text, start, end

    def group(self) -> str:
        return self._text

    def start(self) -> int:
        return self._start

    def end(self) -> int:
        return self._end


class _RunStep:
    """A layout's step over a run of general header fields (``header._field_run``): the
    tokens vary in width and may hold spaces in brackets, so no regular expression replays
    them; the run is read again and must have the same kinds of tokens."""

    __slots__ = ("found", "kinds")

    def __init__(self, kinds: tuple[str, ...]) -> None:
        self.kinds = kinds
        self.found: tuple[int, str | None, str | None] | None = None
        """The last run read: its end, level and name (the layout reads them next)."""

    def match(self, line: str, pos: int) -> _Found | None:
        found = self.found = scan.replay_run(line, pos, self.kinds)
        return None if found is None else _Found(line[pos : found[0]], pos, found[0])


@lru_cache(maxsize=1024)
def _compiled(source: str) -> re.Pattern[str]:
    """Layouts learned again (a source's lines of a new shape) share their compiled regex."""
    return re.compile(source)


def _gap(text: str, final: bool) -> str:
    out = []
    for part in re.split(r"(\s+)", text):
        if not part:
            continue
        out.append((r"(?:\s+|$)" if final else r"\s+") if part.isspace() else re.escape(part))
    return "".join(out)


def _names_a_level(kind: str, text: str) -> bool:
    word = text.strip("[]()<>|:- ")
    if kind == "comp":
        word = word.split("[", 1)[0]
    return (
        word.isalpha() and word.upper() in scan.LEVELS and word in (word.upper(), word.capitalize())
    )


_ProbeState = tuple[bool, bool, bool, bool, bool]
"""What a layout read, as far as the scanner's next step depends on it: whether it has a
timestamp, a level, a component, a pid, and whether the component is a thread a logger may
still replace."""


class _Layout:
    """A header layout learned from one scanned line: replayed on the next lines of the same
    source field by field, each field kind's regular expression compiled once per process,
    which is much cheaper than scanning them.

    A layout is a guess about a line, never a verdict: it does not apply when a field it
    names holds a level keyword (``ERROR:`` where ``LOG:`` was), or when the scanner, asked
    where the layout stops, would read more header there."""

    __slots__ = (
        "by_stamp",
        "columns",
        "far_probes",
        "has_host",
        "has_stamp",
        "host_due",
        "kinds",
        "last_end",
        "last_fields",
        "last_stamps",
        "learned_from",
        "level_colons",
        "levels",
        "moved",
        "name",
        "probe_widths",
        "probes",
        "stamp_checks",
        "steps",
        "syslog_stamp",
        "tagged",
        "tail",
    )

    def __init__(self, s: scan._Scan) -> None:
        steps: list[tuple[re.Pattern[str], re.Pattern[str] | _RunStep]] = []  # (gap, field)
        prev = 0
        self.last_stamps: list[tuple[int, int, int]] = []
        self.last_end = 0  # where the header of the last line split ended
        self.kinds: list[tuple[str, int]] = []  # (kind, timestamp shape or -1)
        for start, end, kind in s.spans:
            gap = _gap(s.line[prev:start], final=False)
            shape = -1
            if kind.startswith("[ts"):
                shape = int(kind[3:])
                rx = r"\[" + shape_regex(shape) + r"\]"
            elif kind.startswith("ts"):
                shape = int(kind[2:])
                rx = shape_regex(shape)
            elif kind == "tag":
                # A tag before the timestamp is a fixed word, up to its digits.
                rx = _DIGIT_RUN.sub(r"\\d+", re.escape(s.line[start:end]))
            elif kind == "lead":
                rx = r"\S{1,64}" + r"\s+\S{1,64}" * (len(s.line[start:end].split()) - 1)
            elif kind == "comp" and " " not in s.line[start:end]:
                # a program named in one word ("imap-login:") is not "host program[pid]:"
                rx = _ONE_WORD_COMP
            elif kind == "run":
                steps.append((_compiled(gap), _RunStep(s.run)))
                self.kinds.append((kind, shape))
                prev = end
                continue
            else:
                rx = _KIND_REGEX[kind]
            steps.append((_compiled(gap), _compiled(rx)))
            self.kinds.append((kind, shape))
            prev = end
        self.steps = steps
        self.last_fields = [(start, end) for start, end, _ in s.spans]  # of the last line split
        self.name = " ".join(kind for kind, _ in self.kinds)  # HeaderDetector.last_layout
        # levels read with their colon ("info:"): a line whose level word has none ("debug 1:")
        # is not of this layout
        self.level_colons = frozenset(
            k
            for k, (start, end, kind) in enumerate(s.spans)
            if kind == "level" and s.line[start:end].endswith(":")
        )
        self.tail = _compiled(_gap(s.line[prev : s.pos], final=True))
        self.tagged = bool(self.kinds) and self.kinds[0][0] == "tag"
        # A syslog time ("Mar  2 10:00:00") last: the scanner would read a host next.
        self.has_stamp = any(shape >= 0 for _, shape in self.kinds)
        # (whether a host follows is read on each line: the same shape may end with a year)
        self.host_due = (
            bool(s.spans) and s.spans[-1][2].startswith("ts") and s.line[s.spans[-1][0]].isalpha()
        )
        self.has_host = any(kind == "host" for kind, _ in self.kinds)
        self.syslog_stamp = any(
            kind.startswith("ts") and s.line[start].isalpha() for start, _, kind in s.spans
        )
        self.probes: dict[tuple[str, _ProbeState, bool, int], bool] = {}
        # Starts of messages whose probes looked past _PROBE_CHARS (a run of general fields
        # reads whole tokens and words ahead): how far, and the answers by that longer text
        self.probe_widths: dict[tuple[str, _ProbeState, bool, int], int] = {}
        self.far_probes: dict[tuple[str, _ProbeState, bool, int], bool] = {}
        self.stamp_checks: dict[tuple[int, str], bool] = {}
        self.levels = s.level is None
        key = _stamp_key(s.line[a:b] for a, b, kind in s.spans if kind.startswith(("ts", "[ts")))
        self.columns = _Columns(self.levels)
        self.columns.observe(s.line, _WS.match(s.line, s.pos).end())  # type: ignore[union-attr]
        # What the layout was built from, for a saved state (see export): the header's text,
        # its fields, where it ended, whether it had a level, the kinds of a run of fields.
        self.learned_from = (s.line[: s.pos], tuple(s.spans), s.pos, s.level is None, s.run)

        # The columns of each source the layout reads, told apart by how its timestamps are
        # written (interleaved sources often share a layout such as "time, text")
        self.by_stamp: dict[str, _Columns] = {key: self.columns}
        self.moved: list[tuple[str, str, str]] | None = None
        """Set when the columns were learned: the lines that taught them, with their messages
        as they were split and as they split now (see :attr:`HeaderDetector.moved`)."""

    def export(self) -> dict[str, Any]:
        """The layout as JSON values: the header it was learned from and its columns (see
        :func:`_layout_from`)."""
        text, spans, pos, no_level, run = self.learned_from
        return {
            "header": text,
            "spans": [list(span) for span in spans],
            "end": pos,
            "no_level": no_level,
            "run": list(run),
            "columns": self.columns.export(),
            # each source's columns (see by_stamp); null: the layout's first ones, above
            "by_stamp": [
                [key, None if columns is self.columns else columns.export()]
                for key, columns in self.by_stamp.items()
            ],
        }

    def split(
        self,
        line: str,
        default_year: int,
        stamps: dict[str, datetime | None],
        plans: PlanCache,
        upto: int = 0,
    ) -> tuple[Header, str] | None:
        """``(header, message)`` of ``line`` read with this layout, or None when it does not
        apply. ``upto``: read only that many of its fields, whatever follows them is message
        (the line's source is known to write those fields and then its message,
        :meth:`HeaderDetector._demoted`): the scanner is not asked whether more header
        follows and no learned columns apply."""
        kinds = self.kinds[:upto] if upto else self.kinds
        parts: list[tuple[str, int, int]] = []  # each field's text, start, end
        pos = 0
        for gap, rx in self.steps[:upto] if upto else self.steps:
            g = gap.match(line, pos)
            f = rx.match(line, g.end()) if g is not None else None
            if f is None:
                return None
            parts.append((f.group(), f.start(), f.end()))
            pos = f.end()
        last = pos
        tail = _WS.match(line, pos) if upto else self.tail.match(line, pos)
        if tail is None:
            return None
        end = tail.end()
        timestamp: datetime | None = None
        level = host = component = pid = None
        thread = False  # the component came from a bracket, and a logger may still name it
        priority = None
        seen_level = False
        after_logger = False  # a bracket right after a logger holds context, as the scanner reads
        for k, ((kind, shape), (text, field_start, field_end)) in enumerate(
            zip(kinds, parts, strict=True)
        ):
            if shape >= 0:
                bracketed = kind[0] == "["
                if not self._scanned_alike(
                    line,
                    field_start + bracketed,
                    field_end - bracketed,
                    shape,
                    default_year,
                ):
                    return None  # the scanner reads another timestamp here (a longer one)
                # a date whose order its source settles is read in its source's context
                context = (
                    source_context(line, field_start + bracketed)
                    if shape in ORDERED_SHAPES
                    else None
                )
                key = text if context is None else f"{context}\0{text}"
                if key in stamps:
                    value = stamps[key]
                else:
                    inner = text[1:-1] if bracketed else text
                    plan = plan_for(inner, 0, shape, default_year, plans, context)
                    value = plan.read(inner) if plan is not None else None
                    if len(stamps) > 4096:
                        stamps.clear()
                    stamps[key] = value
                if value is not None and (
                    timestamp is None or scan._date_only_fix(timestamp, value)
                ):
                    timestamp = value
            elif kind in _NAMING_KINDS and _names_a_level(kind, text):
                return None  # what the line says overrules what the layout learned
            elif kind == "pprogram":
                padded = scan._PADDED_PROGRAM.fullmatch(text)
                if padded is None:
                    return None
                component, pid = padded.group(1), pid or padded.group(2)
            elif kind == "glib":
                glib = scan._GLIB_HEAD.fullmatch(text)
                if glib is None:
                    return None
                probe = scan._Scan(line, 0)
                scan.glib_header(probe, glib)
                level, component, pid = probe.level, probe.component, probe.pid
                seen_level = level is not None
            elif kind == "lcbrief":
                brief = scan._LOGCAT_BRIEF.fullmatch(text)
                if brief is None:
                    return None
                probe = scan._Scan(line, 0)
                scan.logcat_header(probe, brief)
                level, component, pid = probe.level, probe.component, probe.pid
                seen_level = True
            elif kind == "shead" or kind == "tabname":
                component = text
            elif kind == "dcaller":
                component = component or text[:-3].rstrip(":]")
            elif kind == "inmodule":
                component = text[3:-1]
            elif kind == "tlevel":
                title = scan._TITLE_LEVEL.match(text)
                if title is None:
                    return None
                level = scan._TITLE_LEVELS.get(title.group(1), "ERROR")
                seen_level = True
            elif kind == "level" or kind == "clevel":
                word = text.strip("[]()<>: ")
                named = scan.LEVELS.get(word.upper())
                if named is None and len(word) == 1 and kind == "level":
                    named = scan._SINGLE_LETTER_LEVELS.get(word)  # logcat's "D", MongoDB's "I"
                if named is None or (kind == "clevel" and not word.isupper()):
                    return None  # not a level word: this line is not of this layout
                if (k in self.level_colons) != text.endswith(":"):
                    return None  # a level read with its colon, or without: another layout
                if word == "Fatal" and scan._TITLE_LEVEL.match(line, field_start) is not None:
                    return None  # "Fatal error:" is a title the scanner reads whole
                level = named
                seen_level = True
            elif kind == "tag":
                priority = scan._tag_level(text)
            elif kind == "glead":
                word = text[:-1]
                if word.isalpha() and word in (word.upper(), word.capitalize()):
                    priority = scan.LEVELS.get(word.upper())
            elif kind == "pri":
                priority = scan._pri_level(text)
            elif kind == "npidtid":
                component, pid, _ = text.split(" ", 2)
            elif kind == "mark":
                priority = priority or scan._MARK_LEVELS[text]
            elif kind == "plevel":
                level = scan._pipe_level(text[1:].strip()) or level
            elif kind == "letter":
                level = scan._SINGLE_LETTER_LEVELS.get(text, level)
            elif kind == "comp":
                comp = scan._COMPONENT_COLON.fullmatch(text)
                if comp is None:
                    return None
                if "0x" in text and seen_level:
                    return None  # "C-0x55d0c2a1e0a0:" after the level: an address, message
                channel = scan._CHANNEL_LEVEL.match(line, field_start)
                if channel is not None and channel.group(2) in scan.LEVELS:
                    return None  # "app.INFO:" names a level the layout does not know
                component = comp.group("comp") or comp.group("comp2")
                pid = comp.group("pid") or comp.group("pid2") or pid
                if level is None and "/" in component:
                    named, component = scan.component_level(component)
                    level, seen_level = named, seen_level or named is not None
                thread = False
            elif kind == "blevel":
                named = scan._bracket_level(text[1:-1])
                if named is None:
                    return None  # the bracket names no level in this line
                if text[1:2].isdigit() and match_timestamp_shape(text, 1, default_year):
                    return None  # a bracket opening with a time: the scanner reads it all
                level, seen_level = named, True
                if timestamp is None and "/" in text:
                    timestamp = compact_field_time(text[1:-1], default_year)
            elif kind == "pipe" or kind == "bracket":
                inner = text[1:].strip() if kind == "pipe" else text[1:-1]
                if (
                    seen_level
                    and kind == "bracket"
                    and not scan._header_bracket(inner, line, field_end, after_logger)
                ):
                    return None  # after the level only some brackets are header
                thread = thread or (kind == "bracket" and component is None)
                named = scan._bracket_level(inner) if level is None else None
                if named is not None:
                    level = level or named
                    seen_level = True
                elif inner.isdigit():
                    pid = pid or inner
                elif inner.startswith("pid ") and kind == "bracket":
                    pid = pid or inner[4:].split(":")[0].strip() or None
                elif component is None and inner.strip():
                    component = inner.strip()
            elif kind == "bletter":
                level = level or scan._BRACKET_LETTERS.get(text[1:].strip())
            elif kind == "bctx":
                lvl2, comp2, pid2 = scan._bracket_context(text)
                level, component, pid = level or lvl2, component or comp2, pid or pid2
            elif kind == "ndash":
                component = text.rsplit("-", 1)[0].strip()
                thread = False
            elif kind == "dash":
                component = text.rsplit("-", 1)[0].strip()
            elif kind == "pid":
                pid = pid or text
            elif kind == "pidtid":
                pid = pid or text.split("#", 1)[0].rstrip(":")
            elif kind == "rfc5424":
                fields = text.split(" ", 3)
                host = None if fields[0] == "-" else fields[0]
                component = None if fields[1] == "-" else fields[1]
                pid = None if fields[2] == "-" else fields[2]
            elif kind == "host":
                if (
                    k
                    and self.kinds[k - 1][1] >= 0
                    and line[parts[k - 1][1]].isalpha()
                    and not scan.host_follows(line, parts[k - 1][1], parts[k - 1][2])
                ):
                    return None  # a C ctime() stamp ends with its year: no host follows it
                if (
                    k
                    and self.kinds[k - 1][1] >= 0
                    and not line[parts[k - 1][1]].isalpha()
                    and k + 1 < len(parts)
                    and self.kinds[k + 1][0] == "comp"
                    and "[" not in parts[k + 1][0]
                    and scan._HOST_NAME.fullmatch(text) is None
                ):
                    # (as the scanner reads it: after a time that is not syslog's, a plain
                    # word before "name:" is the message's, "<time> init message: Done")
                    return None
                host = host or text
            elif kind == "headerish":
                if text.isupper() and text.isalpha():
                    component = text
                elif host is None:
                    host = text
            elif kind in ("logger", "caller"):
                component = text.rstrip(":]")  # a logger after a thread's bracket names it
                thread = False
                after_logger = after_logger or kind == "logger"
            elif kind == "column":
                component = component or text
            elif kind == "program":
                component, _, rest = text.partition("[")
                pid = pid or rest.rstrip("]").split(":", 1)[0]
                thread = False
            elif kind == "gpid":
                pid = pid or text[:-1]
            elif kind == "bcaller":
                component = text[1:-1]
            elif kind == "event":
                component = text
            elif kind == "glued":
                component = text[:-1]
            elif kind == "lpipe":
                level, seen_level = scan._LETTER_PIPE_LEVELS[text[0]], True
            elif kind == "chlevel":
                # (matched in the line: the expression looks at the space after the field)
                channel = scan._CHANNEL_LEVEL.match(line, field_start)
                named = scan.LEVELS.get(channel.group(2)) if channel is not None else None
                if channel is None or named is None:
                    return None
                component, level, seen_level = channel.group(1), named, True
            elif kind == "rhead" or kind == "chead":
                component = text
            elif kind == "plogger":
                component = text.rsplit(":", 1)[0].strip()
                thread = False
            elif kind == "pcaller":
                caller = scan._PIPE_CALLER.match(text, 1)  # "| name:function:line - "
                component = component or (caller.group(1) if caller is not None else None)
            elif kind == "lline":
                component = text.rsplit(":", 1)[0]
                thread = False
            elif kind == "nlevel":
                level, seen_level = scan.LEVELS[text[:-2].upper()], True
            elif kind == "pcolumn":
                component = component or text.strip("| ")
            elif kind == "tcolumn":
                component = text
            elif kind == "epid" or kind == "cpuworld":
                pid = pid or (text if kind == "epid" else text.split(":", 1)[1][:-1])
            elif kind == "mnemonic":
                mnemonic = scan._MNEMONIC.fullmatch(text)
                if mnemonic is None:
                    return None
                level = scan._SYSLOG_SEVERITIES[int(mnemonic.group(2))]
                component, seen_level = component or mnemonic.group(1), True
            elif kind == "ppid":
                paren = scan._PAREN_PID.match(line, field_start)
                pid = pid or (paren.group(1) if paren is not None else None)
            elif kind == "run":
                run = self.steps[k][1].found  # type: ignore[union-attr]
                if run is not None:
                    level = level or run[1]
                    seen_level = seen_level or run[1] is not None
                    component = component or run[2]
        state = (
            timestamp is not None or self.has_stamp,
            level is not None,
            component is not None,
            pid is not None,
            thread,
        )
        due = self.host_due and scan.host_follows(line, parts[-1][1], parts[-1][2])
        if not upto and self._more_header(line, last, end, state, due):
            return None
        last_stamps = []
        texts = []  # the timestamps' text
        for (_, shape), (text, a, b) in zip(kinds, parts, strict=True):
            if shape >= 0:
                last_stamps.append((a, b, shape))
                texts.append(text)
        self.last_stamps = last_stamps
        self.last_fields = [(a, b) for _, a, b in parts]
        columns = self.columns
        if not upto:
            key = _stamp_key(texts)
            found = self.by_stamp.get(key)
            if found is None:
                if len(self.by_stamp) >= _STAMP_KEYS:
                    self.by_stamp.clear()
                found = self.by_stamp[key] = _Columns(self.levels)
            columns = self.columns = found
            if not columns.learned:
                columns.observe(line, end)
                if columns.learned:
                    self.moved = self._moved(line)
        if not upto and columns.take:
            read = columns.read(line, end)
            if read is not None:
                end, named, name = read
                level = level or named
                component = component or name
        self.last_end = end
        message = scan._without_context(line[end:].strip())
        if not message and self.tagged:
            message = parts[0][0]
        return Header(timestamp, level or priority, host, component, pid), message

    def _moved(self, line: str) -> list[tuple[str, str, str]]:
        """The lines that taught the columns, other than ``line`` (the one that completed
        them), that the columns split otherwise: each one with its message as it was split,
        and as it splits now."""
        columns = self.columns
        taught, columns.taught = columns.taught, []
        if not columns.take:
            return []
        out = []
        for before, pos in taught:
            read = columns.read(before, pos) if before is not line else None
            if read is not None:
                old = scan._without_context(before[pos:].strip())
                out.append((before, old, scan._without_context(before[read[0] :].strip())))
        return out

    def _scanned_alike(
        self, line: str, start: int, end: int, shape: int, default_year: int
    ) -> bool:
        """Would the scanner read the same timestamp (shape and extent) at ``start``? A layout
        learned from a date and a time read apart (``2026-03-02 10:1:1``) must not cut a full
        timestamp with its zone in two. Asked once per text up to its digits."""
        key = (shape, zero_digits(line[start : start + 48]))
        known = self.stamp_checks.get(key)
        if known is None:
            found = match_timestamp_shape(line, start, default_year)
            known = found is not None and found[2] == shape and found[1] == end
            if len(self.stamp_checks) > 4096:
                self.stamp_checks.clear()
            self.stamp_checks[key] = known
        return known

    def _more_header(
        self, line: str, end: int, tail_end: int, state: _ProbeState, host_due: bool
    ) -> bool:
        """Would the scanner read another header field where this layout's last field ends
        (``end``; its header ends at ``tail_end``, after the separators that follow), given
        what the layout read (``state``)? Asked once per start of message up to its digits
        and per state: the answer depends on the next few tokens, or on as many characters
        as the probe looked at (a run of general fields reads whole tokens ahead)."""
        if end >= len(line):
            return False
        key = (
            zero_digits(line[end : end + _PROBE_CHARS]),
            state,
            host_due,
            tail_end - end,
        )
        known = self.probes.get(key)
        if known is not None:
            return known
        width = self.probe_widths.get(key)
        far: tuple[str, _ProbeState, bool, int] | None = None
        if width is not None:
            far = (zero_digits(line[end : end + width]), *key[1:])
            known = self.far_probes.get(far)
            if known is not None:
                return known
        probe = scan._Scan(line, 2000, pos=end)  # a throwaway scan: only what it adds counts
        known = self._probe(probe, line, end, tail_end, state, host_due)
        looked = probe.reach - end
        if len(self.probes) > 4096 or len(self.far_probes) > _FAR_PROBES:
            self.probes.clear()
            self.probe_widths.clear()
            self.far_probes.clear()
        if looked <= _PROBE_CHARS:
            self.probes[key] = known
            return known
        if looked > _FAR_PROBE_CHARS:
            return known  # (a token of hundreds of characters: asked again, not kept)
        # (the same text up to where this probe looked gives the same answer)
        if width is None or looked > width:
            width = self.probe_widths[key] = looked
            far = None
        if far is None:
            far = (zero_digits(line[end : end + width]), *key[1:])
        self.far_probes[far] = known
        return known

    def _probe(
        self,
        probe: scan._Scan,
        line: str,
        end: int,
        tail_end: int,
        state: _ProbeState,
        host_due: bool,
    ) -> bool:
        has_timestamp, has_level, has_component, has_pid, thread = state
        probe.has_timestamp = has_timestamp
        probe.level = "INFO" if has_level else None
        probe.component = "?" if has_component else None
        probe.pid = "?" if has_pid else None
        probe.tentative = thread
        probe.host = "?" if self.has_host else None
        probe.syslog_stamp = self.syslog_stamp
        probe.spans.append((end, end, self.kinds[-1][0] if self.kinds else ""))  # what came last
        if self.kinds and self.kinds[-1][0] == "bctx" and line.startswith(": ", end):
            probe.pos = end + 1  # the scanner takes the colon after such a bracket ("... ]: ")
        start = scan._WS.match(line, end).end()  # type: ignore[union-attr]
        if self.kinds and self.kinds[-1][0] in _ENDS_HEADER:
            return False
        last = self.kinds[-1][0] if self.kinds else ""
        before = self.kinds[-2][0] if len(self.kinds) > 1 else ""
        if (
            last in _MESSAGE_NEXT
            or (last == "sep" and line[end - 1] == ":")  # "logger : message"
            or (last == "uptime" and before == "comp")  # "kernel: [   12.345678] message"
        ):
            return False  # the scanner reads the message after such a field
        if last == "caller" and not has_level and before and self.kinds[-2][1] >= 0:
            # a source position right after the time: the scanner reads on only for a level
            return scan._level_soon(line, end, 1)
        if last == "blevel" and scan._BRACKET_SOURCE.search(line, max(0, end - 96), end):
            return False  # "[...:INFO:file.cc(52)] Name(): ...": a source position closed it
        if last == "ptag":  # "kid1| WARNING: ...": a level with its colon may follow the tag
            level = scan._level_at(line, start)
            return level is not None and line[level[1] - 1] == ":"
        if has_level and self.kinds[-1][0] == "level":
            if line[end - 1] == ":":
                if scan._EVENT_NAME.match(line, end) is not None:
                    return True  # "info: Category[14]": the scanner reads a record's head
                if scan._GLUED_NAME.match(line, end) is not None:
                    return True  # LEVEL:name:message
                return scan._WORKER.match(line, start) is not None  # "[info]: #0 ..."
            if line[end : end + 1] == ":":
                return True  # the scanner takes "LEVEL:" whole
        if (
            has_level
            and line.startswith("[", start)
            and any(kind == "logger" for kind, _ in self.kinds)
            and scan._BRACKET.match(line, start) is not None
        ):
            return True  # after a logger the scanner reads each bracket as context
        if (
            has_level
            and last == "comp"
            and before == "level"
            and scan._SOURCE_MODULE.match(line, start) is not None
            and line[:end].split()[-2:-1] != []
            and line[:end].split()[-2].islower()
        ):
            return True  # the scanner reads swift-log's "[Module]" after "level label:"
        if has_level and last in _NAMED_LAST:
            return False  # the scanner lets the message start after a name that follows a level
        if has_level:
            scan._after_level(probe)
        elif not self.kinds:
            return False
        elif self.kinds[-1][0] in ("comp", "dash"):
            # the scanner ends its header there, but for the kernel's uptime after "kernel:"
            # and a level word with its colon after a program with no host before it
            # ("imap-login: Info: ..."): a layout learned from the program's lines without
            # one must not keep it in the message
            if self.kinds[-1][0] == "dash":
                return False
            if scan._UPTIME.match(line, end) is not None:
                return True
            if has_level or self.has_host:
                return False
            level = scan._level_at(line, start)
            return level is not None and line[level[1] - 1] == ":"
        else:
            # (a bracket that opened with the time ends it, as a closing parenthesis does)
            stamp_last = self.kinds[-1][1] >= 0 or self.kinds[-1][0] in scan._AFTER_ENCLOSED
            # (as the scanner does, a colon right after the time is the time's)
            # (and, as it does, a colon and a space after a bracket that opened with the time)
            colon = (stamp_last and self.kinds[-1][1] >= 0 and scan.stamp_colon(line, end)) or (
                self.kinds[-1][0] == "bctx" and line.startswith(": ", end)
            )
            probe.pos = end + colon
            probe.timestamp_end = probe.pos if stamp_last else -2
            probe.syslog_host_due = host_due
            scan._next_field(probe)
        # (a separator the layout reads after its last field, " - ", is no more header)
        return len(probe.spans) > 1 or probe.pos > max(start, tail_end)


def _stamp_key(texts: Iterable[str]) -> str:
    """How a line's timestamps are written, up to their numbers, words and spacing
    (``2026-03-08T09:12:44+0100`` is ``0-0-0a0:0:0+0``, ``Mar  2 10:00:00`` is ``a 0 0:0:0``)."""
    return " ".join([_stamp_written(t.translate(_SHAPE_CLASSES)) for t in texts])


@lru_cache(maxsize=1024)
def _stamp_written(shape: str) -> str:
    """:func:`_stamp_key` of one timestamp, from its text with letters as ``A``/``a`` and
    digits as ``0`` (the same key as its text's: a source writes its timestamps in a few such
    shapes, so each is worked out once)."""
    return _WORD_RUN.sub("a", _DIGIT_RUN.sub("0", " ".join(shape.split())))


_WORD_RUN = re.compile(r"[A-Za-z]+")


_STAMP_KEYS = 32
"""Ways of writing timestamps whose columns a layout keeps apart (past it, it starts over)."""

_PROBE_CHARS = 65
"""Characters after a layout's last field that decide a probe (:meth:`_Layout._more_header`)
unless it looked further."""
_FAR_PROBE_CHARS = 512
"""Probes that looked further than this are not remembered (their keys would be that long)."""
_FAR_PROBES = 1024
"""Answers of probes that looked past :data:`_PROBE_CHARS` remembered per layout."""

_NAMED_LAST = frozenset({"comp", "plogger", "ndash", "lline", "dcaller", "corr", "glued"})
"""Fields that end the header once a level was read: the component of ``LEVEL name: ...``,
a padded logger before `` : ``, a logger before `` - ``..."""

_MESSAGE_NEXT = frozenset({"mark", "epid", "ppid", "hexlevel", "pcolumn", "npidtid"})
"""Fields after which the scanner always reads the message (a role mark, a process in angle
brackets or parentheses after the level, a debug mask, a source position between pipes)."""


class HeaderDetector:
    """Header detection with memory: every header found by scanning teaches a layout, and
    later lines try the known layouts (most recently useful first) before scanning."""

    def __init__(self, default_year: int, max_layouts: int = 16) -> None:
        self.default_year = default_year
        self.max_layouts = max_layouts
        self._by_lead: dict[str, list[_Layout]] = {}
        self._stamps: dict[str, datetime | None] = {}
        self._plans: PlanCache = {}
        self._headerless: set[str] = set()  # starts of lines found to have no header
        # Per timestamp shape: timestamps read with an AM/PM marker, and without one.
        # (keyed by the shape and the source's own text before the time, digits as "0":
        # interleaved sources of one shape keep their own clocks)
        self._halves: dict[tuple[int, str], list[int]] = {}
        self._year24 = twenty_four_hour(default_year)
        self._dates = getattr(default_year, "dates", None)  # the stream's numeric date order
        self._dates_seen = 0
        self.last_stamps: list[tuple[int, int, int]] = []
        """Where the timestamps of the last line split were: ``(start, end, shape)``; a
        bracketed timestamp's span includes its brackets."""
        self.last_end = 0
        """Where the header of the last line split ended: its message is the start of the
        rest of the line (after spaces), before any context columns it ends with."""
        self.revised = False
        self._columns: dict[str, _Delimited] = {}  # per source (layout), its delimited columns
        self._plain: set[str] = set()  # sources that wrote lines with a level and no name
        self._with_name: set[str] = set()  # sources that wrote a level and a name after it
        # whole headers written (_head_key), with up to two shapes of the first token after them
        self._heads: dict[str, set[str]] = {}
        self._decided: dict[str, bool] = {}  # statements: whether their field is message
        self._values: dict[str, str] = {}  # fields' values: the first word after them
        """Set when a layout learned earlier was revised (a name after the level found to be
        the message's): lines split before may split differently now, so a cache of splits
        kept by the caller must be dropped (the caller resets the flag)."""
        self.moved: list[tuple[str, str, str]] = []
        """Earlier lines that a layout now splits otherwise (its columns were learned from
        them), with their messages: ``(line, as split then, as split now)``. The caller
        forgets how it read those lines, moves what it learned from the first message to the
        second, and empties the list."""
        self.last_layout = ""
        """The field kinds of the last line's header, one string (``"ts0 level comp"``): the
        same for the lines of one source, so telling interleaved sources apart; empty when
        the line had no header."""

    def export(self) -> dict[str, Any]:
        """What the detector learned, as JSON values (see :meth:`load`): its layouts per kind
        of line start (most recently useful first), with their columns; the sources seen with
        a level and no name after it, and with one; the AM/PM evidence per timestamp shape
        and source; each source's delimited message columns; the headers written with their
        openings and the statements decided (:meth:`_demoted`). Its caches (timestamps read,
        plans, probes, header-less starts) are left out: the lines they answer fill them."""
        return {
            "layouts": [
                [lead, [x.export() for x in group]] for lead, group in self._by_lead.items()
            ],
            "plain": sorted(self._plain),
            "with_name": sorted(self._with_name),
            "halves": [[shape, context, a, b] for (shape, context), (a, b) in self._halves.items()],
            "heads": [[key, sorted(shapes)] for key, shapes in self._heads.items()],
            "decided": [[statement, demote] for statement, demote in self._decided.items()],
            "values": [[value, first] for value, first in self._values.items()],
            "delimited": [[key, columns.export()] for key, columns in self._columns.items()],
        }

    def load(self, data: Any) -> None:
        """Take back what :meth:`export` gave (validated; ``ValueError`` when malformed). A
        layout that this version's field kinds can not rebuild is left out (learned again from
        the next line of its source)."""
        if not isinstance(data, dict):
            raise ValueError("header layouts must be an object")
        layouts, plain = data.get("layouts", []), data.get("plain", [])
        with_name, halves = data.get("with_name", []), data.get("halves", [])
        if not (
            isinstance(layouts, list)
            and isinstance(plain, list)
            and all(isinstance(k, str) for k in plain)
            and isinstance(with_name, list)
            and all(isinstance(k, str) for k in with_name)
            and isinstance(halves, list)
        ):
            raise ValueError("malformed header layouts")
        by_lead: dict[str, list[_Layout]] = {}
        for item in layouts[-_MAX_LEADS:]:
            if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], str)):
                raise ValueError("each layout group must be [start, [layouts]]")
            if not isinstance(item[1], list):
                raise ValueError("a layout group's layouts must be a list")
            group = [x for x in map(self._layout_from, item[1][: self.max_layouts]) if x]
            by_lead[item[0]] = group
        counts: dict[tuple[int, str], list[int]] = {}
        for entry in halves[-_MAX_SOURCES:]:
            if not (
                isinstance(entry, list)
                and len(entry) == 4
                and isinstance(entry[1], str)
                and all(isinstance(n, int) and n >= 0 for n in (entry[0], *entry[2:]))
            ):
                raise ValueError("each AM/PM count must be [shape, source, with, without]")
            counts[(entry[0], entry[1])] = [entry[2], entry[3]]
        heads: dict[str, set[str]] = {}
        for key, shapes in _pairs(data.get("heads", []), "heads"):
            if not isinstance(shapes, list) or len(shapes) > 2:
                raise ValueError("a header's openings must be a list of at most two shapes")
            heads[_text(key)] = {_text(x) for x in shapes}
        decided: dict[str, bool] = {}
        for key, demote in _pairs(data.get("decided", []), "decided"):
            if not isinstance(demote, bool):
                raise ValueError("a statement's decision must be true or false")
            decided[_text(key)] = demote
        values = {_text(k): _text(v) for k, v in _pairs(data.get("values", []), "values")}
        delimited = data.get("delimited", [])
        if not isinstance(delimited, list):
            raise ValueError("delimited columns must be a list")
        sources: dict[str, _Delimited] = {}
        for entry in delimited[-_MAX_DELIM_SOURCES:]:
            if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], str)):
                raise ValueError("each delimited source must be [source, columns]")
            columns = sources[entry[0]] = _Delimited()
            columns.load(entry[1])
        self._columns = sources
        self._heads, self._decided, self._values = heads, decided, values
        self._by_lead = by_lead
        self._plain = set(plain[:_MAX_SOURCES])
        self._with_name = set(with_name[:_MAX_SOURCES])
        self._halves = counts
        self._stamps.clear()

    def _layout_from(self, data: Any) -> _Layout | None:
        """A layout rebuilt from :meth:`_Layout.export`'s value; ``None`` when its fields are
        not ones this version reads."""
        if not isinstance(data, dict):
            raise ValueError("each layout must be an object")
        text, spans, end = data.get("header"), data.get("spans"), data.get("end")
        no_level, run = data.get("no_level"), data.get("run", [])
        if not (
            isinstance(text, str)
            and isinstance(end, int)
            and end == len(text)
            and isinstance(spans, list)
            and isinstance(no_level, bool)
            and isinstance(run, list)
            and all(isinstance(k, str) for k in run)
        ):
            raise ValueError("malformed layout")
        fields: list[tuple[int, int, str]] = []
        for span in spans:
            if not (
                isinstance(span, list)
                and len(span) == 3
                and isinstance(span[0], int)
                and isinstance(span[1], int)
                and isinstance(span[2], str)
                and 0 <= span[0] <= span[1] <= end
            ):
                raise ValueError("malformed layout field")
            fields.append((span[0], span[1], span[2]))
        if any(kind == "run" for _, _, kind in fields) and len(run) < 2:
            raise ValueError("a layout's run of fields must name its kinds")
        s = scan._Scan(text, self.default_year, pos=end, spans=fields)
        s.level = None if no_level else "INFO"
        s.run = tuple(run)
        try:
            layout = _Layout(s)
        except (re.error, ValueError, KeyError, IndexError):
            return None  # a field kind of another version
        layout.columns.load(data.get("columns"))
        by_stamp = data.get("by_stamp")
        if by_stamp is not None:  # (states saved before sources had columns of their own)
            if not isinstance(by_stamp, list) or len(by_stamp) > _STAMP_KEYS:
                raise ValueError("malformed layout columns")
            layout.by_stamp = {}
            for item in by_stamp:
                if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], str)):
                    raise ValueError("malformed layout columns")
                columns = layout.columns
                if item[1] is not None:
                    columns = _Columns(layout.levels)
                    columns.load(item[1])
                layout.by_stamp[item[0]] = columns
        return layout

    def entries(self) -> int:
        """Layouts and remembered timestamps, plans, header-less starts and sources (for a memory
        estimate; a layout counts as ten: it holds regexes and memos of its own)."""
        layouts = sum(len(group) for group in self._by_lead.values())
        sources = len(self._plain) + len(self._with_name) + len(self._columns)
        sources += len(self._heads) + len(self._decided) + len(self._values)
        return 10 * layouts + len(self._stamps) + len(self._plans) + len(self._headerless) + sources

    def split(self, line: str) -> tuple[Header, str] | None:
        """``(header, message)`` of ``line``, or ``None`` when it has no header."""
        found = self._split(line)
        if found is not None and self.last_stamps:
            found = self._clock(line, found)
        if found is not None and self.last_layout:
            return self._delimited(line, found)
        return found

    def _delimited(self, line: str, found: tuple[Header, str]) -> tuple[Header, str]:
        """``found``, or its message column alone when the source (its layout's field kinds)
        writes its messages in delimited columns (:class:`_Delimited`)."""
        header, message = found
        if " host" in self.last_layout:
            # a syslog header: what follows the program's name is the text it wrote, whole
            return found
        # A source: its layout, and how its messages open and how many pipes and tabs they
        # hold (interleaved sources with one layout rarely agree on those)
        opens = message[:1] if message[:1] in "<[" else ""
        key = f"{self.last_layout}\0{opens}{message.count('|')}\0{message.count(chr(9))}"
        columns = self._columns.get(key)
        if columns is None:
            if len(self._columns) >= _MAX_DELIM_SOURCES:
                self._columns.clear()
            columns = self._columns[key] = _Delimited()
        if not columns.learned:
            columns.observe(message)
        if columns.delim < 0:
            return found
        at = _WS.match(line, self.last_end).end()  # type: ignore[union-attr]
        if not line.startswith(message, at):
            return found  # (the message is not written as it is: leave it)
        cut = columns.read(message)
        if cut is None:
            return found
        start, end, level = cut
        self.last_end = at + start
        if level is not None and header.level is None:
            header = header._replace(level=level)
        return header, message[start:end]

    def _clock(self, line: str, found: tuple[Header, str]) -> tuple[Header, str]:
        """``found`` as it is, or read again on a 24-hour clock when an ``AM``/``PM`` after its
        time is a word of the message: when it gives no valid time, or when this source's other
        timestamps of that shape mostly carry no marker ("10:00:07 PM response took 3 ms" in a
        log of "22:00:06 ..." lines). A marker inside a bracket or glued to a separator
        (``[10:00:07 PM]``, ``10:00:07 PM,``) stays a marker: a message word would not be
        there."""
        for start, end, shape in self.last_stamps:
            key = (shape, _DIGIT_RUN.sub("0", line[max(0, start - 32) : start]))
            counts = self._halves.get(key)
            if counts is None:
                if len(self._halves) >= _MAX_SOURCES:
                    self._halves.clear()
                counts = self._halves[key] = [0, 0]
            bracketed = line[end - 1] == "]"  # a bracketed timestamp's span has its brackets
            close = end - 1 if bracketed else end
            if line[close - 1] not in "mM" or not _MARKER_END.search(line, start, close):
                # (a marker with the zone after it is the time's: "9:58:12 AM UTC")
                inside = (
                    "M" in line[start:close] or "m" in line[start:close]
                ) and _MARKER_ZONE.search(line, start, close) is not None
                counts[0 if inside else 1] += 1
                continue
            if bracketed or (end < len(line) and not line[end].isspace()):
                counts[0] += 1
                continue
            if found[0].timestamp is not None and counts[0] >= counts[1]:
                counts[0] += 1
                continue
            counts[1] += 1
            again = scan._scan(line, self._year24)
            if again is None:
                return found
            result, s = again
            self.last_stamps = _stamp_spans(s.spans)
            return result
        return found

    def _split(self, line: str) -> tuple[Header, str] | None:
        # Only the layouts learned from lines that start like this one (the first characters'
        # kinds: "0000-", "aaa ", "[000") are tried: a stream that interleaves many sources
        # does not pay for every source's layout on every line, nor evict them.
        dates = self._dates
        if dates is not None and dates.version != self._dates_seen:
            self._dates_seen = dates.version  # the values read in the order before are stale
            self._stamps.clear()
        lead = line[:4].translate(_LEAD_KINDS)
        group = self._by_lead.get(lead)
        if group is None:
            if len(self._by_lead) >= _MAX_LEADS:
                self._by_lead.clear()
            group = self._by_lead[lead] = []
        for i, layout in enumerate(group):
            found = layout.split(line, self.default_year, self._stamps, self._plans)
            if found is not None:
                if layout.moved is not None:
                    # the lines that taught the layout its columns split otherwise now
                    self.moved, layout.moved = layout.moved, None
                if i:
                    group[i - 1], group[i] = group[i], group[i - 1]
                self.last_stamps = layout.last_stamps
                self.last_end = layout.last_end
                self.last_layout = layout.name
                return self._sourced(line, group, layout, found)
        self.last_stamps = []
        self.last_layout = ""
        start = zero_digits(line[:_HEADERLESS_PREFIX])
        if start in self._headerless:
            return None  # a line that starts like a known header-less one (stack frames)
        scanned = scan._scan(line, self.default_year)
        if scanned is None:
            if len(self._headerless) >= 4096:
                self._headerless.clear()
            self._headerless.add(start)
            return None
        result, s = scanned
        self.last_end = s.pos
        self.last_stamps = _stamp_spans(s.spans)
        self.last_layout = " ".join(kind for _, _, kind in s.spans)
        if s.spans:
            try:
                layout = _Layout(s)
            except (re.error, ValueError, KeyError):
                return result
            key = next(iter(layout.by_stamp))
            sibling = next(
                (
                    g.by_stamp[key]
                    for g in group
                    if g.name == layout.name and key in g.by_stamp and g.by_stamp[key].take
                ),
                None,
            )
            group.insert(0, layout)
            del group[self.max_layouts :]
            if sibling is not None:
                # A layout of the same fields as one that learned its columns (glog's "I0302"
                # and "W0302" tags, a level read with its colon): the same source's lines,
                # split alike from the first on.
                layout.columns.adopt(sibling)
                again = layout.split(line, self.default_year, self._stamps, self._plans)
                if again is not None:
                    self.last_stamps, self.last_end = layout.last_stamps, layout.last_end
                    result = again
            return self._sourced(line, group, layout, result)
        return result

    def _sourced(
        self, line: str, group: list[_Layout], layout: _Layout, found: tuple[Header, str]
    ) -> tuple[Header, str]:
        """``found``, or ``line`` read again by what its source is known to write
        (:meth:`_demoted`, then :meth:`_named`)."""
        demoted = self._demoted(line, layout, found)
        if demoted is not None:
            return demoted
        return self._named(line, group, layout, found)

    def _demoted(
        self, line: str, layout: _Layout, found: tuple[Header, str]
    ) -> tuple[Header, str] | None:
        """``line`` split without the last field of its header, when that field is one a
        single line cannot tell from the start of a message (a ``name:``, a bracket, a number,
        a run of general fields...) and the line's source also writes lines whose header ends
        right before it and whose message opens with another kind of token (:func:`_head_key`:
        the same fields, the same text up to its values): a header's fields are on every line
        of its source, so a field that some of its lines lack is the message's
        (``2026/03/02 10:00:00 [instance: 4a7c] Terminating`` beside ``2026/03/02 10:00:01
        Claim successful``). None to keep ``found``.

        Each statement (the field, or its shape, and the first words after it) is decided
        once, the first time it is read, and keeps that split: read before the evidence, it
        keeps the field in its header for good, so that no statement is mined as two
        templates (and the caller's cache of splits stays true). A value of the field that
        opens statements of more than one first word is a column's (a thread, a pid): the
        statements read after that keep it as header."""
        kinds, fields = layout.kinds, layout.last_fields
        if not kinds or len(fields) != len(kinds):
            return None
        whole = _head_key(line, layout.name, fields[-1][1])
        openings = self._heads.get(whole)
        if openings is None:
            if len(self._heads) >= _MAX_SOURCES:
                self._heads.clear()
            openings = self._heads[whole] = set()
        if len(openings) < 2:  # (two kinds of opening are evidence for any field)
            opening = _token_shape(_FIRST_TOKEN.match(found[1]).group())  # type: ignore[union-attr]
            openings.add(opening)
        if len(kinds) < 2 or kinds[-1][0] not in _OPTIONAL_LAST:
            return None
        last, before = kinds[-1][0], kinds[-2][0]
        if last == "comp" and before in _LEVEL_KINDS:
            return None  # a name after the level: the source's own evidence (_named)
        if last == "bracket" and before in _CONTEXT_BEFORE:
            return None  # a bracket in a run of brackets after the logger is context
        start, end = fields[-1]
        if last == "comp" and _MODULE_PATH.search(line, start, end) is not None:
            return None  # a module path ("app.db:") names a logger
        if line[start:end].endswith("  ") or line.startswith("  ", end):
            return None  # padded to a width ("root            Loaded ..."): a formatter's column
        name = layout.name.rsplit(" ", 1)[0]
        key = _head_key(line, name, fields[-2][1])
        text = line[start:end].strip()
        field = _token_shape(text.split(None, 1)[0]) if text else ""
        # the statement: the field itself when it is a word ("EXIT:"), else its shape, and
        # the words after it, under the source's header with its bracket groups as brackets
        # (a thread's name varies from line to line, its statements do not)
        named = text if text.rstrip(":").isalpha() else field
        source = _head_key(line, name, fields[-2][1], True)
        words = _statement(found[1])
        statement = f"{source}\0{named}\0{words}"
        # A value of a header column (a thread, a pid) opens many statements; a message's
        # opening goes with its statement ("pam_unix(sshd:session): session ...") or varies
        # ("[instance: 4a7c9e]"): a value seen before one more first word is a column's.
        value = f"{source}\0{text[:_MAX_KEY_CHARS]}"
        first = words.split(" ", 1)[0]
        opened = self._values.get(value)
        if opened is None:
            if len(self._values) >= _MAX_SOURCES:
                self._values.clear()
            opened = self._values[value] = first
        elif opened != first:
            opened = self._values[value] = _COLUMN_VALUE
        demote = self._decided.get(statement)
        if demote is None:
            # (lines whose message opens like the field are lines whose field was missed)
            demote = opened != _COLUMN_VALUE and any(
                shape != field for shape in self._heads.get(key, ())
            )
            if len(self._decided) >= _MAX_SOURCES:
                self._decided.clear()
                self.revised = True  # statements decided before may be decided again
            self._decided[statement] = demote
        if not demote:
            return None
        split = layout.split(
            line, self.default_year, self._stamps, self._plans, upto=len(kinds) - 1
        )
        if split is None or (split[0].level is None and found[0].level is not None):
            return None  # (the field named the line's level: it is header)
        self.last_stamps = layout.last_stamps
        self.last_end = layout.last_end
        self.last_layout = name
        return split

    def _named(
        self, line: str, group: list[_Layout], layout: _Layout, found: tuple[Header, str]
    ) -> tuple[Header, str]:
        """``found`` (``line`` split by ``layout``), or ``line`` split with the ``name:`` after
        its level in the message, by the evidence of the line's own source (the header's text
        before the level, :func:`_source_key`): a logger named after the level is on every line
        of its source, so when the source also writes lines with a level and no name there,
        such a name opens the message (``ERROR ciod: failed to ...`` beside ``INFO generating
        core``). Sources are told apart by their own text, not by the layout that took the
        line: interleaved sources keep their own decisions."""
        kinds = layout.kinds
        if kinds and kinds[-1][0] in _LEVEL_KINDS:
            key = _source_key(line, self.last_end, 1)
            if key not in self._plain:
                if len(self._plain) >= _MAX_SOURCES:
                    self._plain.clear()
                self._plain.add(key)
                if key in self._with_name:
                    self.revised = True  # lines of this source split before split differently
            return found
        if len(kinds) < 2 or kinds[-1][0] != "comp" or kinds[-2][0] not in _LEVEL_KINDS:
            return found
        key = _source_key(line, self.last_end, 2)
        if len(self._with_name) >= _MAX_SOURCES:
            self._with_name.clear()
        self._with_name.add(key)
        if key not in self._plain:
            return found
        before = len(line[: self.last_end].rstrip())
        start = max(line.rfind(" ", 0, before), line.rfind("\t", 0, before)) + 1
        if _MODULE_PATH.search(line, start, self.last_end) is not None:
            return found  # a module path ("app.db:") names a logger
        at = _WS.match(line, self.last_end).end()  # type: ignore[union-attr]
        header, message = found
        if not line.startswith(message, at):
            return found  # (the layout rewrote the message: leave it)
        self.last_end = start
        self.last_layout = " ".join(kind for kind, _ in kinds[:-1])
        return header._replace(component=None), line[start:at] + message


def _pairs(data: Any, name: str) -> list[tuple[Any, Any]]:
    """The last ``_MAX_SOURCES`` ``[key, value]`` entries of a saved list (``ValueError`` when
    it is not one)."""
    if not isinstance(data, list):
        raise ValueError(f"{name} must be a list")
    out = []
    for entry in data[-_MAX_SOURCES:]:
        if not (isinstance(entry, list) and len(entry) == 2):
            raise ValueError(f"each entry of {name} must be [key, value]")
        out.append((entry[0], entry[1]))
    return out


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("a saved key or value must be a string")
    return value


_LEVEL_KINDS = frozenset({"level", "blevel"})

_OPTIONAL_LAST = frozenset({"comp", "run", "bracket", "pid", "dash", "column"})
"""Last fields of a header that one line cannot tell from the start of its message: a source
that also writes lines whose header ends before such a field has it in its messages
(:meth:`HeaderDetector._demoted`)."""


_CONTEXT_BEFORE = frozenset({"bracket", "blevel", "logger"})
"""Fields after which a bracket is context (``[logger][pipeline]``), not a message's start."""
_COLUMN_VALUE = "\0"
"""What :attr:`HeaderDetector._values` holds for a value seen before more than one first word."""
_FIRST_TOKEN = re.compile(r"\S*")
_REPEATS = re.compile(r"(?<=0)0+|(?<=A)A+|(?<=a)a+|(?<= ) +")
"""What :func:`_head_key` drops of a header's shape: a run of digits, upper-case or lower-case
letters, or spaces after its first (faster than :data:`_RUNS`, which matches any repeat)."""
_BRACKET_GROUP = re.compile(r"([\[(<{])[^\[\]()<>{}]*([\])>}])")


def _statement(message: str) -> str:
    """What tells a message's statement from the others at its start: its first two words
    of letters only among its first eight tokens (values are mostly numbers, paths, ids,
    addresses)."""
    words = []
    for w in message.split(None, 8)[:8]:
        if w.rstrip(".,:;!?").isalpha():
            words.append(w[:_MAX_KEY_CHARS])
            if len(words) == 2:
                break
    return " ".join(words)


def _head_key(line: str, name: str, end: int, groups: bool = False) -> str:
    """A source's header up to ``end``: its field kinds (``name``) and its text as runs of
    upper-case letters, lower-case letters and digits (``2026-03-02 10:00:00.123 4121 INFO
    svc.db`` is ``0-0-0 0:0:0.0 0 A a.a``); with ``groups``, each group in brackets as its
    brackets (``[pool-1]`` and ``[main]`` are ``[]``)."""
    text = line[:end].rstrip()
    if groups:
        text = _BRACKET_GROUP.sub(r"\1\2", text)
    shape = text.translate(_SHAPE_CLASSES)
    if len(shape) > _MAX_KEY_CHARS:
        return name + "\0" + _REPEATS.sub("", shape)[:_MAX_KEY_CHARS]
    return name + "\0" + _squeezed(shape)


@lru_cache(maxsize=4096)
def _squeezed(shape: str) -> str:
    """``shape`` without its repeats (:data:`_REPEATS`): a source's headers share a few
    shapes, so each is squeezed once."""
    return _REPEATS.sub("", shape)


_MAX_KEY_CHARS = 256
"""The longest text a source's or a statement's key keeps of one part (a header's shape, a
field's value, a word): the dicts keyed by them hold at most :data:`_MAX_SOURCES` entries,
and this bounds their bytes too (a 64 KB word would otherwise be kept whole in each)."""


_MAX_SOURCES = 4096
"""Sources (:func:`_source_key`) remembered by :meth:`HeaderDetector._named` per kind of
evidence: past it, they are forgotten (bounded memory on a stream of ever new header text)."""

_MODULE_PATH = re.compile(r"\w\.[A-Za-z]")
"""A dotted name (``app.db``, ``org.example.Store``): a module path, a logger's name."""


def _source_key(line: str, end: int, back: int) -> str:
    """A source's own header text before its level (digit runs as one ``0``) and the level's
    opening (a bracket, or ``A`` for a word: any level), for a header that ends at ``end`` with
    its level (``back`` 1) or with its level and a name (``back`` 2): ``0-0-0T0:0:0.0Z [`` is
    not ``0-0-0 0:0:0,0 A``."""
    start = len(line[:end].rstrip())
    for _ in range(back):
        start = line.rfind(" ", 0, start) + 1
        if _ == back - 1:
            break
        start = len(line[:start].rstrip())
    mark = line[start : start + 1]  # a bracket or a level word, not which level
    text = _DIGIT_RUN.sub("0", line[:start])[:_MAX_KEY_CHARS]
    return text + ("A" if mark.isalpha() else mark)


def _stamp_spans(spans: list[tuple[int, int, str]]) -> list[tuple[int, int, int]]:
    """``(start, end, shape)`` of the timestamps among a scan's spans (``"ts3"``, ``"[ts3"``)."""
    return [
        (start, end, int(kind[3:] if kind[0] == "[" else kind[2:]))
        for start, end, kind in spans
        if kind.startswith(("ts", "[ts"))
    ]


_MARKER_END = re.compile(r"\d\s?[AP]M\Z", re.IGNORECASE)
"""A timestamp's text that ends with a 12-hour clock's half of the day."""

_MARKER_ZONE = re.compile(r"\d\s?[AP]M\s?(?:[A-Z]{1,5}|[+-]\d)", re.IGNORECASE)
"""A timestamp's text whose half of the day is followed by its zone."""

_LEAD_KINDS = str.maketrans(
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", "0" * 10 + "a" * 52
)
_HEADERLESS_PREFIX = 96
"""Characters of a line that decide whether it has a header (the scanner reads no further in
practice): a line equal to a header-less one in them, up to digits, is not scanned again."""
_MAX_LEADS = 512
"""Kinds of line starts whose layouts are kept (each up to ``max_layouts``)."""
