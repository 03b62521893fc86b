"""Expectations follow the client's policy (data): attempts, wait windows, and the error a client
that does not retry a status ends with."""

from __future__ import annotations

import dataclasses

from msgconform.clients.policy import load as load_policy
from msgconform.clients.policy_outcome import expected
from msgconform.clients.scenarios import ClientScenario, load_all


def scenario(scenario_id: str) -> ClientScenario:
    return next(s for s in load_all() if s.id == scenario_id)


def test_retry_after_sets_the_wait_window() -> None:
    want = expected(scenario("rate-limited-retry-after"), load_policy("python-sdk"))
    assert (want.result, want.attempts) == ("message", 2)
    assert 1.9 < want.waits[0].low_s < 2.0 < want.waits[0].high_s


def test_a_status_the_policy_does_not_retry_is_expected_as_its_error() -> None:
    policy = dataclasses.replace(load_policy("python-sdk"), retry_statuses=(429, "5xx"))
    want = expected(scenario("conflict-409"), policy)
    assert (want.result, want.attempts, want.error) == (
        "error",
        1,
        {"status": 409, "type": "conflict_error"},
    )
    assert want.derived is not None


def test_a_hint_above_the_cap_falls_back_to_backoff() -> None:
    policy = dataclasses.replace(load_policy("httpx-example"), retry_after_max_s=1.0)
    wait = expected(scenario("rate-limited-retry-after"), policy).waits[0]
    assert wait.why.startswith("backoff")


def test_exhausted_retries_end_in_the_last_error() -> None:
    want = expected(scenario("rate-limit-exhausted"), load_policy("typescript-sdk"))
    assert (want.result, want.attempts, len(want.waits)) == ("error", 3, 2)
