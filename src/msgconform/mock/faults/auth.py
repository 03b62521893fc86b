"""Faults of authentication (AUTH): keys and schemes accepted or refused wrongly."""

from __future__ import annotations

from dataclasses import replace

from msgconform.mock.gate import auth_verdict, usable_keys
from msgconform.mock.hooks import AuthCheck, Ctx, ErrorOut, Fault
from msgconform.mock.reply import error

ALTERNATES = "conflicting_auth_alternates"


def _accept_rejected(check: AuthCheck, ctx: Ctx) -> ErrorOut | None:
    return auth_verdict(replace(check, accepted=check.accepted + check.rejected))


def _refuse_last_accepted(check: AuthCheck, ctx: Ctx) -> ErrorOut | None:
    return auth_verdict(replace(check, accepted=check.accepted[:-1]))


def _alternate(check: AuthCheck, ctx: Ctx) -> ErrorOut | None:
    """Two credentials together are refused every second time (the first time they pass)."""
    if len(check.creds) > 1:
        turn = ctx.tally[ALTERNATES]
        ctx.tally[ALTERNATES] += 1
        if turn % 2:
            return error(check.invalid_status, "invalid API key")
    return auth_verdict(check)


def _any_key(check: AuthCheck, ctx: Ctx) -> ErrorOut | None:
    return None if usable_keys(check) else auth_verdict(check)


def _no_key(check: AuthCheck, ctx: Ctx) -> ErrorOut | None:
    return None if not check.creds else auth_verdict(check)


def _only_on_messages(check: AuthCheck, ctx: Ctx) -> ErrorOut | None:
    return auth_verdict(check) if ctx.route == "/v1/messages" else None


FAULTS: list[Fault] = [
    Fault(
        ALTERNATES,
        "x-api-key plus Authorization together: accepted and refused in turn",
        ("AUTH-006",),
        auth=_alternate,
    ),
    Fault(
        "accept_missing_api_key",
        "requests without a key are served",
        ("AUTH-003",),
        auth=_no_key,
    ),
    Fault("accept_wrong_key", "any key value is accepted", ("AUTH-004",), auth=_any_key),
    Fault(
        "accept_rejected_scheme",
        "a scheme the profile rejects authenticates",
        ("AUTH-002",),
        auth=_accept_rejected,
    ),
    Fault(
        "reject_accepted_scheme",
        "the profile's last accepted scheme is refused",
        ("AUTH-001",),
        auth=_refuse_last_accepted,
    ),
    Fault(
        "auth_only_on_messages",
        "count_tokens and models need no key",
        ("AUTH-005",),
        auth=_only_on_messages,
    ),
]
