"""Batch parsing and analysis on Dask: archives larger than one process.

::

    from distributed import Client
    from logsum import batch

    client = Client(n_workers=4, threads_per_worker=1)      # or Client("tcp://scheduler:8786")
    result = batch.mine(["s3://bucket/logs/2026-11/*.log"], client=client,
                        storage_options={"anon": False})
    result.patterns                   # merged Pattern values, most frequent first
    result.results                    # Dask DataFrame of line results (lazy)
    batch.write_results(result, "out/", "parquet")
    report = result.analyze()         # anomalies and insights over every line

See docs/SCALE.md. Needs the ``batch`` extra (dask, distributed, fsspec, pandas, pyarrow).
"""

from logsum.batch.inputs import DEFAULT_BLOCKSIZE, InputError, Part, Source, expand, plan
from logsum.batch.job import RESULT_COLUMNS, BatchResult, mine
from logsum.batch.output import ResultFormat, load_into_store, write_results
from logsum.batch.work import EngineOptions

__all__ = [
    "DEFAULT_BLOCKSIZE",
    "RESULT_COLUMNS",
    "BatchResult",
    "EngineOptions",
    "InputError",
    "Part",
    "ResultFormat",
    "Source",
    "expand",
    "load_into_store",
    "mine",
    "plan",
    "write_results",
]
