"""``logsum parse``: one JSON object per input line, whatever the bytes."""

from __future__ import annotations

import io
import os
import random
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner, Result

from logsum.cli import app
from logsum.cli import parse as parse_mod

_BIN = Path(sys.executable).with_name("logsum")
_CMD = (
    [str(_BIN)] if _BIN.exists() else [sys.executable, "-c", "from logsum.cli import main; main()"]
)
_KEYS = {"line", "pattern_id", "template", "severity", "timestamp", "params", "continuation"}


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    """``logsum parse`` as a real process."""
    return subprocess.run(
        [*_CMD, "parse", *args], input=stdin, capture_output=True, timeout=60, check=False
    )


def invoke(*args: str, stdin: bytes | None = None) -> Result:
    """``logsum parse`` in this process (fast); stdout and stderr as bytes."""
    return CliRunner().invoke(app, ["parse", *args], input=stdin)


def objects(proc: subprocess.CompletedProcess[bytes] | Result) -> list[dict[str, Any]]:
    if isinstance(proc, Result):
        assert proc.exit_code == 0, proc.stderr_bytes.decode()
        return [orjson.loads(x) for x in proc.stdout_bytes.splitlines()]
    assert proc.returncode == 0, proc.stderr.decode()
    return [orjson.loads(x) for x in proc.stdout.splitlines()]


def parse_bytes(data: bytes, *args: str) -> list[dict[str, Any]]:
    return objects(invoke(*args, "-", stdin=data))


def test_one_object_per_line_including_empty_lines(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_bytes(b"Connection from 10.0.0.1 closed\n\nConnection from 10.0.0.2 closed\n\n")
    out = objects(run(str(log)))
    assert [o["line"] for o in out] == [1, 2, 3, 4]
    assert all(set(o) == _KEYS for o in out)
    assert all(isinstance(o["params"], list) for o in out)
    assert all(o["continuation"] in (True, False) for o in out)
    assert all(o["timestamp"] is None or isinstance(o["timestamp"], str) for o in out)


def test_last_line_without_line_break_counts_and_empty_input_gives_nothing() -> None:
    assert len(parse_bytes(b"first\nsecond")) == 2
    assert parse_bytes(b"") == []
    assert len(parse_bytes(b"\n")) == 1


def test_invalid_utf8_and_nul_bytes_do_not_crash() -> None:
    out = parse_bytes(b"ok line\n\xff\xfe\xc3 broken \x00 nul\n\x80\x80\x80")
    assert [o["line"] for o in out] == [1, 2, 3]


def test_crlf_input_parses_like_lf_input() -> None:
    lf = b"Connection from 10.0.0.1 closed\nConnection from 10.0.0.2 closed\n"
    crlf = lf.replace(b"\n", b"\r\n")
    assert parse_bytes(crlf) == parse_bytes(lf)
    assert not any(o["template"].endswith("\r") for o in parse_bytes(crlf))


def test_stdin_and_file_give_the_same_output(tmp_path: Path) -> None:
    data = b"".join(f"job {i} finished in {i * 7} ms\n".encode() for i in range(50))
    log = tmp_path / "jobs.log"
    log.write_bytes(data)
    assert objects(invoke(str(log))) == parse_bytes(data)


def test_lines_of_one_pattern_share_its_final_template() -> None:
    data = b"".join(f"user u{i} logged in from 10.0.{i}.1\n".encode() for i in range(30))
    out = parse_bytes(data)
    by_id: dict[str, set[str]] = {}
    for o in out:
        by_id.setdefault(o["pattern_id"], set()).add(o["template"])
    assert all(len(t) == 1 for t in by_id.values())


def test_early_lines_get_their_params_under_the_final_template() -> None:
    # Line 1 is read before its pattern generalises: its params are read again at the end.
    # Its first value holds quotes and ',"params":', and a tab follows "done".
    data = b'job a,"params":[1] done\tin 5 ms\n' + b"".join(
        f"job {w} done\tin {n} ms\n".encode() for w, n in (("b", 7), ("c", 9), ("d", 2))
    )
    out = parse_bytes(data)
    assert {o["template"] for o in out} == {"job <*> done in <*> ms"}
    first = ['a,"params":[1]', "5"]
    assert [o["params"] for o in out] == [first, ["b", "7"], ["c", "9"], ["d", "2"]]


def test_output_is_the_same_whatever_the_batches_of_the_second_pass(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Pass 2 reads the spool a batch of records at a time: line numbers run on across
    # batches, and the records whose params are read again (the 60 lines read before the
    # template took the user as a value) sit in several of them.
    names = ("alice", "bob", "carol", "dave", "erin")
    data = b"".join(f"user {names[i // 60]} done in {i} ms\n".encode() for i in range(300))
    whole = parse_bytes(data)
    assert {o["template"] for o in whole} == {"user <*> done in <*> ms"}
    assert [o["line"] for o in whole] == list(range(1, 301))
    assert whole[0]["params"] == ["alice", "0"] and whole[-1]["params"] == ["erin", "299"]
    monkeypatch.setattr(parse_mod, "_READ_CHUNK", 100)
    assert parse_bytes(data) == whole


def test_message_only_keeps_the_header_in_the_message() -> None:
    line = b"2015-10-18 18:01:47,978 INFO Started server on port 8080\n"
    out = parse_bytes(line * 3, "--message-only")
    assert len(out) == 3
    assert all(o["timestamp"] is None for o in out)
    assert all("INFO" in o["template"] for o in out)


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    proc = run(str(tmp_path / "nope.log"))
    assert proc.returncode == 2
    assert b"no such file" in proc.stderr
    assert proc.stdout == b""


def test_directory_is_a_clear_error(tmp_path: Path) -> None:
    result = invoke(str(tmp_path))
    assert result.exit_code == 2
    assert b"is a directory" in result.stderr_bytes


def _reference(data: bytes) -> list[str]:
    parts = data.split(b"\n")
    if parts[-1] == b"":
        parts.pop()
    return [p.removesuffix(b"\r").decode("utf-8", "replace") for p in parts]


@pytest.mark.parametrize("chunk", [1, 2, 3, 5, 8, 64])
def test_reader_splits_like_bytes_split_at_any_read_size(
    chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(parse_mod, "_READ_CHUNK", chunk)
    rng = random.Random(chunk)
    alphabet = [b"a", b"\n", b"\r", b"\xff", b"\xc3\xa9", b" ", b"\x00", b"\r\n"]
    for _ in range(200):
        data = b"".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 30)))
        got = [s for batch in parse_mod.iter_lines(io.BytesIO(data), 1 << 20) for s in batch]
        assert got == _reference(data), data


def test_reader_caps_a_line_that_spans_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parse_mod, "_READ_CHUNK", 4)
    data = b"x" * 50 + b"\nshort\n" + b"y" * 50
    got = [s for batch in parse_mod.iter_lines(io.BytesIO(data), 10) for s in batch]
    assert got == ["x" * 10, "short", "y" * 10]


def test_format_option_and_a_bad_format() -> None:
    line = b"2015-10-18 18:01:47,978 INFO Started server on port 8080\n"
    out = parse_bytes(line, "--format", "<Date> <Time> <Level> <Content>")
    assert len(out) == 1
    assert out[0]["timestamp"].startswith("2015-10-18T18:01:47")
    assert out[0]["severity"] == "info"
    assert "INFO" not in out[0]["template"]
    result = invoke("--format", "<Date> <Time>", "-", stdin=line)
    assert result.exit_code == 2
    assert b"Content" in result.stderr_bytes


def test_header_is_detected_without_a_format() -> None:
    line = b"2015-10-18 18:01:47,978 ERROR Disk /dev/sda1 is full\n"
    (out,) = parse_bytes(line)
    assert out["timestamp"].startswith("2015-10-18T18:01:47")
    assert out["severity"] == "error"
    assert not out["template"].startswith("2015")


def test_syslog_timestamp_without_year_gets_the_current_year() -> None:
    (out,) = parse_bytes(b"Jun 14 15:16:01 combo sshd[19939]: Accepted password for root\n")
    assert out["timestamp"].startswith(f"{datetime.now(UTC).year}-06-14T15:16:01")


def test_continuation_lines_carry_their_record_pattern() -> None:
    data = (
        b"2015-10-18 18:01:47,978 ERROR Request failed\n"
        b"java.lang.IllegalStateException: boom\n"
        b"\tat com.example.Handler.run(Handler.java:42)\n"
        b"\tat java.lang.Thread.run(Thread.java:748)\n"
    )
    out = parse_bytes(data)
    assert len(out) == 4
    assert out[0]["continuation"] is False
    assert [o["continuation"] for o in out[2:]] == [True, True]
    # The frames belong to the record they continue (whether or not the exception line
    # itself counts as part of the first record).
    assert {o["pattern_id"] for o in out[2:]} == {out[1]["pattern_id"]}
    assert all(o["params"] == [] for o in out[2:])


def test_reader_going_away_is_not_an_error(tmp_path: Path) -> None:
    log = tmp_path / "big.log"
    log.write_bytes(b"".join(f"request {i} served in {i % 97} ms\n".encode() for i in range(30000)))
    proc = subprocess.Popen(
        [*_CMD, "parse", str(log)], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert proc.stdout is not None and proc.stderr is not None
    assert orjson.loads(proc.stdout.readline())["line"] == 1
    proc.stdout.close()  # like `| head -1`
    assert proc.wait(timeout=60) == 0
    assert proc.stderr.read() == b""
    proc.stderr.close()


def test_lines_of_an_evicted_pattern_get_a_null_template_and_no_params() -> None:
    import tempfile

    from logsum import Engine, EngineConfig

    engine = Engine(EngineConfig(max_patterns=2), message_only=True)
    messages = [
        "disk full on volume 3",
        "user logged in",
        "cache miss ratio high today",
        "connection reset by peer",
        "shutting down",
    ]
    data = "".join(f"{m}\n" for m in messages).encode()
    out = io.BytesIO()
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8", newline="\n") as spool:
        parse_mod._spool(engine, io.BytesIO(data), spool)
        spool.seek(0)
        parse_mod._emit(engine, spool, out)
    objs = [orjson.loads(x) for x in out.getvalue().splitlines()]
    assert [o["line"] for o in objs] == [1, 2, 3, 4, 5]
    alive = [o for o in objs if o["template"] is not None]
    gone = [o for o in objs if o["template"] is None]
    assert 1 <= len(alive) <= 2
    assert gone
    assert all(o["params"] == [] for o in gone)


@pytest.mark.parametrize(
    "argv",
    [
        ["parse"],
        ["parse", "--help"],
        ["parse", "--bogus", "x.log"],
        ["parse", "a.log", "b.log"],
        ["parse", "--format"],
        ["parse", "--", "x.log"],
        ["analyze", "x.log"],
    ],
)
def test_fast_path_leaves_everything_but_the_plain_forms_to_typer(argv: list[str]) -> None:
    assert parse_mod.fast_main(argv) is None


def test_fast_path_runs_the_plain_forms(tmp_path: Path) -> None:
    assert parse_mod.fast_main(["parse", str(tmp_path / "missing.log")]) == 2
    empty = tmp_path / "empty.log"
    empty.write_bytes(b"")
    assert parse_mod.fast_main(["parse", "--message-only", str(empty)]) == 0
    assert parse_mod.fast_main(["parse", f"--format={'<Level> <Content>'}", str(empty)]) == 0
    assert parse_mod.fast_main(["parse", str(empty), "--format", "<Level>"]) == 2  # no <Content>


def test_only_line_feeds_end_lines() -> None:
    # Unicode line separators, a lone CR, form feed and tabs stay inside their line.
    data = "a\u2028b 1\nc\rd 2\ne\x85f\x0cg 3\ttab\there\n".encode()
    out = parse_bytes(data)
    assert [o["line"] for o in out] == [1, 2, 3]


_ZONED = b"2026-01-15 10:00:00 INFO job 1 done\n2026-07-15T10:00:00+03:00 INFO job 2 done\n"


def test_timezone_applies_to_zone_less_timestamps_only() -> None:
    utc = [o["timestamp"] for o in parse_bytes(_ZONED)]
    assert utc == ["2026-01-15T10:00:00+00:00", "2026-07-15T10:00:00+03:00"]
    berlin = [o["timestamp"] for o in parse_bytes(_ZONED, "--timezone", "Europe/Berlin")]
    assert berlin == ["2026-01-15T09:00:00+00:00", "2026-07-15T10:00:00+03:00"]


def test_timezone_in_the_fast_path_and_an_unknown_zone(tmp_path: Path) -> None:
    log = tmp_path / "zoned.log"
    log.write_bytes(_ZONED)
    out = objects(run("--timezone=America/New_York", str(log)))
    assert out[0]["timestamp"] == "2026-01-15T15:00:00+00:00"
    bad = run(str(log), "--timezone", "Nowhere/Land")
    assert bad.returncode == 2
    assert b"unknown time zone 'Nowhere/Land'" in bad.stderr


class _Lines:
    """stdout of a process, read a line at a time with a time limit (the pipe is never read
    past what has arrived, so a missing line is a timeout, not a hang)."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stdout is not None
        self._fd = proc.stdout.fileno()
        self._buf = b""

    def next(self, timeout: float) -> bytes | None:
        import select
        import time

        deadline = time.monotonic() + timeout
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._fd], [], [], left)[0]:
                return None
            chunk = os.read(self._fd, 65536)
            if not chunk:
                return None
            self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        return line


def test_follow_writes_each_result_within_100_ms_while_the_input_stays_open(
    loghub: Path,
) -> None:
    import time

    lines = (loghub / "OpenSSH" / "OpenSSH_2k.log").read_bytes().splitlines(keepends=True)[:50]
    proc = subprocess.Popen(
        [*_CMD, "parse", "--follow", "-"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdin is not None and proc.stderr is not None
    out = _Lines(proc)
    try:
        latencies = []
        for number, line in enumerate(lines, 1):
            sent = time.monotonic()
            proc.stdin.write(line)
            proc.stdin.flush()
            # The first line also waits for the program to start.
            got = out.next(timeout=30.0 if number == 1 else 5.0)
            assert got is not None, f"no result for line {number} while the input is open"
            latencies.append(time.monotonic() - sent)
            assert orjson.loads(got)["line"] == number
        assert max(latencies[1:]) < 0.1, sorted(latencies[1:])[-5:]
        proc.stdin.close()
        assert proc.wait(timeout=30) == 0
        assert out.next(timeout=1.0) is None  # nothing more at the end of the input
    finally:
        proc.kill()
        proc.wait()
        proc.stderr.close()


def test_follow_gives_each_line_the_template_as_known_at_that_line(loghub: Path) -> None:
    data = (loghub / "OpenSSH" / "OpenSSH_2k.log").read_bytes()
    lines = data.splitlines(keepends=True)[:40]
    followed = parse_bytes(b"".join(lines), "--follow")
    # Line k's object is what the two-pass parse of the first k lines says about line k ...
    for k in range(1, len(lines) + 1):
        assert followed[k - 1] == parse_bytes(b"".join(lines[:k]))[-1], k
    # ... which for some lines is not the template known at the end.
    final = parse_bytes(b"".join(lines))
    assert any(f["template"] != e["template"] for f, e in zip(followed, final, strict=True))
    assert followed[-1] == final[-1]


def test_follow_reads_a_file_and_the_fast_path_knows_it(tmp_path: Path) -> None:
    data = b"".join(f"job {i} finished in {i * 7} ms\n".encode() for i in range(50))
    log = tmp_path / "jobs.log"
    log.write_bytes(data)
    assert objects(run("--follow", str(log))) == parse_bytes(data, "--follow")
    assert len(parse_bytes(data, "--follow")) == 50
    assert parse_mod.fast_main(["parse", "--follow", str(log)]) == 0


def test_follow_ends_quietly_when_the_reader_is_gone(tmp_path: Path) -> None:
    log = tmp_path / "big.log"
    log.write_bytes(b"".join(f"request {i} served in {i % 97} ms\n".encode() for i in range(30000)))
    proc = subprocess.Popen(
        [*_CMD, "parse", "--follow", str(log)], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    assert proc.wait(timeout=60) == 0
    assert proc.stderr.read() == b""
    proc.stderr.close()


def test_equal_instants_keep_their_own_offsets() -> None:
    # Two lines at the same instant written with different offsets: each line's timestamp is
    # written as that line has it (pass 1 reuses the previous line's text only for the very
    # same value).
    data = b"2026-03-02T10:00:00+01:00 INFO job done\n2026-03-02T09:00:00+00:00 INFO job done\n"
    out = parse_bytes(data)
    assert [o["timestamp"] for o in out] == [
        "2026-03-02T10:00:00+01:00",
        "2026-03-02T09:00:00+00:00",
    ]
