"""Faults of request acceptance: parts of a valid request ignored, invalid requests served,
valid requests refused."""

from __future__ import annotations

from typing import Any

from msgconform.contract.document import SchemaIssue
from msgconform.mock.hooks import Ctx, Fault
from msgconform.mock.validate import BLOCK_TYPES


def _drop_final_assistant(body: Any, ctx: Ctx) -> Any:
    if (
        isinstance(body, dict)
        and body.get("messages")
        and body["messages"][-1].get("role") == "assistant"
    ):
        return {**body, "messages": body["messages"][:-1]}
    return body


def _map_blocks(fix: Any) -> Any:
    def hook(body: Any, ctx: Ctx) -> Any:
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            return body
        for message in body["messages"]:
            if isinstance(message, dict) and isinstance(message.get("content"), list):
                message["content"] = [fix(b) for b in message["content"]]
        return body

    return hook


def _known_block(block: Any) -> Any:
    unknown = isinstance(block, dict) and block.get("type") not in BLOCK_TYPES
    return {"type": "text", "text": "(unknown block)"} if unknown else block


def _filled_text(block: Any) -> Any:
    empty = isinstance(block, dict) and block.get("type") == "text" and block.get("text") == ""
    return {**block, "text": "(empty)"} if empty else block


def _reject_if(path: str, rule: str, test: Any) -> Any:
    def hook(issues: list[SchemaIssue], ctx: Ctx) -> list[SchemaIssue]:
        if issues or not isinstance(ctx.body, dict) or not test(ctx.body):
            return issues
        return [SchemaIssue(path, rule)]

    return hook


def _has_block(body: dict[str, Any], test: Any) -> bool:
    return any(
        isinstance(b, dict) and test(b)
        for m in body.get("messages") or []
        if isinstance(m, dict) and isinstance(m.get("content"), list)
        for b in m["content"]
    )


FAULTS: list[Fault] = [
    Fault(
        "ignore_system",
        "system is dropped (no canary in the reply)",
        ("REQ-002", "REQ-003"),
        request=lambda body, ctx: {k: v for k, v in body.items() if k != "system"}
        if isinstance(body, dict)
        else body,
    ),
    Fault(
        "ignore_prefill",
        "a final assistant message is ignored, not continued",
        ("REQ-005",),
        request=_drop_final_assistant,
    ),
    Fault(
        "no_thinking_block",
        "thinking requests get no thinking block",
        ("REQ-010",),
        request=lambda body, ctx: {k: v for k, v in body.items() if k != "thinking"}
        if isinstance(body, dict)
        else body,
    ),
    Fault(
        "accept_missing_max_tokens",
        "a request without max_tokens is served",
        ("REQ-015",),
        request=lambda body, ctx: {"max_tokens": 4096, **body}
        if isinstance(body, dict) and "messages" in body
        else body,
    ),
    Fault(
        "accept_unknown_block_type",
        "unknown content block types are accepted",
        ("REQ-012",),
        request=_map_blocks(_known_block),
    ),
    Fault(
        "accept_empty_text",
        "empty text blocks are accepted",
        ("REQ-013",),
        request=_map_blocks(_filled_text),
    ),
    Fault(
        "reject_valid_request",
        "valid requests with metadata get 400",
        ("REQ-001", "REQ-011"),
        issues=_reject_if("metadata", "Extra inputs are not permitted", lambda b: "metadata" in b),
    ),
    Fault(
        "reject_multi_turn",
        "conversations of more than one message get 400",
        ("REQ-004", "REQ-016"),
        issues=_reject_if(
            "messages",
            "must contain exactly one message",
            lambda b: len(b.get("messages") or []) > 1,
        ),
    ),
    Fault(
        "reject_tool_choice_none",
        "tool_choice none gets 400",
        ("REQ-006",),
        issues=_reject_if(
            "tool_choice.type",
            "must be one of auto, any, tool",
            lambda b: (b.get("tool_choice") or {}).get("type") == "none",
        ),
    ),
    Fault(
        "reject_tool_result_blocks",
        "tool_result content given as blocks gets 400",
        ("REQ-007",),
        issues=_reject_if(
            "messages",
            "tool_result content must be a string",
            lambda b: _has_block(
                b, lambda x: x.get("type") == "tool_result" and isinstance(x.get("content"), list)
            ),
        ),
    ),
    Fault(
        "reject_images",
        "image blocks get 400",
        ("REQ-008",),
        issues=_reject_if(
            "messages",
            "image input is not supported",
            lambda b: _has_block(b, lambda x: x.get("type") == "image"),
        ),
    ),
    Fault(
        "reject_documents",
        "document blocks get 400",
        ("REQ-009",),
        issues=_reject_if(
            "messages",
            "document input is not supported",
            lambda b: _has_block(b, lambda x: x.get("type") == "document"),
        ),
    ),
]
