"""The fuzz area: clean mock passes hundreds of generated requests; faults make the checks bite;
a seed reproduces the same requests; the key never reaches a generated body."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

import msgconform.fuzz.probe as fuzz
from msgconform.core.cases import Case, load_area
from msgconform.core.errors import ConfigError
from msgconform.core.paths import SUITES
from msgconform.core.profiles import Profile
from msgconform.core.profiles import load as load_profile
from msgconform.mock.server import MockServer
from msgconform.runner.engine import CaseResult, Engine
from msgconform.transport.session import Session

KEY = "sk-fuzz-test-0123456789abcdef"
CASES = {case.id: case for case in load_area(SUITES / "fuzz" / "cases.yaml")}


@pytest.fixture(scope="module")
def profile() -> Profile:
    return load_profile("mock")


@pytest.fixture(scope="module")
def url(profile: Profile) -> Iterator[str]:
    with MockServer(profile, KEY) as server:
        yield server.url


def run(
    profile: Profile, url: str, case_id: str, fault: str | None = None, **params: Any
) -> CaseResult:
    case: Case = replace(CASES[case_id], probe_params={**CASES[case_id].probe_params, **params})
    headers = {"x-msgconform-fault": fault} if fault else None
    session = Session(profile, KEY, url, extra_headers=headers)
    try:
        return Engine(profile, session).run_case(case)
    finally:
        session.close()


@pytest.fixture(scope="module")
def clean(profile: Profile, url: str) -> dict[str, CaseResult]:
    sizes = {"positive-messages": 100, "negative-messages": 100}
    return {
        case_id: run(profile, url, case_id, seed=11, examples=sizes.get(case_id, 25))
        for case_id in CASES
    }


@pytest.mark.parametrize("case_id", sorted(CASES))
def test_clean_mock_passes(clean: dict[str, CaseResult], case_id: str) -> None:
    result = clean[case_id]
    assert result.outcome == "PASS", [f.text() for f in result.failures]
    assert result.exchanges.notes["seed"] == 11
    assert result.exchanges.notes["sent"] >= 15


def test_hundreds_of_examples_in_total(clean: dict[str, CaseResult]) -> None:
    assert sum(r.exchanges.notes["sent"] for r in clean.values()) >= 200


def test_key_never_in_a_generated_body(clean: dict[str, CaseResult]) -> None:
    bodies = [e.raw_request_body or b"" for r in clean.values() for e in r.exchanges.values()]
    assert bodies
    assert not [b for b in bodies if KEY.encode() in b]


@pytest.mark.parametrize(
    ("fault", "case_id", "seed", "checks", "status"),
    [
        ("reject_valid_request", "positive-messages", 5, {"fuzz_positive_accepted"}, 400),
        (
            "client_error_as_500",
            "negative-messages",
            5,
            {"fuzz_negative_rejected", "fuzz_no_server_error"},
            500,
        ),
        # Seed 1 reaches an unknown block type early (the fault then answers 200).
        ("accept_unknown_block_type", "negative-messages", 1, {"fuzz_negative_rejected"}, 200),
    ],
)
def test_fault_makes_check_fail(
    profile: Profile, url: str, fault: str, case_id: str, seed: int, checks: set[str], status: int
) -> None:
    result = run(profile, url, case_id, fault, seed=seed, examples=200, shrink_requests=10)
    assert result.outcome == "FAIL"
    assert checks <= {f.check for f in result.failures}
    assert result.exchanges["fuzz:minimal"].status == status
    shown = result.failures[0]
    assert shown.exchange == "fuzz:minimal"
    assert f"seed {seed}" in shown.actual
    assert "curl " in shown.actual
    assert KEY not in shown.actual


def test_shrinking_gives_a_smaller_example(profile: Profile, url: str) -> None:
    result = run(
        profile, url, "positive-messages", "reject_valid_request", seed=5, shrink_requests=10
    )
    minimal = result.exchanges["fuzz:minimal"].raw_request_body or b""
    first = next(
        e for label, e in result.exchanges.items() if e.status == 400 and label != "fuzz:minimal"
    )
    assert b'"metadata"' in minimal
    assert len(minimal) <= len(first.raw_request_body or b"")


def test_same_seed_same_requests(profile: Profile, url: str) -> None:
    def bodies() -> list[bytes | None]:
        result = run(profile, url, "negative-messages", seed=99, examples=30)
        return [e.raw_request_body for e in result.exchanges.values()]

    first = bodies()
    assert len(first) >= 10
    assert bodies() == first


def test_seed_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(fuzz.SEED_ENV, "1234")
    assert fuzz.run_seed(CASES["positive-messages"]) == 1234
    monkeypatch.setenv(fuzz.SEED_ENV, "soon")
    with pytest.raises(ConfigError):
        fuzz.run_seed(CASES["positive-messages"])


def test_bounded_view_keeps_responses_whole(profile: Profile) -> None:
    from msgconform.contract.document import Contract

    document = fuzz.fuzz_document(Contract.load(profile.anthropic_version).openapi)
    schemas = document["components"]["schemas"]
    assert "maxItems" not in schemas["Message"]["properties"]["content"]
    assert (
        schemas["Fuzz_MessageCreateParams"]["properties"]["messages"]["maxItems"] == fuzz.MAX_ITEMS
    )
    assert "parameters" not in document["paths"]["/v1/messages"]["post"]
