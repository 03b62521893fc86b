"""What every example of one fuzz case shares: the profile's contract, the profile, the endpoint
and whether it streams (the walk, the nested breakers and the deep negatives all read it)."""

from __future__ import annotations

from dataclasses import dataclass

from msgconform.contract.document import Contract
from msgconform.core.profiles import Profile


@dataclass(frozen=True)
class Shape:
    """What every example of one fuzz case shares: where it goes and whose profile it is for."""

    contract: Contract
    profile: Profile
    endpoint: str
    stream: bool

    @property
    def features(self) -> frozenset[str]:
        return frozenset(name for name, on in self.profile.features.items() if on)
