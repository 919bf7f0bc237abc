"""Severity: from the line's level when it has one, otherwise from the words of the message.

A line's level (``ERROR``, ``W``, ``err``...) decides when there is one. Without a level,
:func:`severity_of_text` reads the words of the message (in practice, of a pattern's template,
once per template version). A severity word counts only when the message *says* it:

1. The text is split on whitespace and each token loses the punctuation around it (quotes,
   brackets, a final ``:`` ``,`` ``.`` ``;`` ``!`` ``?``).
2. What remains must be a word: letters, with at most inner apostrophes (``can't``). Anything
   else is a name, not a word, and says nothing: a file name (``ABORT.7.gz``), a path, a URL, a
   dotted identifier (``java.lang.Exception``), a code identifier (``error_count``,
   ``ERR_TIMEOUT``), a number. A CamelCase word (``ErrorDocument``) is one word, and not a
   severity word.
3. ``key=value`` (or ``key:value``) in one token: the key is a name; the value is read as a word
   (``status=failed`` fails, ``errors=0`` does not).
4. A hyphenated word (letters only) is read as its last part (``read-error`` is an error;
   ``error-free``, ``liberror-perl`` are not), and a ``non-``/``no-`` before it negates that
   word alone (``non-fatal error`` is an error, not a critical one).
5. A severity word that is counted or negated reports that nothing (or some number of things)
   happened, not a failure: a plural such as ``errors`` after a number or a ``<*>`` (``0 errors``,
   ``<*> failures``) or before a ``:``/``=`` and a number (``errors: 0``); and any severity word
   after ``no``, ``without``, ``zero`` or ``non`` (``no errors``, ``without error``), also across
   ``any``/``more``/``new``/``further``/``other`` or further severity words (``no more errors``,
   ``no fatal errors``).

Words then decide, most severe first: critical, error, warning, else info. Phrases (``timed
out``, ``out of memory``) match only across words, never across a name or a number.
"""

from __future__ import annotations

import re

from logsum.core.model import WILDCARD, Severity

_FROM_LEVEL = {
    "TRACE": Severity.DEBUG,
    "DEBUG": Severity.DEBUG,
    "INFO": Severity.INFO,
    "NOTICE": Severity.INFO,
    "WARNING": Severity.WARNING,
    "ERROR": Severity.ERROR,
    "CRITICAL": Severity.CRITICAL,
}

# Words that carry severity in messages of any system. Checked on a pattern's template once,
# not on every line; matched on the words of the text only (see the module docstring).
_CRITICAL = re.compile(
    r"\b(?:fatal|panic|critical|emergency|kernel panic|out of memory|oom)\b", re.I
)
_ERROR = re.compile(
    r"\b(?:error|errors|err|fail|failed|failure|failures|exception|refused|denied|"
    r"unable|cannot|can't|couldn't|could not|invalid|illegal|abort|aborted|crash|crashed|"
    r"corrupt|corrupted|unreachable|broken|killed|segfault|timeout|timed out)\b",
    re.I,
)
_WARNING = re.compile(
    r"\b(?:warn|warning|deprecated|retry|retrying|slow|degraded|unexpected|not found|"
    r"missing|ignoring|ignored|dropped|dropping|exceeded|expired|expiring|lost|"
    r"interrupted|closing|reset)\b",
    re.I,
)
_ANY_SEVERITY = (_CRITICAL, _ERROR, _WARNING)
# Any severity word anywhere in the raw text, phrases across any non-word characters: most
# templates have none and need no reading word by word (that reading only ever removes words).
_ANYWHERE = re.compile("|".join(p.pattern.replace(" ", r"\W+") for p in _ANY_SEVERITY), re.I)

_COUNTED = frozenset(
    ("errors", "failures", "warnings", "exceptions", "timeouts", "crashes", "faults", "panics")
)
"""Plural severity nouns: after a number they count things (``0 errors``), they say nothing
went wrong."""
_NEGATIONS = frozenset(("no", "non", "without", "zero"))
_NEGATION_SPAN = frozenset(("any", "more", "new", "further", "other"))
"""Words a negation reaches across: ``no more errors``."""

_OPENING = "\"'`([{<*"
_CLOSING = "\"'`)]}>*.,;:!?"
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
_NUMBER = re.compile(r"[-+]?\d+(?:[.,]\d+)*%?")
# The three kinds of token in the text the word patterns are matched on.
_NAME = "|"  # a name or other non-word: ends any phrase
_COUNT = "#"  # a number or a <*>
_QUIET = "~"  # a severity word that is counted or negated


def severity_of_level(level: str | None) -> Severity | None:
    """The severity of a canonical level name (see :data:`logsum.core.header.LEVELS`)."""
    if level is None:
        return None
    return _FROM_LEVEL.get(level.upper())


def severity_of_text(text: str) -> Severity:
    """Severity read from the words of a message or template, for lines without a level
    (the rules are in the module docstring)."""
    if _ANYWHERE.search(text) is None:
        return Severity.INFO
    words = prose_words(text)
    if _CRITICAL.search(words):
        return Severity.CRITICAL
    if _ERROR.search(words):
        return Severity.ERROR
    if _WARNING.search(words):
        return Severity.WARNING
    return Severity.INFO


def prose_words(text: str) -> str:
    """``text`` as the severity patterns see it: its words in lower case, each name replaced
    by ``|``, each number or ``<*>`` by ``#``, each counted or negated severity word by ``~``."""
    out: list[str] = []
    negated = False
    tokens = text.split()
    for i, token in enumerate(tokens):
        word, negate = _word_of(token)
        if word is None:
            out.append(_COUNT if _is_count(token) else _NAME)
            negated = False
            continue
        severe = _is_severity_word(word)
        if severe and (
            negate
            or negated
            or (word in _COUNTED and (_counted_before(out) or _counted_after(token, tokens, i)))
        ):
            out.append(_QUIET)  # a negation reaches on (no fatal errors); non- does not
            continue
        out.append(word)
        negated = word in _NEGATIONS or (negated and word in _NEGATION_SPAN)
    return " ".join(out)


def _word_of(token: str) -> tuple[str | None, bool]:
    """The word a token stands for (lower case) or ``None`` when it is a name or a number, and
    whether a ``non-`` prefix negates it."""
    core = token.lstrip(_OPENING).rstrip(_CLOSING)
    if not core:
        return None, False
    for sep in "=:":
        if sep in core:  # key=value: the value is the word
            core = core.rsplit(sep, 1)[1].lstrip(_OPENING).rstrip(_CLOSING)
    negate = False
    if "-" in core:
        parts = core.split("-")
        if not all(_WORD.fullmatch(p) for p in parts):
            return None, False
        negate = parts[0].lower() in _NEGATIONS
        core = parts[-1]
    if _WORD.fullmatch(core) is None:
        return None, False
    return core.lower(), negate


def _is_count(token: str) -> bool:
    core = token.strip("\"'`()[]{},;:.!?")
    return core == WILDCARD or _NUMBER.fullmatch(core) is not None


def _is_severity_word(word: str) -> bool:
    return any(p.fullmatch(word) for p in _ANY_SEVERITY)


def _counted_before(out: list[str]) -> bool:
    return bool(out) and out[-1] == _COUNT


def _counted_after(token: str, tokens: list[str], i: int) -> bool:
    """``errors: 0`` / ``errors= <*>``: the word is a key whose value is a count."""
    return token[-1:] in ":=" and i + 1 < len(tokens) and _is_count(tokens[i + 1])
