"""Faults of authentication (AUTH): keys and schemes accepted or refused wrongly."""

from __future__ import annotations

from dataclasses import replace

from msgconform.mock.gate import auth_verdict, usable_keys
from msgconform.mock.hooks import AuthCheck, Ctx, ErrorOut, Faults
from msgconform.mock.reply import error

ALTERNATES = "conflicting_auth_alternates"


FAULTS = Faults()


@FAULTS.hook("auth", "AUTH-006")
def _conflicting_auth_alternates(check: AuthCheck, ctx: Ctx) -> ErrorOut | None:
    """x-api-key plus Authorization together: accepted and refused in turn

    Two credentials together are refused every second time (the first time they pass)."""
    if len(check.creds) > 1:
        turn = ctx.tally[ALTERNATES]
        ctx.tally[ALTERNATES] += 1
        if turn % 2:
            return error(check.invalid_status, "invalid API key")
    return auth_verdict(check)


@FAULTS.hook("auth", "AUTH-003")
def _accept_missing_api_key(check: AuthCheck, ctx: Ctx) -> ErrorOut | None:
    """requests without a key are served"""
    return None if not check.creds else auth_verdict(check)


@FAULTS.hook("auth", "AUTH-004")
def _accept_wrong_key(check: AuthCheck, ctx: Ctx) -> ErrorOut | None:
    """any key value is accepted"""
    return None if usable_keys(check) else auth_verdict(check)


@FAULTS.hook("auth", "AUTH-002")
def _accept_rejected_scheme(check: AuthCheck, ctx: Ctx) -> ErrorOut | None:
    """a scheme the profile rejects authenticates"""
    return auth_verdict(replace(check, accepted=check.accepted + check.rejected))


@FAULTS.hook("auth", "AUTH-001")
def _reject_accepted_scheme(check: AuthCheck, ctx: Ctx) -> ErrorOut | None:
    """the profile's last accepted scheme is refused"""
    return auth_verdict(replace(check, accepted=check.accepted[:-1]))


@FAULTS.hook("auth", "AUTH-005")
def _auth_only_on_messages(check: AuthCheck, ctx: Ctx) -> ErrorOut | None:
    """count_tokens and models need no key"""
    return auth_verdict(check) if ctx.route == "/v1/messages" else None
