"""Faults that checks which could pass without judging anything must catch: a matched stop
sequence reported as end_turn (llama.cpp b11434 does this)."""

from __future__ import annotations

from typing import Any

from msgconform.mock.hooks import Ctx, Fault


def _sequence_as_end_turn(message: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
    if message["stop_reason"] == "stop_sequence":
        message["stop_reason"] = "end_turn"
    return message


FAULTS: list[Fault] = [
    Fault(
        "stop_sequence_end_turn",
        "a matched stop sequence ends with stop_reason end_turn, stop_sequence still set",
        ("STOP-003",),
        message=_sequence_as_end_turn,
    ),
]
