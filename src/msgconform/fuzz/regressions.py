"""Stored examples (suites/fuzz/regressions.yaml), replayed before any new example of a run."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from msgconform.contract.document import Contract
from msgconform.contract.rules import request_breaks, rules
from msgconform.core import clauses
from msgconform.core.datafiles import display, load_validated
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


def problems() -> Iterator[str]:
    """For `msgconform validate`: each stored example is what it says under the upstream
    contract (a negative one breaks exactly what `breaks` names; a positive one nothing)."""
    contract = Contract.load()
    where = display(REGRESSIONS_FILE)
    for entry in stored():
        broken = request_breaks(contract, {**entry.body, "model": "m"}, entry.endpoint)
        said = entry.breaks if entry.mode == "negative" else None
        found = broken[0].what if broken else None
        if found != said:
            yield f"{where}: {entry.id}: breaks {found or 'nothing'}, the entry says {said}"
    for rule in rules(contract):
        if rule.clause not in clauses.registry():
            yield f"x-rules: {rule.id}: unknown clause {rule.clause}"


def for_case(mode: str, endpoint: str, stream: bool) -> list[Stored]:
    """The stored examples one fuzz case replays: same mode and endpoint, streamed or not."""
    return [s for s in stored() if s.mode == mode and s.endpoint == endpoint and s.stream == stream]
