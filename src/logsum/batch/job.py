"""A batch job on a Dask cluster: partitions mined in parallel, patterns merged once on the client.

1. **Mine.** One task per partition (:func:`~logsum.batch.work.mine_part`), each with its own
   engine; a task returns its engine's state (patterns, not lines), so a worker's memory
   follows the patterns of its partition. Tasks are pure: Dask reruns the tasks of a worker
   that died (and ``retries`` times a task that raised), and the client keeps exactly one
   result per partition, so nothing is counted twice.
2. **Merge.** On the client, :func:`logsum.core.merge.merge_states` merges the states in
   input order into one set of patterns by the engine's own rules, with one id mapping per
   partition. Partitions with a pattern the merge split (its forms went to different merged
   patterns) are read once more to count where its lines go (:func:`~logsum.batch.work.part_moves`).
3. **Line results** (lazy, :attr:`BatchResult.results`): a Dask DataFrame, one partition per
   input partition, each mined again (a pure function of its bytes) and its ids mapped to the
   merged patterns. Nothing is held between the two passes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from typing import TYPE_CHECKING, Any

from logsum.batch.inputs import DEFAULT_BLOCKSIZE, Part, expand, plan
from logsum.batch.work import (
    EngineOptions,
    PartSummary,
    mine_part,
    part_moves,
    part_results,
    rows_of,
)
from logsum.core.analysis import AnalysisOptions, AnalysisReport, Analyzer
from logsum.core.config import EngineConfig
from logsum.core.engine import Engine
from logsum.core.merge import MergedPatterns, apply_moves, merge_states
from logsum.core.model import LineResult, Pattern

if TYPE_CHECKING:
    import dask.dataframe as dd
    import pandas as pd
    from distributed import Client, Future

Progress = Callable[[int, int], None]
"""Called with (partitions done, partitions in all) as partitions finish."""

RESULT_COLUMNS = (
    "source",
    "line",
    "pattern_id",
    "template",
    "severity",
    "timestamp",
    "params",
    "continuation",
    "message",
)
"""Columns of :attr:`BatchResult.results` (see :class:`~logsum.batch.work.LineRow`)."""


@dataclass
class BatchResult:
    """The merged patterns of a batch job, and its line results as a Dask collection."""

    patterns: list[Pattern]
    """Merged patterns, most frequent first."""
    merged: MergedPatterns
    parts: list[Part]
    summaries: list[PartSummary]
    options: EngineOptions
    client: Client | None = field(default=None, repr=False)

    @property
    def lines(self) -> int:
        return sum(s.lines for s in self.summaries)

    @property
    def state(self) -> dict[str, Any]:
        """The merged patterns as an engine state (:meth:`Engine.from_state`)."""
        return self.merged.state

    def engine(self) -> Engine:
        return self.merged.engine(self.options.config)

    def first_lines(self) -> list[int]:
        """The global number of each partition's first line."""
        return [1 + n for n in accumulate((s.lines for s in self.summaries[:-1]), initial=0)]

    @property
    def results(self) -> dd.DataFrame:
        """Line results, one row per input line in input order (columns
        :data:`RESULT_COLUMNS`), as a lazy Dask DataFrame with one partition per input
        partition. Computing it mines each partition again."""
        import dask.dataframe as dd

        firsts = self.first_lines()
        frame: dd.DataFrame = dd.from_map(
            _result_frame,
            self.parts,
            self.merged.mappings,
            firsts,
            self.merged.splits,
            args=(self.options, self.merged.state),
            meta=_frame([]),
            label="logsum-results",
            enforce_metadata=False,
        )
        return frame

    def result_lists(self, retries: int = 2) -> Iterator[list[LineResult]]:
        """Each partition's line results, in input order (computed on the cluster, at most a
        few partitions ahead of the reader)."""
        client = self._client()
        firsts = self.first_lines()
        window = max(2, 2 * len(client.scheduler_info().get("workers", {})))
        pending: list[Future[list[LineResult]]] = []
        todo = iter(zip(self.parts, self.merged.mappings, firsts, self.merged.splits, strict=True))
        # The merged patterns go to every worker once, not once per partition.
        state = client.scatter(self.merged.state, broadcast=True, hash=False)

        def submit() -> None:
            nxt = next(todo, None)
            if nxt is not None:
                part, mapping, first, split = nxt
                pending.append(
                    client.submit(
                        part_results,
                        part,
                        self.options,
                        state,
                        mapping,
                        first,
                        split,
                        retries=retries,
                        pure=True,
                    )
                )

        for _ in range(window):
            submit()
        while pending:
            fut = pending.pop(0)
            out: list[LineResult] = fut.result()
            fut.release()
            submit()
            yield out

    def analyze(self, options: AnalysisOptions = AnalysisOptions()) -> AnalysisReport:
        """Anomalies and insights over every line, exactly as one process computes them from
        the same line results: the lines are fed in input order to one
        :class:`~logsum.core.analysis.Analyzer` on the client (so a session's lines meet
        whichever partitions they came from)."""
        analyzer = Analyzer(options)
        for results in self.result_lists():
            analyzer.feed_many(results)
        return analyzer.report(self.patterns)

    def _client(self) -> Client:
        if self.client is not None:
            return self.client
        from distributed import get_client

        return get_client()


def _frame(rows: Sequence[Any]) -> pd.DataFrame:
    import pandas as pd
    import pyarrow as pa

    cols = list(zip(*rows, strict=True)) if rows else [()] * len(RESULT_COLUMNS)
    data = dict(zip(RESULT_COLUMNS, cols, strict=True))
    return pd.DataFrame(
        {
            "source": pd.Series(data["source"], dtype="string"),
            "line": pd.Series(data["line"], dtype="int64"),
            "pattern_id": pd.Series(data["pattern_id"], dtype="string"),
            "template": pd.Series(data["template"], dtype="string"),
            "severity": pd.Series(data["severity"], dtype="string"),
            "timestamp": pd.Series(data["timestamp"], dtype="datetime64[us, UTC]"),
            "params": pd.Series(
                [list(p) for p in data["params"]], dtype=pd.ArrowDtype(pa.list_(pa.string()))
            ),
            "continuation": pd.Series(data["continuation"], dtype="bool"),
            "message": pd.Series(data["message"], dtype="string"),
        }
    )


def _result_frame(
    part: Part,
    mapping: Mapping[str, str],
    first_line: int,
    split: Mapping[str, dict[str, str]],
    options: EngineOptions,
    merged_state: dict[str, Any],
) -> pd.DataFrame:
    results = part_results(part, options, merged_state, mapping, first_line, split)
    merged = Engine.from_state(merged_state, options.config)
    return _frame(rows_of(results, part.source.url, merged))


def mine(
    inputs: Sequence[str],
    *,
    client: Client | None = None,
    config: EngineConfig | None = None,
    message_only: bool = False,
    log_format: str | None = None,
    blocksize: int = DEFAULT_BLOCKSIZE,
    partitions: int | None = None,
    storage_options: Mapping[str, Any] | None = None,
    retries: int = 2,
    progress: Progress | None = None,
) -> BatchResult:
    """Mine ``inputs`` (paths, directories, globs, fsspec URLs) on a Dask cluster.

    ``client`` is a :class:`distributed.Client` (default: the current one). Files are cut every
    ``blocksize`` bytes, or into about ``partitions`` parts; ``storage_options`` go to fsspec
    (object store credentials). ``retries`` is how often a partition's task is retried when it
    raises (a worker that dies is handled by the scheduler anyway). Raises
    :class:`~logsum.batch.inputs.InputError` for inputs that name nothing."""
    if client is None:
        from distributed import get_client

        client = get_client()
    options = EngineOptions(config or EngineConfig(), message_only, log_format)
    parts = plan(
        expand(inputs, storage_options),
        blocksize=blocksize,
        partitions=partitions,
        storage_options=storage_options,
    )
    summaries = _run(client, parts, options, retries, progress)
    merged = merge_states([s.state for s in summaries], options.config)
    merged = _move_split_lines(client, parts, options, merged, retries)
    patterns = merged.engine(options.config).patterns()
    return BatchResult(patterns, merged, parts, summaries, options, client)


def _move_split_lines(
    client: Client,
    parts: list[Part],
    options: EngineOptions,
    merged: MergedPatterns,
    retries: int,
) -> MergedPatterns:
    """Where a partition's engine merged patterns one engine keeps apart, count their lines
    by where :func:`~logsum.core.merge.route` sends them: a second pass over those partitions
    only (pure tasks; a retry gives the same answer, gathered once)."""
    todo = [
        (part, mapping, split)
        for part, mapping, split in zip(parts, merged.mappings, merged.splits, strict=True)
        if split
    ]
    if not todo:
        return merged
    state = client.scatter(merged.state, broadcast=True, hash=False)
    futures = [
        client.submit(part_moves, part, options, state, mapping, split, retries=retries, pure=True)
        for part, mapping, split in todo
    ]
    moves = [m for found in client.gather(futures) for m in found]
    for f in futures:
        f.release()
    return apply_moves(merged, moves)


def _run(
    client: Client,
    parts: list[Part],
    options: EngineOptions,
    retries: int,
    progress: Progress | None,
) -> list[PartSummary]:
    from distributed import as_completed

    futures = client.map(mine_part, parts, options=options, retries=retries, pure=True)
    total = len(futures)
    if progress is not None:
        progress(0, total)
    for done, _ in enumerate(as_completed(futures), 1):
        if progress is not None:
            progress(done, total)
    summaries: list[PartSummary] = client.gather(futures)
    for f in futures:
        f.release()
    # One result per partition, whatever ran twice.
    if [s.index for s in summaries] != [p.index for p in parts]:
        raise RuntimeError("the cluster returned results out of partition order")
    return summaries
