"""Faults and legal variants of the SSE event sequence (STREAM): the mode, the grammar, indices,
deltas. Usage counts are in `faults/usage.py`, framing and transport in `faults/wire.py`, hangs in
`faults/hang.py`."""

from __future__ import annotations

from typing import Any

from msgconform.mock.hooks import Ctx, Fault
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


def _ping_first(events: list[Event], ctx: Ctx) -> list[Event]:
    return _move(events, first(events, "ping"), 0)


def _duplicate_start(events: list[Event], ctx: Ctx) -> list[Event]:
    return [events[0], *events]


def _block_indices(events: list[Event]) -> list[int]:
    return sorted({d["index"] for e, d in events if "index" in d})


def _shift_index(events: list[Event], which: set[int], by: int) -> list[Event]:
    return [
        (e, {**d, "index": d["index"] + by}) if d.get("index") in which else (e, d)
        for e, d in events
    ]


def _gap(events: list[Event], ctx: Ctx) -> list[Event]:
    indices = _block_indices(events)
    return _shift_index(events, {indices[-1]}, 1) if indices else events


def _from_one(events: list[Event], ctx: Ctx) -> list[Event]:
    return _shift_index(events, set(_block_indices(events)), 1)


def _delta_before_start(events: list[Event], ctx: Ctx) -> list[Event]:
    start, delta = first(events, "content_block_start"), first(events, "content_block_delta")
    return _move(events, delta, start) if start >= 0 and delta >= 0 else events


def _delta_after_stop(events: list[Event], ctx: Ctx) -> list[Event]:
    stop = first(events, "content_block_stop")
    return _move(events, stop, stop - 1) if stop > 0 else events


def _overlap(events: list[Event], ctx: Ctx) -> list[Event]:
    stop = first(events, "content_block_stop")
    starts = [i for i, (e, _) in enumerate(events) if e == "content_block_start"]
    return _move(events, stop, starts[1] + 1) if len(starts) > 1 else events


def _wrong_delta(events: list[Event], ctx: Ctx) -> list[Event]:
    def swap(d: dict[str, Any]) -> dict[str, Any]:
        if d.get("delta", {}).get("type") != "text_delta":
            return d
        return {**d, "delta": {"type": "thinking_delta", "thinking": d["delta"]["text"]}}

    return [(e, swap(d)) for e, d in events]


def _cut_json(events: list[Event], ctx: Ctx) -> list[Event]:
    last = [
        i for i, (e, d) in enumerate(events) if d.get("delta", {}).get("type") == "input_json_delta"
    ]
    return [ev for i, ev in enumerate(events) if not last or i != last[-1]]


def _no_signature(events: list[Event], ctx: Ctx) -> list[Event]:
    return [(e, d) for e, d in events if d.get("delta", {}).get("type") != "signature_delta"]


def _split_text_block(events: list[Event], ctx: Ctx) -> list[Event]:
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


def _many_pings(events: list[Event], ctx: Ctx) -> list[Event]:
    out: list[Event] = []
    for event in events:
        out.append(event)
        if event[0] not in ("message_stop", "ping"):
            out.append(("ping", {"type": "ping"}))
    return out


def _tool_stream_text_plain(content_type: bytes, ctx: Ctx) -> bytes:
    calls_tools = ctx.stream and isinstance(ctx.body, dict) and bool(ctx.body.get("tools"))
    return b"text/plain; charset=utf-8" if calls_tools else content_type


def _extra_fields(events: list[Event], ctx: Ctx) -> list[Event]:
    # Bedrock adds invocation metrics to message_stop; upstream allows new output fields in events.
    metrics = {"inputTokenCount": 1, "outputTokenCount": 1, "invocationLatency": 1}
    return [
        (e, {**d, "amazon-bedrock-invocationMetrics": metrics}) if e == "message_stop" else (e, d)
        for e, d in events
    ]


FAULTS: list[Fault] = [
    Fault(
        "stream_answered_json",
        "stream: true is answered with a JSON Message",
        ("STREAM-001",),
        sse=lambda streamed, ctx: False,
    ),
    Fault(
        "tool_streams_text_plain",
        "only streams of a request with tools are labelled text/plain",
        ("STREAM-001",),
        invariant_only=True,  # only one kind of stream is mislabelled: test_invariants.py
        content_type=_tool_stream_text_plain,
    ),
    Fault(
        "drop_message_start",
        "the stream has no message_start",
        ("STREAM-005",),
        events=lambda ev, ctx: _without(ev, "message_start"),
    ),
    Fault(
        "drop_message_stop",
        "the stream ends after message_delta without message_stop",
        ("STREAM-012",),
        events=lambda ev, ctx: _without(ev, "message_stop"),
    ),
    Fault(
        "ping_before_message_start",
        "the first ping comes before message_start",
        ("STREAM-005",),
        events=_ping_first,
    ),
    Fault(
        "event_after_message_stop",
        "a ping follows message_stop",
        ("STREAM-012",),
        events=lambda ev, ctx: [*ev, ("ping", {"type": "ping"})],
    ),
    Fault(
        "duplicate_message_start",
        "message_start is sent twice",
        ("STREAM-005",),
        events=_duplicate_start,
    ),
    Fault(
        "index_gap",
        "the last content block's index is one too high (a gap, or a start at 1)",
        ("STREAM-006",),
        events=_gap,
    ),
    Fault("index_from_one", "content block indices start at 1", ("STREAM-006",), events=_from_one),
    Fault(
        "delta_before_block_start",
        "the first delta comes before its content_block_start",
        ("STREAM-007",),
        events=_delta_before_start,
    ),
    Fault(
        "delta_after_block_stop",
        "the first block's last delta comes after its stop",
        ("STREAM-007",),
        events=_delta_after_stop,
    ),
    Fault(
        "overlapping_blocks",
        "block 0 stops after block 1 starts (replies with two blocks)",
        ("STREAM-006",),
        events=_overlap,
    ),
    Fault(
        "wrong_delta_type",
        "text blocks receive thinking_delta deltas",
        ("STREAM-008",),
        events=_wrong_delta,
    ),
    Fault(
        "partial_json_invalid",
        "the last input_json_delta piece is dropped (invalid JSON)",
        ("STREAM-009",),
        events=_cut_json,
    ),
    Fault(
        "missing_signature_delta",
        "thinking blocks stop without a signature_delta",
        ("STREAM-010",),
        events=_no_signature,
    ),
    Fault(
        "message_delta_missing_usage",
        "message_delta carries no usage",
        ("STREAM-011",),
        events=lambda ev, ctx: [
            (e, {k: v for k, v in d.items() if not (e == "message_delta" and k == "usage")})
            for e, d in ev
        ],
    ),
    Fault(
        "block_start_missing_field",
        "text content_block_start lacks the text field",
        ("STREAM-015",),
        events=lambda ev, ctx: [
            (e, {**d, "content_block": {"type": "text"}})
            if e == "content_block_start" and d["content_block"]["type"] == "text"
            else (e, d)
            for e, d in ev
        ],
    ),
    Fault(
        "stream_splits_text_block",
        "streams split the first text block in two; the JSON reply has one",
        ("STREAM-016",),
        events=_split_text_block,
    ),
    Fault("many_pings", "a ping follows every event", legal=True, events=_many_pings),
    Fault(
        "unknown_extra_fields",
        "message_stop carries an extra object (as Bedrock sends)",
        legal=True,
        events=_extra_fields,
    ),
]
