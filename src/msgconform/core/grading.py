"""How a case's failures become its outcome; shared by provider runs (runner/engine.py) and client
runs (clients/battery.py), so both grade by the same rule."""

from __future__ import annotations

from dataclasses import dataclass

MODEL_LEVEL = "MODEL"  # a model's behaviour, not the protocol: NON-STRICT even under --strict


@dataclass
class Failure:
    check: str
    clause: str
    level: str
    requirement: str
    source: str
    expected: str
    actual: str
    symptom: str | None = None
    event_index: int | None = None
    exchange: str | None = None

    def text(self) -> str:
        lines = [
            f"[{self.clause} {self.level}] {self.requirement}",
            f"  source:   {self.source}",
            f"  check:    {self.check}" + (f" (exchange {self.exchange})" if self.exchange else ""),
            f"  expected: {self.expected}",
            f"  actual:   {self.actual}",
        ]
        if self.event_index is not None:
            lines.append(f"  event:    #{self.event_index}")
        if self.symptom:
            lines.append(f"  client symptom: {self.symptom}")
        return "\n".join(lines)


def raw_outcome(failures: list[Failure], error: str | None, strict: bool) -> tuple[str, str | None]:
    """MUST broken: FAIL; SHOULD broken: NON-STRICT (FAIL under --strict); no verdict: ERROR."""
    if error is not None:
        return "ERROR", error
    if any(f.level == "MUST" for f in failures):
        return "FAIL", None
    if strict and any(f.level != MODEL_LEVEL for f in failures):
        return "FAIL", None
    if failures:
        return "NON-STRICT", None
    return "PASS", None


def served_level(level: str, level_basis: str) -> str:
    """The grade of leniency: a request the contract rejects, served with a correct 200.

    FAIL (MUST) only where the clause is a MUST its documents state (they name the field required
    or state its type or range); an inferred MUST or a SHOULD served is NON-STRICT (SHOULD). A 5xx
    or a broken answer is not leniency and keeps its clause's own level."""
    return "MUST" if level == "MUST" and level_basis == "stated" else "SHOULD"
