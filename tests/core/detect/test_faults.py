"""Fault kinds: dump details and input errors are told from fault events by shape and errno text."""

from __future__ import annotations

import time

import pytest

from logsum.core.detect.faults import LineKind, classify


@pytest.mark.parametrize(
    "message",
    [
        "instruction address: 0x00004ed8",
        "machine check enable..............0",
        "program interrupt: <*> <*>..<*>",
        "r24=0x00000000 r25=0x00000001 r26=0x0000ff00",
        "lr:00004ed8 cr:22222222 xer:20000000 ctr:00000000",
        "special purpose registers:",
        "Machine State Register: <*>",
        "exception syndrome register: 0x00800000",
    ],
)
def test_dump_fields_are_details(message: str) -> None:
    assert classify(message) is LineKind.DETAIL


@pytest.mark.parametrize(
    "message",
    [
        "Error loading /u/app: invalid or missing program image, No such file or directory",
        "open(/etc/app.conf) failed: Permission denied",
        "execve failed: Exec format error",
    ],
)
def test_errors_the_input_explains(message: str) -> None:
    assert classify(message) is LineKind.INPUT_ERROR


@pytest.mark.parametrize(
    "message",
    [
        "data TLB error interrupt",
        "Error: <*>",
        "Fatal error: 0x1f",
        "write failed: 5",
        "Connection reset by peer",
        "rts: kernel terminated for reason 1004",
        "Lustre mount FAILED : bglio11 : point /p/gb1",
        "Starting version 2.0",
        "user: root",
    ],
)
def test_events(message: str) -> None:
    assert classify(message) is LineKind.EVENT


def test_long_and_hostile_messages_are_quick() -> None:
    hostile = ["a: " + "1 " * 5000 + "x", "k=" + "." * 10_000 + "0", "x" * 100_000]
    start = time.perf_counter()
    for m in hostile:
        classify(m)
    assert time.perf_counter() - start < 0.5
