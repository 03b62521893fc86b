"""Faults that make one optional feature ignored, rejected or broken while the rest of the mock
stays correct: the feature map's classifier is proven on them (tests/features/test_features.py)."""

from __future__ import annotations

from typing import Any

from msgconform.contract.document import SchemaIssue
from msgconform.mock.hooks import Ctx, ErrorOut, Fault

Event = tuple[str, dict[str, Any]]


def _without(key: str) -> Any:
    def hook(body: Any, ctx: Ctx) -> Any:
        return {k: v for k, v in body.items() if k != key} if isinstance(body, dict) else body

    return hook


def _refuse(key: str, rule: str) -> Any:
    def hook(issues: list[SchemaIssue], ctx: Ctx) -> list[SchemaIssue]:
        if issues or not isinstance(ctx.body, dict) or key not in ctx.body:
            return issues
        return [SchemaIssue(key, rule)]

    return hook


def _crash_on_top_p(err: ErrorOut, ctx: Ctx) -> ErrorOut:
    if isinstance(ctx.body, dict) and "top_p" in ctx.body:
        err.status, err.etype, err.message = 500, "api_error", "Internal server error"
    return err


def _cut_after_thinking(events: list[Event], ctx: Ctx) -> list[Event]:
    """The stream stops, without message_stop or an error event, once thinking has begun."""
    for i, (_, data) in enumerate(events):
        if data.get("delta", {}).get("type") == "thinking_delta":
            return events[: i + 1]
    return events


FAULTS: list[Fault] = [
    Fault(
        "ignore_stop_sequences",
        "stop_sequences are dropped: the reply runs past them",
        ("STOP-005",),
        request=_without("stop_sequences"),
    ),
    Fault(
        "ignore_tool_choice",
        "tool_choice is dropped: a forced tool call becomes auto",
        ("STOP-006",),
        request=_without("tool_choice"),
    ),
    Fault(
        "reject_top_k",
        "requests with top_k get 400",
        ("REQ-001",),
        issues=_refuse("top_k", "top_k is not supported"),
    ),
    Fault(
        "top_p_500",
        "requests with top_p get 500 api_error",
        ("REQ-001",),
        issues=_refuse("top_p", "top_p crashes the sampler"),
        error=_crash_on_top_p,
    ),
    Fault(
        "thinking_stream_cut",
        "a stream with thinking ends after the first thinking_delta",
        ("REQ-010",),
        events=_cut_after_thinking,
    ),
]
