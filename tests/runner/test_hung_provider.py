"""A hung provider in bounded time: repeated transport symptoms collapse; cases probe concurrently.

Wall time is measured with the bench and reported, never asserted; these tests check the verdicts
and that the collapse happened (and undoes itself when the provider recovers)."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from msgconform.checks import REGISTRY
from msgconform.cli import main
from msgconform.core.cases import load_all
from msgconform.core.exchange import Exchange
from msgconform.mock.faults import FAULTS
from msgconform.report.record import load_run
from msgconform.runner import symptoms
from msgconform.runner.engine import CaseResult
from msgconform.runner.schedule import Scheduler
from msgconform.runner.symptoms import COLLAPSE_AFTER, SymptomTracker
from msgconform.transport.client import Deadlines

SSE = "text/event-stream"
FULL = Deadlines(connect=10, first_byte=60, idle=30, total=180, close_after_stop=5)


def sent(tracker: SymptomTracker, ended: str, stream: bool = True) -> Exchange:
    short = tracker.deadlines_for(stream) is not None
    exchange = Exchange("main", "POST", "http://h/v1/messages", {}, ended=ended)
    exchange.response_headers = {"content-type": SSE if stream else "application/json"}
    tracker.sent(exchange, stream, short)
    return exchange


def run_cases(tracker: SymptomTracker, *endings: str, stream: bool = True) -> list[Any]:
    return [
        tracker.observe(f"area/STREAM-001/case-{i}", [sent(tracker, ended, stream)])
        for i, ended in enumerate(endings)
    ]


def test_several_in_a_row_shorten_the_rest_of_that_kind_only() -> None:
    tracker = SymptomTracker(FULL)
    run_cases(tracker, *["idle_timeout"] * COLLAPSE_AFTER)
    short = tracker.deadlines_for(stream=True)
    assert short is not None
    assert short.idle == symptoms.short_deadline(FULL.idle) < FULL.idle
    assert short.first_byte == FULL.first_byte
    assert tracker.deadlines_for(stream=False) is None


def test_a_collapsed_case_links_the_first_full_transcript() -> None:
    tracker = SymptomTracker(FULL)
    results = run_cases(tracker, *["idle_timeout"] * (COLLAPSE_AFTER + 2))
    assert results[:COLLAPSE_AFTER] == [None] * COLLAPSE_AFTER
    trip = results[-1]
    assert trip is not None
    assert trip.first == "area/STREAM-001/case-0"
    assert trip.symptom == "idle_timeout"
    assert set(tracker.collapsed) == {f"area/STREAM-001/case-{i}" for i in (3, 4)}


def test_a_clean_case_breaks_the_streak() -> None:
    tracker = SymptomTracker(FULL)
    run_cases(tracker, "idle_timeout", "idle_timeout", "eof", "idle_timeout", "idle_timeout")
    assert tracker.deadlines_for(stream=True) is None


def test_different_symptoms_are_different_streaks() -> None:
    tracker = SymptomTracker(FULL)
    run_cases(tracker, "idle_timeout", "first_byte_timeout", "idle_timeout", "reset")
    assert tracker.deadlines_for(stream=True) is None


def test_a_provider_that_recovers_gets_full_deadlines_back() -> None:
    tracker = SymptomTracker(FULL)
    run_cases(tracker, *["first_byte_timeout"] * COLLAPSE_AFTER)
    assert tracker.deadlines_for(stream=True) is not None
    assert run_cases(tracker, "eof") == [None]
    assert tracker.deadlines_for(stream=True) is None


def test_the_scheduler_keeps_order_and_its_concurrency_limit() -> None:
    cases = [c for c in load_all() if c.probe != "fuzz"][:12]
    lock, state = threading.Lock(), {"now": 0, "most": 0}

    def start(case: Any) -> CaseResult:
        with lock:
            state["now"] += 1
            state["most"] = max(state["most"], state["now"])
        time.sleep(0.02)
        with lock:
            state["now"] -= 1
        return CaseResult(case, "PASS")

    scheduler = Scheduler(start, cases, workers=3)
    try:
        assert [scheduler.start(c).case.test_id for c in cases] == [c.test_id for c in cases]
    finally:
        scheduler.close()
    assert 1 <= state["most"] <= 3


def stream_deadline_cases() -> set[str]:
    """The cases that stream and check the stream's deadline (STREAM-014): a hang must FAIL them."""
    cited = {name for name, spec in REGISTRY.items() if "STREAM-014" in spec.clauses}
    return {c.test_id for c in load_all() if c.stream and cited & {n for n, _ in c.checks}}


def plain_cases() -> set[str]:
    return {c.test_id for c in load_all() if not c.stream and c.probe == "send"}


def test_every_stream_hanging_fails_the_stream_cases_and_collapses(tmp_path: Path) -> None:
    assert "hang_every_stream" in FAULTS
    argv = ["run", "--provider", "mock", "--mock-fault", "hang_every_stream"]
    assert main([*argv, "--out", str(tmp_path), "-q"]) == 1
    run = load_run(tmp_path / "mock" / "latest")
    by_id = {c["id"]: c for c in run.cases}
    assert run.footer is not None
    assert not run.footer["aborted"]
    for case_id in stream_deadline_cases():
        assert by_id[case_id]["outcome"] == "FAIL", case_id
    for case_id in plain_cases():
        assert by_id[case_id]["outcome"] in ("PASS", "SKIP"), case_id
    collapsed = [c for c in run.cases if c.get("same_symptom")]
    assert collapsed, "no case was collapsed onto the first one's symptom"
    first = by_id[collapsed[0]["same_symptom"]["first"]]
    assert first["evidence"][0]["response"]["ended"] == "idle_timeout"
    assert all(c["same_symptom"]["symptom"] == "idle_timeout" for c in collapsed)
    assert all(c["outcome"] in ("FAIL", "NON-STRICT") for c in collapsed)
    page = (run.run_dir / "report.html").read_text()
    assert f'href="#case-{first["id"]}"' in page


def test_an_open_streak_holds_new_full_waits_until_it_is_decided() -> None:
    tracker = SymptomTracker(FULL)
    for _ in range(COLLAPSE_AFTER):
        assert tracker.deadlines_for(stream=True) is None
    out = [Exchange("main", "POST", "u", {}, ended="idle_timeout") for _ in range(COLLAPSE_AFTER)]
    got: list[Deadlines | None] = []
    for i, exchange in enumerate(out):
        tracker.sent(exchange, True, False)
        tracker.observe(f"a/STREAM-001/c{i}", [exchange])
        if i == 0:  # one symptom seen, two still out: a fourth must wait for them
            waiter = threading.Thread(target=lambda: got.append(tracker.deadlines_for(True)))
            waiter.start()
            time.sleep(0.05)
            assert waiter.is_alive()
    waiter.join(5)
    assert got == [symptoms.shortened(FULL, "idle_timeout")]


def test_a_refused_stream_request_neither_breaks_a_streak_nor_ends_a_trip() -> None:
    tracker = SymptomTracker(FULL)
    run_cases(tracker, *["idle_timeout"] * COLLAPSE_AFTER)
    refused = sent(tracker, "eof")  # a 400 with a JSON error: never streamed
    refused.response_headers = {"content-type": "application/json"}
    tracker.observe("area/STREAM-001/refused", [refused])
    assert tracker.deadlines_for(stream=True) is not None
