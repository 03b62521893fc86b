"""From a reply to the bytes on the wire: the Message object, the SSE events and their frames."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

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


def stream_events(message: dict[str, Any]) -> list[Event]:
    """The events that stream `message`, in the upstream order with one ping after the start."""
    final_usage = message["usage"]
    start_usage = {**final_usage, "output_tokens": min(1, final_usage["output_tokens"])}
    shell = {**message, "content": [], "stop_reason": None, "stop_sequence": None}
    events: list[Event] = [
        ("message_start", {"type": "message_start", "message": {**shell, "usage": start_usage}})
    ]
    events.append(("ping", {"type": "ping"}))
    for index, block in enumerate(message["content"]):
        events.extend(block_events(index, block))
    delta_usage = dict(final_usage)
    delta = {"stop_reason": message["stop_reason"], "stop_sequence": message["stop_sequence"]}
    events.append(
        ("message_delta", {"type": "message_delta", "delta": delta, "usage": delta_usage})
    )
    events.append(("message_stop", {"type": "message_stop"}))
    return events


def block_events(index: int, block: dict[str, Any]) -> list[Event]:
    kind = block["type"]
    if kind == "text":
        shell: dict[str, Any] = {**block, "text": ""}
        deltas = [{"type": "text_delta", "text": p} for p in word_pieces(block["text"])]
    elif kind == "thinking":
        shell = {"type": "thinking", "thinking": "", "signature": ""}
        deltas = [{"type": "thinking_delta", "thinking": p} for p in word_pieces(block["thinking"])]
        deltas.append({"type": "signature_delta", "signature": block["signature"]})
    else:
        shell = {**block, "input": {}}
        text = json.dumps(block["input"], ensure_ascii=False)
        deltas = [
            {"type": "input_json_delta", "partial_json": p} for p in ["", *split_points(text)]
        ]
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


def frame(name: str, data: dict[str, Any], named: bool) -> bytes:
    head = _HEADS.get(name) or _HEADS.setdefault(name, b"event: " + name.encode() + b"\n")
    return b"".join((head if named else b"", b"data: ", dumps(data), b"\n\n"))


_HEADS: dict[str, bytes] = {}


DONE_FRAME = b"data: [DONE]\n\n"


def error_body(etype: str, message: str, request_id: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": etype, "message": message}, "request_id": request_id}
