"""Faults and legal variants of how the SSE stream travels (STREAM framing, ERR-005): frames,
bytes, an early end. Streams that stall or crawl are in `faults/hang.py`."""

from __future__ import annotations

from typing import Any

from msgconform.mock.hooks import Connection, Ctx, Fault, Faults
from msgconform.mock.wire import DONE_FRAME, Step, frame, split_utf8

Headers = list[tuple[bytes, bytes]]


def after_first_delta(steps: list[Step], extra: list[Step], keep_rest: bool = True) -> list[Step]:
    at = next((i for i, s in enumerate(steps) if b"content_block_delta" in s.data), 2) + 1
    return [*steps[:at], *extra, *(steps[at:] if keep_rest else [])]


FAULTS = Faults()
KEEPALIVE_PING = frame("keepalive", {"type": "ping"})
NOT_JSON_PING = b"event: ping\ndata: {type: ping}\n\n"  # no encoder writes invalid JSON


@FAULTS.hook("frame", "STREAM-002")
def _data_only_frames(name: str, data: dict[str, Any], raw: bytes) -> bytes:
    """frames carry no event: line (data only)"""
    return raw.split(b"\n", 1)[1] if raw.startswith(b"event:") else raw


@FAULTS.hook("steps", "STREAM-003")
def _done_sentinel(steps: list[Step], ctx: Ctx) -> list[Step]:
    """a data: [DONE] frame follows message_stop"""
    return [*steps, Step(DONE_FRAME)]


@FAULTS.hook("frame", "STREAM-002")
def _event_name_mismatch(name: str, data: dict[str, Any], raw: bytes) -> bytes:
    """the ping frame is named keepalive while its data says ping"""
    return KEEPALIVE_PING if name == "ping" else raw


@FAULTS.hook("frame", "STREAM-004")
def _invalid_json_data(name: str, data: dict[str, Any], raw: bytes) -> bytes:
    """the ping frame's data is not JSON"""
    return NOT_JSON_PING if name == "ping" else raw


@FAULTS.hook("frame", "STREAM-004")
def _invalid_utf8_data(name: str, data: dict[str, Any], raw: bytes) -> bytes:
    """text_delta frames carry a byte that is not UTF-8"""
    return raw.replace(b'"text":"', b'"text":"\xff', 1) if b'"text_delta"' in raw else raw


@FAULTS.hook("steps", "ERR-005", "STREAM-012")
def _truncate_stream(steps: list[Step], ctx: Ctx) -> list[Step]:
    """the stream ends cleanly after the first delta, no error event"""
    return after_first_delta(steps, [], keep_rest=False)


@FAULTS.hook("steps", "ERR-005", "STREAM-012")
def _reset_mid_stream(steps: list[Step], ctx: Ctx) -> list[Step]:
    """the connection is cut (no final chunk) after the first delta"""
    return after_first_delta(steps, [Step(reset=True)], keep_rest=False)


def _answered_a_stream(connection: Connection, ctx: Ctx) -> bool:
    return not connection.last_type.startswith(b"text/event-stream")


def _keep_alive_advertised(headers: Headers, ctx: Ctx) -> Headers:
    return [*headers, (b"connection", b"keep-alive")]


FAULTS.append(
    Fault(
        "close_after_stream",
        "a connection that carried an SSE answer (with Connection: keep-alive) is closed, "
        "unanswered, when the next request comes on it: llama.cpp's close racing that request",
        ("HDR-007",),
        serve=_answered_a_stream,
        headers=_keep_alive_advertised,
    )
)


@FAULTS.hook("headers", legal=True)
def _close_after_stream_announced(headers: Headers, ctx: Ctx) -> Headers:
    """the connection is closed after each SSE answer, which says Connection: close"""
    # uvicorn closes the connection after an answer whose own headers say Connection: close.
    streams = any(k == b"content-type" and v.startswith(b"text/event-stream") for k, v in headers)
    return [*headers, (b"connection", b"close")] if streams else headers


@FAULTS.hook("frame", legal=True)
def _crlf_line_endings(name: str, data: dict[str, Any], raw: bytes) -> bytes:
    """frames end lines with CRLF"""
    return raw.replace(b"\n", b"\r\n")


@FAULTS.hook("frame", legal=True)
def _sse_comments(name: str, data: dict[str, Any], raw: bytes) -> bytes:
    """a ': keepalive' comment line precedes every frame"""
    return b": keepalive\n" + raw


@FAULTS.hook("frame", legal=True)
def _data_before_event(name: str, data: dict[str, Any], raw: bytes) -> bytes:
    """the data: line comes before the event: line"""
    if not raw.startswith(b"event:"):
        return raw
    return b"\n".join([*reversed(raw.rstrip(b"\n").split(b"\n")), b"", b""])


@FAULTS.hook("steps", legal=True)
def _split_multibyte(steps: list[Step], ctx: Ctx) -> list[Step]:
    """writes split inside multi-byte UTF-8 characters"""
    return [piece for step in steps for piece in split_utf8(step)]


def _split(step: Step, at: int) -> list[Step]:
    return [Step(step.data[:at]), Step(step.data[at:])] if 0 < at < len(step.data) else [step]


@FAULTS.hook("steps", legal=True)
def _split_frames_across_writes(steps: list[Step], ctx: Ctx) -> list[Step]:
    """every frame is written in two pieces"""
    return [p for s in steps for p in _split(s, len(s.data) // 2 + 1)]
