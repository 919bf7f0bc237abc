"""The test receiver itself: a request cut short by a killed sender is not a bad signature.

``test_crash.py`` kills the sending process with SIGKILL while deliveries flow. When the kill
lands between the request's headers and its body (httpx writes them separately), the receiver
sees the headers and then the end of the connection. Counting that as a bad signature made
``test_service_process_sigkill_and_restart_lose_nothing`` fail on a loaded machine (the slower
the sender, the wider that window), although the service retried the delivery correctly.
"""

from __future__ import annotations

import socket
import time

from .receiver import Receiver


def test_a_body_cut_by_the_senders_death_is_incomplete_not_a_bad_signature() -> None:
    rx = Receiver().start()
    try:
        with socket.create_connection(("127.0.0.1", rx.port)) as s:
            s.sendall(
                b"POST /hook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 200\r\n"
                b"webhook-id: msg_1\r\nwebhook-timestamp: 1\r\nwebhook-signature: v1,x\r\n\r\n"
                b'{"type": "logsum.wat'
            )
        deadline = time.monotonic() + 5
        while rx.attempts == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert rx.attempts == 1
        assert rx.bad_signatures == 0
        assert rx.incomplete == 1
    finally:
        rx.down()
