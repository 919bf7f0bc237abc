"""Saving and loading an engine's learned state: a versioned, documented JSON document.

No pickle: the state is plain JSON values, safe to load from an untrusted source (it is
validated field by field) and stable across refactors of the engine's classes.

Format ``logsum.engine-state`` version 1::

    {
      "format": "logsum.engine-state",
      "version": 1,
      "line_count": 12345,
      "patterns": [                      # least recently used first
        {
          "id": "p_0123456789abcdef",
          "tokens": ["Connection", "from", "<*>", "closed"],
          "count": 42,
          "order": 7,                        # creation order (older patterns win ties)
          "level_severity": "error" | null,   # most severe level seen on its lines
          "first_seen": "2024-01-01T10:00:00+00:00" | null,
          "last_seen": "...",
          "examples": [["10.0.0.1", "10.0.0.2"], ...]   # per wildcard, in order
        }
      ],
      "aliases": {"p_old": "p_new"}      # ids of patterns folded into another
    }
"""

from __future__ import annotations

import marshal
from datetime import datetime
from typing import TYPE_CHECKING, Any

from logsum.core.config import EngineConfig
from logsum.core.miner import Cluster
from logsum.core.model import Severity

if TYPE_CHECKING:
    from logsum.core.engine import Engine

_CACHE_ENTRY_BYTES = 200  # as the engine counts a masked-message cache entry

FORMAT = "logsum.engine-state"
VERSION = 1
COMPACT = b"logsum.engine-compact/1"
"""The first item of :func:`dump_compact`'s value: which layout of it this code reads."""


class StateError(ValueError):
    """The state document is not one this version can load."""


def pattern_record(c: Cluster, examples: list[list[str]]) -> dict[str, Any]:
    """One pattern of a saved state: the cluster's template, counts and times, with
    ``examples`` (the values seen at each wildcard, in order)."""
    return {
        "id": c.id,
        "tokens": list(c.tokens),
        "count": c.count,
        "order": c.order,
        "level_severity": c.level_severity.value if c.level_severity else None,
        "first_seen": c.first_seen.isoformat() if c.first_seen else None,
        "last_seen": c.last_seen.isoformat() if c.last_seen else None,
        "examples": examples,
    }


def dump_state(engine: Engine) -> dict[str, Any]:
    """The engine's state as a JSON-safe dict."""
    patterns = [
        pattern_record(c, [list(v) for _, v in sorted(c.examples.items())])
        for c in engine._miner.clusters()
    ]
    return {
        "format": FORMAT,
        "version": VERSION,
        "line_count": engine.line_count,
        "message_only": engine.message_only,
        "log_format": engine.log_format,
        "patterns": patterns,
        "aliases": engine._miner.aliases(),
    }


def load_state(
    cls: type[Engine], state: dict[str, Any], config: EngineConfig | None = None
) -> Engine:
    """Build an engine of class ``cls`` from a state made by :func:`dump_state`."""
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise StateError("not a LogSum engine state")
    if state.get("version") != VERSION:
        raise StateError(f"unsupported engine state version: {state.get('version')!r}")
    log_format = state.get("log_format")
    engine = cls(
        config,
        message_only=bool(state.get("message_only", False)),
        log_format=log_format if isinstance(log_format, str) else None,
    )
    clusters = [_cluster(i, p) for i, p in enumerate(_list(state, "patterns"))]
    aliases = state.get("aliases", {})
    if not isinstance(aliases, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in aliases.items()
    ):
        raise StateError("aliases must map ids to ids")
    engine._miner.restore(clusters, aliases)
    line_count = state.get("line_count", 0)
    engine.line_count = line_count if isinstance(line_count, int) else 0
    return engine


def _list(obj: dict[str, Any], key: str) -> list[Any]:
    value = obj.get(key, [])
    if not isinstance(value, list):
        raise StateError(f"{key} must be a list")
    return value


def _cluster(order: int, p: Any) -> Cluster:
    if not isinstance(p, dict):
        raise StateError("each pattern must be an object")
    pid, tokens, count = p.get("id"), p.get("tokens"), p.get("count", 0)
    if not isinstance(pid, str) or not pid:
        raise StateError("pattern id must be a non-empty string")
    if not isinstance(tokens, list) or not all(isinstance(t, str) for t in tokens):
        raise StateError(f"pattern {pid}: tokens must be a list of strings")
    if not isinstance(count, int) or count < 0:
        raise StateError(f"pattern {pid}: count must be a non-negative integer")
    created = p.get("order", order)
    c = Cluster(pid, list(tokens), created if isinstance(created, int) else order)
    c.count = count
    sev = p.get("level_severity")
    try:
        c.level_severity = Severity(sev) if sev is not None else None
        c.first_seen = _time(p.get("first_seen"))
        c.last_seen = _time(p.get("last_seen"))
    except (ValueError, TypeError) as exc:
        raise StateError(f"pattern {pid}: {exc}") from exc
    examples = p.get("examples", [])
    if isinstance(examples, list):
        c.examples = {
            i: [str(v) for v in vals][:16]
            for i, vals in enumerate(examples)
            if isinstance(vals, list)
        }
    return c


def _time(value: Any) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError("timestamps must be ISO 8601 strings")
    return datetime.fromisoformat(value)


# -- the compact form: an engine put away in this process's memory ----------------------------


def dump_compact(engine: Engine) -> bytes:
    """The engine as compact bytes for this process to keep and bring back with
    :func:`load_compact`: its patterns and what the miner learned, the masked messages it
    placed (the miner alone may place a message elsewhere once its pattern was merged across
    lengths) and the line shapes it replays (so a tenant's known lines stay on the fast path),
    without its memories of words and header layouts. Not a file format: ``marshal`` bytes of
    plain values, read only by the code that wrote them (never load bytes from elsewhere)."""
    miner = engine._miner
    clusters = []
    index_of: dict[str, int] = {}
    for i, c in enumerate(miner.clusters()):
        index_of[c.id] = i
        clusters.append(
            (
                c.id,
                tuple(c.tokens),
                c.order,
                c.count,
                None if c.level_severity is None else c.level_severity.value,
                None if c.first_seen is None else c.first_seen.isoformat(),
                None if c.last_seen is None else c.last_seen.isoformat(),
                tuple(zip(c.examples, map(tuple, c.examples.values()), strict=True)),
                c.examples_version == c.version,
                c.examples_seen,
                c.examples_full,
                c.examples_capped,
                c.multi_length,
            )
        )
    shapes = engine._shapes
    return marshal.dumps(
        (
            COMPACT,
            engine.line_count,
            engine.message_only,
            engine.log_format,
            tuple(clusters),
            miner.aliases(),
            miner.learned(),
            () if shapes is None else tuple(shapes.export(index_of)),
            tuple((key, c.id) for key, c in engine._cache.items() if miner.get(c.id) is not None),
        )
    )


def load_compact(cls: type[Engine], data: bytes, config: EngineConfig | None = None) -> Engine:
    """The engine :func:`dump_compact` gave ``data`` for, with ``config`` (the same limits as
    the engine it was taken from: patterns over them are not evicted here). Pattern ids,
    templates and what later lines do to them are those of the engine it was taken from."""
    try:
        value = marshal.loads(data)
    except (EOFError, ValueError, TypeError) as exc:
        raise StateError("not a LogSum compact engine") from exc
    if not isinstance(value, tuple) or not value or value[0] != COMPACT:
        raise StateError("not a LogSum compact engine")
    _, line_count, message_only, log_format, records, aliases, learned, shapes, cache = value
    engine = cls(config, message_only=message_only, log_format=log_format)
    clusters = []
    for r in records:
        pid, tokens, order, count, sev, first, last, examples, current = r[:9]
        c = Cluster(pid, list(tokens), order)
        c.count = count
        c.level_severity = None if sev is None else Severity(sev)
        c.first_seen = None if first is None else datetime.fromisoformat(first)
        c.last_seen = None if last is None else datetime.fromisoformat(last)
        c.examples = {k: list(v) for k, v in examples}
        c.examples_version = c.version if current else 0
        c.examples_seen, c.examples_full, c.examples_capped, c.multi_length = r[9:]
        clusters.append(c)
    engine._miner.restore_unindexed(clusters, aliases, learned)
    engine.line_count = line_count
    miner = engine._miner
    for key, pid in cache:
        known = miner.get(pid)
        if known is not None:
            engine._cache[key] = known
            engine._cache_bytes += len(key) + _CACHE_ENTRY_BYTES
    if engine._shapes is not None and shapes:
        engine._shapes.revive(list(shapes), clusters)
    return engine
