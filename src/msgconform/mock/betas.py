"""The mock's anthropic-beta handling: the names a request sends (comma-separated, the header
possibly repeated), the API's 400 for a name the contract does not know, and the contract a
request's betas select (schemas/betas.yaml). A profile with `beta_header: ignored` passes every
name and keeps the non-beta contract."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from msgconform.contract.betas import contract_betas, known_betas, unknown_beta_reply
from msgconform.core.profiles import Profile
from msgconform.mock.hooks import ErrorOut

HEADER = "anthropic-beta"
_HEADER_BYTES = HEADER.encode()


def joined(raw_headers: Iterable[tuple[bytes, bytes]], headers: dict[str, str]) -> dict[str, str]:
    """`headers` with every anthropic-beta line joined by commas (a dict keeps only the last)."""
    values = [v.decode("latin-1") for k, v in raw_headers if k.lower() == _HEADER_BYTES]
    if len(values) > 1:
        headers[HEADER] = ",".join(values)
    return headers


def names(headers: Mapping[str, str]) -> tuple[str, ...]:
    """The beta names sent, in order; an empty item stays (upstream refuses it, as "``")."""
    value = headers.get(HEADER)
    return () if value is None else tuple(part.strip() for part in value.split(","))


def enforced(profile: Profile) -> bool:
    return profile.contract.beta_header == "enforced"


def unknown_names(headers: Mapping[str, str], profile: Profile) -> list[str]:
    if not enforced(profile):
        return []
    known = known_betas()
    return [name for name in names(headers) if name not in known]


def refusal(headers: Mapping[str, str], profile: Profile) -> ErrorOut | None:
    """The API's answer to an unknown beta name (schemas/betas.yaml `unknown_beta`)."""
    unknown = unknown_names(headers, profile)
    if not unknown:
        return None
    reply = unknown_beta_reply()
    listed = ", ".join(f"`{name}`" for name in unknown)
    return ErrorOut(int(reply["status"]), str(reply["type"]), reply["message"].format(names=listed))


def selected(headers: Mapping[str, str], profile: Profile) -> frozenset[str]:
    """The request's beta names that change the contract it is judged by."""
    return contract_betas(names(headers)) if enforced(profile) else frozenset()
