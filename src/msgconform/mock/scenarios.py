"""Scenarios a client asks for with `x-msgconform-scenario: NAME[:ARG[:TAG]]` (see the package
docstring): rate limits, overload, a mid-stream error, a slow first byte, a long stream."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from msgconform.mock.generate import DEFAULT_REPLY
from msgconform.mock.hooks import Ctx, ErrorOut, Fault
from msgconform.mock.wire import Step, error_body, frame, ping

Receive = Callable[[], Awaitable[Any]]
HEADER = "x-msgconform-scenario"
NAMES = (
    "rate_limited", "overloaded", "stream_error", "slow_first_byte", "long_stream", "client",
)  # fmt: skip
MAX_DELAY_S = 30.0
MAX_WORDS = 20000
PING_EVERY = 20
PING_PAUSE_S = 0.05


@dataclass(frozen=True)
class Scenario:
    name: str = ""
    arg: str = ""
    raw: str = ""

    def number(self, default: float, cap: float) -> float:
        try:
            return min(cap, max(0.0, float(self.arg))) if self.arg else default
        except ValueError:
            return default


NONE = Scenario()


def parse(value: str | None) -> Scenario:
    if not value:
        return NONE
    name, _, rest = value.strip().partition(":")
    arg = rest.partition(":")[0]
    return Scenario(name, arg, value) if name in NAMES else Scenario("unknown", value, value)


class Counter:
    """How many times each exact header value has been refused (for NAME:N:TAG)."""

    def __init__(self) -> None:
        self.seen: dict[str, int] = {}

    def refuse(self, scenario: Scenario) -> bool:
        if not scenario.arg:
            return True
        count = self.seen.get(scenario.raw, 0)
        if count >= scenario.number(1, 1e9):
            return False
        self.seen[scenario.raw] = count + 1
        return True


def refusal(value: str | None, counter: Counter, path: str) -> ErrorOut | None:
    scenario = parse(value)
    if scenario.name == "unknown":
        return ErrorOut(
            400, "invalid_request_error", f"{HEADER}: must be one of {', '.join(NAMES)}"
        )
    if scenario.name == "rate_limited" and counter.refuse(scenario):
        return ErrorOut(429, "rate_limit_error", "rate limited (scenario)", {"retry-after": "1"})
    if scenario.name == "overloaded" and counter.refuse(scenario):
        return ErrorOut(529, "overloaded_error", "Overloaded (scenario)", {"retry-after": "1"})
    return None


async def first_byte_delay(scenario: Scenario, ctx: Ctx, fault: Fault) -> bool:
    """Wait before the headers; True when the client left meanwhile."""
    delay = scenario.number(1.5, MAX_DELAY_S) if scenario.name == "slow_first_byte" else 0.0
    if fault.first_byte is not None:
        delay = fault.first_byte(delay, ctx)
    return bool(delay) and await wait_disconnect(ctx.receive, delay)


def long_text(scenario: Scenario) -> str | None:
    if scenario.name != "long_stream":
        return None
    count = int(scenario.number(2000, MAX_WORDS))
    base = DEFAULT_REPLY.split()
    return " ".join(base[i % len(base)] for i in range(count))


def stream_steps(scenario: Scenario, steps: list[Step], named: bool, request_id: str) -> list[Step]:
    if scenario.name == "stream_error":
        at = next((i for i, s in enumerate(steps) if b"content_block_delta" in s.data), 1) + 1
        data = error_body("overloaded_error", "Overloaded (scenario)", request_id)
        return [*steps[:at], Step(frame("error", data, named))]
    if scenario.name == "long_stream":
        ping_frame = frame(*ping(), named)
        out: list[Step] = []
        for i, step in enumerate(steps, 1):
            out.append(step)
            # Pings go between content events only, never after message_delta.
            if i % PING_EVERY == 0 and i < len(steps) - 2:
                out.append(Step(ping_frame, PING_PAUSE_S))
        return out
    return steps


async def wait_disconnect(receive: Receive | None, delay_s: float) -> bool:
    """Sleep, but stop early (returning True) if the client goes away."""
    if receive is None:
        await asyncio.sleep(delay_s)
        return False
    try:
        message = await asyncio.wait_for(receive(), delay_s)
    except TimeoutError:
        return False
    return bool(message["type"] == "http.disconnect")
