"""Known deviations of a client (suites/clients/expectations/<policy>.yaml), as for providers:
keyed by test ID, clause prefix, area or glob; each entry needs a reason with its evidence."""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from msgconform.core.datafiles import load_validated
from msgconform.core.paths import SUITES

EXPECTATIONS_DIR = SUITES / "clients" / "expectations"


@dataclass(frozen=True)
class Expectation:
    key: str
    expected: tuple[str, ...]
    reason: str


def path_for(policy: str) -> Path:
    return EXPECTATIONS_DIR / f"{policy}.yaml"


def load(policy: str) -> dict[str, Expectation]:
    path = path_for(policy)
    if not path.is_file():
        return {}
    data: Mapping[str, Any] = load_validated(path, "expectations") or {}
    found = {}
    for key, value in data.items():
        outcomes = value["expected"]
        found[key] = Expectation(
            key, (outcomes,) if isinstance(outcomes, str) else tuple(outcomes), value["reason"]
        )
    return found


def lookup(known: Mapping[str, Expectation], test_id: str) -> Expectation | None:
    """The most specific entry wins: the test ID, then its clause and area prefixes, then globs."""
    parts = test_id.split("/")
    for depth in range(len(parts), 0, -1):
        if (entry := known.get("/".join(parts[:depth]))) is not None:
            return entry
    return next(
        (
            v
            for k, v in known.items()
            if any(c in k for c in "*?[") and fnmatch.fnmatchcase(test_id, k)
        ),
        None,
    )
