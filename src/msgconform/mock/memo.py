"""The encoded answers to clean requests, by request bytes: a clean answer (no fault, no scenario)
is a function of the body alone, so the same bytes get the same JSON body or frames without
generating and encoding them again. Validation still runs on every request: only what follows it
is remembered. Bounded: small bodies and answers only, oldest entry out first."""

from __future__ import annotations

Encoded = bytes | list[bytes]  # a JSON body, or the frames of a stream

MAX_ENTRIES = 512
MAX_BODY_BYTES = 16 * 1024
MAX_ANSWER_BYTES = 256 * 1024


class Memo:
    def __init__(self) -> None:
        self.entries: dict[bytes, Encoded] = {}

    def get(self, body: bytes) -> Encoded | None:
        return self.entries.get(body)

    def put(self, body: bytes, answer: Encoded) -> Encoded:
        """Keep `answer` for `body` when both are small; return it either way."""
        size = len(answer) if isinstance(answer, bytes) else sum(map(len, answer))
        if len(body) <= MAX_BODY_BYTES and size <= MAX_ANSWER_BYTES:
            if len(self.entries) >= MAX_ENTRIES:
                del self.entries[next(iter(self.entries))]
            self.entries[body] = answer
        return answer
