"""The correct server's rules before a request's body is read: its credentials and its
anthropic-version. Each takes the check a fault's `auth` or `version` hook sees, so a fault can ask
for the correct verdict on changed inputs instead of repeating the rule."""

from __future__ import annotations

import secrets

from msgconform.mock.hooks import AuthCheck, ErrorOut, VersionCheck
from msgconform.mock.httpio import SCHEME_LABELS
from msgconform.mock.reply import error


def usable_keys(check: AuthCheck) -> list[str]:
    """The keys presented under a scheme the profile accepts."""
    return [value for scheme, value in check.creds if scheme in check.accepted]


def auth_verdict(check: AuthCheck) -> ErrorOut | None:
    """None when a usable key is the server's; otherwise the refusal, saying what to send."""
    usable = usable_keys(check)
    if any(secrets.compare_digest(v, check.key) for v in usable):
        return None
    if usable:
        return error(check.invalid_status, "invalid API key")
    schemes = ", ".join(SCHEME_LABELS[s] for s in check.accepted)
    if not check.creds:
        return error(check.missing_status, f"missing API key; use {schemes}")
    seen = ", ".join(SCHEME_LABELS[s] for s, _ in check.creds)
    return error(check.missing_status, f"{seen} is not accepted; use {schemes}")


def version_verdict(check: VersionCheck, known: bool | None = None) -> str | ErrorOut:
    """The version the request is served under, or its refusal. `known` overrides whether the
    value counts as one of the profile's versions; a profile that ignores the header serves an
    unknown or missing value as its default version."""
    if known is None:
        known = check.value in check.versions
    if known or not check.enforced:
        return check.value if known and check.value else check.default
    if check.value is None:
        return error(400, "anthropic-version: header is required")
    listed = ", ".join(check.versions)
    return error(
        400, f"anthropic-version: unsupported version {check.value!r}; use one of {listed}"
    )
