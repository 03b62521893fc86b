"""Faults of the version and beta headers and the request-id (HDR)."""

from __future__ import annotations

from msgconform.mock.gate import version_verdict
from msgconform.mock.hooks import Ctx, ErrorOut, Fault, VersionCheck
from msgconform.mock.reply import error
from msgconform.mock.validate import NEW_VERSION  # the version that removes top_p and the like


def _refuse_new(check: VersionCheck, ctx: Ctx) -> str | ErrorOut:
    return version_verdict(check, known=False if check.value == NEW_VERSION else None)


def _new_served_as_default(check: VersionCheck, ctx: Ctx) -> str | ErrorOut:
    """2026-10-21 is accepted but its requests are judged as under the default version."""
    served = version_verdict(check)
    return check.default if served == NEW_VERSION else served


def _missing_as_default(check: VersionCheck, ctx: Ctx) -> str | ErrorOut:
    return check.default if check.value is None else version_verdict(check)


def _refuse_beta_query(check: VersionCheck, ctx: Ctx) -> str | ErrorOut:
    served = version_verdict(check)
    if isinstance(served, str) and "beta=" in ctx.query:
        return error(400, "beta: unknown query parameter")
    return served


def _beta_header_500(check: VersionCheck, ctx: Ctx) -> str | ErrorOut:
    served = version_verdict(check)
    if isinstance(served, str) and "anthropic-beta" in ctx.headers:
        return error(500, "Internal server error")
    return served


def _without_request_id(headers: list[tuple[bytes, bytes]], ctx: Ctx) -> list[tuple[bytes, bytes]]:
    return [(name, value) for name, value in headers if name != b"request-id"]


FAULTS: list[Fault] = [
    Fault(
        "reject_new_version",
        f"anthropic-version {NEW_VERSION} is refused",
        ("HDR-002",),
        version=_refuse_new,
    ),
    Fault(
        "accept_sampling_on_new_version",
        f"{NEW_VERSION} accepts temperature, top_p, top_k",
        ("HDR-002",),
        version=_new_served_as_default,
    ),
    Fault(
        "missing_version_accepted",
        "a missing anthropic-version is accepted",
        ("HDR-003",),
        version=_missing_as_default,
    ),
    Fault("reject_beta_query", "?beta=true gets 400", ("HDR-004",), version=_refuse_beta_query),
    Fault(
        "unknown_beta_500",
        "an unknown anthropic-beta value gets 500",
        ("HDR-006",),
        version=_beta_header_500,
    ),
    Fault(
        "missing_request_id",
        "no response carries request-id",
        ("HDR-005",),
        headers=_without_request_id,
    ),
]
