"""The file follower on real files: start position, partial lines, rotation, restarts."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from logsum.watch.errors import SourcePathError
from logsum.watch.follower import FileFollower, current_checkpoint
from logsum.watch.paths import NotRegularFile, RootedPath, under_roots


def texts(f: FileFollower) -> list[str]:
    return [line.text for line in f.poll()]


def write(p: Path, data: str, mode: str = "a") -> None:
    with open(p, mode, encoding="utf-8") as fh:
        fh.write(data)


def test_starts_at_end_by_default_and_at_beginning_on_request(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    write(log, "old 1\nold 2\n")
    tail = FileFollower(log)
    head = FileFollower(log, from_beginning=True)
    assert texts(tail) == []
    assert texts(head) == ["old 1", "old 2"]
    write(log, "new\n")
    assert texts(tail) == ["new"]
    assert texts(head) == ["new"]


def test_waits_for_a_missing_file_and_reads_it_from_its_start(tmp_path: Path) -> None:
    log = tmp_path / "later.log"
    f = FileFollower(log)
    assert texts(f) == []
    write(log, "first\nsecond\n")
    assert texts(f) == ["first", "second"]


def test_partial_line_waits_for_its_newline(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    log.write_text("")
    f = FileFollower(log)
    write(log, "hello wo")
    assert texts(f) == []
    write(log, "rld\r\nnext")
    lines = f.poll()
    assert [x.text for x in lines] == ["hello world"]
    assert lines[0].end.offset == len(b"hello world\r\n")
    write(log, "\n")
    assert texts(f) == ["next"]


def test_invalid_utf8_is_replaced_not_fatal(tmp_path: Path) -> None:
    log = tmp_path / "bin.log"
    log.write_bytes(b"")
    f = FileFollower(log)
    with open(log, "ab") as fh:
        fh.write(b"ok \xff\xfe\x00 end\n")
    assert texts(f) == ["ok \ufffd\ufffd\x00 end"]


def test_overlong_line_is_cut_and_the_rest_skipped(tmp_path: Path) -> None:
    log = tmp_path / "big.log"
    log.write_text("")
    f = FileFollower(log, max_line_bytes=100, read_chunk=64)
    write(log, "x" * 1000 + "\nafter\n")
    lines = f.poll()
    assert [(len(x.text), x.truncated) for x in lines] == [(100, True), (5, False)]
    assert lines[-1].end.offset == 1007


def test_rename_and_create_drains_old_file_then_switches(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    write(log, "")
    f = FileFollower(log)
    write(log, "a1\n")
    assert texts(f) == ["a1"]
    # The writer still has the old file open: it writes after the rename.
    old_fh = open(log, "a", encoding="utf-8")  # noqa: SIM115
    os.rename(log, tmp_path / "app.log.1")
    write(log, "b1\n")  # the new file
    old_fh.write("a2\na3")
    old_fh.flush()
    got = texts(f)
    got += texts(f)
    old_fh.write(" completed late\na4-partial")  # e.g. before the app's SIGHUP reopens
    old_fh.close()
    for _ in range(10):
        got += texts(f)
    assert got == ["a2", "a3 completed late", "a4-partial", "b1"]
    assert f.rotations == 1
    write(log, "b2\n")
    assert texts(f) == ["b2"]


def test_copy_truncate_restarts_at_zero(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    write(log, "")
    f = FileFollower(log)
    write(log, "line one is long\nline two is long\n")
    assert len(texts(f)) == 2
    shutil.copy(log, tmp_path / "app.log.1")
    with open(log, "r+", encoding="utf-8") as fh:
        fh.truncate(0)
    write(log, "new\n")
    assert texts(f) == ["new"]
    assert f.rotations == 1


def test_copy_truncate_detected_even_when_the_new_content_outgrew_the_offset(
    tmp_path: Path,
) -> None:
    log = tmp_path / "app.log"
    write(log, "")
    f = FileFollower(log)
    write(log, "short\n")
    assert texts(f) == ["short"]
    with open(log, "r+", encoding="utf-8") as fh:
        fh.truncate(0)
    write(log, "a much longer first line after the truncation\n")
    assert texts(f) == ["a much longer first line after the truncation"]


def test_resume_from_checkpoint_reads_what_was_written_while_down(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    write(log, "x\n")
    f = FileFollower(log)
    write(log, "one\ntwo\n")
    lines = f.poll()
    cp = lines[0].end  # only "one" was handled before the crash
    f.close()
    write(log, "three\n")
    g = FileFollower(log, checkpoint=cp)
    assert texts(g) == ["two", "three"]


def test_resume_after_rotation_while_down_drains_the_rotated_file(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    write(log, "start\n")
    f = FileFollower(log)
    write(log, "one\n")
    cp = f.poll()[-1].end
    f.close()
    write(log, "two\n")
    os.rename(log, tmp_path / "app.log.1")
    write(log, "three\n")
    g = FileFollower(log, checkpoint=cp)
    got: list[str] = []
    for _ in range(10):
        got += texts(g)
    assert got == ["two", "three"]


def test_resume_when_file_was_replaced_and_old_one_is_gone_reads_new_from_start(
    tmp_path: Path,
) -> None:
    log = tmp_path / "app.log"
    write(log, "start\n")
    cp = current_checkpoint(log)
    assert cp is not None
    os.unlink(log)
    write(log, "fresh content\n")
    g = FileFollower(log, checkpoint=cp)
    got: list[str] = []
    for _ in range(3):
        got += texts(g)
    assert got == ["fresh content"]


def test_current_checkpoint_then_lines_written_before_start_are_not_skipped(
    tmp_path: Path,
) -> None:
    log = tmp_path / "app.log"
    write(log, "before creation\n")
    cp = current_checkpoint(log)
    write(log, "after creation, before first poll\n")
    assert texts(FileFollower(log, checkpoint=cp)) == ["after creation, before first poll"]


def test_one_poll_reads_a_bounded_amount(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    write(log, "")
    f = FileFollower(log, max_read_bytes=1000, read_chunk=100)
    write(log, "".join(f"line {i:05d}\n" for i in range(1000)))  # 11 bytes each
    first = f.poll()
    assert 80 <= len(first) <= 91
    total = len(first)
    while batch := f.poll():
        total += len(batch)
    assert total == 1000


def test_a_path_replaced_by_a_symlink_is_not_followed(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    write(log, "")
    f = FileFollower(log)
    write(log, "mine\n")
    assert texts(f) == ["mine"]
    secret = tmp_path / "secret"
    secret.write_text("do not read\n")
    os.unlink(log)
    log.symlink_to(secret)
    with open(secret, "a") as fh:
        fh.write("still not read\n")
    got: list[str] = []
    for _ in range(10):
        got += texts(f)
    assert got == []


# -- hostile paths (issue 18): walked from the root, regular files only ---------------------------


def test_a_directory_swapped_for_a_symlink_leads_nowhere(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "a" / "b").mkdir(parents=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    write(outside / "app.log", "secret 1\n")
    log = root / "a" / "b" / "app.log"
    write(log, "")
    f = FileFollower(RootedPath(root, ("a", "b", "app.log")))
    write(log, "inside\n")
    assert texts(f) == ["inside"]
    (root / "a").rename(root / "a.old")
    (root / "a").symlink_to(outside.parent / "outside-parent", target_is_directory=True)
    (outside.parent / "outside-parent").mkdir()
    (outside.parent / "outside-parent" / "b").symlink_to(outside, target_is_directory=True)
    for _ in range(20):
        assert texts(f) == []
    assert f.refused is None
    assert current_checkpoint(RootedPath(root, ("a", "b", "app.log"))) is None
    f.close()


def test_a_fifo_or_device_at_the_path_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.log"
    os.mkfifo(fifo)
    f = FileFollower(fifo, from_beginning=True)  # a plain open() would block here
    assert not f.has_file and f.refused is not None and "FIFO" in f.refused
    with pytest.raises(NotRegularFile, match="FIFO"):
        current_checkpoint(fifo)
    os.unlink(fifo)
    write(fifo, "regular again\n")
    assert texts(f) == ["regular again"] and f.refused is None
    f.close()


def test_a_regular_file_replaced_by_a_fifo_is_drained_then_refused(tmp_path: Path) -> None:
    log = tmp_path / "app.log"
    write(log, "")
    f = FileFollower(log)
    write(log, "one\n")
    os.rename(log, tmp_path / "app.log.1")
    os.mkfifo(log)
    write(tmp_path / "app.log.1", "two\n")
    assert texts(f) == ["one", "two"]
    assert f.refused is not None and "FIFO" in f.refused
    f.close()


def test_under_roots_finds_the_root_and_refuses_paths_outside(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    got = under_roots(root / "x" / "app.log", [tmp_path / "other", root])
    assert got == RootedPath(root.resolve(), ("x", "app.log"))
    with pytest.raises(SourcePathError):
        under_roots(tmp_path / "app.log", [root])
    with pytest.raises(ValueError):
        RootedPath(root, ("..", "app.log"))
