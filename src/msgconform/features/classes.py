"""The classes a feature probe ends in, and the verdict that carries one."""

from __future__ import annotations

from dataclasses import dataclass

SUPPORTED = "supported"
IGNORED = "ignored"
REJECTED = "rejected"
BROKEN = "broken"
# Served, but the answer could not show the feature at work (e.g. no stop sequence matched).
NOT_JUDGED = "not judged"
NOT_PROBED = "not probed"
CLASSES = (SUPPORTED, IGNORED, REJECTED, BROKEN, NOT_JUDGED, NOT_PROBED)
NOT_WORKING = frozenset({IGNORED, REJECTED, BROKEN})


@dataclass(frozen=True)
class Verdict:
    """A class, why (one line a person can check against the evidence), and which exchange."""

    klass: str
    why: str
    exchange: str | None = None
