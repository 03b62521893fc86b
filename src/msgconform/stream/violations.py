"""What the grammar and its helpers share: a violation, and the one thing a helper may do with the
grammar (report a violation). The helpers depend on this protocol, not on the grammar itself."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Violation:
    clause: str
    event_index: int | None
    expected: str
    actual: str
    symptom: str | None = None


class Reporter(Protocol):
    """The grammar as its frame and accumulation helpers see it."""

    named_events: bool

    def violate(
        self, clause: str, index: int | None, expected: str, actual: str, symptom: str | None = None
    ) -> None: ...
