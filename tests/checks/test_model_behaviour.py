"""Checks that judge what a model says have their own level: MODEL, graded NON-STRICT (even
under --strict), up to 3 tries passing if any passes, and their own section in the HTML report."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from msgconform.core.cases import Case, load_all
from msgconform.core.grading import Failure, raw_outcome
from msgconform.core.profiles import Profile
from msgconform.core.profiles import load as load_profile
from msgconform.core.settings import RunSettings
from msgconform.fuzz import regressions
from msgconform.mock.server import MockServer
from msgconform.report.html import render
from msgconform.report.record import Run
from msgconform.runner.engine import CaseResult, Engine
from msgconform.transport.session import Session

KEY = "sk-model-test-0123456789abcdef"
CANARY = next(c for c in load_all() if c.id == "system-string")
PREFILL = next(c for c in load_all() if c.id == "prefill")


@pytest.fixture(scope="module")
def profile() -> Profile:
    return load_profile("mock")


@pytest.fixture(scope="module")
def url(profile: Profile) -> Iterator[str]:
    with MockServer(profile, KEY) as server:
        yield server.url


def run(profile: Profile, url: str, case: Case, fault: str | None, strict: bool) -> CaseResult:
    headers = {"x-msgconform-fault": fault} if fault else None
    settings = RunSettings(strict=strict)
    session = Session(profile, KEY, url, extra_headers=headers, settings=settings)
    try:
        return Engine(profile, session).run_case(case)
    finally:
        session.close()


def test_an_obedient_model_passes_on_the_first_try(profile: Profile, url: str) -> None:
    result = run(profile, url, CANARY, None, strict=False)
    assert result.outcome == "PASS"
    assert list(result.exchanges) == ["main"]


@pytest.mark.parametrize("strict", [False, True])
def test_a_disobedient_model_is_non_strict_after_three_tries(
    profile: Profile, url: str, strict: bool
) -> None:
    result = run(profile, url, CANARY, "ignore_system", strict=strict)
    assert result.outcome == "NON-STRICT"
    assert list(result.exchanges) == ["main", "try:2", "try:3"]
    assert [f.level for f in result.failures] == ["MODEL"]
    assert "any of 3 tries" in result.failures[0].expected


@pytest.mark.parametrize("strict", [False, True])
def test_a_prefill_restarted_is_model_behaviour_after_three_tries(
    profile: Profile, url: str, strict: bool
) -> None:
    result = run(profile, url, PREFILL, "ignore_prefill", strict=strict)
    assert result.outcome == "NON-STRICT"
    assert list(result.exchanges) == ["main", "try:2", "try:3"]
    assert [(f.clause, f.level) for f in result.failures] == [("REQ-005", "MODEL")]


def test_a_prefill_continued_passes_on_the_first_try(profile: Profile, url: str) -> None:
    result = run(profile, url, PREFILL, None, strict=True)
    assert result.outcome == "PASS"
    assert list(result.exchanges) == ["main"]


def failure(level: str) -> Failure:
    return Failure("c", "REQ-002", level, "r", "s", "e", "a")


def test_strict_escalates_should_but_not_model() -> None:
    assert raw_outcome([failure("MODEL")], None, strict=True)[0] == "NON-STRICT"
    assert raw_outcome([failure("SHOULD")], None, strict=True)[0] == "FAIL"
    assert raw_outcome([failure("MUST"), failure("MODEL")], None, strict=False)[0] == "FAIL"


def test_model_failures_have_their_own_report_section() -> None:
    case = {
        "id": "request/REQ-002/system-string",
        "area": "request",
        "description": "d",
        "clauses": ["REQ-002"],
        "outcome": "NON-STRICT",
        "duration_s": 0.1,
        "failures": [
            {
                "check": "system_honoured",
                "clause": "REQ-002",
                "level": "MODEL",
                "requirement": "r",
                "source": "s",
                "expected": "the canary PAPAYA",
                "actual": "text=hello",
            }
        ],
        "evidence": [],
    }
    header = {
        "provider": "mock",
        "model": "m",
        "msgconform_version": "0",
        "strict": False,
        "started_at": "now",
        "suite_hash": "0" * 12,
        "schema_hash": "0" * 12,
        "clauses_hash": "0" * 12,
    }
    page = render(Run(header, [case], None, Path("x/results.jsonl")))
    assert 'id="model-behaviour"' in page
    assert "text=hello" in page.split('id="model-behaviour"')[1].split("<h2>")[0]
    clean = {**case, "outcome": "PASS", "failures": []}
    assert 'id="model-behaviour"' not in render(Run(header, [clean], None, Path("x/r.jsonl")))


def test_validate_checks_the_stored_examples() -> None:
    assert list(regressions.problems()) == []
