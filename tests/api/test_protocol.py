"""The parse-error override of uvicorn's internal ``HttpToolsProtocol``
(:mod:`logsum.api.protocol`), pinned to the uvicorn version it was checked against, and run
in-process on a fake transport (``test_http.py`` runs it over a real socket)."""

from __future__ import annotations

import asyncio
import inspect
import tomllib
from pathlib import Path

import orjson
import pytest
import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from logsum.api.protocol import VERIFIED_UVICORN, EnvelopeHttpToolsProtocol

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def test_installed_uvicorn_is_the_verified_one() -> None:
    """On a uvicorn upgrade this fails first: re-read httptools_impl.py, then move the pin."""
    assert uvicorn.__version__ == VERIFIED_UVICORN, (
        f"uvicorn {uvicorn.__version__} is installed; logsum.api.protocol was checked against "
        f"{VERIFIED_UVICORN}: check that send_400_response is still the parse-error hook"
    )
    deps = tomllib.loads(PYPROJECT.read_text())["project"]["dependencies"]
    assert f"uvicorn=={VERIFIED_UVICORN}" in deps


def test_the_hook_still_exists_and_is_called_on_parse_errors() -> None:
    hook = inspect.signature(HttpToolsProtocol.send_400_response)
    assert list(hook.parameters) == ["self", "msg"]
    assert "self.send_400_response(" in inspect.getsource(HttpToolsProtocol.data_received)


class _Transport(asyncio.Transport):
    """Just enough of a socket transport for the protocol: what it writes, whether it closed."""

    def __init__(self) -> None:
        super().__init__({"peername": ("10.1.2.3", 5555), "sockname": ("127.0.0.1", 8000)})
        self.written = b""
        self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written += bytes(data)

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed


async def _never_called(scope: object, receive: object, send: object) -> None:
    raise AssertionError("a malformed request must not reach the app")


def _feed(data: bytes) -> _Transport:
    async def run() -> _Transport:
        config = uvicorn.Config(
            _never_called, http=EnvelopeHttpToolsProtocol, log_config=None, server_header=False
        )
        state = ServerState()
        state.default_headers = [(b"date", b"Thu, 01 Jan 2026 00:00:00 GMT")]
        protocol = EnvelopeHttpToolsProtocol(config=config, server_state=state, app_state={})
        transport = _Transport()
        protocol.connection_made(transport)
        protocol.data_received(data)
        return transport

    return asyncio.run(run())


@pytest.mark.parametrize(
    "data",
    [b"FOO / HTTP/1.1\r\nHost: x\r\n\r\n", b"GET / HTTP/1.1\r\nX-Bad: a\x01b\r\n\r\n"],
)
def test_a_malformed_request_gets_the_envelope_and_the_connection_closes(data: bytes) -> None:
    transport = _feed(data)
    head, _, body = transport.written.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    assert lines[0] == b"HTTP/1.1 400 Bad Request"
    headers = dict(line.split(b": ", 1) for line in lines[1:])
    assert headers[b"date"] == b"Thu, 01 Jan 2026 00:00:00 GMT"  # the server's own headers
    assert headers[b"content-type"] == b"application/json"
    assert headers[b"connection"] == b"close"
    assert len(headers[b"x-request-id"]) == 32
    assert int(headers[b"content-length"]) == len(body)
    assert orjson.loads(body) == {
        "error": {
            "code": "invalid_request",
            "message": "Malformed HTTP request; the connection is closed",
        }
    }
    assert transport.closed
