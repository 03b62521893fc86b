"""Faults of request acceptance: parts of a valid request ignored, invalid requests served,
valid requests refused."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from msgconform.contract.document import SchemaIssue
from msgconform.mock.hooks import Ctx, Faults
from msgconform.mock.validate import BLOCK_TYPES

Test = Callable[[dict[str, Any]], bool]
IssuesHook = Callable[[list[SchemaIssue], Ctx], list[SchemaIssue]]
BlockFix = Callable[[Any], Any]


def drop_field(body: Any, key: str) -> Any:
    return {k: v for k, v in body.items() if k != key} if isinstance(body, dict) else body


def reject_if(path: str, rule: str) -> Callable[[Test], IssuesHook]:
    """An issues hook made of a test of the body: a request the test picks out, and that nothing
    else refuses, gets this one issue. The hook keeps the test's name and docstring."""

    def wrap(test: Test) -> IssuesHook:
        @functools.wraps(test)
        def hook(issues: list[SchemaIssue], ctx: Ctx) -> list[SchemaIssue]:
            if issues or not isinstance(ctx.body, dict) or not test(ctx.body):
                return issues
            return [SchemaIssue(path, rule)]

        return hook

    return wrap


def _each_block(fix: BlockFix) -> Callable[[Any, Ctx], Any]:
    """A request hook that passes every content block of every message through `fix` (the hook
    keeps its name and docstring)."""

    @functools.wraps(fix)
    def hook(body: Any, ctx: Ctx) -> Any:
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            return body
        for message in body["messages"]:
            if isinstance(message, dict) and isinstance(message.get("content"), list):
                message["content"] = [fix(b) for b in message["content"]]
        return body

    return hook


def _has_block(body: dict[str, Any], test: Callable[[dict[str, Any]], bool]) -> bool:
    return any(
        isinstance(b, dict) and test(b)
        for m in body.get("messages") or []
        if isinstance(m, dict) and isinstance(m.get("content"), list)
        for b in m["content"]
    )


FAULTS = Faults()


@FAULTS.hook("request", "REQ-002", "REQ-003")
def _ignore_system(body: Any, ctx: Ctx) -> Any:
    """system is dropped (no canary in the reply)"""
    return drop_field(body, "system")


@FAULTS.hook("request", "REQ-005")
def _ignore_prefill(body: Any, ctx: Ctx) -> Any:
    """a final assistant message is ignored, not continued"""
    if (
        isinstance(body, dict)
        and body.get("messages")
        and body["messages"][-1].get("role") == "assistant"
    ):
        return {**body, "messages": body["messages"][:-1]}
    return body


@FAULTS.hook("request", "REQ-010")
def _no_thinking_block(body: Any, ctx: Ctx) -> Any:
    """thinking requests get no thinking block"""
    return drop_field(body, "thinking")


@FAULTS.hook("request", "REQ-015")
def _accept_missing_max_tokens(body: Any, ctx: Ctx) -> Any:
    """a request without max_tokens is served"""
    return {"max_tokens": 4096, **body} if isinstance(body, dict) and "messages" in body else body


@FAULTS.hook("request", "REQ-012")
@_each_block
def _accept_unknown_block_type(block: Any) -> Any:
    """unknown content block types are accepted"""
    unknown = isinstance(block, dict) and block.get("type") not in BLOCK_TYPES
    return {"type": "text", "text": "(unknown block)"} if unknown else block


@FAULTS.hook("request", "REQ-013")
@_each_block
def _accept_empty_text(block: Any) -> Any:
    """empty text blocks are accepted"""
    empty = isinstance(block, dict) and block.get("type") == "text" and block.get("text") == ""
    return {**block, "text": "(empty)"} if empty else block


@FAULTS.hook("issues", "REQ-001", "REQ-011")
@reject_if("metadata", "Extra inputs are not permitted")
def _reject_valid_request(body: dict[str, Any]) -> bool:
    """valid requests with metadata get 400"""
    return "metadata" in body


@FAULTS.hook("issues", "REQ-004", "REQ-016")
@reject_if("messages", "must contain exactly one message")
def _reject_multi_turn(body: dict[str, Any]) -> bool:
    """conversations of more than one message get 400"""
    return len(body.get("messages") or []) > 1


@FAULTS.hook("issues", "REQ-006")
@reject_if("tool_choice.type", "must be one of auto, any, tool")
def _reject_tool_choice_none(body: dict[str, Any]) -> bool:
    """tool_choice none gets 400"""
    return (body.get("tool_choice") or {}).get("type") == "none"


@FAULTS.hook("issues", "REQ-007")
@reject_if("messages", "tool_result content must be a string")
def _reject_tool_result_blocks(body: dict[str, Any]) -> bool:
    """tool_result content given as blocks gets 400"""
    return _has_block(
        body, lambda b: b.get("type") == "tool_result" and isinstance(b.get("content"), list)
    )


@FAULTS.hook("issues", "REQ-008")
@reject_if("messages", "image input is not supported")
def _reject_images(body: dict[str, Any]) -> bool:
    """image blocks get 400"""
    return _has_block(body, lambda b: b.get("type") == "image")


@FAULTS.hook("issues", "REQ-009")
@reject_if("messages", "document input is not supported")
def _reject_documents(body: dict[str, Any]) -> bool:
    """document blocks get 400"""
    return _has_block(body, lambda b: b.get("type") == "document")
