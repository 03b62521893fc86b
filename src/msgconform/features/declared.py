"""What the profile says about a feature: declared (True), not declared (False) or silent (None).

The profile's own contract rules: a core feature its overlay rejects is not declared."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from msgconform.contract.document import Contract
from msgconform.core.profiles import Profile

Declared = tuple[bool | None, str]


def declared(
    profile: Profile,
    contract: Contract,
    request: Mapping[str, Any] | None,
    declared_by: Any,
    endpoint: str = "messages",
) -> Declared:
    said = by_profile(profile, declared_by)
    if said[0] is False or not request or endpoint == "models":
        return said
    issues = contract.request_issues(request, endpoint=endpoint)
    if issues:
        return False, f"the {contract.overlay or 'upstream'} contract rejects it ({issues[0]})"
    return said


def by_profile(profile: Profile, declared_by: Any) -> Declared:
    if declared_by == "core":
        return True, "part of the Messages API the profile claims"
    if declared_by == "upstream":  # in the contract, but no provider document mentions it
        return None, "in the upstream contract; the profile does not say"
    if feature := declared_by.get("feature"):
        said = profile.declares(feature)
        if said is None:  # undeclared is not absent: probed and reported, never a FAIL
            return None, f"the profile does not declare features.{feature}"
        return said, f"profile features.{feature}: {str(said).lower()}"
    if scheme := declared_by.get("scheme"):
        if scheme in profile.accepted_schemes:
            return True, f"profile auth.accepted lists {scheme}"
        if scheme in profile.rejected_schemes:
            return False, f"profile auth.rejected lists {scheme}"
        return None, f"the profile does not mention {scheme}"
    version = str(declared_by.get("version"))
    if version in profile.versions:
        return True, f"profile versions list {version}"
    return False, f"profile versions do not list {version}"
