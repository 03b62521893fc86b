"""The forwarding path: an ASGI app that sends each request upstream as it came and passes the
answer back chunk by chunk as it arrives. It never judges and never waits on judging: what it saw
goes to `sink` (a queue's put) once the client has its answer."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from msgconform.core.exchange import Chunk, Exchange
from msgconform.proxy.wire import (
    Seen,
    error_answer,
    forwarded_request_headers,
    forwarded_response_headers,
    header_dict,
)
from msgconform.transport.client import Deadlines

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
Sink = Callable[[Seen], None]
# What judging keeps of one answer; the client gets every byte whatever the size.
KEEP_BYTES = 16 * 1024 * 1024
UPSTREAM_ERRORS = (httpx.TransportError, OSError)


class UpstreamLost(Exception):
    """The upstream failed after the answer had started: the client's connection is cut, so it
    sees a broken answer rather than a short one that looks complete."""


class Forwarder:
    def __init__(
        self, upstream: str, deadlines: Deadlines, sink: Sink, keep_bytes: int = KEEP_BYTES
    ) -> None:
        self.upstream = upstream.rstrip("/")
        self.base_path = urlsplit(self.upstream).path
        self.deadlines = deadlines
        self.sink = sink
        self.keep_bytes = keep_bytes
        self.seq = itertools.count(1)
        self.client: httpx.AsyncClient | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self.lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        body = await read_body(receive)
        seen = self.start(scope, body)
        try:
            await self.forward(scope, body, send, seen)
        except asyncio.CancelledError:  # the server shutting down with this answer open
            seen.exchange.ended, seen.exchange.error = "reset", "the proxy shut down mid-answer"
            raise
        finally:
            seen.exchange.elapsed_s = time.perf_counter() - seen.started
            self.sink(seen)

    def start(self, scope: Scope, body: bytes) -> Seen:
        query = scope.get("query_string", b"")
        path = scope["path"] + (f"?{query.decode('latin-1')}" if query else "")
        exchange = Exchange(
            label="",
            method=scope["method"],
            url=self.upstream + path,
            request_headers=header_dict(scope["headers"]),
            raw_request_body=body,
        )
        seq = next(self.seq)
        exchange.label = f"exchange {seq}"
        return Seen(seq, exchange, started=time.perf_counter())

    async def forward(self, scope: Scope, body: bytes, send: Send, seen: Seen) -> None:
        exchange = seen.exchange
        request = httpx.Request(
            scope["method"],
            exchange.url,
            headers=forwarded_request_headers(scope["headers"]),
            content=body,
            extensions={"timeout": self.timeouts()},
        )
        client = self.client or self.open_client()
        try:
            async with asyncio.timeout(self.deadlines.connect + self.deadlines.first_byte):
                response = await client.send(request, stream=True)
        except TimeoutError:
            await self.refuse(send, seen, 504, "first_byte_timeout", "timeout_error",
                              f"no answer within {self.deadlines.first_byte:g}s")  # fmt: skip
            return
        except UPSTREAM_ERRORS as exc:
            await self.refuse(send, seen, 502, "connect", "api_error", f"unreachable: {exc}")
            return
        try:
            await self.relay(response, send, seen)
        finally:
            await response.aclose()

    async def relay(self, response: httpx.Response, send: Send, seen: Seen) -> None:
        exchange, started = seen.exchange, seen.started
        exchange.status = response.status_code
        exchange.response_headers = header_dict(response.headers.raw)
        await send(
            {
                "type": "http.response.start",
                "status": response.status_code,
                "headers": forwarded_response_headers(response.headers.raw),
            }
        )
        chunks, idle = exchange.chunks, self.deadlines.idle
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout_at(loop.time() + idle) as deadline:
                async for data in response.aiter_raw():
                    if seen.kept_bytes < self.keep_bytes:
                        chunks.append(Chunk(time.perf_counter() - started, data))
                        seen.kept_bytes += len(data)
                    # The idle deadline times the upstream only: a client slow to read is not it.
                    deadline.reschedule(None)
                    await send({"type": "http.response.body", "body": data, "more_body": True})
                    deadline.reschedule(loop.time() + idle)
        except TimeoutError:
            exchange.ended, exchange.error = "idle_timeout", f"no byte for {idle:g}s"
            raise UpstreamLost(exchange.error) from None
        except UPSTREAM_ERRORS as exc:
            exchange.ended, exchange.error = "reset", f"upstream: {type(exc).__name__}: {exc}"
            raise UpstreamLost(exchange.error) from None
        if seen.kept_bytes >= self.keep_bytes:
            exchange.truncated, exchange.ended = True, "size_cap"
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def refuse(
        self, send: Send, seen: Seen, status: int, failure: str, kind: str, why: str
    ) -> None:
        exchange = seen.exchange
        seen.upstream_failure = exchange.ended = failure
        exchange.error = f"upstream {self.upstream}: {why}"
        headers, body = error_answer(status, kind, f"msgconform proxy: {exchange.error}")
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body, "more_body": False})

    def timeouts(self) -> dict[str, float | None]:
        # Reads are timed by asyncio above (first byte, then idle between chunks), so httpx's own
        # read deadline stays off; connecting and writing the request keep theirs.
        d = self.deadlines
        return httpx.Timeout(connect=d.connect, read=None, write=d.total, pool=None).as_dict()

    def open_client(self) -> httpx.AsyncClient:
        # Created inside the server's event loop (the first request), closed by lifespan shutdown.
        limits = httpx.Limits(max_connections=None, max_keepalive_connections=64)
        self.client = httpx.AsyncClient(limits=limits, trust_env=False, follow_redirects=False)
        return self.client

    async def lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.client is not None:
                    await self.client.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return


async def read_body(receive: Receive) -> bytes:
    """The whole request body: a Messages request is a JSON document, read before it is sent."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks)
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)
