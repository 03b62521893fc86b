"""The forwarding path: an ASGI app that sends each request upstream as it came and passes the
answer back chunk by chunk as it arrives. It never judges and never waits on judging: what it saw
goes to `sink` (a queue's put) once the client has its answer.

Each client connection gets its own upstream connection (httpcore's, kept alive), as a proxy
pairs them: an HTTP/1.1 connection carries one exchange at a time, so no pool is needed, and a
pool's bookkeeping (every idle connection polled on every request) was most of the proxy's own
cost under load (see bench/proxybench.py)."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

from msgconform.core.exchange import Chunk, Exchange
from msgconform.proxy.wire import (
    RawHeaders,
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
UPSTREAM_ERRORS = (
    httpcore.NetworkError, httpcore.ProtocolError, httpcore.TimeoutException,
    httpcore.UnsupportedProtocol, OSError,
)  # fmt: skip
NOT_HTTP = (httpcore.ProtocolError,)
# What a kept connection the upstream has just closed raises on the next request.
STALE = (httpcore.RemoteProtocolError, httpcore.ReadError, httpcore.WriteError)
# Client connections whose upstream connection is kept; past it, the idle ones are let go.
KEEP_CONNECTIONS = 256
KEEPALIVE_S = 30.0  # an idle upstream connection closes after this
ClientAddress = tuple[str, int]


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
        split = urlsplit(self.upstream)
        port = split.port or (443 if split.scheme == "https" else 80)
        self.origin = httpcore.Origin(split.scheme.encode(), (split.hostname or "").encode(), port)
        default = port == (443 if split.scheme == "https" else 80)
        self.host_header = (split.hostname or "") + ("" if default else f":{port}")
        self.ssl_context = httpx.create_ssl_context() if split.scheme == "https" else None
        self.connections: dict[ClientAddress, httpcore.AsyncHTTPConnection] = {}
        self.closing: set[asyncio.Task[None]] = set()

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
        request = httpcore.Request(
            scope["method"],
            exchange.url,
            headers=self.upstream_headers(scope["headers"], body),
            content=body,
            extensions={"timeout": self.timeouts()},
        )
        try:
            async with asyncio.timeout(self.waits_for_first_byte()):
                response = await self.answer_of(scope.get("client"), request)
        except TimeoutError:
            await self.refuse(send, seen, 504, "first_byte_timeout", "timeout_error",
                              f"no answer within {self.waits_for_first_byte():g}s (connect "
                              f"{self.deadlines.connect:g}s + first byte "
                              f"{self.deadlines.first_byte:g}s)")  # fmt: skip
            return
        except NOT_HTTP as exc:
            await self.refuse(send, seen, 502, "not_http", "api_error",
                              f"answered with something that is not HTTP/1.1: {exc}")  # fmt: skip
            return
        except UPSTREAM_ERRORS as exc:
            await self.refuse(send, seen, 502, "connect", "api_error",
                              f"unreachable: {describe(exc)}")  # fmt: skip
            return
        try:
            await self.relay(response, send, seen)
        finally:
            await response.aclose()

    def upstream_headers(self, raw: RawHeaders, body: bytes) -> list[tuple[bytes, bytes]]:
        """The client's headers less the hop's own, with this hop's Host and Content-Length."""
        headers = [(b"host", self.host_header.encode()), *forwarded_request_headers(raw)]
        framed = any(k.lower() in (b"content-length", b"transfer-encoding") for k, _ in raw)
        if body or framed:
            headers.append((b"content-length", str(len(body)).encode()))
        return headers

    def connection_for(
        self, client: ClientAddress | None
    ) -> tuple[httpcore.AsyncHTTPConnection, bool]:
        """The upstream connection paired with this client connection (kept alive, idle and not
        closed by the upstream meanwhile), or a new one; and whether it is a kept one."""
        kept = self.connections.get(client) if client is not None else None
        if kept is not None:
            if kept.is_idle() and not kept.has_expired():
                return kept, True
            self.let_go(kept)
        connection = httpcore.AsyncHTTPConnection(
            self.origin, ssl_context=self.ssl_context, keepalive_expiry=KEEPALIVE_S
        )
        if client is not None:
            if len(self.connections) >= KEEP_CONNECTIONS:
                self.let_go_of_idle()
            self.connections[client] = connection
        return connection, False

    async def answer_of(
        self, client: ClientAddress | None, request: httpcore.Request
    ) -> httpcore.Response:
        connection, kept = self.connection_for(client)
        try:
            return await connection.handle_async_request(request)
        except STALE:
            if not kept:
                await connection.aclose()
                raise
            # A kept connection the upstream closed as the request went out (a keep-alive race):
            # nothing was answered, so the request is sent once more, on a new connection.
            await connection.aclose()
            if client is not None:
                self.connections.pop(client, None)
            connection, _ = self.connection_for(client)
            return await connection.handle_async_request(request)
        except BaseException:
            await connection.aclose()  # mid-request: it cannot carry another exchange
            raise

    def let_go_of_idle(self) -> None:
        for client, connection in list(self.connections.items()):
            if connection.is_closed() or connection.is_idle():
                del self.connections[client]
                self.let_go(connection)

    def let_go(self, connection: httpcore.AsyncHTTPConnection) -> None:
        # Closing an idle connection only sends a FIN: done on the loop, not awaited here.
        task = asyncio.get_running_loop().create_task(connection.aclose())
        self.closing.add(task)
        task.add_done_callback(self.closing.discard)

    async def relay(self, response: httpcore.Response, send: Send, seen: Seen) -> None:
        exchange, started = seen.exchange, seen.started
        exchange.status = response.status
        exchange.response_headers = header_dict(response.headers)
        await send(
            {
                "type": "http.response.start",
                "status": response.status,
                "headers": forwarded_response_headers(response.headers),
            }
        )
        chunks, idle = exchange.chunks, self.deadlines.idle
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout_at(loop.time() + idle) as deadline:
                async for data in response.aiter_stream():
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

    def waits_for_first_byte(self) -> float:
        return self.deadlines.connect + self.deadlines.first_byte

    def timeouts(self) -> dict[str, float | None]:
        # Reads are timed by asyncio above (first byte, then idle between chunks), so httpx's own
        # read deadline stays off; connecting and writing the request keep theirs.
        d = self.deadlines
        return {"connect": d.connect, "read": None, "write": d.total, "pool": None}

    async def lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                for connection in self.connections.values():
                    await connection.aclose()
                self.connections.clear()
                await send({"type": "lifespan.shutdown.complete"})
                return


def describe(exc: BaseException) -> str:
    """An upstream error in words: its text, or its kind when it has none."""
    return str(exc) or type(exc).__name__


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
