"""Faults of why and where a reply stops (STOP): stop_reason, stop_sequence, max_tokens and a
forced tool call."""

from __future__ import annotations

from typing import Any

from msgconform.mock.faults.shape import blocks_of
from msgconform.mock.hooks import Ctx, Faults

FAULTS = Faults()


@FAULTS.hook("message", "STOP-001", "STREAM-011")
def _unknown_stop_reason(message: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
    """stop_reason is 'finished' (not in the enum)"""
    return {**message, "stop_reason": "finished"}


@FAULTS.hook("body", "STOP-002")
def _null_stop_reason_nonstream(message: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
    """non-streaming replies have stop_reason null"""
    return {**message, "stop_reason": None}


@FAULTS.hook("message", "STOP-003", "STOP-005")
def _stop_sequence_not_echoed(message: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
    """stop_sequence is null when stop_reason is stop_sequence"""
    if message["stop_reason"] == "stop_sequence":
        message["stop_sequence"] = None
    return message


@FAULTS.hook("message", "STOP-005")
def _stop_sequence_in_text(message: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
    """the matched stop sequence stays in the text"""
    texts = blocks_of(message, "text")
    if message["stop_sequence"] and texts:
        texts[-1]["text"] += message["stop_sequence"]
    return message


@FAULTS.hook("request", "STOP-004")
def _max_tokens_ignored(body: Any, ctx: Ctx) -> Any:
    """replies run past max_tokens (end_turn, more tokens)"""
    if isinstance(body, dict) and isinstance(body.get("max_tokens"), int):
        return {**body, "max_tokens": max(4096, body.get("max_tokens", 0))}
    return body


@FAULTS.hook("request", "STOP-006")
def _forced_tool_ignored(body: Any, ctx: Ctx) -> Any:
    """tool_choice any or tool is answered with text"""
    choice = body.get("tool_choice") if isinstance(body, dict) else None
    if isinstance(choice, dict) and choice.get("type") in ("any", "tool"):
        return {**body, "tool_choice": {"type": "none"}}
    return body


@FAULTS.hook("message", "STOP-006")
def _forced_tool_wrong_name(message: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
    """tool_choice tool is answered with a call of another tool"""
    choice = ctx.body.get("tool_choice") if isinstance(ctx.body, dict) else None
    if isinstance(choice, dict) and choice.get("type") == "tool":
        for block in message["content"]:
            if block.get("type") == "tool_use":
                block["name"] = f"{block['name']}_other"
    return message


@FAULTS.hook("message", "STOP-006")
def _wrong_stop_reason_tool(message: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
    """tool calls end with stop_reason end_turn"""
    if message["stop_reason"] == "tool_use":
        message["stop_reason"] = "end_turn"
    return message
