"""Streams that stall or crawl (STREAM-013, -014, -017): the client's deadlines must end them.

`hang_every_stream` is what a nightly meets when a provider's streaming backend wedges: the run
must end in bounded time (repeated symptoms collapse: runner/symptoms.py) with the stream cases
FAIL and the rest judged as usual; plain JSON answers are untouched."""

from __future__ import annotations

from msgconform.mock.faults.wire import after_first_delta
from msgconform.mock.hooks import Ctx, Fault
from msgconform.mock.wire import Step

# Every hang lasts this long. It is longer than any deadline a shipped profile sets (first_byte 60,
# idle 30, total at most 180 s), so a hang is always ended by the client's deadline, never by
# itself, whichever profile the mock emulates; and a pause ends as soon as the client hangs up
# (scenarios.wait_disconnect), so a test pays its own short deadline, not this.
HANG_S = 600.0
# slow_drip is slow, not hung: each write waits a second, the whole stream this long at most.
DRIP_TOTAL_S = 30.0


def _hang_after_first(steps: list[Step], ctx: Ctx) -> list[Step]:
    return [*steps[:1], Step(delay_s=HANG_S)]


def _hang_before_headers(delay_s: float, ctx: Ctx) -> float:
    return HANG_S if ctx.stream else delay_s


FAULTS: list[Fault] = [
    Fault(
        "hang_every_stream",
        f"every stream sends its headers and first event, then nothing for {HANG_S:.0f} s",
        ("STREAM-014",),
        steps=_hang_after_first,
    ),
    Fault(
        "hang_before_headers",
        f"streams wait {HANG_S:.0f} s before the response headers",
        ("STREAM-017",),
        first_byte=_hang_before_headers,
    ),
    Fault(
        "hang_mid_stream",
        f"the stream pauses {HANG_S:.0f} s after the first delta",
        ("STREAM-014",),
        steps=lambda st, ctx: after_first_delta(st, [Step(delay_s=HANG_S)]),
    ),
    Fault(
        "slow_drip",
        f"each stream write waits 1 s ({DRIP_TOTAL_S:.0f} s at most in all)",
        ("STREAM-014",),
        steps=lambda st, ctx: [Step(s.data, min(1.0, DRIP_TOTAL_S / len(st))) for s in st],
    ),
    Fault(
        "no_close_after_message_stop",
        f"the connection stays open {HANG_S:.0f} s after message_stop",
        ("STREAM-013",),
        steps=lambda st, ctx: [*st, Step(delay_s=HANG_S)],
    ),
]
