"""Faults of the version and beta headers and the request-id (HDR)."""

from __future__ import annotations

from msgconform.mock.gate import version_verdict
from msgconform.mock.hooks import Ctx, ErrorOut, Faults, VersionCheck
from msgconform.mock.reply import error
from msgconform.mock.validate import NEW_VERSION  # the version that removes top_p and the like


def _served_unless(check: VersionCheck, refused: bool, refusal: ErrorOut) -> str | ErrorOut:
    """The correct verdict, or the refusal in place of serving the request."""
    served = version_verdict(check)
    return refusal if refused and isinstance(served, str) else served


FAULTS = Faults()


@FAULTS.hook("version", "HDR-002", description=f"anthropic-version {NEW_VERSION} is refused")
def _reject_new_version(check: VersionCheck, ctx: Ctx) -> str | ErrorOut:
    return version_verdict(check, known=False if check.value == NEW_VERSION else None)


@FAULTS.hook("version", "HDR-002", description=f"{NEW_VERSION} accepts temperature, top_p, top_k")
def _accept_sampling_on_new_version(check: VersionCheck, ctx: Ctx) -> str | ErrorOut:
    """The new version is accepted but its requests are judged as under the default version."""
    served = version_verdict(check)
    return check.default if served == NEW_VERSION else served


@FAULTS.hook("version", "HDR-003")
def _missing_version_accepted(check: VersionCheck, ctx: Ctx) -> str | ErrorOut:
    """a missing anthropic-version is accepted"""
    return check.default if check.value is None else version_verdict(check)


@FAULTS.hook("version", "HDR-004")
def _reject_beta_query(check: VersionCheck, ctx: Ctx) -> str | ErrorOut:
    """?beta=true gets 400"""
    return _served_unless(check, "beta=" in ctx.query, error(400, "beta: unknown query parameter"))


@FAULTS.hook("version", "HDR-006")
def _unknown_beta_500(check: VersionCheck, ctx: Ctx) -> str | ErrorOut:
    """an unknown anthropic-beta value gets 500"""
    return _served_unless(
        check, "anthropic-beta" in ctx.headers, error(500, "Internal server error")
    )


@FAULTS.hook("headers", "HDR-005")
def _missing_request_id(headers: list[tuple[bytes, bytes]], ctx: Ctx) -> list[tuple[bytes, bytes]]:
    """no response carries request-id"""
    return [(name, value) for name, value in headers if name != b"request-id"]
