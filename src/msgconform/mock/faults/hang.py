"""Streams that stall or crawl (STREAM-013, -014, -017): the client's deadlines must end them.

`hang_every_stream` is what a nightly meets when a provider's streaming backend wedges: the run
must end in bounded time (repeated symptoms collapse: runner/symptoms.py) with the stream cases
FAIL and the rest judged as usual; plain JSON answers are untouched."""

from __future__ import annotations

from msgconform.mock.faults.wire import after_first_delta
from msgconform.mock.hooks import Ctx, Faults
from msgconform.mock.wire import Step

# Every hang lasts this long. It is longer than any deadline a shipped profile sets (first_byte 60,
# idle 30, total at most 180 s), so a hang is always ended by the client's deadline, never by
# itself, whichever profile the mock emulates; and a pause ends as soon as the client hangs up
# (scenarios.wait_disconnect), so a test pays its own short deadline, not this.
HANG_S = 600.0
# slow_drip is slow, not hung: each write waits a second, the whole stream this long at most.
DRIP_TOTAL_S = 30.0


FAULTS = Faults()


@FAULTS.hook(
    "steps",
    "STREAM-014",
    description=f"every stream sends its headers and first event, then nothing for {HANG_S:.0f} s",
)
def _hang_every_stream(steps: list[Step], ctx: Ctx) -> list[Step]:
    return [*steps[:1], Step(delay_s=HANG_S)]


@FAULTS.hook(
    "first_byte",
    "STREAM-017",
    description=f"streams wait {HANG_S:.0f} s before the response headers",
)
def _hang_before_headers(delay_s: float, ctx: Ctx) -> float:
    return HANG_S if ctx.stream else delay_s


@FAULTS.hook(
    "steps", "STREAM-014", description=f"the stream pauses {HANG_S:.0f} s after the first delta"
)
def _hang_mid_stream(steps: list[Step], ctx: Ctx) -> list[Step]:
    return after_first_delta(steps, [Step(delay_s=HANG_S)])


@FAULTS.hook(
    "steps",
    "STREAM-014",
    description=f"each stream write waits 1 s ({DRIP_TOTAL_S:.0f} s at most in all)",
)
def _slow_drip(steps: list[Step], ctx: Ctx) -> list[Step]:
    return [Step(s.data, min(1.0, DRIP_TOTAL_S / len(steps))) for s in steps]


@FAULTS.hook(
    "steps",
    "STREAM-013",
    description=f"the connection stays open {HANG_S:.0f} s after message_stop",
)
def _no_close_after_message_stop(steps: list[Step], ctx: Ctx) -> list[Step]:
    return [*steps, Step(delay_s=HANG_S)]
