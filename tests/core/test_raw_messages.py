"""Raw lines whose message starts with text that looks like header fields: the message a
program wrote stays whole (the template corpus's raw mode, ``bench/templates.py --raw``).
Every line here was written for these tests."""

from __future__ import annotations

from logsum import Engine
from logsum.core.config import EngineConfig


def _messages(lines: list[str]) -> list[str]:
    engine = Engine(EngineConfig(default_year=2026))
    return [engine.process(line).message for line in lines]


def test_a_peer_address_with_its_port_opens_the_message() -> None:
    # ctime stamp, then the message; the peer's address and port are the message's first
    # words, not a host before a level ("TLS Error:" is the message's phrase)
    lines = [
        f"Tue Mar  3 08:15:0{k} 2026 198.51.100.{20 + k}:4041{k} TLS Error: TLS handshake failed"
        for k in range(5)
    ]
    assert _messages(lines) == [line[25:] for line in lines]
