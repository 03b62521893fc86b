"""Faults that checks which could pass without judging anything must catch: a matched stop
sequence reported as end_turn (llama.cpp b11434 does this); and the legal split of input between
input_tokens and the cache counts that a comparison of bare input_tokens would flag."""

from __future__ import annotations

from typing import Any

from msgconform.mock.hooks import Ctx, Faults

FAULTS = Faults()


@FAULTS.hook("message", "STOP-003")
def _stop_sequence_end_turn(message: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
    """a matched stop sequence ends with stop_reason end_turn, stop_sequence still set"""
    if message["stop_reason"] == "stop_sequence":
        message["stop_reason"] = "end_turn"
    return message


@FAULTS.hook("message", legal=True)
def _cache_split_usage(message: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
    """streams count input as 1 + cache reads, JSON as input_tokens alone (same total)

    Streams report all but one input token as read from the cache (1+24 beside JSON's 25)."""
    usage = message["usage"]
    if ctx.stream and usage.get("input_tokens", 0) > 1:
        usage["cache_read_input_tokens"] = (usage.get("cache_read_input_tokens") or 0) + (
            usage["input_tokens"] - 1
        )
        usage["input_tokens"] = 1
    return message
