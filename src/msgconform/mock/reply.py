"""Writing one response over ASGI: the headers (with request-id), a whole body, the frames of a
stream, or a scenario's paced steps; and the error envelope. The fault's `status`, `error`,
`content_type` and `headers` hooks see every answer here."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from msgconform.mock import scenarios
from msgconform.mock.hooks import Ctx, ErrorOut, Fault
from msgconform.mock.wire import Step, dumps, error_body_in

Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

JSON_TYPE = b"application/json"
SSE_TYPE = b"text/event-stream; charset=utf-8"
TYPE_BY_STATUS = {
    400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
    404: "not_found_error", 405: "invalid_request_error", 413: "request_too_large",
    422: "invalid_request_error", 429: "rate_limit_error", 500: "api_error",
    529: "overloaded_error",
}  # fmt: skip


class ResetStream(Exception):
    """Raised inside a response so the server drops the connection without a final chunk."""


class Reply:
    """Writes one response: headers with request-id, then the body; errors in the envelope, or
    as {"error": message} where the profile documents that form (`message_only`)."""

    def __init__(self, send: Send, ctx: Ctx, fault: Fault, message_only: bool = False) -> None:
        self.send, self.ctx, self.fault = send, ctx, fault
        self.message_only = message_only
        self.started = False

    async def start(
        self, status: int, content_type: bytes, extra: dict[str, str] | None = None
    ) -> None:
        self.ctx.status = status
        if self.fault.content_type is not None:
            content_type = self.fault.content_type(content_type, self.ctx)
        headers = [(b"content-type", content_type), (b"request-id", self.ctx.request_id.encode())]
        headers += [(k.encode(), v.encode()) for k, v in (extra or {}).items()]
        if self.fault.headers is not None:
            headers = self.fault.headers(headers, self.ctx)
        self.started = True
        if self.ctx.connection is not None:
            self.ctx.connection.last_type = content_type
        await self.send({"type": "http.response.start", "status": status, "headers": headers})

    async def body(self, data: bytes, more: bool = False) -> None:
        await self.send({"type": "http.response.body", "body": data, "more_body": more})

    async def frames(self, frames: list[bytes]) -> None:
        """Each frame in its own write, as soon as it is its turn; the last one carries the end of
        the body (uvicorn then writes the final chunk with it, one write fewer per stream)."""
        for data in frames[:-1]:
            await self.send({"type": "http.response.body", "body": data, "more_body": True})
        await self.send({"type": "http.response.body", "body": frames[-1] if frames else b""})

    async def steps(self, steps: list[Step]) -> None:
        """A scenario's or fault's writes: pauses, an abrupt end, or bytes."""
        for step in steps:
            if step.delay_s and await scenarios.wait_disconnect(self.ctx.receive, step.delay_s):
                return
            if step.reset:
                raise ResetStream(self.ctx.request_id)
            if step.data:
                await self.body(step.data, more=True)
        await self.body(b"")

    async def whole(
        self, status: int, content_type: bytes, data: bytes, extra: dict[str, str] | None = None
    ) -> None:
        # A content-length spares uvicorn the chunked framing: one write fewer per answer.
        sized = {"content-length": str(len(data)), **(extra or {})}
        await self.start(status, content_type, sized)
        await self.body(data)

    async def error(self, err: ErrorOut) -> None:
        if self.fault.status is not None:
            status = self.fault.status(err.status, self.ctx)
            if status != err.status:
                err.status, err.etype = status, error_type(status)
        if self.fault.error is not None:
            err = self.fault.error(err, self.ctx)
        if err.raw is not None:
            data = err.raw
        else:
            body = error_body_in(self.message_only, err.etype, err.message, self.ctx.request_id)
            data = dumps(body)
        await self.whole(err.status, err.content_type.encode(), data, err.headers)


def error_type(status: int) -> str:
    return TYPE_BY_STATUS.get(status, "invalid_request_error")


def error(status: int, message: str, **headers: str) -> ErrorOut:
    return ErrorOut(status, error_type(status), message, dict(headers))
