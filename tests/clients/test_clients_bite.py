"""The client battery bites: every scenario is failed by at least one adapter variant with one
plausible bug (tests/clients/broken_adapter.py), and the clean httpx example passes them all."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from msgconform.clients.adapter import Adapter, resolve
from msgconform.clients.battery import Battery, ScenarioResult
from msgconform.clients.policy import load as load_policy
from msgconform.clients.scenarios import load_all
from msgconform.core.profiles import Profile

BROKEN = Path(__file__).parents[1] / "clients" / "broken_adapter.py"
# Which scenarios each bug must be caught by. Kept by hand on purpose: it is the claim under test.
BITES: dict[str, tuple[str, ...]] = {
    "ignore_retry_after": ("rate-limited-retry-after", "overloaded-retry-after-ms"),
    "no_backoff": ("overloaded-backoff", "server-error-then-success", "request-timeout-408",
                   "conflict-409", "stream-rate-limited-before-bytes"),
    "no_retries": ("rate-limit-exhausted", "bad-gateway-html"),
    "retries_client_errors": ("bad-request-not-retried", "authentication-error",
                              "should-retry-false"),
    "type_from_status": ("unknown-error-type",),
    "drop_last_delta": ("text-with-pings", "ten-thousand-events"),
    "crash_on_unknown_event": ("unknown-event-type",),
    "crash_on_unknown_delta": ("unknown-delta-type",),
    "strict_enums": ("unknown-block-type", "unknown-stop-reason",
                     "json-unknown-block-and-stop-reason"),
    "lf_only": ("crlf-line-endings",),
    "event_line_first": ("comment-lines",),
    "decode_per_chunk": ("utf8-split-across-writes", "tool-json-raw-utf8-split"),
    "parse_each_fragment": ("tool-json-split-in-escape", "tool-json-empty-fragments",
                            "tool-empty-input", "tool-use-stop"),
    "ignore_signature": ("thinking-with-signature",),
    "first_block_only": ("several-blocks",),
    "usage_from_start": ("usage-completed-by-delta",),
    "swallow_stream_error": ("error-event-mid-stream",),
    "accept_truncated": ("cut-without-message-stop",),
    "retry_after_reset": ("connection-reset",),
    "short_read_timeout": ("slow-first-byte", "idle-gap"),
    "empty_on_json": ("json-body-for-stream",),
    "x_api_key_always": ("auth-bearer",),
    "bearer_always": ("auth-x-api-key",),
    "minimal_body": ("headers-and-body",),
    "retry_count_stuck": ("retry-same-body-and-count",),
    "fresh_idempotency_key": ("retry-same-body-and-count",),
}  # fmt: skip
CAUGHT = frozenset({"FAIL", "NON-STRICT"})


def battery(adapter: Adapter, profile: Profile, jobs: int = 4) -> Battery:
    return Battery(adapter, load_policy(adapter.policy), profile, jobs=jobs)


def run(adapter: Adapter, profile: Profile, ids: Iterable[str]) -> dict[str, ScenarioResult]:
    wanted = set(ids)
    chosen = [s for s in load_all() if s.id in wanted]
    return {r.scenario.id: r for r in battery(adapter, profile, jobs=3).run(chosen)}


@pytest.fixture(scope="module")
def bitten(mock_profile: Profile) -> dict[str, dict[str, ScenarioResult]]:
    def one(variant: str) -> tuple[str, dict[str, ScenarioResult]]:
        adapter = Adapter(variant, (sys.executable, str(BROKEN), variant), "httpx-example")
        return variant, run(adapter, mock_profile, BITES[variant])

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(one, BITES))


def test_every_scenario_is_claimed_by_a_variant() -> None:
    claimed = {scenario for ids in BITES.values() for scenario in ids}
    assert {s.id for s in load_all()} - claimed == set()
    assert claimed - {s.id for s in load_all()} == set()


@pytest.mark.parametrize("variant", sorted(BITES))
def test_variant_is_caught(variant: str, bitten: dict[str, dict[str, ScenarioResult]]) -> None:
    for scenario_id, result in bitten[variant].items():
        shown = [f"{f.clause}: {f.expected} / {f.actual}" for f in result.failures]
        assert result.outcome in CAUGHT, (scenario_id, result.outcome, result.reason, shown)
        assert result.failures, scenario_id


def test_clean_example_passes_every_scenario(mock_profile: Profile) -> None:
    results = battery(resolve("httpx", None), mock_profile).run(list(load_all()))
    failed = {
        r.scenario.id: (r.outcome, r.reason, [f"{f.expected} / {f.actual}" for f in r.failures])
        for r in results
        if r.outcome != "PASS"
    }
    assert failed == {}
    assert len(results) >= 30
