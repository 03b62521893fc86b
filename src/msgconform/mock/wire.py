"""From a reply to the bytes on the wire: the Message object, the SSE events and their frames.

The one SSE encoder of the mock: its own streams use the defaults, a client scenario's stream
(mock/scenarios_clients.py) the StreamOptions its script sets; faults change events, frames and
writes through their hooks (mock/hooks.py)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import orjson

from msgconform.mock.generate import Reply, split_points, word_pieces

Event = tuple[str, dict[str, Any]]  # (SSE event name, data object)


@dataclass(frozen=True)
class Step:
    """One write of the stream: the bytes, a pause before them, or an abrupt end."""

    data: bytes = b""
    delay_s: float = 0.0
    reset: bool = False


# The stdlib encoder, built once (json.dumps with options builds one per call), for what orjson
# refuses: integers beyond 64 bits, non-string keys.
_ENCODE = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def dumps(value: Any) -> bytes:
    """Compact UTF-8 JSON; every stream event is one dumps, so orjson (several times faster).
    It writes the stdlib's bytes for these options but for float spelling (1e16, not 1e+16) and
    non-finite floats (null, where the stdlib writes the invalid Infinity). Requests are still
    parsed by the stdlib: orjson reads integers beyond 64 bits as floats."""
    try:
        return orjson.dumps(value)
    except TypeError:
        return _ENCODE(value).encode()


def message_object(reply: Reply, msg_id: str, model: str) -> dict[str, Any]:
    """The non-streaming Message, with the optional fields the upstream API sends too."""
    blocks = [dict(b) for b in reply.blocks]
    for block in blocks:
        if block["type"] == "text":
            block["citations"] = None
    return {
        "id": msg_id,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": blocks,
        "stop_reason": reply.stop_reason,
        "stop_sequence": reply.stop_sequence,
        "usage": usage(reply.input_tokens, reply.output_tokens),
    }


def usage(input_tokens: int, output_tokens: int) -> dict[str, Any]:
    return {
        "input_tokens": input_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "output_tokens": output_tokens,
    }


@dataclass(frozen=True)
class Ending:
    """A stream cut short after its first `after` frames: a clean end, a reset (no final chunk), or
    an error event carrying `error` (type, message)."""

    kind: Literal["cut", "reset", "error"]
    after: int
    error: tuple[str, str] = ("overloaded_error", "Overloaded")


@dataclass(frozen=True)
class StreamOptions:
    """How a Message streams; the defaults are the mock's own stream, a client scenario changes
    them (mock/scenarios_clients.py reads them from its script).

    Events: `pings` (one after message_start, one before and between every event, or none),
    `start_usage` (over message_start's usage), `delta_usage` (message_delta's usage instead of the
    final counts), `text_deltas` (pieces of three words or one character each), `json_deltas`
    (irregular pieces, or "" then the whole input), `json_fragments` (the exact pieces of block i),
    `insert` (an extra event after the k-th). Frames: `newline`, `comment` (a line before every
    frame). Writes: `gap` (a pause of s before frame k), `split_utf8` (each frame written in two at
    its first multi-byte character, the second piece after `split_pause_s`), `ending`."""

    pings: Literal["once", "everywhere", "none"] = "once"
    start_usage: Mapping[str, Any] = field(default_factory=dict)
    delta_usage: Mapping[str, Any] | None = None
    text_deltas: Literal["words", "chars"] = "words"
    json_deltas: Literal["pieces", "whole"] = "pieces"
    json_fragments: Mapping[int, Sequence[str]] = field(default_factory=dict)
    insert: Sequence[tuple[int, Event]] = ()
    newline: bytes = b"\n"
    comment: bytes = b""
    gap: tuple[int, float] | None = None
    split_utf8: bool = False
    split_pause_s: float = 0.0
    ending: Ending | None = None


MOCK_STREAM = StreamOptions()


def stream_events(message: dict[str, Any], options: StreamOptions = MOCK_STREAM) -> list[Event]:
    """The events that stream `message`, in the upstream order (by default one ping after the
    start, as the upstream API sends)."""
    final_usage = message["usage"]
    start_usage = {"output_tokens": min(1, final_usage["output_tokens"]), **options.start_usage}
    start_usage = {**final_usage, **start_usage}
    shell = {**message, "content": [], "stop_reason": None, "stop_sequence": None}
    events: list[Event] = [
        ("message_start", {"type": "message_start", "message": {**shell, "usage": start_usage}})
    ]
    if options.pings == "once":
        events.append(ping())
    for index, block in enumerate(message["content"]):
        events.extend(block_events(index, block, options))
    delta_usage = dict(final_usage if options.delta_usage is None else options.delta_usage)
    delta = {"stop_reason": message["stop_reason"], "stop_sequence": message["stop_sequence"]}
    events.append(
        ("message_delta", {"type": "message_delta", "delta": delta, "usage": delta_usage})
    )
    events.append(("message_stop", {"type": "message_stop"}))
    if options.pings == "everywhere":
        events = ping_everywhere(events)
    return with_insertions(events, options.insert) if options.insert else events


def ping() -> Event:
    # A new one each time: a fault's events hook may change an event in place.
    return ("ping", {"type": "ping"})


def block_events(
    index: int, block: dict[str, Any], options: StreamOptions = MOCK_STREAM
) -> list[Event]:
    """start, deltas, stop of one content block; a block type with no deltas (one no client knows
    yet) arrives whole in its start event."""
    kind = block["type"]
    deltas: list[dict[str, Any]] = []
    if kind == "text":
        shell: dict[str, Any] = {**block, "text": ""}
        text = block["text"]
        pieces = list(text) if options.text_deltas == "chars" else word_pieces(text)
        deltas = [{"type": "text_delta", "text": p} for p in pieces]
    elif kind == "thinking":
        shell = {"type": "thinking", "thinking": "", "signature": ""}
        deltas = [{"type": "thinking_delta", "thinking": p} for p in word_pieces(block["thinking"])]
        deltas.append({"type": "signature_delta", "signature": block["signature"]})
    elif "input" in block:
        shell = {**block, "input": {}}
        deltas = [
            {"type": "input_json_delta", "partial_json": p}
            for p in json_pieces(index, block, options)
        ]
    else:
        shell = dict(block)
    out: list[Event] = [
        (
            "content_block_start",
            {"type": "content_block_start", "index": index, "content_block": shell},
        )
    ]
    out.extend(
        ("content_block_delta", {"type": "content_block_delta", "index": index, "delta": d})
        for d in deltas
    )
    out.append(("content_block_stop", {"type": "content_block_stop", "index": index}))
    return out


def json_pieces(index: int, block: dict[str, Any], options: StreamOptions) -> list[str]:
    if fragments := options.json_fragments.get(index):
        return list(fragments)
    text = json.dumps(block["input"], ensure_ascii=False)
    return ["", text] if options.json_deltas == "whole" else ["", *split_points(text)]


def ping_everywhere(events: list[Event]) -> list[Event]:
    """A ping before the first event and between every two (none after the last)."""
    out: list[Event] = [ping()]
    for event in events[:-1]:
        out += [event, ping()]
    return [*out, events[-1]]


def with_insertions(events: list[Event], insert: Sequence[tuple[int, Event]]) -> list[Event]:
    """Each extra event after the k-th of `events` (k counted before any insertion)."""
    out = list(events)
    for after, event in sorted(insert, key=lambda item: -item[0]):
        out.insert(after, event)
    return out


def frame(
    name: str,
    data: dict[str, Any],
    named: bool = True,
    newline: bytes = b"\n",
    comment: bytes = b"",
) -> bytes:
    """One SSE frame: `comment` line, `event:` line (when `named`), `data:` line, blank line."""
    if newline == b"\n" and not comment:
        head = _HEADS.get(name) or _HEADS.setdefault(name, b"event: " + name.encode() + b"\n")
        return b"".join((head if named else b"", b"data: ", dumps(data), b"\n\n"))
    head = b"event: " + name.encode() + newline if named else b""
    lead = comment + newline if comment else b""
    return b"".join((lead, head, b"data: ", dumps(data), newline, newline))


_HEADS: dict[str, bytes] = {}


def stream_steps(message: dict[str, Any], options: StreamOptions, named: bool = True) -> list[Step]:
    """The writes of a whole stream as `options` shape it: events, frames, pauses, splits, end."""
    events = stream_events(message, options)
    frames = [frame(n, d, named, options.newline, options.comment) for n, d in events]
    steps: list[Step] = []
    for number, data in enumerate(frames):
        gap = options.gap
        step = Step(data, gap[1] if gap is not None and number == gap[0] else 0.0)
        steps += split_utf8(step, options.split_pause_s) if options.split_utf8 else [step]
    end = options.ending
    if end is None:
        return steps
    kept = steps_for_frames(steps, frames, end.after)
    if end.kind == "reset":
        return [*kept, Step(reset=True)]
    if end.kind == "error":
        etype, text = end.error
        body = {"type": "error", "error": {"type": etype, "message": text}}
        return [*kept, Step(frame("error", body, named, options.newline))]
    return kept


def split_utf8(step: Step, pause_s: float = 0.0) -> list[Step]:
    """The step in two writes, cut inside its first multi-byte character (one if it has none); the
    second piece waits `pause_s`."""
    cut = next((i + 1 for i, byte in enumerate(step.data) if byte >= 0xC0), None)
    if cut is None or cut >= len(step.data):
        return [step]
    return [Step(step.data[:cut], step.delay_s), Step(step.data[cut:], pause_s)]


def steps_for_frames(steps: list[Step], frames: list[bytes], count: int) -> list[Step]:
    """The steps that carry the first `count` frames (a split frame takes two steps)."""
    wanted = sum(len(f) for f in frames[:count])
    kept: list[Step] = []
    sent = 0
    for step in steps:
        if sent >= wanted:
            break
        kept.append(step)
        sent += len(step.data)
    return kept


DONE_FRAME = b"data: [DONE]\n\n"


def error_body(etype: str, message: str, request_id: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": etype, "message": message}, "request_id": request_id}


def error_body_in(message_only: bool, etype: str, message: str, request_id: str) -> dict[str, Any]:
    """The error body in the profile's documented form (`contract.error_body`): the upstream
    envelope, or a provider's {"error": "<message>"} (Baseten's errors page), which has no type."""
    if message_only:
        return {"error": message}
    return error_body(etype, message, request_id)
