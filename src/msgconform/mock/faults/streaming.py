"""Faults and legal variants of the SSE event sequence (STREAM): the mode, the grammar, indices,
deltas. Usage counts are in `faults/usage.py`, framing and transport in `faults/wire.py`, hangs in
`faults/hang.py`."""

from __future__ import annotations

from typing import Any

from msgconform.mock.hooks import Ctx, Faults
from msgconform.mock.wire import Event


def _without(events: list[Event], name: str) -> list[Event]:
    return [e for e in events if e[0] != name]


def first(events: list[Event], name: str, delta: str | None = None) -> int:
    for i, (event, data) in enumerate(events):
        if event == name and (delta is None or data.get("delta", {}).get("type") == delta):
            return i
    return -1


def _move(events: list[Event], src: int, dst: int) -> list[Event]:
    out = list(events)
    item = out.pop(src)
    out.insert(dst if dst < src else dst - 1, item)
    return out


def _block_indices(events: list[Event]) -> list[int]:
    return sorted({d["index"] for e, d in events if "index" in d})


def _shift_index(events: list[Event], which: set[int], by: int) -> list[Event]:
    return [
        (e, {**d, "index": d["index"] + by}) if d.get("index") in which else (e, d)
        for e, d in events
    ]


FAULTS = Faults()


@FAULTS.hook("sse", "STREAM-001")
def _stream_answered_json(streamed: bool, ctx: Ctx) -> bool:
    """stream: true is answered with a JSON Message"""
    return False


# Only one kind of stream is mislabelled: test_invariants.py.
@FAULTS.hook("content_type", "STREAM-001", invariant_only=True)
def _tool_streams_text_plain(content_type: bytes, ctx: Ctx) -> bytes:
    """only streams of a request with tools are labelled text/plain"""
    calls_tools = ctx.stream and isinstance(ctx.body, dict) and bool(ctx.body.get("tools"))
    return b"text/plain; charset=utf-8" if calls_tools else content_type


@FAULTS.hook("events", "STREAM-005")
def _drop_message_start(events: list[Event], ctx: Ctx) -> list[Event]:
    """the stream has no message_start"""
    return _without(events, "message_start")


@FAULTS.hook("events", "STREAM-012")
def _drop_message_stop(events: list[Event], ctx: Ctx) -> list[Event]:
    """the stream ends after message_delta without message_stop"""
    return _without(events, "message_stop")


@FAULTS.hook("events", "STREAM-005")
def _ping_before_message_start(events: list[Event], ctx: Ctx) -> list[Event]:
    """the first ping comes before message_start"""
    return _move(events, first(events, "ping"), 0)


@FAULTS.hook("events", "STREAM-012")
def _event_after_message_stop(events: list[Event], ctx: Ctx) -> list[Event]:
    """a ping follows message_stop"""
    return [*events, ("ping", {"type": "ping"})]


@FAULTS.hook("events", "STREAM-005")
def _duplicate_message_start(events: list[Event], ctx: Ctx) -> list[Event]:
    """message_start is sent twice"""
    return [events[0], *events]


@FAULTS.hook("events", "STREAM-006")
def _index_gap(events: list[Event], ctx: Ctx) -> list[Event]:
    """the last content block's index is one too high (a gap, or a start at 1)"""
    indices = _block_indices(events)
    return _shift_index(events, {indices[-1]}, 1) if indices else events


@FAULTS.hook("events", "STREAM-006")
def _index_from_one(events: list[Event], ctx: Ctx) -> list[Event]:
    """content block indices start at 1"""
    return _shift_index(events, set(_block_indices(events)), 1)


@FAULTS.hook("events", "STREAM-007")
def _delta_before_block_start(events: list[Event], ctx: Ctx) -> list[Event]:
    """the first delta comes before its content_block_start"""
    start, delta = first(events, "content_block_start"), first(events, "content_block_delta")
    return _move(events, delta, start) if start >= 0 and delta >= 0 else events


@FAULTS.hook("events", "STREAM-007")
def _delta_after_block_stop(events: list[Event], ctx: Ctx) -> list[Event]:
    """the first block's last delta comes after its stop"""
    stop = first(events, "content_block_stop")
    return _move(events, stop, stop - 1) if stop > 0 else events


@FAULTS.hook("events", "STREAM-006")
def _overlapping_blocks(events: list[Event], ctx: Ctx) -> list[Event]:
    """block 0 stops after block 1 starts (replies with two blocks)"""
    stop = first(events, "content_block_stop")
    starts = [i for i, (e, _) in enumerate(events) if e == "content_block_start"]
    return _move(events, stop, starts[1] + 1) if len(starts) > 1 else events


@FAULTS.hook("events", "STREAM-008")
def _wrong_delta_type(events: list[Event], ctx: Ctx) -> list[Event]:
    """text blocks receive thinking_delta deltas"""

    def swap(d: dict[str, Any]) -> dict[str, Any]:
        if d.get("delta", {}).get("type") != "text_delta":
            return d
        return {**d, "delta": {"type": "thinking_delta", "thinking": d["delta"]["text"]}}

    return [(e, swap(d)) for e, d in events]


@FAULTS.hook("events", "STREAM-009")
def _partial_json_invalid(events: list[Event], ctx: Ctx) -> list[Event]:
    """the last input_json_delta piece is dropped (invalid JSON)"""
    last = [
        i for i, (e, d) in enumerate(events) if d.get("delta", {}).get("type") == "input_json_delta"
    ]
    return [ev for i, ev in enumerate(events) if not last or i != last[-1]]


@FAULTS.hook("events", "STREAM-010")
def _missing_signature_delta(events: list[Event], ctx: Ctx) -> list[Event]:
    """thinking blocks stop without a signature_delta"""
    return [(e, d) for e, d in events if d.get("delta", {}).get("type") != "signature_delta"]


@FAULTS.hook("events", "STREAM-011")
def _message_delta_missing_usage(events: list[Event], ctx: Ctx) -> list[Event]:
    """message_delta carries no usage"""
    return [
        (e, {k: v for k, v in d.items() if not (e == "message_delta" and k == "usage")})
        for e, d in events
    ]


@FAULTS.hook("events", "STREAM-015")
def _block_start_missing_field(events: list[Event], ctx: Ctx) -> list[Event]:
    """text content_block_start lacks the text field"""
    return [
        (e, {**d, "content_block": {"type": "text"}})
        if e == "content_block_start" and d["content_block"]["type"] == "text"
        else (e, d)
        for e, d in events
    ]


@FAULTS.hook("events", "STREAM-016")
def _stream_splits_text_block(events: list[Event], ctx: Ctx) -> list[Event]:
    """streams split the first text block in two; the JSON reply has one"""
    deltas = [
        i for i, (_, d) in enumerate(events) if d.get("delta", {}).get("type") == "text_delta"
    ]
    if not deltas:
        return events
    index = events[deltas[0]][1]["index"]
    at = deltas[0] + 1  # after the first piece: the rest goes to a new block at index + 1
    seam: list[Event] = [
        ("content_block_stop", {"type": "content_block_stop", "index": index}),
        ("content_block_start", {"type": "content_block_start", "index": index + 1}),
    ]
    seam[1][1]["content_block"] = next(
        d["content_block"] for e, d in events if e == "content_block_start" and d["index"] == index
    )
    later = {i for i, (_, d) in enumerate(events) if i >= at and d.get("index", -1) >= index}
    rest = [
        (e, {**d, "index": d["index"] + 1}) if i in later else (e, d)
        for i, (e, d) in enumerate(events)
    ]
    return [*rest[:at], *seam, *rest[at:]]


@FAULTS.hook("events", legal=True)
def _many_pings(events: list[Event], ctx: Ctx) -> list[Event]:
    """a ping follows every event"""
    out: list[Event] = []
    for event in events:
        out.append(event)
        if event[0] not in ("message_stop", "ping"):
            out.append(("ping", {"type": "ping"}))
    return out


@FAULTS.hook("events", legal=True)
def _unknown_extra_fields(events: list[Event], ctx: Ctx) -> list[Event]:
    """message_stop carries an extra object (as Bedrock sends)"""
    # Bedrock adds invocation metrics to message_stop; upstream allows new output fields in events.
    metrics = {"inputTokenCount": 1, "outputTokenCount": 1, "invocationLatency": 1}
    return [
        (e, {**d, "amazon-bedrock-invocationMetrics": metrics}) if e == "message_stop" else (e, d)
        for e, d in events
    ]
