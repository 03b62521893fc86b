"""A provider that hangs, in bounded time: repeated transport symptoms collapse.

When COLLAPSE_AFTER cases in a row end on the same transport symptom for one kind of request
(streamed or plain JSON), the rest of that kind are sent once more with a short deadline for that
symptom. A case that then ends on the same symptom is reported as that symptom, linking to the
first case's full transcript; one that completes means the provider recovered, and full deadlines
come back. No request is skipped, and none is judged on anything but its own exchanges."""

from __future__ import annotations

import dataclasses
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from msgconform.core.exchange import Exchange
from msgconform.transport.client import Deadlines

# How reading can end that says "the provider is stuck" rather than "it answered wrongly".
SYMPTOMS = ("idle_timeout", "first_byte_timeout", "reset")
COLLAPSE_AFTER = 3
SHORT_FRACTION = 0.1  # a short deadline is a tenth of the full one ...
SHORT_MIN_S = 1.0  # ... but never under this (nor above the full one)


@dataclass(frozen=True)
class Trip:
    """A kind of request that keeps ending on one symptom, and the case that showed it first."""

    kind: str
    symptom: str
    first: str
    short_s: float

    def reason(self) -> str:
        return (
            f"same symptom as {self.first} ({self.symptom}): {COLLAPSE_AFTER} {self.kind} cases "
            f"in a row ended so, and this one, sent once with a {self.short_s:g}s deadline, "
            "did too; the first case holds the full transcript"
        )


@dataclass
class Streak:
    symptom: str
    first: str
    count: int = 1


def kind_of(stream: bool) -> str:
    return "stream" if stream else "json"


def short_deadline(full: float) -> float:
    return min(full, max(SHORT_MIN_S, full * SHORT_FRACTION))


def shortened(deadlines: Deadlines, symptom: str) -> Deadlines:
    """The deadlines with the one that the symptom waits out made short (both, for a reset)."""
    changes: dict[str, float] = {}
    if symptom in ("idle_timeout", "reset"):
        changes["idle"] = short_deadline(deadlines.idle)
    if symptom in ("first_byte_timeout", "reset"):
        changes["first_byte"] = short_deadline(deadlines.first_byte)
    return dataclasses.replace(deadlines, **changes)


def healthy(exchange: Exchange, kind: str) -> bool:
    """An answer that read to its end; for a stream, one that streamed (a streamed request
    refused with a JSON error says nothing about whether streams hang)."""
    return exchange.ended == "eof" and (kind == "json" or exchange.is_sse)


class SymptomTracker:
    """Shared by the probing threads; sees every request go out and every case come back."""

    def __init__(self, deadlines: Deadlines) -> None:
        self.deadlines = deadlines
        self._lock = threading.Condition()
        self._out: Counter[str] = Counter()  # full-deadline requests of each kind now in flight
        self._streaks: dict[str, Streak] = {}
        self._trips: dict[str, Trip] = {}
        self._sent: dict[int, tuple[str, Trip | None]] = {}
        self.collapsed: dict[str, Trip] = {}  # case id -> the trip it was reported under

    def deadlines_for(self, stream: bool) -> Deadlines | None:
        """Short deadlines when this kind of request has tripped; None for the usual ones.

        While a streak is open, a request waits rather than add a full-deadline wait beyond the
        ones in flight that will decide it (else every worker starts one more full wait)."""
        kind = kind_of(stream)
        with self._lock:
            self._lock.wait_for(lambda: not self._deciding(kind), timeout=self._longest())
            trip = self._trips.get(kind)
            if trip is None:
                self._out[kind] += 1
        return shortened(self.deadlines, trip.symptom) if trip else None

    def _deciding(self, kind: str) -> bool:
        streak = self._streaks.get(kind)
        if streak is None or kind in self._trips:
            return False
        return streak.count + self._out[kind] >= COLLAPSE_AFTER

    def _longest(self) -> float:
        """How long a request can take: a bound on any wait here, whatever goes wrong."""
        return self.deadlines.connect + self.deadlines.first_byte + self.deadlines.total

    def sent(self, exchange: Exchange | None, stream: bool, short: bool) -> None:
        """The request is back (None: it raised instead of answering)."""
        kind = kind_of(stream)
        with self._lock:
            if not short:
                self._out[kind] = max(self._out[kind] - 1, 0)
            if exchange is not None:
                self._sent[id(exchange)] = (kind, self._trips.get(kind) if short else None)
            self._lock.notify_all()

    def observe(self, case_id: str, exchanges: Iterable[Exchange]) -> Trip | None:
        """A case's probe is done: count its symptoms; the trip it collapsed under, if any."""
        with self._lock:
            seen = [(e, *self._sent.pop(id(e), ("json", None))) for e in exchanges]
            collapsed = None
            for kind in dict.fromkeys(k for _, k, _ in seen):
                mine = [(e, t) for e, k, t in seen if k == kind]
                symptom = next((e.ended for e, _ in mine if e.ended in SYMPTOMS), None)
                trip = next((t for _, t in mine if t is not None), None)
                if trip is not None and symptom == trip.symptom:
                    collapsed = trip
                if symptom is not None or any(healthy(e, kind) for e, _ in mine):
                    self._count(kind, symptom, case_id, short=trip is not None)
            if collapsed is not None:
                self.collapsed[case_id] = collapsed
            self._lock.notify_all()
            return collapsed

    def _count(self, kind: str, symptom: str | None, case_id: str, short: bool) -> None:
        if symptom is None:
            self._streaks.pop(kind, None)
            if short:  # it completed within the short deadline: the provider recovered
                self._trips.pop(kind, None)
            return
        streak = self._streaks.get(kind)
        if streak is None or streak.symptom != symptom:
            streak = self._streaks[kind] = Streak(symptom, case_id, 0)
        streak.count += 1
        if streak.count >= COLLAPSE_AFTER and kind not in self._trips:
            full = self.deadlines.idle if symptom == "idle_timeout" else self.deadlines.first_byte
            self._trips[kind] = Trip(kind, symptom, streak.first, short_deadline(full))
