"""`msgconform_mock`: the real mock for a client library's own tests, shipped with the package.

    def test_create(msgconform_mock):
        client = anthropic.Anthropic(base_url=msgconform_mock.url, api_key=msgconform_mock.key)
        client.messages.create(model="mock-sonnet", max_tokens=16, messages=[...])
        msgconform_mock.assert_requests_valid()

The mock starts once per test session on a free loopback port, emulating the profile named by
the ini option `msgconform_mock_provider` (default: mock; a profile name or a profile.yaml path,
e.g. `-o msgconform_mock_provider=baseten`). Each test sees only its own requests.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

from msgconform.core import profile_files, profiles
from msgconform.core.errors import ConfigError
from msgconform.core.profiles import Profile
from msgconform.mock import scenarios
from msgconform.mock.faults import FAULTS
from msgconform.mock.recorder import Judge, Recorder, SentRequest
from msgconform.mock.server import MockServer

INI_PROVIDER = "msgconform_mock_provider"
FAULT_HEADER = "x-msgconform-fault"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(INI_PROVIDER, "profile the msgconform_mock fixture emulates", default="mock")


@dataclass(frozen=True)
class MockSession:
    """The mock of one test session: started once, shared by every test that asks for it."""

    server: MockServer
    recorder: Recorder
    judge: Judge
    profile: Profile
    key: str


class MockHandle:
    """What a test gets: where the mock is, its key, switches, and what the client sent."""

    def __init__(self, session: MockSession) -> None:
        self.url, self.key, self.profile = session.server.url, session.key, session.profile
        self._recorder, self._judge = session.recorder, session.judge
        self._first = len(session.recorder.sent)

    @property
    def requests(self) -> list[SentRequest]:
        """Requests of this test, in order: method, path, query, headers (key redacted), body."""
        return self._recorder.sent[self._first :]

    @contextmanager
    def fault(self, name: str) -> Iterator[None]:
        """Every request in the block meets this named fault (`msgconform mock --list-faults`)."""
        if name not in FAULTS:
            raise ConfigError(f"fault({name!r})", "unknown fault", "msgconform mock --list-faults")
        with self._header(FAULT_HEADER, name):
            yield

    @contextmanager
    def scenario(self, name: str, arg: str | float | None = None) -> Iterator[None]:
        """rate_limited / overloaded (arg N: only the first N requests), stream_error,
        slow_first_byte (arg seconds), long_stream (arg words), for every request in the block."""
        if name not in scenarios.NAMES:
            raise ConfigError(f"scenario({name!r})", "unknown scenario", " ".join(scenarios.NAMES))
        # A fresh tag per block: "only the first N" counts from this block, not the session.
        value = name if arg is None else f"{name}:{arg}:{secrets.token_hex(4)}"
        with self._header(scenarios.HEADER, value):
            yield

    @contextmanager
    def _header(self, name: str, value: str) -> Iterator[None]:
        extra = self._recorder.extra_headers
        if name in extra:
            raise ConfigError(name, "already set by an enclosing block", "one at a time")
        extra[name] = value
        try:
            yield
        finally:
            extra.pop(name, None)

    def assert_requests_valid(self) -> None:
        """Fail the test, naming each JSON path and clause, if the client sent a bad request."""
        sent = self.requests
        if not sent:
            pytest.fail("msgconform_mock: the client sent no request", pytrace=False)
        problems = [p for i, one in enumerate(sent) for p in self._judge.problems(i, one)]
        if problems:
            lines = "\n".join(f"  {p}" for p in problems)
            pytest.fail(f"the client sent what the contract rejects:\n{lines}", pytrace=False)


def start_session(profile: Profile) -> MockSession:
    key = "sk-mock-" + secrets.token_hex(16)
    server = MockServer(profile, key)
    recorder = Recorder(server.app, key)
    server.app = recorder  # the server serves whatever ASGI app it holds when started
    return MockSession(server.start(), recorder, Judge(profile), profile, key)


def chosen_profile(config: pytest.Config) -> Profile:
    chosen = str(config.getini(INI_PROVIDER) or "mock")
    if profile_files.looks_like_path(chosen):  # relative to the ini file, not the cwd
        chosen = str(config.rootpath / chosen)
    try:
        return profiles.load(chosen)
    except ConfigError as exc:
        raise pytest.UsageError(f"{INI_PROVIDER}: {exc.line()}") from None


@pytest.fixture(scope="session")
def _msgconform_mock_session(pytestconfig: pytest.Config) -> Iterator[MockSession]:
    session = start_session(chosen_profile(pytestconfig))
    try:
        yield session
    finally:
        session.server.stop()


@pytest.fixture
def msgconform_mock(_msgconform_mock_session: MockSession) -> Iterator[MockHandle]:
    yield MockHandle(_msgconform_mock_session)
    _msgconform_mock_session.recorder.extra_headers.clear()
