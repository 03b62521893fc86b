"""What a run will cost before it is sent: requests and the most output tokens they may bill."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from msgconform.core.cases import Case, materialize
from msgconform.core.profiles import Profile
from msgconform.runner.engine import skip_reason

SMOKE_REQUESTS = 2


@dataclass
class Plan:
    cases: int = 0
    skipped: int = 0
    requests: int = SMOKE_REQUESTS
    output_tokens: int = 0


def requests_of(case: Case, profile: Profile, deep: bool = False) -> int:
    """An upper estimate per probe (fuzz: examples plus shrinking; `--explore deep` sends as many
    again to a negative case)."""
    mode = case.probe_params.get("mode")
    if case.probe == "feature":  # the feature's request, and a baseline when counts judge it
        return 2 if case.probe_params.get("baseline") else 1
    if case.probe == "fuzz":
        examples = int(case.probe_params.get("examples", profile.limits.fuzz_examples))
        if deep and mode == "negative":
            examples *= 2
        return examples + profile.limits.fuzz_shrink_requests
    if case.probe == "auth" and mode == "accepted":
        return len(profile.accepted_schemes)
    if case.probe == "auth" and mode == "rejected":
        return len(profile.rejected_schemes)
    if case.probe == "auth" and mode in ("endpoints", "conflict"):
        return 3 if mode == "endpoints" else 2
    return {
        "stream_and_json": 2,
        "tool_round_trip": 2,
        "usage_consistency": 3,
        "models": 3,
        "stop_sequence_replay": 2,
    }.get(case.probe, 1)


def estimate(profile: Profile, cases: Iterable[Case], deep: bool = False) -> Plan:
    plan = Plan()
    cap = profile.limits.max_tokens_cap
    for case in cases:
        if skip_reason(case, profile):
            plan.skipped += 1
            continue
        plan.cases += 1
        count = requests_of(case, profile, deep)
        plan.requests += count
        body = materialize(case.request or {}, profile.models, cap)
        tokens = body.get("max_tokens")
        plan.output_tokens += count * (tokens if isinstance(tokens, int) else cap)
    return plan
