"""The HTTP client every probe uses: raw bytes with arrival times, hard deadlines, retries, budget.

It never judges anything. It records what happened (including how reading ended) so that a hung,
endless, oversized or reset response becomes evidence for a check instead of a hung run.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import threading
import time
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, Required, TypedDict, TypeVar

import httpx

from msgconform.core.errors import TransportError
from msgconform.core.exchange import Chunk, Exchange
from msgconform.core.profiles import Timeouts

T = TypeVar("T")
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504, 529})


class StreamWatch(Protocol):
    """Told every chunk; says when the terminal event has been seen (then we wait for close)."""

    terminal_seen: bool

    def feed(self, data: bytes) -> None: ...


class SendOptions(TypedDict, total=False):
    """The keyword arguments of `HttpClient.send`, so the cassette's wrappers pass them through
    without repeating the list (they must stay in step with `send`'s signature)."""

    headers: Required[Mapping[str, str]]
    json_body: Any
    raw_body: bytes | None
    watch: Callable[[], StreamWatch] | None
    retry: bool
    deadlines: Deadlines | None


@dataclass(frozen=True)
class Deadlines:
    connect: float
    first_byte: float
    idle: float
    total: float
    close_after_stop: float

    @classmethod
    def from_limits(cls, timeouts: Timeouts) -> Deadlines:
        return cls(
            connect=float(timeouts.connect),
            first_byte=float(timeouts.first_byte),
            idle=float(timeouts.idle),
            total=float(timeouts.total),
            close_after_stop=float(timeouts.close_after_stop),
        )


class BudgetExhausted(TransportError):
    """The profile's request or token budget is spent; the run stops cleanly."""


@dataclass
class Budget:
    max_requests: int
    max_output_tokens: int
    requests_per_second: float | None = None
    requests: int = 0
    output_tokens: int = 0
    _next_slot: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def take_request(self) -> float:
        """Count one request; return how long to wait to respect the request rate."""
        with self._lock:
            if self.requests >= self.max_requests:
                raise BudgetExhausted(f"request budget of {self.max_requests} spent")
            if self.output_tokens >= self.max_output_tokens:
                raise BudgetExhausted(f"output-token budget of {self.max_output_tokens} spent")
            self.requests += 1
            if not self.requests_per_second:
                return 0.0
            now = time.monotonic()
            slot = max(now, self._next_slot)
            self._next_slot = slot + 1.0 / self.requests_per_second
            return slot - now

    def add_output_tokens(self, count: int) -> None:
        with self._lock:
            self.output_tokens += count


class LoopThread:
    """One event loop in a daemon thread, so sync callers (pytest) get exact async deadlines."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        if not self._thread.is_alive():
            self.loop.close()


class HttpClient:
    def __init__(
        self,
        base_url: str,
        deadlines: Deadlines,
        *,
        max_body_bytes: int,
        budget: Budget,
        retries: int = 2,
        retry_after_cap: float = 30.0,
        extra_headers: Mapping[str, str] | None = None,
        concurrency: int = 8,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.deadlines = deadlines
        self.max_body_bytes = max_body_bytes
        self.budget = budget
        self.retries = retries
        self.retry_after_cap = retry_after_cap
        self.extra_headers = dict(extra_headers or {})
        self._loop = LoopThread()
        self._client = self._loop.run(self._make_client(concurrency))
        self._fresh = self._loop.run(self._make_fresh_client())

    async def _make_client(self, concurrency: int) -> httpx.AsyncClient:
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        # Our own deadlines govern reads; httpx only bounds connect and write.
        timeout = httpx.Timeout(connect=self.deadlines.connect, read=None, write=30, pool=None)
        return httpx.AsyncClient(timeout=timeout, limits=limits, follow_redirects=False)

    async def _make_fresh_client(self) -> httpx.AsyncClient:
        """For the one resend after a closed keep-alive connection: it keeps no connection, so
        each request it sends opens a new one."""
        limits = httpx.Limits(max_keepalive_connections=0)
        timeout = httpx.Timeout(connect=self.deadlines.connect, read=None, write=30, pool=None)
        return httpx.AsyncClient(timeout=timeout, limits=limits, follow_redirects=False)

    def close(self) -> None:
        self._loop.run(self._client.aclose())
        self._loop.run(self._fresh.aclose())
        self._loop.close()

    def send(
        self,
        label: str,
        method: str,
        path: str,
        *,
        headers: Mapping[str, str],
        json_body: Any = None,
        raw_body: bytes | None = None,
        watch: Callable[[], StreamWatch] | None = None,
        retry: bool = True,
        deadlines: Deadlines | None = None,
    ) -> Exchange:
        """`deadlines` replaces the client's own for this request (a collapsed symptom)."""
        if raw_body is None and json_body is not None:
            raw_body = encode_body(json_body)
        all_headers = {"accept-encoding": "identity", **self.extra_headers, **headers}
        if raw_body is not None and not any(h.lower() == "content-type" for h in all_headers):
            all_headers["content-type"] = "application/json"
        attempt, sent = 0, 0
        while True:
            exchange = self._attempt(
                Exchange(label, method, self.base_url + path, all_headers, json_body, raw_body),
                watch,
                deadlines or self.deadlines,
            )
            sent += 2 if exchange.reconnected else 1
            exchange.retries = sent - 1
            delay = self._retry_delay(exchange, attempt) if retry else None
            if delay is None:
                return exchange
            attempt += 1
            time.sleep(delay)

    def _attempt(
        self, exchange: Exchange, watch: Callable[[], StreamWatch] | None, deadlines: Deadlines
    ) -> Exchange:
        """Send once; if a reused keep-alive connection turns out closed before any response
        byte, send once more on a new connection and keep why on the exchange that answers.

        RFC 9112 §9.3.1 leaves when a client may retry to RFC 9110 §9.2.2, which does not let a
        POST be retried blindly but names this case: a client "might automatically retry a POST
        request if the underlying transport connection closed before any part of a response is
        received, particularly if an idle persistent connection was used". That is the only
        reason a POST is sent again here: no byte of a response arrived, on a pooled connection
        the server had closed. Once only ("A client SHOULD NOT automatically retry a failed
        automatic retry"): a failure on the new connection is the answer, an ERROR with this
        evidence."""
        self._take_budget()
        closed = self._loop.run(
            self._fill(exchange, watch() if watch else None, deadlines, self._client)
        )
        if closed is None:
            return exchange
        first = exchange
        self._take_budget()
        exchange = Exchange(
            first.label, first.method, first.url, first.request_headers,
            first.request_body, first.raw_request_body,
        )  # fmt: skip
        exchange.reconnected = (
            f"the server closed the reused keep-alive connection before any response byte "
            f"({closed}, after {first.elapsed_s:.3f}s); sent once more on a new connection"
        )
        self._loop.run(self._fill(exchange, watch() if watch else None, deadlines, self._fresh))
        return exchange

    def _take_budget(self) -> None:
        wait = self.budget.take_request()
        if wait:
            time.sleep(wait)

    def _retry_delay(self, exchange: Exchange, attempt: int) -> float | None:
        """Seconds to wait before retrying a transient failure, or None to keep this answer."""
        if attempt >= self.retries:
            return None
        transient = exchange.ended == "connect" or (
            exchange.status in RETRY_STATUSES and not exchange.is_sse
        )
        if not transient:
            return None
        hinted = retry_after_seconds(exchange.response_headers)
        backoff = 0.25 * (2**attempt)
        return min(hinted if hinted is not None else backoff, self.retry_after_cap)

    async def _fill(
        self,
        exchange: Exchange,
        watch: StreamWatch | None,
        deadlines: Deadlines,
        client: httpx.AsyncClient,
    ) -> str | None:
        """Send and read; return why the request may go again on a new connection (it went on a
        reused connection the server had closed before any response byte), else None."""
        start = time.monotonic()
        opened: list[str] = []  # the TCP connects of this request: none on a reused connection

        async def trace(event: str, info: Mapping[str, Any]) -> None:
            if event.startswith("connection.connect_tcp."):
                opened.append(event)

        request = client.build_request(
            exchange.method,
            exchange.url,
            headers=exchange.request_headers,
            content=exchange.raw_request_body,
            extensions={"trace": trace},
        )
        closed = None
        try:
            response = await asyncio.wait_for(
                client.send(request, stream=True), deadlines.connect + deadlines.first_byte
            )
        except TimeoutError:
            exchange.ended, exchange.error = "first_byte_timeout", "no response headers in time"
        except httpx.ConnectError as exc:
            exchange.ended, exchange.error = "connect", f"cannot connect: {exc}"
        except httpx.HTTPError as exc:
            exchange.ended, exchange.error = "reset", f"{type(exc).__name__}: {exc}"
            if not opened and closed_before_response(exc):
                closed = exchange.error
        else:
            exchange.status = response.status_code
            exchange.response_headers = {k.lower(): v for k, v in response.headers.items()}
            try:
                await self._read_body(exchange, response, watch, start, deadlines)
            finally:
                await response.aclose()
        exchange.elapsed_s = time.monotonic() - start
        return closed

    async def _read_body(
        self,
        exchange: Exchange,
        response: httpx.Response,
        watch: StreamWatch | None,
        start: float,
        deadlines: Deadlines,
    ) -> None:
        chunks = response.aiter_raw()
        size = 0
        end_by = start + deadlines.total
        while True:
            waiting_close = watch is not None and watch.terminal_seen
            wait = deadlines.close_after_stop if waiting_close else deadlines.idle
            wait = min(wait, end_by - time.monotonic())
            try:
                data = await asyncio.wait_for(anext(chunks), max(wait, 0.001))
            except StopAsyncIteration:
                return
            except TimeoutError:
                exchange.ended = self._timeout_kind(waiting_close, end_by)
                exchange.error = f"{exchange.ended} after {time.monotonic() - start:.2f}s"
                return
            except httpx.HTTPError as exc:
                exchange.ended, exchange.error = "reset", f"{type(exc).__name__}: {exc}"
                return
            size += len(data)
            if size > self.max_body_bytes:
                keep = len(data) - (size - self.max_body_bytes)
                exchange.chunks.append(Chunk(time.monotonic() - start, data[:keep]))
                exchange.truncated, exchange.ended = True, "size_cap"
                exchange.error = f"body larger than {self.max_body_bytes} bytes"
                return
            exchange.chunks.append(Chunk(time.monotonic() - start, data))
            if watch is not None:
                watch.feed(data)

    @staticmethod
    def _timeout_kind(waiting_close: bool, end_by: float) -> str:
        if waiting_close:
            return "close_timeout"
        return "total_timeout" if time.monotonic() >= end_by - 0.001 else "idle_timeout"


def closed_before_response(exc: httpx.HTTPError) -> bool:
    """The errors a connection closed under a request give before any response byte: httpcore's
    "Server disconnected without sending a response." (EOF while waiting for the status line),
    or a reset while writing the request or waiting for the answer. Any other protocol error
    means a response, however broken, had begun; it is evidence, never sent again."""
    if isinstance(exc, httpx.RemoteProtocolError):
        return str(exc).startswith("Server disconnected without sending a response")
    return isinstance(exc, (httpx.ReadError, httpx.WriteError))


def encode_body(json_body: Any) -> bytes:
    """The bytes a JSON request body is sent as (a replayed run must encode it the same way)."""
    return json.dumps(json_body, ensure_ascii=False).encode("utf-8")


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """retry-after-ms (Anthropic) wins over retry-after (seconds or an HTTP date)."""
    if (ms := headers.get("retry-after-ms")) is not None:
        try:
            return max(float(ms) / 1000.0, 0.0)
        except ValueError:
            return None
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - time.time(), 0.0)
