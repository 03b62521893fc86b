"""A feature probe the profile's contract rejects, served with a correct 200, is graded by the one
leniency rule (core/grading.served_level) as a fixed case is: NON-STRICT for an inferred clause,
never the map's own verdict; a broken answer stays a FAIL. Against the real mock on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.conftest import run_cases

from msgconform.core import clauses, profiles
from msgconform.core.cases import Case, load_all
from msgconform.core.grading import served_level
from msgconform.core.profiles import Profile
from msgconform.core.profiles import load as load_profile
from msgconform.mock.server import MockServer
from msgconform.runner.engine import CaseResult

KEY = "sk-feature-leniency-0123456789ab"
FEATURES = [c for c in load_all() if c.area == "features"]
# Cortecs' contract takes top_k only as null and has no tool_choice none; the mock serves both.
NARROWED = [c for c in FEATURES if c.probe_params["feature"] in ("top-k", "tool-choice-none")]


@pytest.fixture(scope="module")
def mock() -> Profile:
    return load_profile("mock")


@pytest.fixture(scope="module")
def narrowed(mock: Profile) -> Profile:
    """The mock's profile judged by Cortecs' contract: the mock (the upstream contract) is more
    lenient than the contract it is judged by."""
    contract = {**mock.raw["contract"], "overlay": "cortecs"}
    return profiles.from_data({**mock.raw, "contract": contract}, {})


@pytest.fixture(scope="module")
def url(mock: Profile) -> Iterator[str]:
    with MockServer(mock, KEY) as server:
        yield server.url


def run(profile: Profile, url: str, fault: str | None, cases: list[Case]) -> list[CaseResult]:
    return run_cases(profile, KEY, url, fault, cases)


@pytest.mark.parametrize("fault", [None, "lenient_request_rules"])
def test_a_probe_the_contract_rejects_served_correctly_is_graded_as_leniency(
    narrowed: Profile, url: str, fault: str | None
) -> None:
    results = run(narrowed, url, fault, NARROWED)
    assert len(results) >= 2
    for result in results:
        assert result.outcome == "NON-STRICT", [f.text() for f in result.failures]
        (failure,) = result.failures
        rule = clauses.get(failure.clause)
        assert failure.clause == "REQ-014"
        assert failure.level == served_level(rule.level, rule.level_basis) == "SHOULD"
        assert failure.actual.startswith("lenient:")
        note = result.context.feature if result.context else None
        assert note is not None
        assert (note.klass, note.declared) == ("supported", False)


def test_the_same_probe_by_the_contract_that_accepts_it_passes(mock: Profile, url: str) -> None:
    assert {r.outcome for r in run(mock, url, None, NARROWED)} == {"PASS"}


def test_a_wrong_answer_to_a_probe_the_contract_rejects_stays_a_fail(
    narrowed: Profile, url: str
) -> None:
    (result,) = run(narrowed, url, "unknown_stop_reason", NARROWED[:1])
    assert result.outcome == "FAIL", [f.text() for f in result.failures]
    assert "REQ-014" not in {f.clause for f in result.failures}  # not leniency: a broken answer


def test_the_feature_map_against_the_lenient_variant_has_no_fail(mock: Profile, url: str) -> None:
    results = run(mock, url, "lenient_request_rules", FEATURES)
    assert all(r.outcome in ("PASS", "SKIP", "NON-STRICT") for r in results), [
        (r.case.id, r.outcome, r.reason, [f.text() for f in r.failures])
        for r in results
        if r.outcome not in ("PASS", "SKIP", "NON-STRICT")
    ]
