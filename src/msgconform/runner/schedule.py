"""Cases probed concurrently, up to the profile's concurrency, ahead of pytest's own order.

pytest still runs the items one after another (judging, grading and the record keep pytest's
order, so a record reads the same whatever the timing); each item's setup takes the probe that a
worker has already done, or is doing. A probe that is not thread-safe (SERIAL_PROBES) runs in
pytest's thread when its turn comes, holding one of the same slots, so no more than `workers`
cases are ever in flight."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from msgconform.core.cases import Case
from msgconform.runner.engine import CaseResult, Engine
from msgconform.runner.symptoms import SymptomTracker
from msgconform.transport.client import Deadlines
from msgconform.transport.session import Session

# Probes to run on pytest's thread, one at a time, should one ever keep global state. None today:
# the fuzz probe draws from its own random.Random, seeded per case.
SERIAL_PROBES: frozenset[str] = frozenset()
Start = Callable[[Case], CaseResult]


class Scheduler:
    def __init__(self, start: Start, cases: Sequence[Case], workers: int) -> None:
        self._start = start
        self._slots = threading.BoundedSemaphore(max(workers, 1))
        self._pool = ThreadPoolExecutor(max(workers, 1), thread_name_prefix="msgconform-probe")
        self._ahead: dict[str, Future[tuple[CaseResult, float]]] = {}
        for case in cases:
            if case.probe not in SERIAL_PROBES and case.test_id not in self._ahead:
                self._ahead[case.test_id] = self._pool.submit(self._timed, case)

    def _timed(self, case: Case) -> tuple[CaseResult, float]:
        with self._slots:
            began = time.monotonic()
            return self._start(case), time.monotonic() - began

    def start(self, case: Case) -> CaseResult:
        """The case's probed (PENDING) or final result; exceptions of the probe propagate."""
        future = self._ahead.pop(case.test_id, None)
        result, probe_s = future.result() if future is not None else self._timed(case)
        if result.outcome == "PENDING":
            # Its time is the probe's plus the judging to come, not the wait in the queue.
            result.started = time.monotonic() - probe_s
        return result

    def close(self) -> None:
        """Cancel what has not started (an aborted run); wait for what is in flight."""
        self._pool.shutdown(wait=True, cancel_futures=True)


class Prober:
    """The run's probing: scheduled ahead, with repeated transport symptoms collapsed."""

    def __init__(
        self, engine: Engine, session: Session, cases: Sequence[Case], workers: int
    ) -> None:
        self.engine = engine
        self.symptoms = SymptomTracker(Deadlines.from_limits(engine.profile.timeouts))
        session.deadline_policy = self.symptoms
        self.scheduler = Scheduler(self._probe, cases, workers)

    def _probe(self, case: Case) -> CaseResult:
        result = self.engine.start(case)
        self.symptoms.observe(case.test_id, result.exchanges.values())
        return result

    def start(self, case: Case) -> CaseResult:
        return self.scheduler.start(case)

    def annotate(self, result: CaseResult) -> CaseResult:
        """A collapsed case says so in its reason (the record links the first case)."""
        trip = self.symptoms.collapsed.get(result.case.test_id)
        if trip is not None and result.outcome not in ("PASS", "SKIP"):
            result.reason = f"{result.reason}; {trip.reason()}" if result.reason else trip.reason()
        return result

    def record_extra(self, result: CaseResult) -> dict[str, Any]:
        trip = self.symptoms.collapsed.get(result.case.test_id)
        if trip is None or result.outcome in ("PASS", "SKIP"):
            return {}
        return {
            "same_symptom": {
                "symptom": trip.symptom,
                "kind": trip.kind,
                "first": trip.first,
                "deadline_s": trip.short_s,
            }
        }

    def close(self) -> None:
        self.scheduler.close()
