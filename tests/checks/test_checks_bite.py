"""Every check can fail: each fault makes a check citing its clauses fail; the clean mock and every
legal variant pass. Runs the engine in-process against the real mock server on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.conftest import run_cases

from msgconform.checks import REGISTRY, invariants
from msgconform.checks.connection import NOTICE_CLAUSES
from msgconform.core import clauses, profiles
from msgconform.core.cases import Case, load_all
from msgconform.core.profiles import Profile
from msgconform.core.profiles import load as load_profile
from msgconform.mock.faults import FAULTS
from msgconform.mock.faults import lenient as faults_lenient
from msgconform.mock.server import MockServer
from msgconform.report import findings
from msgconform.runner.engine import CaseResult

KEY = "sk-bite-test-0123456789abcdef"
# Short deadlines so hang and drip faults cost well under a second each.
# Faults only the invariants can catch are proven in tests/checks/test_invariants.py.
# Faults that break only a clause the notices judge (checks/connection.py, e.g. a keep-alive
# connection closed unannounced): every case keeps the clean mock's outcome; the run has a finding.
NOTICED = sorted(
    name for name, f in FAULTS.items() if f.clauses and set(f.clauses) <= set(NOTICE_CLAUSES)
)
BAD = sorted(
    name
    for name, fault in FAULTS.items()
    if not fault.legal and not fault.invariant_only and name not in NOTICED
)
# Lenient variants serve what breaks an inferred rule or a SHOULD: NON-STRICT there, never FAIL.
LENIENT = sorted(fault.name for fault in faults_lenient.FAULTS)
LEGAL = sorted(name for name, fault in FAULTS.items() if fault.legal and name not in LENIENT)
FAILING = ("FAIL", "NON-STRICT", "XPASS")


@pytest.fixture(scope="module")
def profile() -> Profile:
    # A handful of generated requests is enough to show the fuzz checks bite;
    # tests/fuzz/test_fuzz.py runs hundreds against the clean mock.
    mock = load_profile("mock")
    limits = {**mock.raw["limits"], "fuzz_examples": 8}
    return profiles.from_data({**mock.raw, "limits": limits}, {})


@pytest.fixture(scope="module")
def server_url(profile: Profile) -> Iterator[str]:
    with MockServer(profile, KEY) as server:
        yield server.url


def run_suite(profile: Profile, url: str, fault: str | None, cases: list[Case]) -> list[CaseResult]:
    return run_cases(profile, KEY, url, fault, cases)


def cases_that_could_catch(fault: str) -> list[Case]:
    broken = set(FAULTS[fault].clauses)
    return [
        case
        for case in load_all()
        if any(broken & set(REGISTRY[name].clauses) for name, _ in case.checks)
    ]


@pytest.fixture(scope="module")
def fault_runs(profile: Profile, server_url: str) -> dict[str, list[CaseResult]]:
    # An invariant's breach stands in for a case check's failure on the same exchange; here every
    # check's own failure is kept, so each is shown to bite by itself.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(invariants, "explained", lambda *_: False)
        return {f: run_suite(profile, server_url, f, cases_that_could_catch(f)) for f in BAD}


def failed_clauses(results: list[CaseResult]) -> set[str]:
    return {f.clause for r in results for f in r.failures}


def describe(results: list[CaseResult]) -> str:
    bad = [r for r in results if r.outcome not in ("PASS", "SKIP")]
    return "\n".join(
        f"{r.case.test_id}: {r.outcome} {r.reason or ''} "
        + "; ".join(f"{f.check}/{f.clause}: {f.actual[:160]}" for f in r.failures)
        for r in bad
    )


@pytest.fixture(scope="module")
def clean_results(profile: Profile, server_url: str) -> list[CaseResult]:
    return run_suite(profile, server_url, None, load_all())


def test_clean_mock_passes_every_case(clean_results: list[CaseResult]) -> None:
    assert clean_results, "no cases loaded"
    assert all(r.outcome in ("PASS", "SKIP") for r in clean_results), describe(clean_results)
    assert findings.of_results(clean_results) == []


@pytest.mark.parametrize("fault", NOTICED)
def test_noticed_fault_is_a_finding_that_changes_no_outcome(
    profile: Profile, server_url: str, clean_results: list[CaseResult], fault: str
) -> None:
    results = run_suite(profile, server_url, fault, load_all())
    outcomes = {r.case.test_id: r.outcome for r in results}
    assert outcomes == {r.case.test_id: r.outcome for r in clean_results}, describe(results)
    (found,) = findings.of_results(results)
    assert found.clause in FAULTS[fault].clauses
    assert found.level == "SHOULD"
    assert all(not r.failures for r in results if r.outcome == "PASS")


@pytest.mark.parametrize("variant", LEGAL)
def test_legal_variant_passes_every_case(profile: Profile, server_url: str, variant: str) -> None:
    results = run_suite(profile, server_url, variant, load_all())
    assert all(r.outcome in ("PASS", "SKIP") for r in results), describe(results)
    assert findings.of_results(results) == []  # nor a notice: a close announced is no finding


@pytest.mark.parametrize("variant", LENIENT)
def test_lenient_variant_is_never_a_fail(profile: Profile, server_url: str, variant: str) -> None:
    results = run_suite(profile, server_url, variant, load_all())
    assert all(r.outcome in ("PASS", "SKIP", "NON-STRICT") for r in results), describe(results)
    graded = [f for r in results for f in r.failures]
    assert graded, "the lenient variant served nothing the suite calls lenient"
    for failure in graded:
        clause = clauses.get(failure.clause)
        assert failure.level == "SHOULD", failure.text()
        assert (clause.level, clause.level_basis) != ("MUST", "stated"), failure.text()


@pytest.mark.parametrize("fault", BAD)
def test_fault_is_caught_by_a_check_citing_its_clauses(
    fault_runs: dict[str, list[CaseResult]], fault: str
) -> None:
    results = fault_runs[fault]
    assert results, f"no case has a check citing {FAULTS[fault].clauses}"
    caught = failed_clauses(results) & set(FAULTS[fault].clauses)
    assert caught, (
        f"{fault} breaks {FAULTS[fault].clauses} but no check citing them failed:\n"
        + describe(results)
    )


def test_every_check_fails_under_some_fault(fault_runs: dict[str, list[CaseResult]]) -> None:
    bitten = {f.check for results in fault_runs.values() for r in results for f in r.failures}
    never = sorted(set(REGISTRY) - bitten)
    assert not never, f"checks no fault makes fail (a check that cannot fail is a defect): {never}"
