"""Shared fixtures for the harness self-tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from msgconform.checks.base import FuzzNotes
from msgconform.core import limits
from msgconform.core.cases import Case
from msgconform.core.profiles import Profile
from msgconform.core.profiles import load as load_profile
from msgconform.mock.server import MockServer
from msgconform.runner.engine import CaseResult, Engine
from msgconform.transport.client import Deadlines
from msgconform.transport.session import Session

MOCK_KEY = "sk-mock-test-0123456789abcdef"
# Short deadlines, so a fault that hangs costs the self-tests half a second, not the profile's 30 s.
FAST = Deadlines(connect=1.0, first_byte=1.0, idle=0.5, total=3.0, close_after_stop=0.3)


def fuzz_notes(result: CaseResult) -> FuzzNotes:
    """The fuzz probe's notes on a case's context (seed, counts, rerun)."""
    assert result.context is not None, f"{result.case.test_id}: {result.outcome} {result.reason}"
    assert result.context.fuzz is not None, f"{result.case.test_id}: no fuzz notes"
    return result.context.fuzz


def run_cases(
    profile: Profile, key: str, url: str, fault: str | None, cases: list[Case]
) -> list[CaseResult]:
    """The cases through the real engine against a mock on `url`, every request under `fault`;
    unpaced, as `msgconform run` leaves the bundled mock (a live profile's rate, Baseten's 0.25
    requests/s, would make each case wait seconds for nothing)."""
    profile = limits.apply(profile, limits.effective(profile, {}, to_mock=True))
    headers = {"x-msgconform-fault": fault} if fault else None
    session = Session(profile, key, url, extra_headers=headers, deadlines=FAST)
    try:
        engine = Engine(profile, session)
        return [engine.run_case(case) for case in cases]
    finally:
        session.close()


@pytest.fixture(scope="session")
def mock_profile() -> Profile:
    return load_profile("mock")


@pytest.fixture(scope="session")
def mock_server(mock_profile: Profile) -> Iterator[MockServer]:
    """The clean mock (profile "mock") on a loopback port, shared by the whole session."""
    with MockServer(mock_profile, MOCK_KEY) as server:
        yield server


@pytest.fixture(scope="session")
def provider_mock() -> Iterator[Callable[[str], MockServer]]:
    """Start (once per session) the mock emulating a named provider profile."""
    servers: dict[str, MockServer] = {}

    def start(name: str) -> MockServer:
        if name not in servers:
            servers[name] = MockServer(load_profile(name), MOCK_KEY).start()
        return servers[name]

    yield start
    for server in servers.values():
        server.stop()


@pytest.fixture
def mock_client(mock_server: MockServer) -> Iterator[httpx.Client]:
    """httpx against the clean mock with the key and version set."""
    headers = {"x-api-key": MOCK_KEY, "anthropic-version": "2023-06-01"}
    with httpx.Client(base_url=mock_server.url, headers=headers, timeout=10) as client:
        yield client
