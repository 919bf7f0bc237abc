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
from collections import OrderedDict
from collections.abc import Iterator
from datetime import datetime

from logsum.core.model import WILDCARD, Severity

_DELIMS = frozenset("=:([{<'\"/,@#.;|")
_CLOSERS = frozenset("=:)]}>'\"/,@#.;|")


def pattern_id_for(template: str, salt: int = 0) -> str:
    """The stable id of a pattern created from ``template`` (same template, same id)."""
    data = template.encode("utf-8", "surrogatepass") + (b"\x00%d" % salt if salt else b"")
    return "p_" + hashlib.blake2b(data, digest_size=8).hexdigest()


def generalise_token(a: str, b: str) -> str:
    """The most specific token covering both ``a`` and ``b``: shared punctuation-delimited
    prefix and suffix around one ``<*>``, or ``<*>`` alone."""
    if a == b:
        return a
    n = min(len(a), len(b))
    p = 0
    while p < n and a[p] == b[p]:
        p += 1
    while p > 0 and a[p - 1] not in _DELIMS:
        p -= 1
    s = 0
    while s < n - p and a[-1 - s] == b[-1 - s]:
        s += 1
    while s > 0 and a[-s] not in _CLOSERS:
        s -= 1
    if p == 0 and s == 0:
        return WILDCARD
    core_a = a[p : len(a) - s]
    core_b = b[p : len(b) - s]
    if not core_a and not core_b:
        return WILDCARD
    out = a[:p] + WILDCARD + (a[len(a) - s :] if s else "")
    # Directly adjacent wildcards are one.
    while WILDCARD + WILDCARD in out:
        out = out.replace(WILDCARD + WILDCARD, WILDCARD)
    return out


class Cluster:
    """One pattern's mutable state. Owned by the :class:`Miner`."""

    __slots__ = (
        "alive",
        "count",
        "examples",
        "examples_version",
        "first_seen",
        "id",
        "last_seen",
        "level_severity",
        "n_const",
        "order",
        "template",
        "tokens",
        "version",
    )

    def __init__(self, pid: str, tokens: list[str], order: int) -> None:
        self.id = pid
        self.tokens = tokens
        self.template = " ".join(tokens)
        self.n_const = sum(1 for t in tokens if t != WILDCARD)
        self.count = 0
        self.first_seen: datetime | None = None
        self.last_seen: datetime | None = None
        self.level_severity: Severity | None = None
        self.examples: dict[int, list[str]] = {}
        self.examples_version = 0
        self.alive = True
        self.order = order
        self.version = 0


class _Bucket:
    """Patterns of one token count, with an inverted index of their constant tokens."""

    __slots__ = ("by_template", "clusters", "postings", "wild")

    def __init__(self) -> None:
        self.clusters: dict[str, Cluster] = {}
        self.by_template: dict[str, Cluster] = {}
        self.postings: dict[tuple[int, str], set[str]] = {}
        self.wild: set[str] = set()

    def index(self, c: Cluster) -> None:
        self.clusters[c.id] = c
        self.by_template[c.template] = c
        if c.n_const == 0:
            self.wild.add(c.id)
        for i, tok in enumerate(c.tokens):
            if tok != WILDCARD:
                self.postings.setdefault((i, tok), set()).add(c.id)

    def unindex(self, c: Cluster) -> None:
        self.clusters.pop(c.id, None)
        if self.by_template.get(c.template) is c:
            del self.by_template[c.template]
        self.wild.discard(c.id)
        for i, tok in enumerate(c.tokens):
            if tok != WILDCARD:
                ids = self.postings.get((i, tok))
                if ids is not None:
                    ids.discard(c.id)
                    if not ids:
                        del self.postings[(i, tok)]


class Miner:
    """Streaming template miner over masked token lists. Not thread-safe."""

    def __init__(self, similarity: float, max_patterns: int) -> None:
        self.similarity = similarity
        self.max_patterns = max_patterns
        self._buckets: dict[int, _Bucket] = {}
        self._lru: OrderedDict[str, Cluster] = OrderedDict()
        self._aliases: dict[str, str] = {}
        self._next_order = 0
        self.evictions = 0

    # -- lookup -------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._lru)

    def clusters(self) -> Iterator[Cluster]:
        """Live clusters, least recently used first."""
        return iter(self._lru.values())

    def get(self, pattern_id: str) -> Cluster | None:
        """The live cluster for an id or one of its aliases."""
        seen = 0
        while pattern_id in self._aliases and seen < 64:
            pattern_id = self._aliases[pattern_id]
            seen += 1
        return self._lru.get(pattern_id)

    def touch(self, c: Cluster) -> None:
        """Mark ``c`` as recently used (protects it from eviction)."""
        self._lru.move_to_end(c.id)

    # -- learning -----------------------------------------------------------------------

    def learn(self, tokens: list[str]) -> Cluster:
        """Place a masked token list in a pattern (joining or creating one) and return it."""
        n = len(tokens)
        bucket = self._buckets.get(n)
        if bucket is None:
            bucket = self._buckets[n] = _Bucket()
        template = " ".join(tokens)
        exact = bucket.by_template.get(template)
        if exact is not None:
            self.touch(exact)
            return exact
        best = self._best(bucket, tokens)
        if best is None:
            return self._create(bucket, tokens, template)
        self._generalise(bucket, best, tokens)
        return self.get(best.id) or best

    def match(self, tokens: list[str]) -> Cluster | None:
        """The pattern ``tokens`` would join, without changing anything."""
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
        n = len(tokens)
        bucket = self._buckets.setdefault(n, _Bucket())
        same = bucket.by_template.get(" ".join(tokens))
        if same is not None:
            self._aliases[pattern_id] = same.id
            return same
        c = Cluster(pattern_id, list(tokens), self._next_order)
        self._next_order += 1
        self._insert(bucket, c)
        return c

    def _best(self, bucket: _Bucket, tokens: list[str]) -> Cluster | None:
        shared: dict[str, int] = {}
        line_const = 0
        postings = bucket.postings
        for i, tok in enumerate(tokens):
            if tok == WILDCARD:
                continue
            line_const += 1
            ids = postings.get((i, tok))
            if ids:
                for cid in ids:
                    shared[cid] = shared.get(cid, 0) + 1
        best: Cluster | None = None
        best_key = (self.similarity, 0, 0)
        clusters = bucket.clusters
        for cid, m in shared.items():
            c = clusters[cid]
            sim = m / max(c.n_const, line_const, 1)
            key = (sim, m, c.count)
            if key >= best_key and (best is None or key > best_key):
                best, best_key = c, key
        if best is None and line_const == 0:
            for cid in bucket.wild:
                return clusters[cid]
        return best

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
        bucket.index(c)
        self._lru[c.id] = c
        while len(self._lru) > self.max_patterns:
            _, old = self._lru.popitem(last=False)
            self._bucket_of(old).unindex(old)
            old.alive = False
            self.evictions += 1

    def _bucket_of(self, c: Cluster) -> _Bucket:
        return self._buckets[len(c.tokens)]

    def _generalise(self, bucket: _Bucket, c: Cluster, tokens: list[str]) -> None:
        new = [
            t if t == u or t == WILDCARD else generalise_token(t, u)
            for t, u in zip(c.tokens, tokens, strict=True)
        ]
        self.touch(c)
        if new == c.tokens:
            return
        bucket.unindex(c)
        c.tokens = new
        c.template = " ".join(new)
        c.n_const = sum(1 for t in new if t != WILDCARD)
        c.version += 1
        other = bucket.by_template.get(c.template)
        if other is not None and other is not c:
            self._fold(bucket, c, other)
            return
        bucket.index(c)

    def _fold(self, bucket: _Bucket, a: Cluster, b: Cluster) -> None:
        """Merge two clusters whose templates became equal; the older one survives."""
        keep, gone = (a, b) if a.order < b.order else (b, a)
        bucket.unindex(gone)
        bucket.unindex(keep)
        keep.count += gone.count
        keep.first_seen = _min(keep.first_seen, gone.first_seen)
        keep.last_seen = _max(keep.last_seen, gone.last_seen)
        if gone.level_severity is not None and (
            keep.level_severity is None or gone.level_severity.rank < keep.level_severity.rank
        ):
            keep.level_severity = gone.level_severity
        keep.version += 1
        bucket.index(keep)
        gone.alive = False
        self._lru.pop(gone.id, None)
        self._aliases[gone.id] = keep.id

    # -- state --------------------------------------------------------------------------

    def aliases(self) -> dict[str, str]:
        """Ids of folded patterns and the id they now answer to."""
        return dict(self._aliases)

    def restore(self, clusters: list[Cluster], aliases: dict[str, str]) -> None:
        """Load clusters (in least-recently-used order) and aliases saved earlier."""
        for c in clusters:
            c.order = self._next_order
            self._next_order += 1
            bucket = self._buckets.setdefault(len(c.tokens), _Bucket())
            self._insert(bucket, c)
        self._aliases.update(aliases)


def _min(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None:
        return b
    return a if b is None or a <= b else b


def _max(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None:
        return b
    return a if b is None or a >= b else b
