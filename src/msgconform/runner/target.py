"""Where a run sends its requests: the bundled mock (started here) or a live/generic base URL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from msgconform.core.errors import ConfigError
from msgconform.core.profiles import Profile


@dataclass(frozen=True)
class Target:
    base_url: str
    key: str
    mock_fault: str | None = None


@contextmanager
def open_target(
    profile: Profile, mock_fault: str | None = None, against_mock: bool = False
) -> Iterator[Target]:
    """Start the bundled mock (emulating this profile) or use the profile's base URL.

    `against_mock` runs a live profile's suite against the mock emulating that provider, so
    profile data can be tried offline."""
    use_mock = profile.kind == "mock" or against_mock
    key = profile.resolve_key() if not against_mock else "sk-mock-offline-key-0123456789"
    if not use_mock:
        if mock_fault:
            raise ConfigError("--mock-fault", "only applies to the bundled mock (--provider mock)")
        assert profile.base_url is not None  # from_data() refuses a live profile without one
        yield Target(profile.base_url, key)
        return
    from msgconform.mock.faults import FAULTS  # (the mock loads only when used)
    from msgconform.mock.server import MockServer

    if mock_fault and mock_fault not in FAULTS:
        raise ConfigError(
            "--mock-fault", f"unknown fault {mock_fault!r}", "msgconform mock --list-faults"
        )
    with MockServer(profile, key, fault=mock_fault) as server:
        yield Target(server.url, key, mock_fault)
