"""Faults of why and where a reply stops (STOP): stop_reason, stop_sequence, max_tokens and a
forced tool call."""

from __future__ import annotations

from typing import Any

from msgconform.mock.faults.shape import blocks_of, set_field
from msgconform.mock.hooks import Ctx, Fault


def _unknown_stop(message: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
    message["stop_reason"] = "finished"
    return message


def _no_echo(message: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
    if message["stop_reason"] == "stop_sequence":
        message["stop_sequence"] = None
    return message


def _seq_in_text(message: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
    texts = blocks_of(message, "text")
    if message["stop_sequence"] and texts:
        texts[-1]["text"] += message["stop_sequence"]
    return message


def _tool_end_turn(message: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
    if message["stop_reason"] == "tool_use":
        message["stop_reason"] = "end_turn"
    return message


def _unforced(body: Any, ctx: Ctx) -> Any:
    choice = body.get("tool_choice") if isinstance(body, dict) else None
    if isinstance(choice, dict) and choice.get("type") in ("any", "tool"):
        return {**body, "tool_choice": {"type": "none"}}
    return body


FAULTS: list[Fault] = [
    Fault(
        "unknown_stop_reason",
        "stop_reason is 'finished' (not in the enum)",
        ("STOP-001", "STREAM-011"),
        message=_unknown_stop,
    ),
    Fault(
        "null_stop_reason_nonstream",
        "non-streaming replies have stop_reason null",
        ("STOP-002",),
        body=set_field("stop_reason", None),
    ),
    Fault(
        "stop_sequence_not_echoed",
        "stop_sequence is null when stop_reason is stop_sequence",
        ("STOP-003", "STOP-005"),
        message=_no_echo,
    ),
    Fault(
        "stop_sequence_in_text",
        "the matched stop sequence stays in the text",
        ("STOP-005",),
        message=_seq_in_text,
    ),
    Fault(
        "max_tokens_ignored",
        "replies run past max_tokens (end_turn, more tokens)",
        ("STOP-004",),
        request=lambda body, ctx: {**body, "max_tokens": max(4096, body.get("max_tokens", 0))}
        if isinstance(body, dict) and isinstance(body.get("max_tokens"), int)
        else body,
    ),
    Fault(
        "forced_tool_ignored",
        "tool_choice any or tool is answered with text",
        ("STOP-006",),
        request=_unforced,
    ),
    Fault(
        "wrong_stop_reason_tool",
        "tool calls end with stop_reason end_turn",
        ("STOP-006",),
        message=_tool_end_turn,
    ),
]
