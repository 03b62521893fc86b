"""The invariants judge every exchange: faults that break one kind of exchange only are caught in
cases not written for them, each invariant bites, a case opts out with a reason, and a fault seen in
many cases is one finding. The clean mock and its legal variants:
tests/checks/test_checks_bite.py."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from tests.conftest import run_cases

from msgconform import cli
from msgconform.checks import REGISTRY
from msgconform.checks.invariants import INVARIANTS, asked_to_stream
from msgconform.core import profiles
from msgconform.core.cases import Case, load_all
from msgconform.core.errors import ConfigError
from msgconform.core.profiles import Profile
from msgconform.core.profiles import load as load_profile
from msgconform.mock.faults import FAULTS
from msgconform.mock.server import MockServer
from msgconform.report import findings
from msgconform.runner.engine import CaseResult

KEY = "sk-invariant-test-0123456789abcdef"
ONLY_INVARIANTS_CATCH = sorted(n for n, f in FAULTS.items() if f.invariant_only)
# One fault per invariant, each breaking what that invariant judges.
BITES = {
    "error_envelope": "not_found_without_envelope",
    "error_type_matches_status": "typed_fields_422_api_error",
    "client_mistake_not_5xx": "client_error_as_500",
    "request_id": "missing_request_id",
    "content_type": "tool_streams_text_plain",
    "message_schema": "garbage_body",
    "stop_reason_in_enum": "unknown_stop_reason",
    "stop_sequence_consistent": "stop_sequence_end_turn",
    "stream_grammar": "drop_message_stop",
    "stream_completes": "hang_every_stream",
}
FaultRun = Callable[[str], list[CaseResult]]


@pytest.fixture(scope="module")
def profile() -> Profile:
    mock = load_profile("mock")
    return profiles.from_data(
        {**mock.raw, "limits": {**mock.raw["limits"], "fuzz_examples": 8}}, {}
    )


@pytest.fixture(scope="module")
def server_url(profile: Profile) -> Iterator[str]:
    with MockServer(profile, KEY) as server:
        yield server.url


def run(profile: Profile, url: str, fault: str | None, cases: list[Case]) -> list[CaseResult]:
    return run_cases(profile, KEY, url, fault, cases)


@pytest.fixture(scope="module")
def fault_run(profile: Profile, server_url: str) -> FaultRun:
    """The cases that are not generated, under one fault; each fault's run is made once."""
    made: dict[str, list[CaseResult]] = {}

    def results(fault: str) -> list[CaseResult]:
        if fault not in made:
            made[fault] = run(profile, server_url, fault, not_generated())
        return made[fault]

    return results


def not_generated() -> list[Case]:
    return [c for c in load_all() if c.probe != "fuzz"]


def cites(case: Case, clauses: tuple[str, ...]) -> bool:
    return any(set(clauses) & set(REGISTRY[name].clauses) for name, _ in case.checks)


@pytest.mark.parametrize("fault", ONLY_INVARIANTS_CATCH)
def test_fault_is_caught_in_cases_not_written_for_it(fault_run: FaultRun, fault: str) -> None:
    clauses = FAULTS[fault].clauses
    results = fault_run(fault)
    caught = [
        r.case.test_id
        for r in results
        if not cites(r.case, clauses)
        and r.outcome == "FAIL"
        and any(f.check.startswith("invariant:") and f.clause in clauses for f in r.failures)
    ]
    assert caught, f"{fault}: no invariant failed outside the cases citing {clauses}"


def test_wrongly_typed_fields_answered_422_api_error_fail_with_an_err002_finding(
    fault_run: FaultRun,
) -> None:
    results = fault_run("typed_fields_422_api_error")
    found = findings.of_results(results)
    err002 = [f for f in found if f.clause == "ERR-002" and f.level == "MUST"]
    assert err002, [f.first_line() for f in found]
    assert all(o.outcome == "FAIL" for o in err002[0].occurrences)


def test_generated_exchanges_are_judged_too(profile: Profile, server_url: str) -> None:
    negative = [
        dataclasses.replace(c, probe_params={**c.probe_params, "seed": 1})
        for c in load_all()
        if c.test_id == "fuzz/REQ-014/negative-messages"
    ]
    generous = profiles.from_data(
        {**profile.raw, "limits": {**profile.raw["limits"], "fuzz_examples": 20}}, {}
    )
    (result,) = run(generous, server_url, "typed_fields_422_api_error", negative)
    assert any(f.check == "invariant:error_type_matches_status" for f in result.failures)


def test_stream_ignored_is_one_finding_with_every_stream_case(
    profile: Profile, server_url: str
) -> None:
    results = run(profile, server_url, "stream_answered_json", load_all())
    found = findings.of_results(results)
    assert len(found) == 1, [f.first_line() for f in found]
    streamed = {
        r.case.test_id for r in results if any(asked_to_stream(e) for e in r.exchanges.values())
    }
    assert len(streamed) > 20
    assert set(found[0].cases) == streamed
    assert found[0].clause == "STREAM-001"


def test_every_invariant_is_listed_with_a_fault_that_bites() -> None:
    assert set(BITES) == set(INVARIANTS)


@pytest.mark.parametrize(("name", "fault"), sorted(BITES.items()))
def test_every_invariant_bites(fault_run: FaultRun, name: str, fault: str) -> None:
    results = fault_run(fault)
    assert any(f.check == f"invariant:{name}" for r in results for f in r.failures), name


def test_request_id_is_a_should_never_a_fail(fault_run: FaultRun) -> None:
    results = fault_run("missing_request_id")
    outcomes = {r.outcome for r in results}
    assert "NON-STRICT" in outcomes
    assert "FAIL" not in outcomes


def one_case(test_id: str) -> Case:
    return next(c for c in load_all() if c.test_id == test_id)


def test_a_case_opts_out_with_a_reason(profile: Profile, server_url: str) -> None:
    case = one_case("request/REQ-014/max-tokens-string")
    off = dataclasses.replace(
        case, invariants_off={"error_type_matches_status": "provokes a 422 on purpose"}
    )
    (judged, waived) = run(profile, server_url, "typed_fields_422_api_error", [case, off])
    assert judged.outcome == "FAIL"
    assert waived.outcome == "PASS"


def test_an_unknown_invariant_is_a_config_error(profile: Profile, server_url: str) -> None:
    case = dataclasses.replace(
        one_case("request/REQ-014/max-tokens-string"),
        invariants_off={"no_such_invariant": "a typo in the YAML"},
    )
    with pytest.raises(ConfigError, match="no_such_invariant"):
        run(profile, server_url, None, [case])


def test_the_cli_summary_prints_the_findings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["run", "--provider", "mock", "--only", "streaming", "--mock-fault",
            "stream_answered_json", "--out", str(tmp_path), "-q"]  # fmt: skip
    assert cli.main(argv) == 1
    out = capsys.readouterr().out
    assert "msgconform: 1 distinct finding (" in out
    assert "  1. [STREAM-001 MUST]" in out
