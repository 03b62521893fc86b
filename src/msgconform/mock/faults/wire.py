"""Faults and legal variants of how the SSE stream travels (STREAM framing, ERR-005): frames,
bytes, an early end. Streams that stall or crawl are in `faults/hang.py`."""

from __future__ import annotations

from typing import Any

from msgconform.mock.hooks import Connection, Ctx, Fault
from msgconform.mock.wire import DONE_FRAME, Step, frame, split_utf8

Headers = list[tuple[bytes, bytes]]


def _answered_a_stream(connection: Connection, ctx: Ctx) -> bool:
    return not connection.last_type.startswith(b"text/event-stream")


def _keep_alive_advertised(headers: Headers, ctx: Ctx) -> Headers:
    return [*headers, (b"connection", b"keep-alive")]


def _close_announced_after_stream(headers: Headers, ctx: Ctx) -> Headers:
    # uvicorn closes the connection after an answer whose own headers say Connection: close.
    streams = any(k == b"content-type" and v.startswith(b"text/event-stream") for k, v in headers)
    return [*headers, (b"connection", b"close")] if streams else headers


def after_first_delta(steps: list[Step], extra: list[Step], keep_rest: bool = True) -> list[Step]:
    at = next((i for i, s in enumerate(steps) if b"content_block_delta" in s.data), 2) + 1
    return [*steps[:at], *extra, *(steps[at:] if keep_rest else [])]


def _frame_ping(text: bytes) -> Any:
    return lambda name, data, raw: text if name == "ping" else raw


def _invalid_utf8(name: str, data: dict[str, Any], raw: bytes) -> bytes:
    return raw.replace(b'"text":"', b'"text":"\xff', 1) if b'"text_delta"' in raw else raw


def _split(step: Step, at: int) -> list[Step]:
    return [Step(step.data[:at]), Step(step.data[at:])] if 0 < at < len(step.data) else [step]


def _split_multibyte(steps: list[Step], ctx: Ctx) -> list[Step]:
    return [piece for step in steps for piece in split_utf8(step)]


FAULTS: list[Fault] = [
    Fault(
        "data_only_frames",
        "frames carry no event: line (data only)",
        ("STREAM-002",),
        frame=lambda name, data, raw: raw.split(b"\n", 1)[1] if raw.startswith(b"event:") else raw,
    ),
    Fault(
        "done_sentinel",
        "a data: [DONE] frame follows message_stop",
        ("STREAM-003",),
        steps=lambda st, ctx: [*st, Step(DONE_FRAME)],
    ),
    Fault(
        "event_name_mismatch",
        "the ping frame is named keepalive while its data says ping",
        ("STREAM-002",),
        frame=_frame_ping(frame("keepalive", {"type": "ping"})),
    ),
    Fault(
        "invalid_json_data",
        "the ping frame's data is not JSON",
        ("STREAM-004",),
        frame=_frame_ping(b"event: ping\ndata: {type: ping}\n\n"),
    ),
    Fault(
        "invalid_utf8_data",
        "text_delta frames carry a byte that is not UTF-8",
        ("STREAM-004",),
        frame=_invalid_utf8,
    ),
    Fault(
        "truncate_stream",
        "the stream ends cleanly after the first delta, no error event",
        ("ERR-005", "STREAM-012"),
        steps=lambda st, ctx: after_first_delta(st, [], keep_rest=False),
    ),
    Fault(
        "reset_mid_stream",
        "the connection is cut (no final chunk) after the first delta",
        ("ERR-005", "STREAM-012"),
        steps=lambda st, ctx: after_first_delta(st, [Step(reset=True)], keep_rest=False),
    ),
    Fault(
        "close_after_stream",
        "a connection that carried an SSE answer (with Connection: keep-alive) is closed, "
        "unanswered, when the next request comes on it: llama.cpp's close racing that request",
        ("HDR-007",),
        serve=_answered_a_stream,
        headers=_keep_alive_advertised,
    ),
    Fault(
        "close_after_stream_announced",
        "the connection is closed after each SSE answer, which says Connection: close",
        legal=True,
        headers=_close_announced_after_stream,
    ),
    Fault(
        "crlf_line_endings",
        "frames end lines with CRLF",
        legal=True,
        frame=lambda name, data, raw: raw.replace(b"\n", b"\r\n"),
    ),
    Fault(
        "sse_comments",
        "a ': keepalive' comment line precedes every frame",
        legal=True,
        frame=lambda name, data, raw: b": keepalive\n" + raw,
    ),
    Fault(
        "data_before_event",
        "the data: line comes before the event: line",
        legal=True,
        frame=lambda name, data, raw: b"\n".join(
            [*reversed(raw.rstrip(b"\n").split(b"\n")), b"", b""]
        )
        if raw.startswith(b"event:")
        else raw,
    ),
    Fault(
        "split_multibyte",
        "writes split inside multi-byte UTF-8 characters",
        legal=True,
        steps=_split_multibyte,
    ),
    Fault(
        "split_frames_across_writes",
        "every frame is written in two pieces",
        legal=True,
        steps=lambda st, ctx: [p for s in st for p in _split(s, len(s.data) // 2 + 1)],
    ),
]
