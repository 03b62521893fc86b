"""A run's limits: the profile's, changed by flags, with the rate limit lifted for local targets.

A live provider is paced (its profile's requests_per_second); a server on loopback or a private
network is the user's own and is not throttled unless --rate asks for it. The effective limits are
printed at start and kept in the run header, so a slow or capped run explains itself.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from msgconform.core.errors import ConfigError
from msgconform.core.profiles import Profile

# The options that change a run's limits (defined in runner/options.py with the other options).
LIMIT_OPTIONS = ("rate", "concurrency", "max_requests", "timeout_scale")


@dataclass(frozen=True)
class RunLimits:
    rate: float | None
    rate_reason: str
    concurrency: int
    max_requests: int
    timeout_scale: float

    def line(self) -> str:
        rate = f"{self.rate:g} requests/s" if self.rate else "no rate limit"
        return (
            f"limits: {rate} ({self.rate_reason}), {self.concurrency} connections, "
            f"at most {self.max_requests} requests, deadlines x{self.timeout_scale:g}"
        )

    def as_record(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def is_local(base_url: str | None) -> bool:
    """Loopback or private-network literal addresses and localhost; names are never resolved."""
    host = urlsplit(base_url or "").hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_private or address.is_link_local


def checked(flags: Mapping[str, Any]) -> dict[str, Any]:
    """The limit flags that were given, refused with one line when out of range."""
    given = {dest: flags[dest] for dest in LIMIT_OPTIONS if flags.get(dest) is not None}
    floors = {"rate": 0.0, "concurrency": 1, "max_requests": 1}
    for dest, value in given.items():
        flag = "--" + dest.replace("_", "-")
        if dest == "timeout_scale" and not value > 0:
            raise ConfigError(flag, f"{value} is not a positive number", "for example 2 or 0.5")
        if dest in floors and value < floors[dest]:
            raise ConfigError(flag, f"{value} is too small", f"at least {floors[dest]}")
    return given


def effective(profile: Profile, flags: Mapping[str, Any], *, to_mock: bool) -> RunLimits:
    given = checked(flags)
    limits = profile.limits
    if "rate" in given:
        rate, reason = given["rate"] or None, "--rate"
    elif to_mock or profile.kind == "mock":
        rate, reason = None, "the bundled mock"
    elif is_local(profile.base_url):
        rate, reason = None, "local target; --rate to pace it"
    else:
        rate, reason = limits.requests_per_second, "the profile's"
    return RunLimits(
        rate=float(rate) if rate else None,
        rate_reason=reason,
        concurrency=int(given.get("concurrency", limits.concurrency)),
        max_requests=int(given.get("max_requests", limits.max_requests)),
        timeout_scale=float(given.get("timeout_scale", 1.0)),
    )


def apply(profile: Profile, chosen: RunLimits) -> Profile:
    """The profile with these limits, so every consumer (session, client, budget) sees them."""
    limits = dataclasses.replace(
        profile.limits,
        requests_per_second=chosen.rate,
        concurrency=chosen.concurrency,
        max_requests=chosen.max_requests,
        timeouts=profile.timeouts.scaled(chosen.timeout_scale),
    )
    return dataclasses.replace(profile, limits=limits)
