"""The miner: groups masked token sequences into patterns and generalises their templates.

Lines are grouped first by their number of tokens, then by similarity to the existing patterns
of that length. Similarity is the share of constant tokens a line shares, position by position,
with a pattern's template (a pattern's ``<*>`` positions are ignored; the larger of the two
constant counts is the denominator, so a very general template does not swallow specific
lines). A line whose best similarity reaches ``EngineConfig.similarity`` joins that pattern, and
the positions where they differ become variables; otherwise it starts a new pattern.

Inside a token, generalisation keeps the punctuation both values share: ``user=root`` and
``user=admin`` give ``user=<*>``, and ``com.apple.a.b:`` and ``com.apple.c:`` give
``com.apple.<*>:``.

Candidates are found through an inverted index (position, token) -> patterns per length, so a
line is compared only with the patterns it shares a constant token with. When two templates of
one length become equal, the younger pattern is folded into the older one (its id becomes an
alias). Patterns beyond ``max_patterns`` are evicted least recently used first.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections import OrderedDict
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from logsum.core.align import fits, merge_lengths, skeleton_key
from logsum.core.model import WILDCARD, Severity

_DELIMS = frozenset("=:([{<'\"`/,@#.;|")
# A shared suffix may start at an opening bracket too: ``root(uid=<*>)`` and ``bob(uid=<*>)``
# give ``<*>(uid=<*>)``, not ``<*>=<*>)``.
_DELIMS_BESIDE_VALUE = _DELIMS | {"-"}
_CLOSERS = frozenset("=:)]}>'\"`/,@#.;|([{")


def pattern_id_for(template: str, salt: int = 0) -> str:
    """The stable id of a pattern created from ``template`` (same template, same id)."""
    data = template.encode("utf-8", "surrogatepass") + (b"\x00%d" % salt if salt else b"")
    return "p_" + hashlib.blake2b(data, digest_size=8).hexdigest()


_HOLE = "\ue000"  # one character standing for <*> while comparing tokens


def generalise_token(a: str, b: str) -> str:
    """The most specific token covering both ``a`` and ``b``: shared punctuation-delimited
    prefix and suffix around one ``<*>``, or ``<*>`` alone."""
    if a == b:
        return a
    if WILDCARD in a or WILDCARD in b:
        out = _generalise_plain(a.replace(WILDCARD, _HOLE), b.replace(WILDCARD, _HOLE))
        return out.replace(_HOLE, WILDCARD) if out != WILDCARD else out
    return _generalise_plain(a, b)


def covers(general: list[str], specific: list[str]) -> bool:
    """True when every token of ``specific`` is matched by the token of ``general`` at the
    same position (equal, ``<*>``, or a partial template such as ``uid=<*>``)."""
    return all(fits(g, s) for g, s in zip(general, specific, strict=True))


def _common_ends(a: str, b: str) -> tuple[int, int]:
    """How many characters ``a`` and ``b`` share at their start, and then at their end (the
    two never overlap)."""
    n = min(len(a), len(b))
    p = 0
    while p < n and a[p] == b[p]:
        p += 1
    s = 0
    while s < n - p and a[-1 - s] == b[-1 - s]:
        s += 1
    return p, s


def _generalise_plain(a: str, b: str) -> str:
    p, s = _common_ends(a, b)
    whole = False  # the differing parts are one value, not parts to compare
    if _number_differs(a, b, p, s):
        # Only a number glued to a name differs (conn84647/conn12, MC53:/MC7:, u0a39/u0a41):
        # the name stays, the whole number is the value.
        while p > 0 and a[p - 1].isdigit():
            p -= 1
        while s > 0 and a[-s].isdigit():
            s -= 1
    else:
        # Beside a value, a name glued by "-" keeps its name (Memtable-users@<*>).
        delims = _DELIMS_BESIDE_VALUE if _HOLE in a[p:] and _HOLE in b[p:] else _DELIMS
        while p > 0 and a[p - 1] not in delims:
            p -= 1
        while s > 0 and a[-s] not in _CLOSERS:
            s -= 1
        if s and a[-s] in "'\"" and s < min(len(a), len(b)) - p and a[-s - 1] == b[-s - 1] == "\\":
            s += 1  # an escaped closing quote stays whole: \"<*>\" (a quote inside a quote)
        elif s == 1 and a[-1] == "/" and "/" not in a[p:-1] + b[p:-1]:
            s = 0  # a directory's closing slash is part of its name: path=<*> (secret/, pki/)
            whole = True
    core_a = a[p : len(a) - s]
    core_b = b[p : len(b) - s]
    if not core_a and not core_b:
        return WILDCARD
    parts = None if whole else _partwise(core_a, core_b)
    if parts is not None:
        out = a[:p] + parts + (a[len(a) - s :] if s else "")
    elif p == 0 and s == 0:
        return WILDCARD
    else:
        out = a[:p] + WILDCARD + (a[len(a) - s :] if s else "")
    # Directly adjacent wildcards are one.
    while WILDCARD + WILDCARD in out:
        out = out.replace(WILDCARD + WILDCARD, WILDCARD)
    return out


# The separator inside one composite value (``namespace/name``, ``backend/server``): two
# values with as many parts differ part by part. (Dots, colons and ``@`` join parts of one
# value more often: ``123.server``, class names; measured worse on the template corpus; only
# a dotted name of two plain words differs part by part, below.)
_SEPARATORS = re.compile(r"(/)")
_GLUE = "-_"
# A dotted name of two lower-case words (a database and its collection, a keyspace and its
# table: orders.ledger): its words differ one by one (<*>.<*>). Longer dotted names stay whole
# (masking takes most of them for host names).
_DOTTED_NAME = re.compile(r"(?:[a-z][a-z_]*|\ue000)\.(?:[a-z][a-z_]*|\ue000)")
_DOT = re.compile(r"(\.)")
# The last word of a host's domain name (a generic or country-code top-level domain, or one
# of the names private networks use): such a dotted name is one host, one value.
_DOMAIN_TEXT = (
    "com net org edu gov mil int info biz io arpa local localdomain localhost lan home "
    "internal intranet corp private"
)
_DOMAIN_ENDS = frozenset(_DOMAIN_TEXT.split())


def _dotted_name(token: str) -> bool:
    """A dotted name of two lower-case words that is not a domain name (``orders.ledger``,
    not ``corp.local`` or ``example.de``); a part may already be a value."""
    if _DOTTED_NAME.fullmatch(token) is None:
        return False
    last = token.rsplit(".", 1)[1]
    return len(last) != 2 and last not in _DOMAIN_ENDS


def _partwise(a: str, b: str) -> str | None:
    """``a`` and ``b`` generalised part by part when both are composites with as many
    ``/``-separated parts (``api_back/nova-cache`` and ``web_back/kilo-db`` give ``<*>/<*>``;
    ``orders/payments-<*>`` and ``billing/api-<*>`` give ``<*>/<*>-<*>``), or both dotted
    names of two words (``orders.ledger`` and ``catalog.metrics`` give ``<*>.<*>``), or None."""
    pa = _SEPARATORS.split(a)
    if len(pa) < 3:
        if not (_dotted_name(a) and _dotted_name(b)):
            return None
        pa = _DOT.split(a)
        pb = _DOT.split(b)
    else:
        pb = _SEPARATORS.split(b)
    if len(pa) != len(pb) or pa[1::2] != pb[1::2]:
        return None
    out = []
    for i, (x, y) in enumerate(zip(pa, pb, strict=True)):
        if i % 2 or x == y:
            out.append(x)
        elif not x or not y:
            return None
        elif x[-2:] == y[-2:] and x[-1] == _HOLE and x[-2] in _GLUE:
            out.append(_HOLE + x[-2:])  # a name glued to a value: payments-<*>, api-<*>
        else:
            out.append(_HOLE)
    return "".join(out).replace(_HOLE, WILDCARD)


def _number_differs(a: str, b: str, p: int, s: int) -> bool:
    """True when ``a`` and ``b`` (common prefix ``p``, common suffix ``s``) differ only in
    a number of two digits or more glued to a letter: ``conn84647`` and ``conn12``, not
    ``IPV4`` and ``IPV6`` (a one-digit number in a name names a kind)."""
    core_a, core_b = a[p : len(a) - s], b[p : len(b) - s]
    if not (core_a.isdigit() and core_b.isdigit()) or p == 0:
        return False
    head = a[:p].rstrip("0123456789")
    if not head or not head[-1].isalpha():
        return False
    digits = len(a[: len(a) - s]) - len(head)
    return max(digits, len(b[: len(b) - s]) - len(head)) >= 2


_VERSIONS = itertools.count(1)
"""Template versions, unique in the process: a (pattern, version) pair never comes back."""

_LETTER = re.compile(r"[^\W\d_]")


def is_constant(token: str) -> bool:
    """A token that identifies a template: it has a letter outside its wildcards (``from``,
    ``uid=<*>``), unlike ``<*>``, ``<*>:`` or ``[<*>]``. Tokens without wildcards always do."""
    if WILDCARD not in token:
        return token != ""
    known = _CONSTANT_MEMO.get(token)
    if known is None:
        known = _LETTER.search(token.replace(WILDCARD, "")) is not None
        if len(_CONSTANT_MEMO) > 8192:
            _CONSTANT_MEMO.clear()
        _CONSTANT_MEMO[token] = known
    return known


_CONSTANT_MEMO: dict[str, bool] = {}
# A word in angle brackets standing alone: a placeholder for a missing or unnamed value.
_PLACEHOLDER = re.compile(r"<[a-z]+>")


def _constants(tokens: list[str]) -> int:
    return sum(1 for t in tokens if is_constant(t))


def _digits_only(a: str, b: str) -> bool:
    """Two tokens equal but for the digits glued to a name (``conn84647``/``conn12``), or
    whose differing parts each hold a number of two digits or more (``Job;51775.echo;Job`` /
    ``Job;2884.alpha;Job``): the number is a value even though masking left the token alone
    (a name with a number, an id glued to a name). One digit names a kind (``IPv4``,
    ``sda1``) more than a value."""
    if WILDCARD in a or not any(c.isdigit() for c in a) or not any(c.isdigit() for c in b):
        return False
    p, s = _common_ends(a, b)
    if _number_differs(a, b, p, s):
        return True
    return (
        _NUMBER.search(a, p, len(a) - s) is not None
        and _NUMBER.search(b, p, len(b) - s) is not None
    )


_NUMBER = re.compile(r"\d{2,}")


def _composite(a: str, b: str) -> bool:
    """Two tokens that each hold a masked value and differ in a word glued to it
    (``<*>/.HomeActivity:`` and ``<*>/.MainActivity:``): the word is part of one composite
    value (a component of an app, a file of a GUID's folder), not an event."""
    if WILDCARD not in a or WILDCARD not in b or a.count(WILDCARD) != b.count(WILDCARD):
        return False
    p, q = _common_ends(a, b)
    # The differing word whole (users@ and orders@ share their "s", not a part of the value)
    while p and a[p - 1].isalnum():
        p -= 1
    while q and a[len(a) - q].isalnum():
        q -= 1
    # glued by one or two of / \ . @ : (not a label's run of dots: "icbi.........<*>", nor
    # the end of one: "operation..<*>" and "instruction...<*>" share only two of their dots)
    return _glued(a, p, q) and _glued(b, p, q)


def _glued(token: str, p: int, q: int) -> bool:
    """``token``'s differing word (between its first ``p`` characters and its last ``q``)
    glued to a ``<*>`` by one or two of ``/ \\ . @ :``, all the run of them there is."""
    core = token[p : len(token) - q]
    if not core or core[0] in _GLUE_CHARS or core[-1] in _GLUE_CHARS:
        return False  # the run goes on into the word's side: a label's dots
    marked = token[:p] + "\x00" + token[len(token) - q :]
    return _GLUED_PART.search(marked) is not None


_GLUE_CHARS = "/\\.@:"


_GLUED_PART = re.compile(r"<\*>[/\\.@:]{1,2}\x00|\x00[/\\.@:]{1,2}<\*>")


# A quoted value (``'orders'``, ``"Liveness"``, ``\"app\"`` inside a quoted string): a slot,
# whatever word fills it.
_QUOTED = re.compile(r"""[(\[{<]?(\\?['"`])<\*>\1[)\]}>,.;:]*""")


def _named_state(a: str, b: str) -> bool:
    """Two capitalised words (``'Active'``/``'Inactive'``, ``RUNNING``/``FAILED``): names of
    states, which are events, not values, even in quotes."""
    a, b = a.strip("'\"()[]{}<>,.;:"), b.strip("'\"()[]{}<>,.;:")
    return a.isalpha() and b.isalpha() and a[:1].isupper() and b[:1].isupper()


# key=<*>, also with the value quoted (logfmt, klog: pod="<*>")
_KEY_VALUE = re.compile(r"(?:^|[^\w])([A-Za-z][\w.-]*)=[\"']?" + re.escape(WILDCARD))
_WORD = re.compile(r"[A-Za-z][\w-]*")


def _key_of(token: str) -> str | None:
    """The key of a ``key=<*>`` token (``user=<*>``, ``(uid=<*>)``, ``pod="<*>"``), lower case,
    or None."""
    m = _KEY_VALUE.search(token)
    return None if m is None else m.group(1).lower()


def _bare(token: str) -> str:
    """A word as a key: lower case, without the punctuation around it (``User:`` is
    ``user``)."""
    return token.strip("()[]{}<>:,;'\"").lower()


def _plain_word(token: str) -> bool:
    """A constant word that can name what follows (``user``, ``table``), not a value."""
    return WILDCARD not in token and _WORD.fullmatch(_bare(token)) is not None


# Units of sizes, rates and durations written after a number (``12 KB``, ``3 ms``): where
# they differ after one number, they are part of its value.
_UNIT_TEXT = (
    "b kb mb gb tb pb k m g t kib mib gib tib byte bytes kbytes mbytes bit bits kbps mbps "
    "gbps ns us µs ms s sec secs second seconds min mins minute minutes h hr hrs hour hours "
    "day days"
)
_UNITS = frozenset(_UNIT_TEXT.split())
_MAX_KEYS = 4_096  # key words remembered (oldest forgotten first)
_MAX_VALUE_WORDS = 16_384  # words seen filling word slots (oldest forgotten first)
_MIN_KEY_CONTEXTS = 2  # unrelated templates in which a word must precede a two-valued slot


# Words that say what happened or in which state a thing is (English, not any program's):
# where only such a word differs, the lines are different events.
_EVENT_TEXT = (
    "up down on off in out open closed close start stop ok okay fail failure success "
    "done yes no true false enabled disabled active inactive online offline ready busy "
    "idle alive dead new old full empty valid invalid unknown none all any some high low "
    "read write error warning info debug notice critical fatal allow deny accept reject "
    "add remove set get put post delete create update login logout enter exit begin end "
    "finish pass skip retry wait connect disconnect load unload mount unmount send receive "
    "sent lost kill killed abort startup shutdown restart reset commit rollback"
)
_EVENT_WORDS = frozenset(_EVENT_TEXT.split())
# Words after which a word says in what form or role something happened (English ``stored
# as bytes`` / ``stored as values``): two such words are two events, not a slot with two
# values; more words there (``running as root``, ``as alice``...) still make it a value.
_MANNER = frozenset(("as",))
_NAME = re.compile(r"[a-z]+(?:[_-][a-z]+)*")


def _name_like(word: str) -> bool:
    """A lower-case word that names a thing (``api``, ``stats``, ``web_back``), not a verb
    or a state (``started``, ``closing``, ``up``) nor a name with a number (``en0``, a kind
    more than a value): where two such words differ, the place may be a value."""
    w = word.strip("()[]{}<>,;:'\"")
    return (
        len(w) >= 2
        and _NAME.fullmatch(w) is not None
        and w not in _EVENT_WORDS
        and not w.endswith(("ed", "ing"))
    )


def _enum(a: str, b: str) -> bool:
    """Two upper-case words (``RUNNING``/``FAILED``, ``DEBUG``/``INFO``): names of states or
    levels, which are events, not values, until ``min_word_values`` of them were seen."""
    return a.isupper() and b.isupper()


# A state or level name: upper case, digits and ``_`` (``RUNNING``, ``NEW_SAVING``, ``[FAILED],``),
# not glued to a quote (``"GET`` opens a quoted value, such as a request line).
_STATE_NAME = re.compile(r"[(\[{]?[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*[)\]},.;:]*")


_ARROWS = frozenset(("->", "=>", "-->"))
# The methods of an HTTP request (RFC 9110): where two differ, the place is the request's
# method, a value.
_HTTP_METHODS = frozenset(
    ("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH")
)
# Nouns that say the name beside them is a state or a mode (English, not any program's).
_STATE_NOUNS = frozenset(("state", "mode"))


def _state_change(tokens: list[str], j: int, a: str, b: str) -> bool:
    """Two different state names at place ``j`` of a transition (``from RUNNING to FAILED`` /
    ``from NEW to RUNNING``, ``[YELLOW] -> [GREEN]``) or beside the word ``state`` or ``mode``
    (``Entering MASTER STATE``): the event itself, however many of them are seen."""
    if _STATE_NAME.fullmatch(a) is None or _STATE_NAME.fullmatch(b) is None:
        return False
    before = tokens[j - 1].lower() if j else ""
    after = tokens[j + 1] if j + 1 < len(tokens) else ""
    if before in _ARROWS or after in _ARROWS:
        return True
    if _bare(after) in _STATE_NOUNS or before in _STATE_NOUNS:
        return True  # Entering MASTER STATE / BACKUP STATE, state RUNNING / state STOPPED
    if before == "from":
        return any(t.lower() == "to" for t in tokens[j + 1 : j + 3])
    if before == "to":
        return any(t.lower() == "from" for t in tokens[max(0, j - 3) : j - 1])
    return False


def _value_shaped(a: str, b: str, j: int) -> bool:
    """Two different words at place ``j`` that read as values more than as what happened: one
    has a digit (``sda1``/``nvme0n1``), or a ``/`` or ``\\`` joining parts (``text/html``,
    ``ns/name``), or both are upper-case names that are not verb forms (``AAAA``/``MX``,
    ``CEM``/``TOP``; not ``LOOKING``/``FOLLOWING``, ``FAILED``), but lower-case names instead
    when they open the message. Such a place is a value one word sooner than another
    (``min_word_values - 1``)."""
    stem = _stem(a)
    if stem is not None and stem == _stem(b):
        # The same name with other words in its brackets (query[A] / query[AAAA]): the words.
        a, b = _GLUED_INNER.sub("", a), _GLUED_INNER.sub("", b)
        j = max(j, 1)
    x, y = _bare(a).rstrip("."), _bare(b).rstrip(".")
    if not x or not y:
        return False
    if _HAS_DIGIT.search(x) or _HAS_DIGIT.search(y):
        return True
    if not (_letters(x) and _letters(y)):
        return "/" in x + y or "\\" in x + y
    x, y = a.strip(_AROUND), b.strip(_AROUND)
    if j == 0:
        # A lower-case name opening a message is a value (the user of ``alice : TTY=...``);
        # an upper-case one names the event (DHCPOFFER / DHCPACK), as verbs do.
        return _name_like(a) and _name_like(b)
    return x.isupper() and y.isupper() and not (_VERB_FORM.search(x) or _VERB_FORM.search(y))


_HAS_DIGIT = re.compile(r"\d")
_AROUND = "()[]{}<>,;:'\"."


def _letters(word: str) -> bool:
    """Letters only, but for ``-`` and ``_`` between them (``www-data``, ``NEW_SAVING``)."""
    return word.replace("-", "").replace("_", "").isalpha()


_VERB_FORM = re.compile(r"(?:ING|ED)$")


def _distinct_words(
    old: list[str], line: list[str], merged: list[str], siblings: list[Cluster]
) -> int:
    """How many different words were seen where ``old`` and ``line`` differ in words: the
    distinct tuples of their tokens at those places, over the two and the ``siblings`` the
    merged template covers. Siblings kept apart by another place only (the same state word,
    another namespace) are one word, not one more."""
    places = [
        j
        for j, (o, u, m) in enumerate(zip(old, line, merged, strict=True))
        if o != m != u and not _digits_only(o, u) and not _composite(o, u)
    ]
    seen = {tuple(old[j] for j in places), tuple(line[j] for j in places)}
    extra = 0
    for sib in siblings:
        words = tuple(sib.tokens[j] for j in places)
        if any(WILDCARD in w for w in words):
            extra += 1  # a sibling that already generalised there stands for values of its own
        seen.add(words)
    return len(seen) + extra


def _keyed_only(old: list[str], line: list[str], merged: list[str]) -> bool:
    """Where ``old`` and ``line`` differ in words, each word is the value of a ``key=value``
    token (``IN=eth0`` / ``IN=br0``) or the unit of the number before it (``<*> MB``)."""
    return all(
        _key_of(m) is not None
        or (j and merged[j - 1] == WILDCARD and _bare(o) in _UNITS and _bare(u) in _UNITS)
        for j, (o, u, m) in enumerate(zip(old, line, merged, strict=True))
        if o != m != u and not _digits_only(o, u) and not _composite(o, u)
    )


def _foreign(c: Cluster, tokens: list[str], source: int) -> bool:
    """Whether a line of ``source`` must not join ``c``: a pattern of another source where the
    line has a word the pattern has not (a variable there, or another word). Values told apart
    by masking may join (see :meth:`Miner.learn`)."""
    return not c.of_source(source) and any(
        t != u and WILDCARD not in u for t, u in zip(c.tokens, tokens, strict=True)
    )


def _after_lone_equals(tokens: list[str], j: int) -> bool:
    """Place ``j`` holds (a word of) the value after a lone ``=``: ``queue = <*>``, ``Title =
    Security Update for Windows`` (a value runs to the end of the line or to a ``,`` or ``;``
    ending a word)."""
    for k in range(j - 1, -1, -1):
        t = tokens[k]
        if t == "=":
            return True
        if t.endswith((",", ";")):
            return False
    return False


def _related(a: list[str], b: list[str]) -> bool:
    """Two contexts of one template family: same length, differing in at most one place."""
    return len(a) == len(b) and sum(1 for x, y in zip(a, b, strict=True) if x != y) <= 1


_MAX_SIBLING_SCAN = 2_000
_CHURN_WEIGHT = 0.02  # weight of the newest line in the moving share of new patterns
_CHURN_LIMIT = 0.85  # above it, no merging across lengths (see Miner.learn)
_MAX_LENGTH_CANDIDATES = 16  # patterns tried when merging across lengths (alignment is costly)
_MAX_LENGTH_GAP = 16  # token-count difference up to which templates may merge across lengths
MAX_FORMS = 16
"""Distinct masked forms a pattern remembers (``Cluster.forms``; bounded per pattern)."""
MAX_SOURCES = 8
"""Sources a pattern remembers learning from (``Cluster.sources``; past that, the first eight)."""
_MAX_SOURCE_CHURNS = 1_024  # sources whose own share of new patterns is kept (oldest dropped)


class Cluster:
    """One pattern's mutable state. Owned by the :class:`Miner`."""

    __slots__ = (
        "alive",
        "cost",
        "count",
        "examples",
        "examples_capped",
        "examples_full",
        "examples_seen",
        "examples_version",
        "first_seen",
        "forms",
        "id",
        "last_seen",
        "level_severity",
        "multi_length",
        "n_const",
        "order",
        "params_memo",
        "sources",
        "template",
        "text_severity",
        "tokens",
        "touched",
        "version",
    )

    def __init__(self, pid: str, tokens: list[str], order: int) -> None:
        self.id = pid
        self.tokens = tokens
        self.template = " ".join(tokens)
        self.n_const = _constants(tokens)
        self.count = 0
        self.first_seen: datetime | None = None
        self.last_seen: datetime | None = None
        self.level_severity: Severity | None = None
        self.multi_length = False  # merged across lengths: a lone <*> may span tokens
        self.examples: dict[int, list[str]] = {}
        self.examples_version = 0
        self.examples_full = False
        self.examples_capped = False  # every wildcard of this version has its examples
        self.examples_seen = 0
        # The first distinct masked token lists the pattern learned from (at most MAX_FORMS,
        # first seen first): what merging partitions replays (see logsum.core.merge).
        self.forms: list[list[str]] = []
        self.text_severity: tuple[int, Severity] | None = None  # (version, severity) memo
        self.params_memo: tuple[int, Any] | None = None  # (version, ParamSummary tuple)
        self.touched = 0  # engine line number of the last recency refresh
        self.alive = True
        self.cost = 0  # estimated bytes, counted against Miner.max_bytes while it lives
        self.order = order
        self.version = next(_VERSIONS)  # unique across clusters: equal means same state
        # The sources (Miner.learn's ``source``) whose lines the pattern learned from, up to
        # MAX_SOURCES; empty when not known (message-only lines, a pattern restored).
        self.sources: tuple[int, ...] = ()

    def of_source(self, source: int) -> bool:
        """Whether a line of ``source`` is one of this pattern's own (an unknown source, or
        a pattern whose sources are not known, is anyone's)."""
        return source < 0 or not self.sources or source in self.sources

    def add_source(self, source: int) -> None:
        """Remember that a line of ``source`` joined the pattern."""
        if source >= 0 and source not in self.sources and len(self.sources) < MAX_SOURCES:
            self.sources = (*self.sources, source)


# A name with one word glued in brackets (``DHCPACK(eth0)``, ``query[AAAA]``,
# ``VRRP_Script(chk_web)``): the name and its brackets are the token's stem, under which lines
# that differ in the word inside still find each other's pattern (see _Bucket.index).
_GLUED_ARG = re.compile(r"([A-Za-z][\w.-]*[(\[])[\w-]+([)\]][^\w\s]*)")


_GLUED_INNER = re.compile(r"^[A-Za-z][\w.-]*[(\[]|[)\]][^\w\s]*$")


def _stem(token: str) -> str | None:
    """The posting key of ``token``'s stem (``DHCPACK()`` for ``DHCPACK(eth0)``), or None."""
    if "(" not in token and "[" not in token:
        return None
    m = _GLUED_ARG.fullmatch(token)
    return None if m is None else "\x01" + m.group(1) + m.group(2)


class _Bucket:
    """Patterns of one token count, with an inverted index of their constant tokens (and of
    the stems of constants with a word glued in brackets, see :func:`_stem`)."""

    __slots__ = ("by_template", "clusters", "partial", "partial_only", "postings", "wild")

    def __init__(self) -> None:
        self.clusters: dict[str, Cluster] = {}
        self.by_template: dict[str, Cluster] = {}
        # (position, token) -> ids of the patterns with that constant there. Lists, not sets:
        # most postings hold one id, and a list of one is a third of a set's memory.
        self.postings: dict[tuple[int, str], list[str]] = {}
        self.wild: set[str] = set()
        # Partial constant tokens (``uid=<*>``) of each cluster that has some, by position.
        self.partial: dict[str, list[tuple[int, str]]] = {}
        self.partial_only: set[str] = set()  # clusters whose constants are all partial

    def index(self, c: Cluster) -> None:
        self.clusters[c.id] = c
        self.by_template[c.template] = c
        if c.n_const == 0:
            self.wild.add(c.id)
        partial = []
        plain = 0
        for i, tok in enumerate(c.tokens):
            if WILDCARD not in tok:
                plain += 1
                self.postings.setdefault((i, tok), []).append(c.id)
                stem = _stem(tok)
                if stem is not None:
                    self.postings.setdefault((i, stem), []).append(c.id)
            elif is_constant(tok):
                partial.append((i, tok))
        if partial:
            self.partial[c.id] = partial
            if not plain:
                self.partial_only.add(c.id)

    def unindex(self, c: Cluster) -> None:
        self.clusters.pop(c.id, None)
        if self.by_template.get(c.template) is c:
            del self.by_template[c.template]
        self.wild.discard(c.id)
        self.partial.pop(c.id, None)
        self.partial_only.discard(c.id)
        for i, tok in enumerate(c.tokens):
            if WILDCARD not in tok:
                stem = _stem(tok)
                for key in ((i, tok),) if stem is None else ((i, tok), (i, stem)):
                    ids = self.postings.get(key)
                    if ids is not None and c.id in ids:
                        ids.remove(c.id)
                        if not ids:
                            del self.postings[key]


class Miner:
    """Streaming template miner over masked token lists. Not thread-safe."""

    def __init__(
        self,
        similarity: float,
        max_patterns: int,
        min_word_values: int = 4,
        min_slot_values: int = 2,
        max_bytes: int = 256 * 1024 * 1024,
    ) -> None:
        self.similarity = similarity
        self.max_patterns = max_patterns
        self.max_bytes = max_bytes
        self._bytes = 0  # estimated bytes of the live patterns (see _cost)
        self.min_word_values = min_word_values
        self.min_slot_values = min_slot_values
        # Key words seen in front of values that are words (``user`` of ``user=<*>`` or of
        # ``for user <*>``): a word after one of them is a value slot (see _value_slots).
        self._keys: dict[str, None] = {}
        # Contexts (templates with the slot as <*>) where a word after a candidate key took
        # two values, per candidate key (see _slot_in_contexts).
        self._contexts: dict[str, list[list[str]]] = {}
        # Words seen filling a word slot (``root`` of ``user=root``, ``ftp`` of ``START: <*>``):
        # where two of them differ, in any template, the place is a value slot too.
        self._values: dict[str, None] = {}
        self._buckets: dict[int, _Bucket] = {}
        self._lru: OrderedDict[str, Cluster] = OrderedDict()
        self._aliases: dict[str, str] = {}  # folded id -> live id (always one step)
        self._folded: dict[str, list[str]] = {}  # live id -> ids folded into it
        self._skeletons: dict[str, set[str]] = {}
        self._churn = 0.0  # moving share of learned lines that started a new pattern
        # The same share per source (Miner.learn's ``source``): many sources starting at once
        # in one stream bring many new patterns, which is no noise within any of them.
        self._churns: dict[int, float] = {}
        self._next_order = 0
        self.evictions = 0
        self._unindexed = False  # restored without its index (see restore_unindexed)

    @property
    def noisy(self) -> bool:
        """True while nearly every line starts a new pattern (binary noise, ids that masking
        misses): caches that pay off only on repeated shapes are not worth filling then."""
        return self._churn >= _CHURN_LIMIT

    # -- lookup -------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._lru)

    def clusters(self) -> Iterator[Cluster]:
        """Live clusters, least recently used first."""
        return iter(self._lru.values())

    def get(self, pattern_id: str) -> Cluster | None:
        """The live cluster for an id or one of its aliases."""
        return self._lru.get(self._aliases.get(pattern_id, pattern_id))

    def touch(self, c: Cluster) -> None:
        """Mark ``c`` as recently used (protects it from eviction)."""
        self._lru.move_to_end(c.id)

    # -- learning -----------------------------------------------------------------------

    def learn(self, tokens: list[str], source: int = -1) -> Cluster:
        """Place a masked token list in a pattern (joining or creating one) and return it.

        ``source`` (>= 0) names where the line comes from (the engine's header layout of
        the line): a line finds its own source's patterns first, and words that differ
        between a line and a pattern of another source never make a variable (two sources'
        constants are no evidence of one value slot); values told apart by masking still
        join. -1: not known (every pattern is the line's own)."""
        if self._unindexed:
            self._build_index()
        n = len(tokens)
        bucket = self._buckets.get(n)
        if bucket is None:
            bucket = self._buckets[n] = _Bucket()
        template = " ".join(tokens)
        exact = bucket.by_template.get(template)
        if exact is not None:
            self.touch(exact)
            exact.add_source(source)
            return exact
        best = self._best(bucket, tokens, source)
        churn = self._churn
        fresh = _CHURN_WEIGHT if best is None else 0.0
        self._churn = churn * (1 - _CHURN_WEIGHT) + fresh
        if source >= 0:
            churns = self._churns
            churn = churns.pop(source, 0.0)
            if len(churns) >= _MAX_SOURCE_CHURNS:
                churns.pop(next(iter(churns)))
            churns[source] = churn * (1 - _CHURN_WEIGHT) + fresh
        if best is None:
            # Aligning across lengths is the costly step; when nearly every line is a new
            # pattern (binary noise, unmasked ids) it is skipped until the stream settles.
            other = self._best_other_length(tokens, source=source) if churn < _CHURN_LIMIT else None
            if other is None:
                c = self._create(bucket, tokens, template)
                c.add_source(source)
                return c
            target = self._relength(other[0], other[1])
            for _ in range(4):  # the new template may now meet another length's pattern
                more = self._best_other_length(target.tokens, skip=target, source=source)
                if more is None:
                    break
                target = self._merge_across(target, more[0], more[1])
            target.add_source(source)
            return target
        if _foreign(best, tokens, source):
            # A pattern of another source is not this line's event with other words: the
            # line starts its own source's pattern.
            c = self._create(bucket, tokens, template)
            c.add_source(source)
            return c
        merged = [
            t if t in (u, WILDCARD) else generalise_token(t, u)
            for t, u in zip(best.tokens, tokens, strict=True)
        ]
        siblings: list[Cluster] = []
        if self._word_only_change(best.tokens, tokens, merged):
            # Words (no masked evidence) differ: keep them apart until enough different words
            # were seen at the same place (Failed/Accepted stay two patterns; user names merge).
            # Where state names differ (from NEW to RUNNING), the lines never merge, whatever
            # else differs (another job's name): the line joins a pattern of its own states.
            if any(
                _state_change(best.tokens, j, o, u)
                for j, (o, u, m) in enumerate(zip(best.tokens, tokens, merged, strict=True))
                if o != m != u
            ):
                alternative = self._value_only(bucket, tokens, best, source)
                if alternative is not None:
                    return self._join(bucket, alternative, tokens, source=source)
                c = self._create(bucket, tokens, template)
                c.add_source(source)
                return c
            siblings = self._covered(bucket, merged, best, source)
            slots = self._value_slots(best.tokens, tokens, merged) or self._slot_in_contexts(
                best.tokens, tokens, merged
            )
            need = self.min_slot_values if slots else self.min_word_values
            if not slots and self._value_slots(best.tokens, tokens, merged, sooner=True):
                need = max(self.min_slot_values, self.min_word_values - 1)
            if _distinct_words(best.tokens, tokens, merged, siblings) < need:
                alternative = self._value_only(bucket, tokens, best, source)
                if alternative is None:
                    c = self._create(bucket, tokens, template)
                    c.add_source(source)
                    return c
                return self._join(bucket, alternative, tokens, source=source)
            self._learn_keys(best.tokens, tokens, merged)
            for sib in siblings:
                self._learn_keys(sib.tokens, tokens, merged)
            return self._join(bucket, best, tokens, merged, siblings, source)
        return self._join(bucket, best, tokens, merged, source=source)

    def _join(
        self,
        bucket: _Bucket,
        best: Cluster,
        tokens: list[str],
        merged: list[str] | None = None,
        siblings: list[Cluster] | None = None,
        source: int = -1,
    ) -> Cluster:
        """Generalise ``best`` to ``merged`` (by default its merge with ``tokens``), folding in
        ``siblings``; by default the patterns the new template covers when a number glued to a
        name made a place a variable at once (patterns kept apart by that place so far join
        too). A part of a composite value makes its place a variable too, but folds nothing
        in: the covered patterns may differ from ``best`` elsewhere, where its template was
        already general (on Loghub BGL, ``program interrupt:`` events of other words joined).
        The pattern remembers ``source`` (see :meth:`learn`)."""
        if merged is None:
            merged = [
                t if t in (u, WILDCARD) else generalise_token(t, u)
                for t, u in zip(best.tokens, tokens, strict=True)
            ]
        if siblings is None:
            siblings = []
            if any(
                o != m != u and _digits_only(o, u)
                for o, u, m in zip(best.tokens, tokens, merged, strict=True)
            ):
                siblings = self._covered(bucket, merged, best, source)
        self._generalise(bucket, best, merged)
        target = self.get(best.id) or best
        for sib in siblings:
            if sib.alive and sib is not target:
                self._fold(bucket, target, sib, target.tokens)
                target = self.get(target.id) or target
        target.add_source(source)
        return target

    def learn_form(self, tokens: list[str], source: int = -1) -> Cluster:
        """:meth:`learn`, remembering ``tokens`` among the pattern's first distinct forms."""
        c = self.learn(tokens, source)
        forms = c.forms
        if len(forms) < MAX_FORMS and tokens not in forms:
            forms.append(list(tokens))
            self._add_cost(c, _form_cost(tokens))
        return c

    def _add_cost(self, c: Cluster, more: int) -> None:
        """``c`` holds ``more`` bytes more (counted from the next pattern created on)."""
        c.cost += more
        if c.alive and self._lru.get(c.id) is c:
            self._bytes += more

    def match(self, tokens: list[str]) -> Cluster | None:
        """The pattern ``tokens`` would join, without changing anything."""
        if self._unindexed:
            self._build_index()
        bucket = self._buckets.get(len(tokens))
        if bucket is None:
            return None
        exact = bucket.by_template.get(" ".join(tokens))
        return exact if exact is not None else self._best(bucket, tokens)

    def add(self, pattern_id: str, tokens: list[str]) -> Cluster:
        """Register a known pattern under a given id (seeding from a store)."""
        existing = self.get(pattern_id)
        if existing is not None:
            return existing
        if self._unindexed:
            self._build_index()
        n = len(tokens)
        bucket = self._buckets.setdefault(n, _Bucket())
        same = bucket.by_template.get(" ".join(tokens))
        if same is not None:
            self._alias(pattern_id, same.id)
            return same
        c = Cluster(pattern_id, list(tokens), self._next_order)
        self._next_order += 1
        self._insert(bucket, c)
        return c

    @staticmethod
    def _word_only_change(old: list[str], line: list[str], merged: list[str]) -> bool:
        """True when generalising ``old`` to ``merged`` drops constant text that masking gave
        no reason to drop: somewhere, neither the old token nor the line's covers the other."""
        return any(
            o != m and m != u and not _digits_only(o, u) and not _composite(o, u)
            for o, u, m in zip(old, line, merged, strict=True)
        )

    def _value_slots(
        self, old: list[str], line: list[str], merged: list[str], sooner: bool = False
    ) -> bool:
        """True when every word that differs sits where values sit: behind ``=`` in a
        ``key=value`` token, or right after a known key word (see :meth:`_learn_keys`).
        Elsewhere a differing word may be the event itself (``Job started`` / ``Job paused``,
        ``from RUNNING to FAILED``), and more values must be seen before it is a variable.
        With ``sooner``, words shaped like values (:func:`_value_shaped`) pass too."""
        for j, (o, u, m) in enumerate(zip(old, line, merged, strict=True)):
            if o == m or m == u or (sooner and _value_shaped(o, u, j)):
                continue
            if _digits_only(o, u) or _composite(o, u):
                continue  # a value at once (see _word_only_change), whatever its place
            if _key_of(m) is not None or (_QUOTED.fullmatch(m) and not _named_state(o, u)):
                continue
            if j and merged[j - 1] == WILDCARD and _bare(o) in _UNITS and _bare(u) in _UNITS:
                continue  # the unit of the number before: part of its value (``<*> KB``)
            if o.strip(_AROUND) in _HTTP_METHODS and u.strip(_AROUND) in _HTTP_METHODS:
                continue  # a request's method ("GET / "POST): a value of the request
            if _enum(o, u):
                return False
            before = _bare(merged[j - 1]) if j else ""
            if before in _MANNER:
                return False  # stored as bytes / stored as values: two events
            if j and (before in self._keys or _after_lone_equals(merged, j)):
                continue  # after a key word, or after a lone "=" (``owner = <*>``)
            if _bare(o) in self._values and _bare(u) in self._values and not _named_state(o, u):
                continue  # both words filled word slots elsewhere
            if j and _name_like(o) and _name_like(u):
                continue  # Proxy api started. / Stopping frontend stats in <*> ms.
            return False
        return True

    def _slot_in_contexts(self, old: list[str], line: list[str], merged: list[str]) -> bool:
        """Count the contexts in which one word after a plain word ``w`` takes two values
        (``for user root`` / ``for user bob``); once ``w`` did so in ``min_key_contexts``
        unrelated templates (different lengths, or different in two more places), ``w`` is
        a key word and the word after it a value. Within one template family the slot may be
        the event itself (``Service x is up`` / ``is down``), so that family counts once."""
        changed = [
            j for j, (o, u, m) in enumerate(zip(old, line, merged, strict=True)) if o != m != u
        ]
        if len(changed) != 1 or changed[0] == 0:
            return False
        before = merged[changed[0] - 1]
        if not _plain_word(before) or before.endswith(":") or _bare(before) in _MANNER:
            return False  # a label (``en0:``, ``Captive:``) opens a message, not a value
        if _enum(old[changed[0]], line[changed[0]]):
            return False
        j = changed[0]
        key = _bare(merged[j - 1])
        context = [*merged[:j], WILDCARD, *merged[j + 1 :]]
        seen = self._contexts.setdefault(key, [])
        if not any(_related(context, c) for c in seen):
            if len(self._contexts) > _MAX_KEYS:
                self._contexts.clear()
            seen.append(context)
            if len(seen) >= _MIN_KEY_CONTEXTS:
                self._add_key(key)
                del self._contexts[key]
                return True
        return False

    def _add_key(self, key: str) -> None:
        keys = self._keys
        if key not in keys:
            if len(keys) >= _MAX_KEYS:
                keys.pop(next(iter(keys)))
            keys[key] = None

    def _learn_keys(self, old: list[str], line: list[str], merged: list[str]) -> None:
        """Remember the key words in front of the words that just became variables: the key
        of a ``key=<*>`` token, or the plain word before a lone ``<*>``; and the words
        themselves, as words that fill slots."""
        for j, (o, u, m) in enumerate(zip(old, line, merged, strict=True)):
            if o == m or m == u:
                continue
            for word in (o, u):
                bare = _bare(word)
                if bare.isalpha() and not _enum(word, word):
                    values = self._values
                    if bare not in values:
                        if len(values) >= _MAX_VALUE_WORDS:
                            values.pop(next(iter(values)))
                        values[bare] = None
            key = _key_of(m)
            if key is None and m == WILDCARD and j and _plain_word(merged[j - 1]):
                key = _bare(merged[j - 1])
            if key is not None:
                self._add_key(key)

    def _covered(
        self, bucket: _Bucket, template: list[str], skip: Cluster, source: int = -1
    ) -> list[Cluster]:
        """Other clusters of ``bucket`` whose templates ``template`` covers (of ``source``,
        see :meth:`learn`)."""
        best_ids: list[str] | None = None
        for i, tok in enumerate(template):
            if WILDCARD in tok or not is_constant(tok):
                continue
            ids = bucket.postings.get((i, tok))
            if ids is None:
                return []
            if best_ids is None or len(ids) < len(best_ids):
                best_ids = ids
        pool = sorted(
            (bucket.clusters[cid] for cid in (bucket.clusters if best_ids is None else best_ids)),
            key=lambda c: c.order,
        )
        out = []
        for c in pool[:_MAX_SIBLING_SCAN]:
            if c is not skip and c.of_source(source) and covers(template, c.tokens):
                out.append(c)
        return out

    def _best(self, bucket: _Bucket, tokens: list[str], source: int = -1) -> Cluster | None:
        """The most similar pattern of the bucket, if similar enough; one of ``source``'s own
        before any other source's (see :meth:`learn`)."""
        shared, line_const = self._shared(bucket, tokens)
        best: Cluster | None = None
        best_key: tuple[bool, float, int, int, int] = (False, self.similarity, 0, 0, -(1 << 62))
        clusters = bucket.clusters
        for cid, m in shared.items():
            c = clusters[cid]
            sim = m / max(c.n_const, line_const, 1)
            if sim < self.similarity:
                continue
            # the line's own source first; ties go to the older pattern
            key = (c.of_source(source), sim, m, c.count, -c.order)
            if key >= best_key and (best is None or key > best_key):
                best, best_key = c, key
        if best is None and line_const == 0:
            for cid in bucket.wild:
                return clusters[cid]
        return best

    def _value_only(
        self, bucket: _Bucket, tokens: list[str], skip: Cluster, source: int = -1
    ) -> Cluster | None:
        """The most similar pattern of the bucket besides ``skip`` that ``tokens`` joins with
        values only (no word of its template dropped, but for the values of ``key=value``
        tokens: ``IN=eth0`` / ``IN=br0``): where the most similar pattern
        differs in a word (``Type:ContainerDied`` for a ``Type:ContainerStarted`` line), the
        line belongs with a pattern of its own event that differs in a value (another
        namespace).
        Not another source's pattern where the line has a word it has not (see :meth:`learn`)."""
        shared, line_const = self._shared(bucket, tokens)
        best: Cluster | None = None
        best_key: tuple[float, int, int, int] = (self.similarity, 0, 0, -(1 << 62))
        clusters = bucket.clusters
        for cid, m in shared.items():
            c = clusters[cid]
            if c is skip or _foreign(c, tokens, source):
                continue
            sim = m / max(c.n_const, line_const, 1)
            key = (sim, m, c.count, -c.order)
            if key < best_key or (best is not None and key == best_key):
                continue
            merged = [
                t if t in (u, WILDCARD) else generalise_token(t, u)
                for t, u in zip(c.tokens, tokens, strict=True)
            ]
            if not self._word_only_change(c.tokens, tokens, merged) or _keyed_only(
                c.tokens, tokens, merged
            ):
                best, best_key = c, key
        return best

    def _shared(self, bucket: _Bucket, tokens: list[str]) -> tuple[dict[str, int], int]:
        """Constant tokens each pattern of the bucket shares with ``tokens`` (by id), and the
        line's count of constants."""
        shared: dict[str, int] = {}
        line_const = 0
        postings = bucket.postings
        for i, tok in enumerate(tokens):
            if WILDCARD in tok and not is_constant(tok):
                continue
            # A placeholder (<none>, <unknown>) stands where a value is missing: it matches a
            # pattern that has it, and it may fill a slot of one that has a value there.
            line_const += _PLACEHOLDER.fullmatch(tok) is None
            ids = postings.get((i, tok))
            if ids:
                for cid in ids:
                    shared[cid] = shared.get(cid, 0) + 1
            stem = _stem(tok) if WILDCARD not in tok else None
            if stem is not None:
                # The same name with another word in its brackets counts as shared: whether
                # that word is a value is then decided as for any word (see Miner.learn).
                others = postings.get((i, stem))
                if others:
                    for cid in others:
                        if not ids or cid not in ids:
                            shared[cid] = shared.get(cid, 0) + 1
        # Partial constants (uid=<*>) match tokens they cover, which no posting can find:
        # looked at for patterns that share a word with the line, or have no plain word.
        partial = bucket.partial
        for cid in [*shared, *bucket.partial_only]:
            partials = partial.get(cid)
            if partials:
                extra = sum(1 for i, t in partials if fits(t, tokens[i]))
                if extra:
                    shared[cid] = shared.get(cid, 0) + extra
        return shared, line_const

    def _create(self, bucket: _Bucket, tokens: list[str], template: str) -> Cluster:
        salt = 0
        pid = pattern_id_for(template)
        while pid in self._lru or pid in self._aliases:
            salt += 1
            pid = pattern_id_for(template, salt)
        c = Cluster(pid, list(tokens), self._next_order)
        self._next_order += 1
        self._insert(bucket, c)
        return c

    def _insert(self, bucket: _Bucket, c: Cluster) -> None:
        self._index(bucket, c)
        self._lru[c.id] = c
        c.cost = _cost(c)
        self._bytes += c.cost
        while len(self._lru) > self.max_patterns or (
            self._bytes > self.max_bytes and len(self._lru) > 1
        ):
            _, old = self._lru.popitem(last=False)
            self._bytes -= old.cost
            self._unindex(self._bucket_of(old), old)
            old.alive = False
            self._forget_aliases(old.id)
            self.evictions += 1

    def _alias(self, old: str, new: str) -> None:
        """Make ``old`` answer to ``new``, and everything folded into ``old`` too (one step,
        so lookups never walk chains)."""
        moved = self._folded.pop(old, [])
        for pid in moved:
            self._aliases[pid] = new
        self._aliases[old] = new
        self._folded.setdefault(new, []).extend([*moved, old])

    def _forget_aliases(self, pid: str) -> None:
        """An evicted pattern takes the ids folded into it along (memory stays bounded)."""
        for old in self._folded.pop(pid, []):
            self._aliases.pop(old, None)

    def folded_into(self, pid: str) -> list[str]:
        """Ids of patterns folded into the live pattern ``pid``."""
        return list(self._folded.get(pid, ()))

    def _bucket_of(self, c: Cluster) -> _Bucket:
        return self._buckets[len(c.tokens)]

    def _index(self, bucket: _Bucket, c: Cluster) -> None:
        bucket.index(c)
        key = skeleton_key(c.tokens)
        if key is not None:
            self._skeletons.setdefault(key, set()).add(c.id)

    def _unindex(self, bucket: _Bucket, c: Cluster) -> None:
        bucket.unindex(c)
        key = skeleton_key(c.tokens)
        ids = self._skeletons.get(key) if key is not None else None
        if ids is not None:
            ids.discard(c.id)
            if not ids:
                del self._skeletons[key]  # type: ignore[arg-type]

    def _best_other_length(
        self, tokens: list[str], skip: Cluster | None = None, source: int = -1
    ) -> tuple[Cluster, list[str]] | None:
        """A pattern of another length (of ``source``, see :meth:`learn`) whose template
        merges with ``tokens`` (see :mod:`logsum.core.align`), and the merged template."""
        key = skeleton_key(tokens)
        if key is None:
            return None
        best: tuple[Cluster, list[str]] | None = None
        best_size = 0
        n = len(tokens)
        pool = [self._lru[cid] for cid in self._skeletons.get(key, ()) if cid in self._lru]
        pool.sort(key=lambda c: -c.order)  # newest first, deterministically
        for c in pool[:_MAX_LENGTH_CANDIDATES]:
            if (
                c is None
                or c is skip
                or len(c.tokens) == n
                or abs(len(c.tokens) - n) > _MAX_LENGTH_GAP
                or not c.of_source(source)
            ):
                continue
            merged = merge_lengths(c.tokens, tokens, c.multi_length)
            if merged is not None and merged[1] > best_size:
                best, best_size = (c, merged[0]), merged[1]
        return best

    def _merge_across(self, a: Cluster, b: Cluster, tokens: list[str]) -> Cluster:
        """Merge two patterns of different lengths into one with template ``tokens``."""
        keep, gone = (a, b) if a.order < b.order else (b, a)
        self._unindex(self._bucket_of(gone), gone)
        self._absorb(keep, gone)
        return self._relength(keep, tokens)

    def _relength(self, c: Cluster, tokens: list[str]) -> Cluster:
        """Give ``c`` a template of another length, moving it to that length's bucket."""
        self._unindex(self._bucket_of(c), c)
        c.multi_length = True
        c.tokens = list(tokens)
        c.template = " ".join(tokens)
        c.n_const = _constants(tokens)
        c.version = next(_VERSIONS)
        bucket = self._buckets.setdefault(len(tokens), _Bucket())
        other = bucket.by_template.get(c.template)
        self._index(bucket, c)
        if other is not None and other is not c:
            self._fold(bucket, c, other, tokens)
        self.touch(self.get(c.id) or c)
        return self.get(c.id) or c

    def _generalise(self, bucket: _Bucket, c: Cluster, new: list[str]) -> None:
        self.touch(c)
        if new == c.tokens:
            return
        self._unindex(bucket, c)
        c.tokens = new
        c.template = " ".join(new)
        c.n_const = _constants(new)
        c.version = next(_VERSIONS)
        other = bucket.by_template.get(c.template)
        if other is not None and other is not c:
            self._index(bucket, c)
            self._fold(bucket, c, other, new)
            return
        self._index(bucket, c)

    def _fold(self, bucket: _Bucket, a: Cluster, b: Cluster, tokens: list[str]) -> None:
        """Merge two clusters into one with template ``tokens``; the older id survives and the
        younger becomes its alias."""
        keep, gone = (a, b) if a.order < b.order else (b, a)
        self._unindex(bucket, gone)
        self._unindex(bucket, keep)
        if keep.tokens != tokens:
            keep.tokens = list(tokens)
            keep.template = " ".join(tokens)
            keep.n_const = _constants(tokens)
        keep.version = next(_VERSIONS)
        self._index(bucket, keep)
        self._absorb(keep, gone)

    def _absorb(self, keep: Cluster, gone: Cluster) -> None:
        """``keep`` takes over ``gone``'s lines, times and severity; ``gone``'s id becomes an
        alias of ``keep``'s."""
        keep.count += gone.count
        for source in gone.sources:
            keep.add_source(source)
        keep.first_seen = _min(keep.first_seen, gone.first_seen)
        keep.last_seen = _max(keep.last_seen, gone.last_seen)
        if gone.level_severity is not None and (
            keep.level_severity is None or gone.level_severity.rank < keep.level_severity.rank
        ):
            keep.level_severity = gone.level_severity
        forms = keep.forms
        for form in gone.forms:
            if len(forms) >= MAX_FORMS:
                break
            if form not in forms:
                forms.append(form)
                self._add_cost(keep, _form_cost(form))
        gone.alive = False
        if self._lru.pop(gone.id, None) is not None:
            self._bytes -= gone.cost
        self._alias(gone.id, keep.id)

    def fold_into(self, keep: Cluster, gone: Cluster) -> bool:
        """Move ``gone``'s lines into ``keep`` whatever their templates (a caller that found
        them to be one event read otherwise); ``gone``'s id becomes an alias of ``keep``'s.
        False when either is no longer alive."""
        if keep is gone or not (keep.alive and gone.alive):
            return False
        if self._unindexed:
            self._build_index()
        self._unindex(self._bucket_of(gone), gone)
        gone.forms = []  # (its lines were misread: merging partitions re-mines keep's forms)
        self._absorb(keep, gone)
        return True

    # -- state --------------------------------------------------------------------------

    def aliases(self) -> dict[str, str]:
        """Ids of folded patterns and the id they now answer to."""
        return dict(self._aliases)

    def restore(self, clusters: list[Cluster], aliases: dict[str, str]) -> None:
        """Load clusters (in least-recently-used order) and aliases saved earlier."""
        for c in clusters:
            self._next_order = max(self._next_order, c.order + 1)
            bucket = self._buckets.setdefault(len(c.tokens), _Bucket())
            self._insert(bucket, c)
            if c.forms:
                self._add_cost(c, sum(map(_form_cost, c.forms)))
        for old, new in aliases.items():
            if new in self._lru and old not in self._lru:
                self._alias(old, new)

    def restore_unindexed(
        self, clusters: list[Cluster], aliases: dict[str, str], learned: tuple[Any, ...]
    ) -> None:
        """Load the clusters of a miner within its limits (least recently used first), its
        aliases and what it learned about words (``learned``, from :meth:`learned`), leaving
        the index to be built by the first line that needs it: a miner brought back whose
        lines all replay known shapes never pays for it."""
        for c in clusters:
            self._next_order = max(self._next_order, c.order + 1)
            c.cost = _cost(c)
            self._bytes += c.cost
            self._lru[c.id] = c
        self._unindexed = bool(clusters)
        for old, new in aliases.items():
            if new in self._lru and old not in self._lru:
                self._alias(old, new)
        keys, contexts, churn, next_order, evictions = learned
        self._keys = dict.fromkeys(keys)
        self._contexts = {k: [list(c) for c in v] for k, v in contexts}
        self._churn = churn
        self._next_order = max(self._next_order, next_order)
        self.evictions = evictions

    def learned(self) -> tuple[Any, ...]:
        """What the miner learned besides its patterns, as plain values: the key words, their
        contexts, the share of new patterns, the next creation order and the evictions."""
        return (
            tuple(self._keys),
            tuple((k, tuple(tuple(c) for c in v)) for k, v in self._contexts.items()),
            self._churn,
            self._next_order,
            self.evictions,
        )

    def export_learned(self) -> dict[str, Any]:
        """What the miner learned besides its patterns, as JSON values (see
        :meth:`load_learned`): the key words and their contexts, the words seen filling word
        slots, the share of new patterns overall and per source, the next creation order and
        the evictions (oldest entries first)."""
        return {
            "keys": list(self._keys),
            "contexts": [[k, [list(c) for c in v]] for k, v in self._contexts.items()],
            "values": list(self._values),
            "churn": self._churn,
            "churns": [[source, share] for source, share in self._churns.items()],
            "next_order": self._next_order,
            "evictions": self.evictions,
        }

    def load_learned(self, data: Any) -> None:
        """Take back what :meth:`export_learned` gave, after the patterns were restored
        (validated; ``ValueError`` when malformed)."""
        if not isinstance(data, dict):
            raise ValueError("the miner's memory must be an object")
        keys, contexts, values = (
            data.get("keys", []),
            data.get("contexts", []),
            data.get("values", []),
        )
        churns = data.get("churns", [])
        churn, next_order, evictions = (
            data.get("churn", 0.0),
            data.get("next_order", 0),
            data.get("evictions", 0),
        )
        if not (
            _strings(keys)
            and _strings(values)
            and isinstance(contexts, list)
            and all(
                isinstance(e, list)
                and len(e) == 2
                and isinstance(e[0], str)
                and isinstance(e[1], list)
                and all(_strings(c) for c in e[1])
                for e in contexts
            )
            and isinstance(churns, list)
            and all(
                isinstance(e, list)
                and len(e) == 2
                and isinstance(e[0], int)
                and isinstance(e[1], int | float)
                for e in churns
            )
            and isinstance(churn, int | float)
            and isinstance(next_order, int)
            and isinstance(evictions, int)
        ):
            raise ValueError("malformed miner memory")
        self._keys = dict.fromkeys(keys[-_MAX_KEYS:])
        self._contexts = {k: [list(c) for c in v] for k, v in contexts[-_MAX_KEYS:]}
        self._values = dict.fromkeys(values[-_MAX_VALUE_WORDS:])
        self._churn = float(churn)
        self._churns = {source: float(share) for source, share in churns[-_MAX_SOURCE_CHURNS:]}
        self._next_order = max(self._next_order, next_order)
        self.evictions = max(0, evictions)

    def _build_index(self) -> None:
        """Index the clusters :meth:`restore_unindexed` loaded."""
        self._unindexed = False
        for c in self._lru.values():
            self._index(self._buckets.setdefault(len(c.tokens), _Bucket()), c)

    @property
    def held_bytes(self) -> int:
        """Estimated bytes of the live patterns (what ``max_bytes`` bounds)."""
        return self._bytes


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _cost(c: Cluster) -> int:
    """Estimated bytes a pattern holds: its tokens and template, its entries in the inverted
    index (about one per token), and the object itself; its examples are capped apart (see
    ``EngineConfig.max_example_chars``)."""
    return 2 * len(c.template) + 160 * len(c.tokens) + 1024


def _form_cost(form: list[str]) -> int:
    """Estimated bytes of one remembered form (``Cluster.forms``)."""
    return sum(len(t) for t in form) + 64 * len(form) + 64


def _min(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None:
        return b
    return a if b is None or a <= b else b


def _max(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None:
        return b
    return a if b is None or a >= b else b
