"""Faults of the token counts (USAGE): their types and signs, and how the streamed counts
agree with the final, the non-streamed and the count_tokens ones."""

from __future__ import annotations

from typing import Any

from msgconform.mock.faults.streaming import first
from msgconform.mock.hooks import Ctx, Fault
from msgconform.mock.wire import Event


def _negative(message: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
    message["usage"]["input_tokens"] = -message["usage"]["input_tokens"]
    return message


def _string_cache(message: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
    message["usage"]["cache_read_input_tokens"] = "0"
    return message


def _usage_of(events: list[Event], name: str) -> dict[str, Any]:
    data = events[first(events, name)][1]
    usage: dict[str, Any] = data["message"]["usage"] if name == "message_start" else data["usage"]
    return usage


def _decrease(events: list[Event], ctx: Ctx) -> list[Event]:
    _usage_of(events, "message_start")["output_tokens"] = (
        _usage_of(events, "message_delta")["output_tokens"] + 5
    )
    return events


def _summed(events: list[Event], ctx: Ctx) -> list[Event]:
    start, final = _usage_of(events, "message_start"), _usage_of(events, "message_delta")
    for name, value in list(final.items()):
        final[name] = value - start.get(name, 0)
    return events


def _inconsistent(events: list[Event], ctx: Ctx) -> list[Event]:
    for name in ("message_start", "message_delta"):
        usage = _usage_of(events, name)
        if "input_tokens" in usage:
            usage["input_tokens"] += 7
    return events


FAULTS: list[Fault] = [
    Fault("negative_tokens", "usage.input_tokens is negative", ("USAGE-001",), message=_negative),
    Fault(
        "cache_tokens_as_string",
        "usage.cache_read_input_tokens is the string '0'",
        ("USAGE-004",),
        message=_string_cache,
    ),
    Fault(
        "count_tokens_mismatch",
        "count_tokens answers 3 more than messages",
        ("USAGE-002",),
        tokens=lambda count, ctx: count + 3,
    ),
    Fault(
        "output_tokens_decrease",
        "message_start reports more output_tokens than the final count",
        ("USAGE-003",),
        events=_decrease,
    ),
    Fault(
        "usage_summed_in_delta",
        "message_delta usage holds increments, not totals",
        ("USAGE-003", "USAGE-005", "STREAM-016"),
        events=_summed,
    ),
    Fault(
        "input_tokens_inconsistent",
        "streamed input_tokens are 7 higher than non-streamed",
        ("USAGE-002",),
        events=_inconsistent,
    ),
]
