"""Checks on authentication: refused without a valid key, deterministic under conflict."""

from __future__ import annotations

from collections.abc import Callable

from msgconform.checks.base import SERVED, CaseContext, check, fail
from msgconform.checks.common import cited, error_fields, error_summary, selected, short
from msgconform.core.profiles import Auth

# Which of the profile's declared statuses each clause's refusals may carry.
STATUSES: dict[str, Callable[[Auth], tuple[int, ...]]] = {
    "AUTH-002": lambda a: (a.missing_key_status, a.invalid_key_status),
    "AUTH-003": lambda a: (a.missing_key_status,),
    "AUTH-004": lambda a: (a.invalid_key_status,),
    "AUTH-005": lambda a: (a.missing_key_status,),
}


@check("auth_refused", "AUTH-003", "AUTH-002", "AUTH-004", "AUTH-005", grades=(SERVED,))
def auth_refused(
    ctx: CaseContext, clause: str | None = None, status: int | None = None, label: str | None = None
) -> None:
    """Every exchange without a valid key is refused with the profile's declared status.

    Clauses: AUTH-003, AUTH-002, AUTH-004, AUTH-005"""
    clause = cited("auth_refused", clause)
    declared = set(STATUSES[clause](ctx.profile.auth))
    allowed = {status} if status is not None else declared
    for exchange in selected(ctx, label, clause):
        if exchange.status in allowed:
            continue
        served = exchange.status is not None and exchange.status < 300
        symptom = "anyone can use this endpoint without a valid key" if served else None
        expected = f"status {' or '.join(str(s) for s in sorted(allowed))}"
        actual = f"{exchange.label}: {error_summary(exchange)}"
        raise fail(clause, expected, actual, exchange, symptom=symptom)


@check("auth_conflict_deterministic", "AUTH-006")
def auth_conflict_deterministic(ctx: CaseContext) -> None:
    """The same conflicting auth headers sent twice get the same answer.

    Clauses: AUTH-006"""
    seen = [(e.label, e.status, short(error_fields(e)[0])) for e in selected(ctx, None, "AUTH-006")]
    if len(seen) < 2:
        raise fail("AUTH-006", "two exchanges with the same conflicting headers", f"{len(seen)}")
    if len({(status, kind) for _, status, kind in seen}) > 1:
        actual = "; ".join(f"{label}: {status} {kind}" for label, status, kind in seen)
        raise fail("AUTH-006", "the same status and error.type each time", actual)
