"""A provider whose every stream hangs: headers and a first event, then nothing.

What a nightly meets when a provider's streaming backend wedges. The run must end in bounded time
(repeated symptoms collapse: runner/symptoms.py) with the stream cases FAIL and the rest judged
as usual; plain JSON answers are untouched."""

from __future__ import annotations

from msgconform.mock.hooks import Ctx, Fault
from msgconform.mock.wire import Step

# Longer than any profile's idle deadline; the pause ends early when the client hangs up.
HANG_S = 600.0


def _hang_after_first(steps: list[Step], ctx: Ctx) -> list[Step]:
    return [*steps[:1], Step(delay_s=HANG_S)]


FAULTS: list[Fault] = [
    Fault(
        "hang_every_stream",
        f"every stream sends its headers and first event, then nothing for {HANG_S:.0f} s",
        ("STREAM-014",),
        steps=_hang_after_first,
    ),
]
