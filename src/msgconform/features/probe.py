"""Sending a feature: its request (then, if it was served, a smaller baseline when the feature is
judged by counts), with the scheme, version and endpoint the feature names. Probes never judge."""

from __future__ import annotations

from typing import Any

from msgconform.checks.base import ProbeResult
from msgconform.core.cases import Case, materialize
from msgconform.core.endpoints import COUNT_TOKENS, MESSAGES, MODELS
from msgconform.core.exchange import Exchange
from msgconform.transport.session import Session

PATHS = {"messages": MESSAGES, "count_tokens": COUNT_TOKENS, "models": MODELS}


def feature_probe(session: Session, case: Case, body: dict[str, Any]) -> ProbeResult:
    params = case.probe_params
    endpoint = params.get("endpoint", "messages")
    headers = session.headers(scheme=params.get("scheme"), version=params.get("anthropic_version"))
    if endpoint == "models":
        return ProbeResult(
            {"feature": session.send("feature", MODELS, method="GET", headers=headers)}
        )
    # An auth scheme the provider refuses is an answer, not a reason to try again.
    retry = "scheme" not in params
    found: dict[str, Exchange] = {
        "feature": session.send(
            "feature", PATHS[endpoint], body, headers=headers, stream=case.stream, retry=retry
        )
    }
    if (baseline := params.get("baseline")) and found["feature"].status == 200:
        cap = session.profile.limits.max_tokens_cap
        small = materialize(baseline, session.profile.models, cap)
        found["baseline"] = session.send("baseline", PATHS[endpoint], small, headers=headers)
    return ProbeResult(found)
