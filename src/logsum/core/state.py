"""Saving and loading an engine's learned state: a versioned, documented JSON document.

No pickle: the state is plain JSON values, safe to load from an untrusted source (it is
validated field by field) and stable across refactors of the engine's classes.

Format ``logsum.engine-state`` version 2 (version 1, the same without the fields marked
*2*, still loads: its engine relearns what it lacks from the next lines)::

    {
      "format": "logsum.engine-state",
      "version": 2,
      "line_count": 12345,
      "message_only": false,
      "log_format": null,
      "patterns": [                      # least recently used first
        {
          "id": "p_0123456789abcdef",
          "tokens": ["Connection", "from", "<*>", "closed"],
          "count": 42,
          "order": 7,                        # creation order (older patterns win ties)
          "level_severity": "error" | null,   # most severe level seen on its lines
          "first_seen": "2024-01-01T10:00:00+00:00" | null,
          "last_seen": "...",
          "examples": [["10.0.0.1", "10.0.0.2"], ...],  # per wildcard, in order
          "sources": [0, 3],                 # 2: the sources (header layout kinds) it learned from
          "forms": [["Connection", "from", "<*>", "closed"]],  # 2: first distinct masked forms
          "multi_length": false,             # 2: merged across lengths
          "examples_state": [true, 12, false, false]  # 2: examples of the current template,
                                             #   lines looked at, full, capped
        }
      ],
      "aliases": {"p_old": "p_new"},     # ids of patterns folded into another
      "learned": {                       # 2: what changes how later lines are read
        "sources": [["ts0 level comp", 0], ...], "source_base": 0,  # layout kind -> source
        "miner": {...},                  # key words, value words, shares of new patterns
        "json_keys": [[["level", "msg", "ts"], "msg"], ...],       # message key per key set
        "csv_columns": [[",", 4, [0, -1, 1, 3]], ...],             # CSV header rows
        "date_orders": [["0/0/0 0:0:0", ["mdy"]], ...],            # orders ruled out, per form
        "headers": {"layouts": [...], "plain": [...], "with_name": [...], "halves": [...]},
        "cache": [["masked message", "p_0123456789abcdef"], ...],  # where messages went
        "record": {...} | null           # the open multi-line record
      }
    }

Every part is bounded as the engine bounds it (patterns, key sets, forms, layouts...), so the
state follows the patterns learned, not the lines read. A loaded engine gives the lines after
the save the results the engine that saved it would have given them.
"""

from __future__ import annotations

import marshal
from datetime import datetime
from typing import TYPE_CHECKING, Any

from logsum.core.config import EngineConfig
from logsum.core.miner import MAX_FORMS, MAX_SOURCES, Cluster
from logsum.core.model import Severity

if TYPE_CHECKING:
    from logsum.core.engine import Engine

_CACHE_ENTRY_BYTES = 200  # as the engine counts a masked-message cache entry
_MAX_SOURCES = 4_096  # kinds of header layout an engine numbers (as Engine._sources)

FORMAT = "logsum.engine-state"
VERSION = 2
VERSIONS = (1, 2)
"""The versions :func:`load_state` reads."""
COMPACT = b"logsum.engine-compact/2"
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
    patterns = []
    for c in engine._miner.clusters():
        record = pattern_record(c, [list(v) for _, v in sorted(c.examples.items())])
        record["sources"] = list(c.sources)
        record["forms"] = [list(f) for f in c.forms]
        record["multi_length"] = c.multi_length
        record["examples_state"] = [
            c.examples_version == c.version,
            c.examples_seen,
            c.examples_full,
            c.examples_capped,
        ]
        patterns.append(record)
    return {
        "format": FORMAT,
        "version": VERSION,
        "line_count": engine.line_count,
        "message_only": engine.message_only,
        "log_format": engine.log_format,
        "patterns": patterns,
        "aliases": engine._miner.aliases(),
        "learned": _learned(engine),
    }


def _learned(engine: Engine) -> dict[str, Any]:
    """What the engine learned besides its patterns that changes how later lines are read."""
    miner = engine._miner
    record = engine._record
    open_record = None
    if record is not None and miner.get(record[0].id) is not None:
        cluster, severity, stamp = record
        open_record = {
            "pattern": cluster.id,
            "severity": severity.value,
            "timestamp": None if stamp is None else stamp.isoformat(),
            "lines": engine._record_lines,
        }
    return {
        "sources": [[kind, n] for kind, n in engine._sources.items()],
        "source_base": engine._source_base,
        "miner": miner.export_learned(),
        "json_keys": engine._keys.export(),
        "csv_columns": engine._columns.export(),
        "date_orders": engine._year.dates.export(),
        "headers": engine._headers.export(),
        "cache": [[key, c.id] for key, c in engine._cache.items() if miner.get(c.id) is c],
        "record": open_record,
        "blank_at": engine._blank_at,
        "head": {
            "timestamp": None if engine._head_stamp is None else engine._head_stamp.isoformat(),
            "next": engine._head_next,
            "named": engine._head_named,
        },
    }


def load_state(
    cls: type[Engine], state: dict[str, Any], config: EngineConfig | None = None
) -> Engine:
    """Build an engine of class ``cls`` from a state made by :func:`dump_state` (this version's
    or the previous one's). Raises :class:`StateError` for a document this version can not
    load: another format, a version it does not know, a malformed field."""
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise StateError("not a LogSum engine state")
    version = state.get("version")
    if version not in VERSIONS or isinstance(version, bool):
        raise StateError(
            f"unsupported engine state version: {version!r} (this version of LogSum reads "
            f"versions {', '.join(map(str, VERSIONS))})"
        )
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
    learned = state.get("learned")
    if version >= 2 and learned is not None:
        if not isinstance(learned, dict):
            raise StateError("learned must be an object")
        try:
            _load_learned(engine, learned)
        except (ValueError, TypeError, KeyError, IndexError) as exc:
            raise StateError(f"learned: {exc}") from exc
    return engine


def _load_learned(engine: Engine, learned: dict[str, Any]) -> None:
    """Give ``engine`` (its patterns restored) what :func:`_learned` saved."""
    sources = learned.get("sources", [])
    base = learned.get("source_base", 0)
    if not (
        isinstance(sources, list)
        and all(
            isinstance(e, list)
            and len(e) == 2
            and isinstance(e[0], str)
            and isinstance(e[1], int)
            and e[1] >= 0
            for e in sources
        )
        and isinstance(base, int)
        and base >= 0
    ):
        raise ValueError("sources must be [[layout kind, number], ...]")
    engine._sources = {kind: n for kind, n in sources[-_MAX_SOURCES:]}
    engine._source_base = base
    miner = engine._miner
    miner.load_learned(learned.get("miner", {}))
    engine._keys.load(learned.get("json_keys", []))
    engine._columns.load(learned.get("csv_columns", []))
    engine._headers.load(learned.get("headers", {}))
    engine._year.dates.load(learned.get("date_orders", []))
    cfg = engine.config
    cache = learned.get("cache", [])
    if not isinstance(cache, list):
        raise ValueError("cache must be a list")
    if cfg.match_cache_size:
        for entry in cache[-cfg.match_cache_size :]:
            if not (
                isinstance(entry, list)
                and len(entry) == 2
                and isinstance(entry[0], str)
                and isinstance(entry[1], str)
            ):
                raise ValueError("each cache entry must be [masked message, pattern id]")
            known = miner.get(entry[1])
            size = len(entry[0]) + _CACHE_ENTRY_BYTES
            if known is None or engine._cache_bytes + size > cfg.match_cache_bytes:
                continue
            engine._cache[entry[0]] = known
            engine._cache_bytes += size
    record = learned.get("record")
    if record is not None:
        if not isinstance(record, dict) or not isinstance(record.get("lines", 0), int):
            raise ValueError("record must be an object")
        known = miner.get(str(record.get("pattern")))
        if known is not None:
            engine._record = (
                known,
                Severity(str(record.get("severity"))),
                _time(record.get("timestamp")),
            )
            engine._record_lines = record.get("lines", 0)
    blank_at = learned.get("blank_at", -1)
    engine._blank_at = blank_at if isinstance(blank_at, int) else -1
    head = learned.get("head", {})
    if not isinstance(head, dict):
        raise ValueError("head must be an object")
    engine._head_stamp = _time(head.get("timestamp"))
    engine._head_next = bool(head.get("next", False))
    engine._head_named = bool(head.get("named", False))


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
    _cluster_extras(c, p)
    return c


def _cluster_extras(c: Cluster, p: dict[str, Any]) -> None:
    """The fields version 2 added to a pattern (absent in version 1: left as a new pattern's)."""
    pid = c.id
    sources = p.get("sources", [])
    if not isinstance(sources, list) or not all(
        isinstance(x, int) and not isinstance(x, bool) and x >= 0 for x in sources
    ):
        raise StateError(f"pattern {pid}: sources must be a list of source numbers")
    c.sources = tuple(dict.fromkeys(sources))[:MAX_SOURCES]
    forms = p.get("forms", [])
    if not isinstance(forms, list) or not all(
        isinstance(f, list) and all(isinstance(t, str) for t in f) for f in forms
    ):
        raise StateError(f"pattern {pid}: forms must be a list of token lists")
    c.forms = [list(f) for f in forms[:MAX_FORMS]]
    c.multi_length = bool(p.get("multi_length", False))
    meta = p.get("examples_state")
    if meta is None:
        return
    if not (
        isinstance(meta, list)
        and len(meta) == 4
        and isinstance(meta[0], bool)
        and isinstance(meta[1], int)
        and isinstance(meta[2], bool)
        and isinstance(meta[3], bool)
    ):
        raise StateError(f"pattern {pid}: examples_state must be [bool, int, bool, bool]")
    current, c.examples_seen, c.examples_full, c.examples_capped = meta
    c.examples_version = c.version if current else 0


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
    lengths), the line shapes it replays (so a tenant's known lines stay on the fast path) and
    what decides how its later lines are read (as :func:`dump_state` saves it: the sources of
    its patterns, header layouts, message keys, date orders...), without its memories of
    token masks. Not a file format: ``marshal`` bytes of
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
                c.sources,
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
            # what decides how later lines are read, but the cache (kept above)
            {k: v for k, v in _learned(engine).items() if k != "cache"},
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
    _, line_count, message_only, log_format, records, aliases, learned, shapes, cache, more = value
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
        c.examples_seen, c.examples_full, c.examples_capped, c.multi_length, c.sources = r[9:]
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
    _load_learned(engine, more)
    return engine
