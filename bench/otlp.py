"""OTLP ingest against ``POST /v1/analyze``: lines per second for the same lines, same run.

    python bench/otlp.py            # 1,000-line batches, 4 clients, 1 worker; prints a table

One ``logsum serve`` (1 worker, SQLite, one tenant). The same batches of Loghub-2k raw lines
(bench/api.py's corpus) are posted as the contract's JSON object to ``/v1/analyze`` and as
binary ``ExportLogsServiceRequest`` messages to ``/v1/logs``, in two shapes:

- **raw**: each line is a record's string body with no time and no severity, as a Collector's
  filelog receiver sends lines it did not parse (the service reads the line's own header);
- **sdk**: each line is first split by the engine into time, level and message, and sent as an
  SDK sends a record (``time_unix_nano``, ``severity_number``, the message as the body).

After a warm-up pass of each over the whole corpus (the tenant's patterns are then known to
both), the runs alternate (analyze, raw, sdk, analyze, ...) and the best of each is kept, so
all see the same machine load. The target is logs / analyze >= 0.8 in lines per second.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import orjson
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord, ResourceLogs, ScopeLogs
from opentelemetry.proto.resource.v1.resource_pb2 import Resource

from api import Load, Service, _load, batches, corpus, cpu_seconds, start_service
from logsum import Engine

PROTOBUF = "application/x-protobuf"
_NUMBERS = {"TRACE": 1, "DEBUG": 5, "INFO": 9, "NOTICE": 10, "WARNING": 13, "ERROR": 17}


def _export(records: list[LogRecord]) -> bytes:
    resource = Resource(
        attributes=[KeyValue(key="service.name", value=AnyValue(string_value="bench"))]
    )
    request = ExportLogsServiceRequest(
        resource_logs=[ResourceLogs(resource=resource, scope_logs=[ScopeLogs(log_records=records)])]
    )
    return request.SerializeToString()


def raw_body(lines: Sequence[str]) -> bytes:
    """Each line a record's body, nothing else (a filelog receiver without parsers)."""
    return _export([LogRecord(body=AnyValue(string_value=line)) for line in lines])


def sdk_body(lines: Sequence[str], engine: Engine) -> bytes:
    """Each line as an SDK sends it: time, severity and the message (split here, beforehand,
    by an engine of this process)."""
    records = []
    for line in lines:
        r = engine.process(line)
        header = r.header
        record = LogRecord(body=AnyValue(string_value=r.message or line))
        if r.timestamp is not None:
            record.time_unix_nano = int(r.timestamp.timestamp() * 1e9)
        if header.level:
            record.severity_number = _NUMBERS.get(header.level, 21)  # type: ignore[assignment]
            record.severity_text = header.level
        records.append(record)
    return _export(records)


def run(service: Service, bodies: Sequence[bytes], size: int, path: str, ctype: str) -> Load:
    """Post every body once to ``path``, 4 at a time; with the server's CPU time."""
    before = cpu_seconds(service.proc.pid)
    load = asyncio.run(_load(service, bodies, size, 4, True, path, ctype))
    return replace(load, server_cpu=cpu_seconds(service.proc.pid) - before)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=1000, help="lines per request")
    parser.add_argument("--rounds", type=int, default=8, help="alternating runs of each")
    args = parser.parse_args(argv)
    lines = corpus()
    work = batches(lines, args.size, len(lines) // args.size)
    splitter = Engine()
    shapes = {
        "analyze": ("/v1/analyze", "application/json", [orjson.dumps({"logs": b}) for b in work]),
        "logs raw": ("/v1/logs", PROTOBUF, [raw_body(b) for b in work]),
        "logs sdk": ("/v1/logs", PROTOBUF, [sdk_body(b, splitter) for b in work]),
    }
    best: dict[str, Load] = {}
    with tempfile.TemporaryDirectory(prefix="bench-otlp-") as tmp:
        service = start_service(Path(tmp), 1)
        try:
            for path, ctype, bodies in shapes.values():  # warm-up: every pattern known
                load = run(service, bodies, args.size, path, ctype)
                if load.errors:
                    print(f"{path}: {load.errors} errors in warm-up", file=sys.stderr)
                    return 1
            for _ in range(args.rounds):
                for name, (path, ctype, bodies) in shapes.items():
                    load = run(service, bodies, args.size, path, ctype)
                    assert not load.errors, f"{name}: {load.errors} errors"
                    if name not in best or load.lines_per_s > best[name].lines_per_s:
                        best[name] = load
        finally:
            service.stop()
    base = best["analyze"]
    print(f"{args.size}-line requests, 4 clients, 1 worker, best of {args.rounds} (shared machine)")
    print("| body | lines/s | lines per server CPU s | / analyze (wall) | / analyze (CPU) |")
    print("|---|---:|---:|---:|---:|")
    for name, load in best.items():
        print(
            f"| {name} | {load.lines_per_s:,.0f} | {load.lines_per_cpu_s:,.0f} | "
            f"{load.lines_per_s / base.lines_per_s:.2f} | "
            f"{load.lines_per_cpu_s / base.lines_per_cpu_s:.2f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
