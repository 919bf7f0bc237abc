"""The shape cache on its own: a line learned once is read again from its offsets, on lines equal
to it up to their digits or up to how long their numbers are, and only while that is safe."""

from __future__ import annotations

from datetime import UTC, datetime

from logsum.core.header import HeaderDetector
from logsum.core.masking import TokenMasker
from logsum.core.miner import Cluster
from logsum.core.model import Severity
from logsum.core.shapes import Shape, ShapeCache

LINE = "Dec 10 06:55:46 LabSZ sshd[24200]: Failed password for root from 5.36.59.76 port 42393 ssh2"
TEMPLATE = "Failed password for root from <*> port <*> ssh2"


def _learned(size: int = 100) -> tuple[ShapeCache, Cluster]:
    masker = TokenMasker()
    cache = ShapeCache(size, 256, masker, 2024)
    headers = HeaderDetector(2024)
    found = headers.split(LINE)
    assert found is not None
    header, message = found
    raw = message.split()
    cluster = Cluster("p_1", TEMPLATE.split(), 0)
    shape = cache.learn(
        LINE,
        header=header,
        stamps=headers.last_stamps,
        message=message,
        cluster=cluster,
        raw_tokens=raw,
        masked=masker.mask_tokens(raw),
        level_severity=None,
        severity=Severity.INFO,
    )
    assert shape is not None
    return cache, cluster


def _parts(shape: Shape, line: str) -> tuple[object, ...]:
    stamp = shape.stamp(line)
    return (
        stamp,
        line[shape.message],
        tuple(line[p] for p in shape.params),
        shape.header_of(line, stamp),
    )


def test_a_line_equal_up_to_its_digits_is_read_at_the_same_offsets() -> None:
    cache, cluster = _learned()
    line = LINE.replace("46 LabSZ sshd[24200]", "48 LabSZ sshd[24201]").replace(
        "76 port 42393", "77 port 42394"
    )
    shape = cache.lookup(line)
    assert shape is not None and shape.cluster is cluster
    stamp, message, params, header = _parts(shape, line)
    assert stamp == datetime(2024, 12, 10, 6, 55, 48, tzinfo=UTC)
    assert message == "Failed password for root from 5.36.59.77 port 42394 ssh2"
    assert params == ("5.36.59.77", "42394")
    assert header == (stamp, None, "LabSZ", "sshd", "24201")


def test_numbers_that_changed_length_move_the_offsets_after_them() -> None:
    cache, _ = _learned()
    line = "Dec 1 06:55:48 LabSZ sshd[4201]: Failed password for root from 15.6.159.7 port 5 ssh2"
    shape = cache.lookup(line)
    assert shape is not None
    stamp, message, params, header = _parts(shape, line)
    assert stamp == datetime(2024, 12, 1, 6, 55, 48, tzinfo=UTC)
    assert message == "Failed password for root from 15.6.159.7 port 5 ssh2"
    assert params == ("15.6.159.7", "5")
    assert header == (stamp, None, "LabSZ", "sshd", "4201")


def test_a_word_with_other_digits_is_another_event() -> None:
    cache, _ = _learned()
    line = LINE.replace("42393 ssh2", "42394 ssh1")
    assert cache.lookup(line) is None


def test_a_shape_is_dropped_when_its_pattern_changes_or_goes() -> None:
    cache, cluster = _learned()
    assert cache.lookup(LINE) is not None
    cluster.version += 1_000_000  # the template was generalised since
    assert cache.lookup(LINE) is None
    cache, cluster = _learned()
    cluster.alive = False  # evicted or folded
    assert cache.lookup(LINE) is None


def test_clear_forgets_every_shape() -> None:
    cache, _ = _learned()
    cache.clear()
    assert cache.lookup(LINE) is None


def test_an_unknown_layout_is_not_replayed() -> None:
    cache, _ = _learned()
    assert cache.lookup("something else entirely, 42 times") is None
