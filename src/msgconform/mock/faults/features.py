"""Faults that make one optional feature ignored, rejected or broken while the rest of the mock
stays correct: the feature map's classifier is proven on them (tests/features/test_features.py)."""

from __future__ import annotations

from typing import Any

from msgconform.mock.faults.request import drop_field, reject_if
from msgconform.mock.hooks import Ctx, ErrorOut, Fault, Faults

Event = tuple[str, dict[str, Any]]


FAULTS = Faults()


@FAULTS.hook("request", "STOP-005")
def _ignore_stop_sequences(body: Any, ctx: Ctx) -> Any:
    """stop_sequences are dropped: the reply runs past them"""
    return drop_field(body, "stop_sequences")


@FAULTS.hook("request", "STOP-006")
def _ignore_tool_choice(body: Any, ctx: Ctx) -> Any:
    """tool_choice is dropped: a forced tool call becomes auto"""
    return drop_field(body, "tool_choice")


@FAULTS.hook("issues", "REQ-001")
@reject_if("top_k", "top_k is not supported")
def _reject_top_k(body: dict[str, Any]) -> bool:
    """requests with top_k get 400"""
    return "top_k" in body


def _crash_on_top_p(err: ErrorOut, ctx: Ctx) -> ErrorOut:
    if isinstance(ctx.body, dict) and "top_p" in ctx.body:
        err.status, err.etype, err.message = 500, "api_error", "Internal server error"
    return err


FAULTS.append(
    Fault(
        "top_p_500",
        "requests with top_p get 500 api_error",
        ("REQ-001",),
        issues=reject_if("top_p", "top_p crashes the sampler")(lambda body: "top_p" in body),
        error=_crash_on_top_p,
    )
)


@FAULTS.hook("events", "REQ-010")
def _thinking_stream_cut(events: list[Event], ctx: Ctx) -> list[Event]:
    """a stream with thinking ends after the first thinking_delta

    The stream stops, without message_stop or an error event, once thinking has begun."""
    for i, (_, data) in enumerate(events):
        if data.get("delta", {}).get("type") == "thinking_delta":
            return events[: i + 1]
    return events
