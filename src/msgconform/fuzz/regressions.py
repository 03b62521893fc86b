"""Stored examples (suites/fuzz/regressions.yaml), replayed before any new example of a run."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from msgconform.core.datafiles import load_validated
from msgconform.core.paths import SUITES

REGRESSIONS_FILE = SUITES / "fuzz" / "regressions.yaml"


@dataclass(frozen=True)
class Stored:
    id: str
    mode: str
    endpoint: str
    stream: bool
    body: dict[str, Any]
    breaks: str | None


@cache
def stored(path: Path = REGRESSIONS_FILE) -> tuple[Stored, ...]:
    data = load_validated(path, "regressions")
    return tuple(
        Stored(
            id=entry["id"],
            mode=entry["mode"],
            endpoint=entry.get("endpoint", "messages"),
            stream=bool(entry.get("stream", False)),
            body=entry["body"],
            breaks=entry.get("breaks"),
        )
        for entry in data["examples"]
    )


def for_case(mode: str, endpoint: str, stream: bool) -> list[Stored]:
    """The stored examples one fuzz case replays: same mode and endpoint, streamed or not."""
    return [s for s in stored() if s.mode == mode and s.endpoint == endpoint and s.stream == stream]
