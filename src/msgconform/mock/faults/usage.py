"""Faults of the token counts (USAGE): their types and signs, and how the streamed counts
agree with the final, the non-streamed and the count_tokens ones."""

from __future__ import annotations

from typing import Any

from msgconform.mock.faults.streaming import first
from msgconform.mock.hooks import Ctx, Faults
from msgconform.mock.wire import Event


def _usage_of(events: list[Event], name: str) -> dict[str, Any]:
    data = events[first(events, name)][1]
    usage: dict[str, Any] = data["message"]["usage"] if name == "message_start" else data["usage"]
    return usage


FAULTS = Faults()


@FAULTS.hook("message", "USAGE-001")
def _negative_tokens(message: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
    """usage.input_tokens is negative"""
    message["usage"]["input_tokens"] = -message["usage"]["input_tokens"]
    return message


@FAULTS.hook("message", "USAGE-004")
def _cache_tokens_as_string(message: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
    """usage.cache_read_input_tokens is the string '0'"""
    message["usage"]["cache_read_input_tokens"] = "0"
    return message


@FAULTS.hook("tokens", "USAGE-002")
def _count_tokens_mismatch(count: int, ctx: Ctx) -> int:
    """count_tokens answers 3 more than messages"""
    return count + 3


@FAULTS.hook("events", "USAGE-003")
def _output_tokens_decrease(events: list[Event], ctx: Ctx) -> list[Event]:
    """message_start reports more output_tokens than the final count"""
    _usage_of(events, "message_start")["output_tokens"] = (
        _usage_of(events, "message_delta")["output_tokens"] + 5
    )
    return events


@FAULTS.hook("events", "USAGE-003", "USAGE-005", "STREAM-016")
def _usage_summed_in_delta(events: list[Event], ctx: Ctx) -> list[Event]:
    """message_delta usage holds increments, not totals"""
    start, final = _usage_of(events, "message_start"), _usage_of(events, "message_delta")
    for name, value in list(final.items()):
        final[name] = value - start.get(name, 0)
    return events


@FAULTS.hook("events", "USAGE-002")
def _input_tokens_inconsistent(events: list[Event], ctx: Ctx) -> list[Event]:
    """streamed input_tokens are 7 higher than non-streamed"""
    for name in ("message_start", "message_delta"):
        usage = _usage_of(events, name)
        if "input_tokens" in usage:
            usage["input_tokens"] += 7
    return events
