"""A real webhook receiver on 127.0.0.1 for the tests: verifies Standard Webhooks signatures,
dedupes by ``webhook-id``, and can fail on purpose (HTTP 500 / 429, or be down altogether)."""

from __future__ import annotations

import json
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from logsum.watch.signing import SignatureError, verify


class Receiver:
    """Start with :meth:`start`; ``port`` stays the same across :meth:`down` / :meth:`up`."""

    def __init__(self, ssl_context: ssl.SSLContext | None = None) -> None:
        self.ssl_context = ssl_context
        """When given, the receiver speaks HTTPS with it."""
        self.secrets: list[str] = []
        """Signing secrets of the watches sending here; a body must verify with one of them."""
        self.lock = threading.Lock()
        self.bodies: dict[str, dict[str, Any]] = {}  # webhook-id -> body (first copy)
        self.requests: list[tuple[dict[str, str], bytes]] = []  # (headers, body) as received
        self.arrival: dict[str, float] = {}
        self.attempts = 0
        self.duplicates = 0
        self.bad_signatures = 0
        self.incomplete = 0
        """Requests whose body ended before its Content-Length: the sender died (SIGKILL)
        mid-request. Not a bad signature: nothing was answered, so the sender retries it."""
        self.fail_with: int | None = None
        self.retry_after: str | None = None
        self.port = 0
        self._server: ThreadingHTTPServer | None = None

    # -- control -----------------------------------------------------------------------------

    def start(self) -> Receiver:
        self.up()
        return self

    def up(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                receiver._handle(self)

            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        if self.ssl_context is not None:
            server.socket = self.ssl_context.wrap_socket(server.socket, server_side=True)
        self.port = server.server_address[1]
        self._server = server
        threading.Thread(target=server.serve_forever, daemon=True).start()

    def down(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def url(self) -> str:
        scheme = "https" if self.ssl_context is not None else "http"
        return f"{scheme}://127.0.0.1:{self.port}/hook"

    # -- results -----------------------------------------------------------------------------

    def events(self) -> list[dict[str, Any]]:
        """Every delivered event, in delivery order (after dedupe)."""
        with self.lock:
            bodies = list(self.bodies.values())
        return [e for b in bodies for e in b["data"]["events"]]

    def texts(self) -> list[str]:
        return [e["text"] for e in self.events()]

    def anomalies(self) -> list[dict[str, Any]]:
        with self.lock:
            return [a for b in self.bodies.values() for a in b["data"]["anomalies"]]

    def wait_for(self, n_events: int, timeout: float = 20.0) -> list[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.texts()
            if len(got) >= n_events:
                return got
            time.sleep(0.02)
        return self.texts()

    # -- the handler -------------------------------------------------------------------------

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        length = int(h.headers.get("content-length", "0"))
        body = h.rfile.read(length)
        with self.lock:
            self.attempts += 1
            if len(body) < length:
                # The connection closed mid-body (the sending process was killed between
                # writing the headers and the body): there is no one to answer.
                self.incomplete += 1
                h.close_connection = True
                return
            fail = self.fail_with
        if fail is not None:
            h.send_response(fail)
            if self.retry_after is not None:
                h.send_header("Retry-After", self.retry_after)
            h.send_header("Content-Length", "0")
            h.end_headers()
            return
        headers = {k: v for k, v in h.headers.items()}
        with self.lock:
            self.requests.append((headers, body))
        status = 204
        webhook_id = None
        for secret in list(self.secrets):
            try:
                webhook_id = verify(secret, headers, body, now=time.time())
                break
            except SignatureError:
                continue
        if webhook_id is None:
            with self.lock:
                self.bad_signatures += 1
            status = 401
        else:
            with self.lock:
                if webhook_id in self.bodies:
                    self.duplicates += 1
                else:
                    self.bodies[webhook_id] = json.loads(body)
                    self.arrival[webhook_id] = time.time()
        h.send_response(status)
        h.send_header("Content-Length", "0")
        h.end_headers()
