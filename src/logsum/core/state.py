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

from datetime import datetime
from typing import TYPE_CHECKING, Any

from logsum.core.config import EngineConfig
from logsum.core.miner import Cluster
from logsum.core.model import Severity

if TYPE_CHECKING:
    from logsum.core.engine import Engine

FORMAT = "logsum.engine-state"
VERSION = 1


class StateError(ValueError):
    """The state document is not one this version can load."""


def dump_state(engine: Engine) -> dict[str, Any]:
    """The engine's state as a JSON-safe dict."""
    patterns = []
    for c in engine._miner.clusters():
        patterns.append(
            {
                "id": c.id,
                "tokens": list(c.tokens),
                "count": c.count,
                "order": c.order,
                "level_severity": c.level_severity.value if c.level_severity else None,
                "first_seen": c.first_seen.isoformat() if c.first_seen else None,
                "last_seen": c.last_seen.isoformat() if c.last_seen else None,
                "examples": [list(v) for _, v in sorted(c.examples.items())],
            }
        )
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
