"""The final message a stream adds up to, built event by event the way the official SDK does.

The grammar feeds it; the stream/JSON parity check compares the result with a non-streamed answer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from msgconform.stream.violations import Reporter

# Which block types each delta may extend (SDK accumulate_event). Unknown deltas are let through:
# the docs ask clients to tolerate new types, and the per-event schema judges them.
DELTA_BLOCKS: dict[str, tuple[str, ...]] = {
    "text_delta": ("text",),
    "citations_delta": ("text",),
    "input_json_delta": ("tool_use", "server_tool_use"),
    "thinking_delta": ("thinking",),
    "signature_delta": ("thinking",),
}
JSON_BLOCKS = ("tool_use", "server_tool_use")
USAGE_OVERWRITTEN = (
    "input_tokens",
    "cache_creation_input_tokens",
    "cache_read_input_tokens",
    "server_tool_use",
)


@dataclass(slots=True)
class Block:
    type: str
    content: dict[str, Any]
    closed: bool = False
    json_parts: list[str] = field(default_factory=list)
    signed: bool = False
    text_parts: list[str] = field(default_factory=list)  # joined once: += would be quadratic
    stopped_at: int | None = None  # event index of its content_block_stop


def apply_delta(grammar: Reporter, i: int, block: Block, kind: str, delta: dict[str, Any]) -> None:
    content = block.content
    if kind == "text_delta":
        block.text_parts.append(str(delta.get("text", "")))
    elif kind == "input_json_delta":
        piece = delta.get("partial_json")
        if not isinstance(piece, str):
            grammar.violate("STREAM-009", i, "partial_json, a string", repr(piece)[:80])
        else:
            block.json_parts.append(piece)
    elif kind == "thinking_delta":
        block.text_parts.append(str(delta.get("thinking", "")))
    elif kind == "signature_delta":
        block.signed = True
        content["signature"] = delta.get("signature")
    elif kind == "citations_delta":
        content["citations"] = [*(content.get("citations") or []), delta.get("citation")]


def flush_text(block: Block) -> None:
    if block.text_parts:
        key = "thinking" if block.type == "thinking" else "text"
        block.content[key] = str(block.content.get(key) or "") + "".join(block.text_parts)
        block.text_parts.clear()


def accumulate_delta(message: dict[str, Any], delta: dict[str, Any], usage: dict[str, Any]) -> None:
    """As the SDK does: stop fields overwritten, output_tokens set (cumulative), never summed."""
    message["stop_reason"] = delta.get("stop_reason")
    message["stop_sequence"] = delta.get("stop_sequence")
    if "stop_details" in delta:
        message["stop_details"] = delta["stop_details"]
    total = message["usage"]
    total["output_tokens"] = usage.get("output_tokens")
    for name in USAGE_OVERWRITTEN:
        if usage.get(name) is not None:
            total[name] = usage[name]


def parse_object(text: str) -> dict[str, Any] | None:
    if text == "":
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
