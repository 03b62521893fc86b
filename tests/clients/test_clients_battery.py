"""The battery runs a scenario as the engine runs a case: a judge that crashes is the harness's
bug, graded ERROR with its reason, never a verdict on the client nor a traceback."""

from __future__ import annotations

import pytest

from msgconform.clients import battery as battery_mod
from msgconform.clients.adapter import resolve
from msgconform.clients.battery import Battery
from msgconform.clients.judge import Seen
from msgconform.clients.policy import load as load_policy
from msgconform.clients.scenarios import load_all
from msgconform.core.grading import Failure
from msgconform.core.profiles import Profile


def test_a_crashing_judge_is_an_error(
    mock_profile: Profile, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(seen: Seen) -> list[Failure]:
        raise KeyError("usage")

    monkeypatch.setattr(battery_mod, "judge", crash)
    adapter = resolve("httpx", None)
    battery = Battery(adapter, load_policy(adapter.policy), mock_profile, jobs=1)
    (result,) = battery.run([s for s in load_all() if s.id == "auth-bearer"])
    assert result.outcome == "ERROR"
    assert result.reason == "judge crashed: KeyError: 'usage'"
    assert result.requests == 1
