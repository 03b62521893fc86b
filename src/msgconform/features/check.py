"""The check `feature_as_declared`: class the probe, compare with the profile, keep both for the
run record (ctx.feature), and fail only where a declared feature is not supported."""

from __future__ import annotations

from typing import Any

from msgconform.checks.base import SERVED, CaseContext, FeatureNote, check, fail
from msgconform.checks.errors import lenient_break, served
from msgconform.features.classes import BROKEN, NOT_WORKING, REJECTED, SUPPORTED, Verdict
from msgconform.features.classify import classify
from msgconform.features.declared import declared as declared_of

# Every clause a feature in suites/features/features.yaml cites (`msgconform validate` checks it).
FEATURE_CLAUSES = (
    "REQ-001",
    "REQ-002",
    "REQ-003",
    "REQ-004",
    "REQ-005",
    "REQ-006",
    "REQ-008",
    "REQ-009",
    "REQ-010",
    "REQ-011",
    "REQ-016",
    "STOP-004",
    "STOP-005",
    "STOP-006",
    "STREAM-001",
    "ENDP-001",
    "ENDP-003",
    "HDR-002",
    "HDR-005",
    "AUTH-001",
)


@check("feature_as_declared", *FEATURE_CLAUSES, grades=(SERVED,))
def feature_as_declared(
    ctx: CaseContext,
    feature: str,
    mode: str,
    declared_by: Any,
    honoured: dict[str, Any],
    endpoint: str = "messages",
    clause: str = "REQ-001",
) -> None:
    """A feature the profile declares is supported: not ignored, rejected or broken; a probe the
    profile's contract rejects, served with a correct answer, is leniency (`served`).

    Clauses: the feature's own (REQ-*, STOP-*, STREAM-001, ENDP-*, HDR-*, AUTH-001)"""
    verdict = classify(ctx, mode, endpoint, honoured)
    request = ctx.request if ctx.request else None
    said, basis = declared_of(ctx.profile, ctx.contract, request, declared_by, endpoint)
    ctx.feature = FeatureNote(
        id=feature,
        mode=mode,
        klass=verdict.klass,
        why=verdict.why,
        declared=said,
        declared_why=basis,
        information=said is not True and verdict.klass == SUPPORTED,
    )
    if said is True and verdict.klass in NOT_WORKING:
        exchange = ctx.exchanges.get(verdict.exchange or "feature")
        raise fail(
            clause,
            f"{feature} ({mode}) supported, as declared: {basis}",
            f"{verdict.klass}: {verdict.why}",
            exchange,
        )
    served_leniently(ctx, verdict)


def served_leniently(ctx: CaseContext, verdict: Verdict) -> None:
    """A probe the profile's contract rejects (Baseten's overlay has no `thinking`), answered
    with a correct 200, is graded as a fixed case's served request is (checks/errors.py
    `served`, core/grading.served_level): by the clause of what it breaks, NON-STRICT unless
    that clause is a stated MUST. Refused is what the contract asks; a broken answer is the
    map's "broken" and the invariants' (ERR-003 for a 5xx)."""
    if verdict.klass in (REJECTED, BROKEN):
        return
    exchange = ctx.exchanges.get(verdict.exchange or "feature")
    broken = lenient_break(ctx, exchange) if exchange is not None else None
    if exchange is None or broken is None:
        return
    overlay = ctx.contract.overlay or "upstream"
    expected = f"a 4xx in the error envelope: the {overlay} contract rejects this request"
    raise served(ctx, broken.clause, expected, exchange)
