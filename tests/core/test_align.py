"""Templates of different lengths: which merge into one event and which stay apart."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from logsum import Engine
from logsum.core.align import align, merge_lengths


def _t(text: str) -> list[str]:
    return text.split()


def test_values_of_different_lengths_merge() -> None:
    a = _t("<*> close, <*> bytes sent, <*> bytes received, lifetime <*>:<*>")
    b = _t("<*> close, <*> bytes (<*> KB) sent, <*> bytes (<*> KB) received, lifetime <*>:<*>")
    merged = merge_lengths(a, b)
    assert merged is not None
    assert " ".join(merged[0]) == "<*> close, <*> sent, <*> received, lifetime <*>:<*>"


@pytest.mark.parametrize(
    ("a", "b"),
    [
        # an optional clause with words is another event
        ("Received block <*> of size <*>", "Received block <*> of size <*> from <*>"),
        # different words beside the values
        ("program interrupt: fp cr update...<*>", "program interrupt: fp cr field ...<*>"),
        # different endings, same start
        (
            "Received disconnect from <*>: <*>: Bye Bye [preauth]",
            "Received disconnect from <*>: <*>: disconnected by user",
        ),
        ("uid=<*> ruser= rhost=<*>", "uid=<*> ruser= rhost=<*> user=root"),
    ],
)
def test_different_events_stay_apart(a: str, b: str) -> None:
    assert merge_lengths(_t(a), _t(b)) is None


def test_align_gives_each_wildcard_its_tokens() -> None:
    spans = align(_t("BLOCK* ask <*> to delete <*>"), _t("BLOCK* ask 1.2.3.4 to delete a b c"))
    assert spans == [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5), (5, 8)]
    assert align(_t("a <*> b"), _t("a b")) is None


def test_engine_params_span_several_tokens() -> None:
    engine = Engine(message_only=True)
    engine.process("x.com:80 close, 10 bytes sent, 5 bytes received, lifetime 00:01")
    engine.process("x.com:80 close, 1190 bytes (1.16 KB) sent, 5 bytes received, lifetime 00:02")
    r = engine.process(
        "x.com:80 close, 1190 bytes (1.16 KB) sent, 2048 bytes (2 KB) received, lifetime <1 sec"
    )
    assert engine.template(r.pattern_id) == "<*> close, <*> sent, <*> received, lifetime <*>"
    assert engine.params_of(r.pattern_id, r.message) == (
        "x.com:80",
        "1190 bytes (1.16 KB)",
        "2048 bytes (2 KB)",
        "<1 sec",
    )


def test_results_do_not_depend_on_hash_seed() -> None:
    """Set iteration order changes with PYTHONHASHSEED; the patterns must not."""
    script = (
        "import sys\n"
        "from logsum import Engine\n"
        "e = Engine(message_only=True)\n"
        "for i in range(60):\n"
        "    e.process(f'user u{i % 7} from 10.0.0.{i} port {i} ' + ('ok' if i % 3 else 'x y'))\n"
        "    e.process(f'job {i} took {i}ms' + (' (cached)' if i % 2 else ''))\n"
        "print(sorted((p.id, p.template, p.count) for p in e.patterns()))\n"
    )
    outputs = set()
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
        )
        outputs.add(out.stdout)
    assert len(outputs) == 1
