"""What a client that follows its policy ends with, for one scenario: derived, not hand-kept.

The scenario's script says what the mock answers on each attempt; the policy says which of those
answers the client retries and how long it waits first. Walking the script with the policy gives
the attempts, the wait window before each retry, and the result (the scenario's `expect`, or the
error of the answer where the policy stops early)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from msgconform.clients.policy import Policy
from msgconform.clients.scenarios import ClientScenario

# Waits are measured by the mock: from the end of one response to the next request. The floor
# allows for clock granularity; the ceiling for a loaded 2-core machine starting processes.
WAIT_FLOOR_SLACK_S = 0.05
WAIT_CEILING_SLACK_S = 2.0
MAX_SIMULATED = 20


@dataclass(frozen=True)
class Wait:
    low_s: float
    high_s: float
    why: str


@dataclass
class Expected:
    result: str  # message | error | error-or-message
    attempts: int | None  # None: not judged (the policy retries after a stream started)
    waits: list[Wait] = field(default_factory=list)
    error: dict[str, Any] = field(default_factory=dict)
    derived: str | None = None  # why the result differs from the scenario's own `expect`


def expected(scenario: ClientScenario, policy: Policy) -> Expected:
    waits: list[Wait] = []
    for attempt in range(MAX_SIMULATED):
        step = scenario.serve[min(attempt, len(scenario.serve) - 1)]
        if "error" not in step:
            return on_reply(scenario, policy, attempt + 1, waits, step.get("reply") or {})
        spec = step["error"]
        headers = {str(k).lower(): str(v) for k, v in (spec.get("headers") or {}).items()}
        status = int(spec["status"])
        if attempt < policy.max_retries and policy.retries_status(status, headers):
            waits.append(wait_for(policy, headers, attempt))
            continue
        return on_error(scenario, attempt + 1, waits, spec, status)
    raise AssertionError(f"{scenario.id}: the script never ends")  # the schema forbids it


def on_reply(
    scenario: ClientScenario, policy: Policy, attempts: int, waits: list[Wait], wire: dict[str, Any]
) -> Expected:
    broken_mid_stream = any(k in wire for k in ("reset_after", "error_after", "cut_after"))
    judged = None if broken_mid_stream and policy.retries_after_stream_start else attempts
    return Expected(
        str(scenario.expect["result"]), judged, waits, dict(scenario.expect.get("error") or {})
    )


def on_error(
    scenario: ClientScenario, attempts: int, waits: list[Wait], spec: dict[str, Any], status: int
) -> Expected:
    if scenario.expect["result"] == "error":
        return Expected("error", attempts, waits, dict(scenario.expect.get("error") or {}))
    error: dict[str, Any] = {"status": status}
    if "body" not in spec:  # a raw body has no error type to pass on
        error["type"] = spec.get("type", "api_error")
    why = f"its policy does not retry {status} here, so the {status} error is expected"
    return Expected("error", attempts, waits, error, why)


def wait_for(policy: Policy, headers: dict[str, str], retries_taken: int) -> Wait:
    hint = policy.hint_s(headers)
    if hint is not None:
        return Wait(
            hint - WAIT_FLOOR_SLACK_S, hint + WAIT_CEILING_SLACK_S, f"the server's hint {hint:g}s"
        )
    low, high = policy.backoff_window(retries_taken)
    return Wait(
        max(0.0, low - WAIT_FLOOR_SLACK_S),
        high + WAIT_CEILING_SLACK_S,
        f"backoff {low:.3g}-{high:.3g}s",
    )
