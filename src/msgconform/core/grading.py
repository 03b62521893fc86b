"""How a trial's failures become its outcome, and a run's outcomes its exit status: the one rule
for provider cases (runner/engine.py, runner/run.py) and client scenarios (clients/battery.py)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from msgconform.core.expectations import Expectation, apply, lookup

MODEL_LEVEL = "MODEL"  # a model's behaviour, not the protocol: NON-STRICT even under --strict
# The outcomes that fail a run: a broken MUST (or SHOULD under --strict), and a listed deviation
# that no longer happens (its entry is stale and would hide the next regression).
GATING = frozenset({"FAIL", "XPASS"})


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


def grade(
    test_id: str,
    failures: list[Failure],
    error: str | None,
    *,
    strict: bool,
    expectations: Mapping[str, Expectation],
) -> tuple[str, str | None]:
    """The outcome and its reason: the raw outcome, then the trial's listed deviation if any."""
    raw, reason = raw_outcome(failures, error, strict)
    return apply(raw, reason, lookup(expectations, test_id))


def exit_status(outcomes: Iterable[str], aborted: bool = False) -> int:
    """1 when the run aborted or any outcome gates it, else 0."""
    return 1 if aborted or any(outcome in GATING for outcome in outcomes) else 0


def served_level(level: str, level_basis: str) -> str:
    """The grade of leniency: a request the contract rejects, served with a correct 200.

    FAIL (MUST) only where the clause is a MUST its documents state (they name the field required
    or state its type or range); an inferred MUST or a SHOULD served is NON-STRICT (SHOULD). A 5xx
    or a broken answer is not leniency and keeps its clause's own level."""
    return "MUST" if level == "MUST" and level_basis == "stated" else "SHOULD"
