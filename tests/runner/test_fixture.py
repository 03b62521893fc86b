"""The msgconform_mock fixture: switches, what the client sent, and judging it (path and clause)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from msgconform.core.errors import ConfigError
from msgconform.core.profiles import load as load_profile
from msgconform.runner.fixture import MockHandle, MockSession, start_session

BODY = {"model": "mock-sonnet", "max_tokens": 8, "messages": [{"role": "user", "content": "hi"}]}
VERSION = {"anthropic-version": "2023-06-01"}


@pytest.fixture(scope="module")
def session() -> Iterator[MockSession]:
    started = start_session(load_profile("mock"))
    yield started
    started.server.stop()


@pytest.fixture
def mock(session: MockSession) -> MockHandle:
    return MockHandle(session)


def post(mock: MockHandle, body: object, headers: dict[str, str] | None = None) -> httpx.Response:
    """With the mock's key and a known version unless `headers` says otherwise ("KEY": the key)."""
    chosen = {"x-api-key": "KEY", **VERSION} if headers is None else headers
    sent = {name: mock.key if value == "KEY" else value for name, value in chosen.items()}
    return httpx.post(f"{mock.url}/v1/messages", json=body, headers=sent, timeout=10)


def test_a_valid_request_passes_and_is_kept_without_the_key(mock: MockHandle) -> None:
    assert post(mock, BODY).status_code == 200
    mock.assert_requests_valid()
    (sent,) = mock.requests
    assert (sent.method, sent.path, sent.body) == ("POST", "/v1/messages", BODY)
    assert sent.headers["x-api-key"] == "[REDACTED]"
    assert mock.key not in repr(mock.requests)


@pytest.mark.parametrize(
    ("body", "headers", "expected"),
    [
        ({**BODY, "max_tokens": 0}, None, r"max_tokens: .*\[REQ-014\]"),
        ({k: v for k, v in BODY.items() if k != "model"}, None, r"model: .*\[REQ-015\]"),
        (BODY, VERSION, r"no API key.*\[AUTH-003\]"),
        (BODY, {**VERSION, "x-api-key": "sk-wrong-0123456789"}, r"\[AUTH-004\]"),
        (BODY, {**VERSION, "authorization": "Api-Key KEY"}, r"scheme not accepted.*\[AUTH-002\]"),
        (BODY, {"x-api-key": "KEY"}, r"anthropic-version: is required \[HDR-003\]"),
    ],
)
def test_a_bad_request_fails_with_path_and_clause(
    mock: MockHandle, body: object, headers: dict[str, str] | None, expected: str
) -> None:
    assert post(mock, body, headers).status_code >= 400  # the mock refuses it too
    with pytest.raises(pytest.fail.Exception, match=expected):
        mock.assert_requests_valid()


def test_no_request_at_all_is_not_a_pass(mock: MockHandle) -> None:
    with pytest.raises(pytest.fail.Exception, match="sent no request"):
        mock.assert_requests_valid()


def test_fault_and_scenario_apply_inside_their_block_only(mock: MockHandle) -> None:
    with mock.fault("wrong_content_type"):
        assert post(mock, BODY).headers["content-type"].startswith("text/plain")
    with mock.scenario("rate_limited", 1):
        assert [post(mock, BODY).status_code for _ in range(2)] == [429, 200]
    assert post(mock, BODY).headers["content-type"] == "application/json"
    assert "x-msgconform-fault" not in mock.requests[0].headers  # what the client sent, only
    mock.assert_requests_valid()


def test_unknown_names_are_one_line_errors(mock: MockHandle) -> None:
    with pytest.raises(ConfigError, match="unknown fault"), mock.fault("nope"):
        pass
    with pytest.raises(ConfigError, match="unknown scenario"), mock.scenario("nope"):
        pass


PROJECT_TEST = """
import httpx

def test_uses_the_fixture(msgconform_mock):
    headers = {"authorization": f"Bearer {msgconform_mock.key}", "anthropic-version": "2023-06-01"}
    body = {"model": "m", "max_tokens": 4, "messages": [{"role": "user", "content": "hi"}]}
    assert httpx.post(msgconform_mock.url + "/v1/messages", json=body, headers=headers).is_success
    msgconform_mock.assert_requests_valid()

def test_the_projects_options_stay_its_own(request):
    assert request.config.getoption("model") == request.config.getoption("base_url") == "theirs"
"""


PROJECT_CONFTEST = """
def pytest_addoption(parser):  # the project's own options, named like the suite's
    parser.addoption("--model", default="theirs")
    parser.addoption("--base-url", default="theirs")
"""


def test_the_plugin_offers_the_fixture_and_collects_nothing_unasked(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(PROJECT_CONFTEST)
    (tmp_path / "test_client.py").write_text(PROJECT_TEST)
    (tmp_path / "pytest.ini").write_text("[pytest]\nmsgconform_mock_provider = baseten\n")
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--strict-config"]
    done = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout[-2000:]
    assert "2 passed" in done.stdout  # baseten's emulation takes Bearer; no suite case collected
