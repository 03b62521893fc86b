"""The encoded answers to clean requests, by request bytes: a clean answer (no fault, no control
header) is a function of the body alone, so the same bytes get the same JSON body or frames without
generating and encoding them again. Validation still runs on every request: only what follows it
is remembered. Bounded in entries and bytes; the oldest entry goes first."""

from __future__ import annotations

from collections.abc import Mapping

Encoded = bytes | list[bytes]  # a JSON body, or the frames of a stream

CONTROL_PREFIX = "x-msgconform-"  # faults, scenarios and any later per-request control
MAX_ENTRIES = 512
MAX_BODY_BYTES = 16 * 1024
MAX_ANSWER_BYTES = 64 * 1024
MAX_TOTAL_BYTES = 16 * 1024 * 1024


def controlled(headers: Mapping[str, str]) -> bool:
    """Whether a request carries a control header: its answer may then differ for the same body."""
    return any(name.startswith(CONTROL_PREFIX) for name in headers)


class Memo:
    def __init__(self) -> None:
        self.entries: dict[bytes, tuple[Encoded, int]] = {}
        self.total = 0

    def get(self, body: bytes) -> Encoded | None:
        found = self.entries.get(body)
        return None if found is None else found[0]

    def put(self, body: bytes, answer: Encoded) -> Encoded:
        """Keep `answer` for `body` when both are small; return it either way."""
        size = len(answer) if isinstance(answer, bytes) else sum(map(len, answer))
        if len(body) > MAX_BODY_BYTES or size > MAX_ANSWER_BYTES or body in self.entries:
            return answer
        cost = len(body) + size
        while self.entries and (
            len(self.entries) >= MAX_ENTRIES or self.total + cost > MAX_TOTAL_BYTES
        ):
            oldest = next(iter(self.entries))
            self.total -= self.entries.pop(oldest)[1]
        self.entries[body] = (answer, cost)
        self.total += cost
        return answer
