"""A Python client of the LogSum REST API, on httpx: :class:`Client` and :class:`AsyncClient`.

::

    from logsum.client import Client

    with Client("http://127.0.0.1:8000", "lsk_...") as logsum:
        result = logsum.analyze(["2024-01-01 10:00:00 ERROR Database connection failed"])
        for pattern in logsum.patterns(severity="error"):   # every page
            print(pattern.count, pattern.template)

Results are the service's own wire models (:mod:`logsum.api.schemas`, pydantic; importing them
loads neither FastAPI nor the store). An error answer raises :class:`LogSumError` carrying the
envelope's ``code`` (``invalid_request``, ``unauthorized``, ``not_found``, ``rate_limited``...),
the HTTP status and, for 429 and 503, the ``Retry-After`` seconds. 429 and 503 answers are
retried (``retries`` times, waiting what ``Retry-After`` says, at most ``max_wait`` seconds,
else exponential backoff), and so are connections that could not be opened (the request was
never sent); other failures are raised at once. Bodies of ``gzip_min_bytes`` or more are sent
gzip-compressed. ``timeout`` is httpx's (seconds, or an ``httpx.Timeout``).
"""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
import orjson
from pydantic import BaseModel
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

from logsum import __version__
from logsum.api.schemas import (
    AnalyzeOptions,
    AnalyzeResponse,
    PatternList,
    PatternOut,
    SeverityName,
    WatchCreate,
    WatchCreated,
    WatchFiltersIn,
    WatchList,
    WatchOut,
)

__all__ = ["AsyncClient", "Client", "LogSumError"]

M = TypeVar("M", bound=BaseModel)

PAGE_SIZE = 500
"""Patterns per request when :meth:`Client.patterns` iterates (the service's largest page)."""

GZIP_MIN_BYTES = 64 * 1024
"""Request bodies at least this large are sent with ``Content-Encoding: gzip``."""

RETRYABLE = frozenset({429, 503})


class LogSumError(Exception):
    """An error answer of the service: the envelope's ``code`` and ``message``, the HTTP
    ``status``, the ``Retry-After`` seconds when given, and the ``X-Request-ID``."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        retry_after: float | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after
        self.request_id = request_id


def _error(resp: httpx.Response) -> LogSumError:
    code, message = f"http_{resp.status_code}", resp.reason_phrase or "error"
    try:
        detail = orjson.loads(resp.content)["error"]
        code, message = str(detail["code"]), str(detail["message"])
    except (orjson.JSONDecodeError, KeyError, TypeError):
        pass
    return LogSumError(
        resp.status_code,
        code,
        message,
        retry_after=_retry_after(resp.headers.get("retry-after")),
        request_id=resp.headers.get("x-request-id"),
    )


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None  # an HTTP date: the service never sends one
    return max(0.0, seconds)


@dataclass(frozen=True, slots=True)
class _Call:
    """One API call, before it is sent."""

    method: str
    path: str
    params: Mapping[str, Any] | None = None
    body: bytes | None = None
    headers: Mapping[str, str] | None = None


def _json_call(method: str, path: str, payload: Any, gzip_min_bytes: int) -> _Call:
    body = orjson.dumps(payload)
    headers = {"Content-Type": "application/json"}
    if len(body) >= gzip_min_bytes:
        body = gzip.compress(body, compresslevel=5)
        headers["Content-Encoding"] = "gzip"
    return _Call(method, path, body=body, headers=headers)


def _analyze_payload(
    logs: Sequence[str], options: AnalyzeOptions | None, extra: Mapping[str, Any]
) -> dict[str, Any]:
    if isinstance(logs, str):
        raise TypeError("logs must be a sequence of lines, not one string")
    # Keyword options are sent as given: the service validates them (invalid_request).
    opts = options.model_dump(exclude_unset=True) if options is not None else {}
    return {"logs": list(logs), "options": {**opts, **extra}}


def _watch_payload(
    source: str,
    webhook_url: str,
    severities: Sequence[SeverityName],
    from_beginning: bool,
    timezone: str | None,
) -> dict[str, Any]:
    body = WatchCreate(
        source=source,
        webhook_url=webhook_url,
        filters=WatchFiltersIn(severity=list(severities)),
        from_beginning=from_beginning,
        timezone=timezone,
    )
    return body.model_dump(exclude_none=True)


def _parse(resp: httpx.Response, model: type[M]) -> M:
    return model.model_validate_json(resp.content)


class _Base:
    def __init__(
        self,
        retries: int,
        max_wait: float,
        gzip_min_bytes: int,
    ) -> None:
        if retries < 0:
            raise ValueError("retries must be >= 0")
        self.retries = retries
        self.max_wait = max_wait
        self.gzip_min_bytes = gzip_min_bytes
        self._backoff = wait_exponential(multiplier=0.5, max=max_wait)

    def _headers(self, api_key: str, headers: Mapping[str, str] | None) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {api_key}",
            "User-Agent": f"logsum-client/{__version__}",
            "Accept": "application/json",
            **(headers or {}),
        }

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome is not None else None
        if isinstance(exc, LogSumError) and exc.retry_after is not None:
            return min(exc.retry_after, self.max_wait)
        return float(self._backoff(state))

    def _policy(self) -> dict[str, Any]:
        return {
            "retry": retry_if_exception(_retryable),
            "stop": stop_after_attempt(self.retries + 1),
            "wait": self._wait,
            "reraise": True,
        }


def _retryable(exc: BaseException) -> bool:
    if isinstance(exc, LogSumError):
        return exc.status in RETRYABLE
    # The connection was never made: the request was not sent, resending it is safe.
    return isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)


class Client(_Base):
    """A synchronous client. Use it as a context manager, or call :meth:`close`."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float | httpx.Timeout = 30.0,
        retries: int = 3,
        max_wait: float = 60.0,
        gzip_min_bytes: int = GZIP_MIN_BYTES,
        headers: Mapping[str, str] | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(retries, max_wait, gzip_min_bytes)
        self._http = httpx.Client(
            base_url=base_url,
            headers=self._headers(api_key, headers),
            timeout=timeout,
            transport=transport,
        )

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connections."""
        self._http.close()

    def _send(self, call: _Call) -> httpx.Response:
        def once() -> httpx.Response:
            resp = self._http.request(
                call.method, call.path, params=call.params, content=call.body, headers=call.headers
            )
            if resp.status_code >= 400:
                raise _error(resp)
            return resp

        for attempt in Retrying(**self._policy()):
            with attempt:
                return once()
        raise AssertionError("unreachable")  # pragma: no cover - tenacity reraises

    def analyze(
        self, logs: Sequence[str], options: AnalyzeOptions | None = None, **option: Any
    ) -> AnalyzeResponse:
        """``POST /v1/analyze``: patterns, anomalies and insights of ``logs``; options as an
        :class:`AnalyzeOptions` or as keywords (``find_anomalies=False``, ``timezone=...``)."""
        payload = _analyze_payload(logs, options, option)
        resp = self._send(_json_call("POST", "/v1/analyze", payload, self.gzip_min_bytes))
        return _parse(resp, AnalyzeResponse)

    def patterns_page(
        self, *, limit: int = 50, offset: int = 0, severity: SeverityName | None = None
    ) -> PatternList:
        """``GET /v1/patterns``: one page."""
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        if severity is not None:
            params["severity"] = severity
        return _parse(self._send(_Call("GET", "/v1/patterns", params=params)), PatternList)

    def patterns(
        self, *, severity: SeverityName | None = None, page_size: int = PAGE_SIZE
    ) -> Iterator[PatternOut]:
        """Every stored pattern (of ``severity``), page after page, by count descending."""
        offset = 0
        while True:
            page = self.patterns_page(limit=page_size, offset=offset, severity=severity)
            yield from page.patterns
            offset += len(page.patterns)
            if not page.patterns or offset >= page.total:
                return

    def pattern(self, pattern_id: str) -> PatternOut:
        """``GET /v1/patterns/{id}`` (:class:`LogSumError` ``not_found`` when unknown)."""
        path = f"/v1/patterns/{_segment(pattern_id)}"
        return _parse(self._send(_Call("GET", path)), PatternOut)

    def create_watch(
        self,
        source: str,
        webhook_url: str,
        *,
        severities: Sequence[SeverityName] = (),
        from_beginning: bool = False,
        timezone: str | None = None,
    ) -> WatchCreated:
        """``POST /v1/watch``; the answer holds the webhook signing secret (shown once)."""
        payload = _watch_payload(source, webhook_url, severities, from_beginning, timezone)
        resp = self._send(_json_call("POST", "/v1/watch", payload, self.gzip_min_bytes))
        return _parse(resp, WatchCreated)

    def watches(self) -> WatchList:
        """``GET /v1/watch``: the caller's watches."""
        return _parse(self._send(_Call("GET", "/v1/watch")), WatchList)

    def watch(self, watch_id: str) -> WatchOut:
        """``GET /v1/watch/{id}``."""
        return _parse(self._send(_Call("GET", f"/v1/watch/{_segment(watch_id)}")), WatchOut)

    def delete_watch(self, watch_id: str) -> None:
        """``DELETE /v1/watch/{id}``: stop and remove the watch."""
        self._send(_Call("DELETE", f"/v1/watch/{_segment(watch_id)}"))


class AsyncClient(_Base):
    """The same API for asyncio: ``async with AsyncClient(...) as c: await c.analyze(...)``;
    :meth:`patterns` is an async iterator."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float | httpx.Timeout = 30.0,
        retries: int = 3,
        max_wait: float = 60.0,
        gzip_min_bytes: int = GZIP_MIN_BYTES,
        headers: Mapping[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(retries, max_wait, gzip_min_bytes)
        self._http = httpx.AsyncClient(
            base_url=base_url,
            headers=self._headers(api_key, headers),
            timeout=timeout,
            transport=transport,
        )

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connections."""
        await self._http.aclose()

    async def _send(self, call: _Call) -> httpx.Response:
        async for attempt in AsyncRetrying(**self._policy()):
            with attempt:
                resp = await self._http.request(
                    call.method,
                    call.path,
                    params=call.params,
                    content=call.body,
                    headers=call.headers,
                )
                if resp.status_code >= 400:
                    raise _error(resp)
                return resp
        raise AssertionError("unreachable")  # pragma: no cover - tenacity reraises

    async def analyze(
        self, logs: Sequence[str], options: AnalyzeOptions | None = None, **option: Any
    ) -> AnalyzeResponse:
        """``POST /v1/analyze`` (see :meth:`Client.analyze`)."""
        payload = _analyze_payload(logs, options, option)
        resp = await self._send(_json_call("POST", "/v1/analyze", payload, self.gzip_min_bytes))
        return _parse(resp, AnalyzeResponse)

    async def patterns_page(
        self, *, limit: int = 50, offset: int = 0, severity: SeverityName | None = None
    ) -> PatternList:
        """``GET /v1/patterns``: one page."""
        params: dict[str, Any] = {"limit": limit, "offset": offset}
        if severity is not None:
            params["severity"] = severity
        resp = await self._send(_Call("GET", "/v1/patterns", params=params))
        return _parse(resp, PatternList)

    async def patterns(
        self, *, severity: SeverityName | None = None, page_size: int = PAGE_SIZE
    ) -> AsyncIterator[PatternOut]:
        """Every stored pattern (of ``severity``), page after page."""
        offset = 0
        while True:
            page = await self.patterns_page(limit=page_size, offset=offset, severity=severity)
            for p in page.patterns:
                yield p
            offset += len(page.patterns)
            if not page.patterns or offset >= page.total:
                return

    async def pattern(self, pattern_id: str) -> PatternOut:
        """``GET /v1/patterns/{id}``."""
        resp = await self._send(_Call("GET", f"/v1/patterns/{_segment(pattern_id)}"))
        return _parse(resp, PatternOut)

    async def create_watch(
        self,
        source: str,
        webhook_url: str,
        *,
        severities: Sequence[SeverityName] = (),
        from_beginning: bool = False,
        timezone: str | None = None,
    ) -> WatchCreated:
        """``POST /v1/watch``."""
        payload = _watch_payload(source, webhook_url, severities, from_beginning, timezone)
        resp = await self._send(_json_call("POST", "/v1/watch", payload, self.gzip_min_bytes))
        return _parse(resp, WatchCreated)

    async def watches(self) -> WatchList:
        """``GET /v1/watch``."""
        return _parse(await self._send(_Call("GET", "/v1/watch")), WatchList)

    async def watch(self, watch_id: str) -> WatchOut:
        """``GET /v1/watch/{id}``."""
        resp = await self._send(_Call("GET", f"/v1/watch/{_segment(watch_id)}"))
        return _parse(resp, WatchOut)

    async def delete_watch(self, watch_id: str) -> None:
        """``DELETE /v1/watch/{id}``."""
        await self._send(_Call("DELETE", f"/v1/watch/{_segment(watch_id)}"))


def _segment(value: str) -> str:
    """``value`` as one URL path segment (a ``/`` in an id must not change the path)."""
    return quote(value, safe="")
