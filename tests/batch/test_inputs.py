"""Inputs of a batch job: listing them, and cutting files at record boundaries."""

from __future__ import annotations

from pathlib import Path

import pytest

from logsum import Engine
from logsum.batch.inputs import InputError, expand, plan, read_part

TRACE = [
    "2024-03-01 10:00:00 ERROR Request failed",
    "java.lang.IllegalStateException: boom",
    "\tat com.example.Service.handle(Service.java:42)",
    "\tat com.example.Main.main(Main.java:7)",
    "Caused by: java.io.IOException: disk full",
    "\t... 12 more",
    "",
    "2024-03-01 10:00:01 INFO Request served in 12 ms",
    "2024-03-01 10:00:02 WARN Slow request: 900 ms",
]


def _write(path: Path, lines: list[str], end: str = "\n") -> Path:
    path.write_bytes((end.join(lines) + end).encode())
    return path


def _read_all(paths: list[str], blocksize: int, message_only: bool = False) -> list[list[str]]:
    parts = plan(expand(paths), blocksize=blocksize)
    return [list(read_part(p, message_only=message_only, max_line_bytes=1 << 20)) for p in parts]


@pytest.mark.parametrize("blocksize", [1, 7, 33, 64, 100, 1000, 1 << 20])
def test_every_line_once_and_no_record_cut(tmp_path: Path, blocksize: int) -> None:
    lines = TRACE * 20
    path = _write(tmp_path / "app.log", lines)
    parts = _read_all([str(path)], blocksize)
    assert [line for p in parts for line in p] == lines
    # No partition starts inside a record: its first line is never a continuation in one
    # engine that read everything.
    one = Engine()
    flags = [one.process(line).continuation for line in lines]
    start = 0
    for p in parts:
        if p:
            assert not flags[start], (blocksize, p[0])
        start += len(p)
    # So each partition's own engine marks the same lines as continuations.
    got = []
    for p in parts:
        e = Engine()
        got += [e.process(line).continuation for line in p]
    assert got == flags


def test_crlf_no_final_newline_and_invalid_utf8(tmp_path: Path) -> None:
    path = tmp_path / "win.log"
    path.write_bytes(b"2024-03-01 10:00:00 INFO a\r\n2024-03-01 10:00:01 INFO \xff b\r\nlast")
    for size in (1, 5, 1000):
        got = [line for p in _read_all([str(path)], size) for line in p]
        assert got == ["2024-03-01 10:00:00 INFO a", "2024-03-01 10:00:01 INFO \ufffd b", "last"]


def test_directories_globs_and_files_in_order(tmp_path: Path) -> None:
    (tmp_path / "d" / "sub").mkdir(parents=True)
    _write(tmp_path / "d" / "b.log", ["b"])
    _write(tmp_path / "d" / "sub" / "a.log", ["a"])
    _write(tmp_path / "x.log", ["x"])
    _write(tmp_path / "y.log", ["y"])
    sources = expand([str(tmp_path / "d"), str(tmp_path / "*.log")])
    assert [Path(s.url.removeprefix("file://")).name for s in sources] == [
        "b.log",
        "a.log",
        "x.log",
        "y.log",
    ]


def test_gzip_is_one_partition(tmp_path: Path) -> None:
    import gzip

    path = tmp_path / "app.log.gz"
    path.write_bytes(gzip.compress(("\n".join(TRACE) + "\n").encode()))
    parts = plan(expand([str(path)]), blocksize=10)
    assert len(parts) == 1
    assert list(read_part(parts[0], message_only=False, max_line_bytes=1 << 20)) == TRACE


def test_inputs_that_name_nothing(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        expand([str(tmp_path / "missing.log")])
    with pytest.raises(InputError, match="no file matches"):
        expand([str(tmp_path / "*.nothing")])
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no file in directory"):
        expand([str(tmp_path / "empty")])
    with pytest.raises(InputError):
        plan(expand([str(_write(tmp_path / "a.log", ["a"]))]), partitions=0)


def test_long_line_is_cut_while_reading(tmp_path: Path) -> None:
    path = tmp_path / "long.log"
    path.write_bytes(b"x" * 5000 + b"\nshort\n")
    parts = plan(expand([str(path)]), blocksize=1 << 20)
    got = list(read_part(parts[0], message_only=False, max_line_bytes=100))
    assert got == ["x" * 100, "short"]


def test_fsspec_urls(tmp_path: Path) -> None:
    import fsspec

    fs = fsspec.filesystem("memory")
    data = ("\n".join(TRACE * 5) + "\n").encode()
    fs.pipe("/logs/a.log", data)
    fs.pipe("/logs/b.log", data)
    try:
        parts = plan(expand(["memory://logs/*.log"]), blocksize=50)
        assert {p.source.url for p in parts} == {"memory:///logs/a.log", "memory:///logs/b.log"}
        got = [line for p in parts for line in read_part(p, message_only=False, max_line_bytes=999)]
        assert got == TRACE * 10
    finally:
        fs.rm("/logs", recursive=True)
