"""The clause registry: the single home of the contract's text. Code cites clause IDs only."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from msgconform.core.datafiles import display, load_validated
from msgconform.core.errors import ConfigError
from msgconform.core.paths import SCHEMAS

CLAUSES_FILE = SCHEMAS / "clauses.yaml"


@dataclass(frozen=True)
class Clause:
    id: str
    title: str
    level: str  # MUST | SHOULD | MAY
    level_basis: str  # stated | inferred
    source: str
    section: str
    quote: str

    @property
    def area(self) -> str:
        return self.id.split("-", 1)[0]

    def cite(self) -> str:
        return f"{self.id} ({self.level}) {self.title} — {self.source} § {self.section}"


@cache
def registry() -> dict[str, Clause]:
    data = load_validated(CLAUSES_FILE, "clauses")
    clauses: dict[str, Clause] = {}
    for entry in data["clauses"]:
        if entry["id"] in clauses:
            raise ConfigError(
                f"{display(CLAUSES_FILE)}: clauses: {entry['id']}", "duplicate clause ID"
            )
        clauses[entry["id"]] = Clause(
            id=entry["id"],
            title=entry["title"],
            level=entry["level"],
            level_basis=entry["level_basis"],
            source=entry["source"]["document"],
            section=entry["source"]["section"],
            quote=entry["quote"],
        )
    return clauses


def get(clause_id: str) -> Clause:
    try:
        return registry()[clause_id]
    except KeyError:
        raise ConfigError("clause", f"unknown clause ID {clause_id}") from None
