"""A text-only answer to a case that forces a tool call is never a PASS of a tool check: the check
says "no tool call to judge" (graded MODEL), and passes on the clean mock's call."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tests.conftest import run_cases

from msgconform.checks.common import NO_TOOL_CALL
from msgconform.core.cases import load_all
from msgconform.core.profiles import Profile
from msgconform.core.profiles import load as load_profile
from msgconform.mock.server import MockServer

KEY = "sk-tool-call-test-0123456789abcdef"
TOOL_CASES = (
    "response_shape/SHAPE-005/tool-use-blocks-known",
    "streaming/STREAM-016/parity-tool",
)
CHECKS = {"content_blocks_known", "stream_parity", "stream_tool_input"}


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[Profile, str]]:
    profile = load_profile("mock")
    with MockServer(profile, KEY) as server:
        yield profile, server.url


def tool_cases() -> list:  # type: ignore[type-arg]
    streamed = [c for c in load_all() if any(n == "stream_tool_input" for n, _ in c.checks)]
    return [c for c in load_all() if c.test_id in TOOL_CASES] + streamed


@pytest.mark.parametrize(("fault", "passes"), [(None, True), ("forced_tool_ignored", False)])
def test_tool_checks_need_a_tool_call(
    served: tuple[Profile, str], fault: str | None, passes: bool
) -> None:
    profile, url = served
    results = run_cases(profile, KEY, url, fault, tool_cases())
    assert len(results) == len(TOOL_CASES) + 1
    for result in results:
        unjudged = [f for f in result.failures if NO_TOOL_CALL in f.actual]
        assert (result.outcome == "PASS") == passes, (result.case.test_id, result.outcome)
        if not passes:
            assert any(f.check in CHECKS and f.level == "MODEL" for f in unjudged), result.failures


FORCED_NAMED = ("stop_reason/STOP-006/forced-tool-named", "streaming/STOP-006/stop-tool-use-stream")


@pytest.mark.parametrize(("fault", "passes"), [(None, True), ("forced_tool_wrong_name", False)])
def test_a_forced_call_must_name_the_tool_json_and_stream(
    served: tuple[Profile, str], fault: str | None, passes: bool
) -> None:
    """tool_choice tool answered with a call of another tool fails STOP-006 in both modes (the
    stream case judged stop_reason alone before)."""
    profile, url = served
    cases = [c for c in load_all() if c.test_id in FORCED_NAMED]
    results = run_cases(profile, KEY, url, fault, cases)
    assert len(results) == len(FORCED_NAMED)
    for result in results:
        assert (result.outcome == "PASS") == passes, (result.case.test_id, result.failures)
        if not passes:
            wrong = [f.expected for f in result.failures if f.clause == "STOP-006"]
            assert "tool_use of get_weather" in wrong, result.failures
