"""Where a batch job's results go: Parquet or JSON Lines files, and the service's store."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from logsum.core.model import Pattern

if TYPE_CHECKING:
    import pandas as pd

    from logsum.batch.job import BatchResult
    from logsum.store import Store


class ResultFormat(StrEnum):
    """File formats for line results."""

    parquet = "parquet"
    jsonl = "jsonl"


def write_results(
    result: BatchResult,
    path: str,
    fmt: ResultFormat | str = ResultFormat.parquet,
    *,
    storage_options: Mapping[str, Any] | None = None,
) -> None:
    """Write the line results under ``path`` (a directory, local or an fsspec URL), one file
    per partition, ``part-00000.parquet`` (pyarrow) or ``part-00000.jsonl`` (times in ISO 8601,
    UTC) and so on: the files' names sort in input order. The cluster writes them."""
    import fsspec
    from dask.base import compute
    from dask.delayed import delayed

    df = result.results
    opts = dict(storage_options or {})
    kind = ResultFormat(fmt)
    fs, root = fsspec.core.url_to_fs(path, **opts)
    fs.makedirs(root, exist_ok=True)
    base = path.rstrip("/")
    write = _write_parquet if kind is ResultFormat.parquet else _write_jsonl
    suffix = "parquet" if kind is ResultFormat.parquet else "jsonl"
    writes = [
        delayed(write)(part, f"{base}/part-{i:05d}.{suffix}", opts)
        for i, part in enumerate(df.to_delayed())
    ]
    compute(*writes)


def _write_parquet(frame: pd.DataFrame, url: str, storage_options: dict[str, Any]) -> int:
    """One partition's rows as a Parquet file (``params`` a list of strings, times in UTC)."""
    import fsspec
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(None)
    with fsspec.open(url, "wb", **storage_options) as f:
        pq.write_table(table, f)
    return len(frame)


def _write_jsonl(frame: pd.DataFrame, url: str, storage_options: dict[str, Any]) -> int:
    """One partition's rows as JSON Lines (the objects of ``logsum parse`` plus ``source``
    and ``message``)."""
    import fsspec
    import orjson

    with fsspec.open(url, "wb", **storage_options) as f:
        buf: list[bytes] = []
        for row in frame.itertuples(index=False):
            ts = row.timestamp
            buf.append(
                orjson.dumps(
                    {
                        "source": row.source,
                        "line": int(row.line),
                        "pattern_id": row.pattern_id,
                        "template": None
                        if row.template is None or row.template != row.template
                        else row.template,
                        "severity": row.severity,
                        "timestamp": None if ts is None or ts != ts else ts.isoformat(),
                        "params": list(row.params),
                        "continuation": bool(row.continuation),
                        "message": row.message,
                    }
                )
            )
            if len(buf) >= 4096:
                f.write(b"\n".join(buf) + b"\n")
                buf.clear()
        if buf:
            f.write(b"\n".join(buf) + b"\n")
    return len(frame)


def load_into_store(store: Store, tenant_id: str, patterns: Sequence[Pattern]) -> int:
    """Add the merged patterns to a tenant's patterns in the service's store (the tenant id is
    the API key's id), as one batch: counts add up, times widen, templates only generalise
    (see :meth:`Store.upsert_patterns`). Returns the number of patterns written."""
    from logsum.store.models import PatternDelta

    deltas = [
        PatternDelta(
            p.id,
            p.template,
            p.severity.value,
            p.count,
            p.first_seen,
            p.last_seen,
            tuple(tuple(ps.examples) for ps in p.params),
        )
        for p in patterns
        if p.count > 0
    ]
    store.upsert_patterns(tenant_id, deltas)
    return len(deltas)
