"""A profile's documented error form (`contract.error_body`): the mock answers in it, the error
checks grade it as the provider documents it, and they still bite on anything else."""

from __future__ import annotations

from collections.abc import Iterator

import anthropic
import httpx
import pytest
from tests.conftest import MOCK_KEY, run_cases

from msgconform.core import profiles
from msgconform.core.cases import Case, load_all, select
from msgconform.core.profiles import Profile
from msgconform.core.profiles import load as load_profile
from msgconform.mock.server import MockServer
from msgconform.runner.engine import CaseResult

KEY = "sk-error-body-test-0123456789ab"
# Cases that judge error answers: the errors area, refusals that name a field, auth refusals.
ERROR_CASES = ("errors", "request/REQ-015", "request/REQ-012", "auth/AUTH-003", "auth/AUTH-004")


@pytest.fixture(scope="module")
def baseten() -> Profile:
    return load_profile("baseten")


@pytest.fixture(scope="module")
def baseten_url(baseten: Profile) -> Iterator[str]:
    with MockServer(baseten, KEY) as server:
        yield server.url


def error_cases() -> list[Case]:
    return select(load_all(), ERROR_CASES)


def outcomes(results: list[CaseResult]) -> dict[str, str]:
    return {r.case.test_id: r.outcome for r in results}


def test_baseten_declares_the_message_only_form(baseten: Profile) -> None:
    assert baseten.contract.message_only_errors
    assert not load_profile("mock").contract.message_only_errors


def test_the_mock_answers_a_message_only_profile_in_that_form(baseten_url: str) -> None:
    answer = httpx.get(f"{baseten_url}/v1/nowhere", headers={"authorization": f"Bearer {KEY}"})
    assert answer.status_code == 404
    assert set(answer.json()) == {"error"}
    assert isinstance(answer.json()["error"], str)


def test_the_official_sdk_classes_the_documented_form_by_its_status(baseten_url: str) -> None:
    """Why the form is graded as documented: the client still raises the right error."""
    sdk = anthropic.Anthropic(api_key="sk-wrong-key", base_url=baseten_url, max_retries=0)
    with sdk, pytest.raises(anthropic.AuthenticationError) as raised:
        sdk.messages.create(model="m", max_tokens=4, messages=[{"role": "user", "content": "hi"}])
    assert isinstance(raised.value.body, dict)
    assert isinstance(raised.value.body["error"], str)


def test_the_documented_form_passes_every_error_case(baseten: Profile, baseten_url: str) -> None:
    results = run_cases(baseten, KEY, baseten_url, None, error_cases())
    assert results
    bad = {k: v for k, v in outcomes(results).items() if v not in ("PASS", "SKIP", "NON-STRICT")}
    assert not bad, bad


@pytest.mark.parametrize("fault", ["html_body", "openai_error_shape"])
def test_a_form_the_provider_does_not_document_fails_err_001(
    baseten: Profile, baseten_url: str, fault: str
) -> None:
    results = run_cases(baseten, KEY, baseten_url, fault, error_cases())
    failed = {f.clause for r in results if r.outcome == "FAIL" for f in r.failures}
    assert "ERR-001" in failed


def test_the_upstream_envelope_still_passes_a_message_only_profile(baseten: Profile) -> None:
    """Lenient: a Baseten that answers in the Anthropic envelope after all is not broken."""
    enveloped = profiles.from_data(
        {**baseten.raw, "contract": {**baseten.raw["contract"], "error_body": "anthropic"}}, {}
    )
    with MockServer(enveloped, KEY) as server:
        results = run_cases(baseten, KEY, server.url, None, error_cases())
    assert all(r.outcome in ("PASS", "SKIP", "NON-STRICT") for r in results), outcomes(results)


def test_the_message_only_form_fails_a_profile_that_does_not_declare_it(
    mock_profile: Profile, mock_server: MockServer
) -> None:
    cases = [c for c in load_all() if c.test_id.startswith("errors/ERR-006")]
    results = run_cases(mock_profile, MOCK_KEY, mock_server.url, "message_only_error", cases)
    assert results
    assert {f.clause for r in results for f in r.failures} >= {"ERR-001"}
