"""The check registry, the typed failure every check raises, and the one place it becomes a
graded Failure (`to_failure`), for provider checks, invariants, the proxy and client verdicts."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from msgconform.core import clauses as clauses_mod
from msgconform.core.exchange import Exchange
from msgconform.core.grading import Failure

if TYPE_CHECKING:
    from msgconform.contract.document import Contract
    from msgconform.core.profiles import Profile
    from msgconform.stream.grammar import StreamGrammar


class ConformanceFailure(Exception):
    """A broken requirement: what the clause demands, what was expected, what was seen."""

    def __init__(
        self,
        clause: str,
        expected: str,
        actual: str,
        *,
        exchange: Exchange | None = None,
        event_index: int | None = None,
        symptom: str | None = None,
        check: str = "",
        level: str | None = None,
    ) -> None:
        self.clause = clause
        # A grade below the clause's own level (e.g. a provider stricter than the contract):
        # None keeps the clause's level.
        self.level = level
        self.expected = expected
        self.actual = actual
        self.exchange = exchange
        self.event_index = event_index
        self.symptom = symptom
        self.check = check
        super().__init__(f"{clause}: expected {expected}; got {actual}")


@dataclass(frozen=True)
class FuzzNotes:
    """What the fuzz probe tells its checks besides the exchanges: the seed and how to rerun it,
    and what was sent, replayed, dropped and shrunk (fuzz/probe.py fills it, checks/fuzz.py
    prints it in a failure)."""

    seed: int
    seed_from: str  # "given", "explore" or "derived"
    mode: str  # "positive" or "negative"
    endpoint: str
    examples: int
    sent: int
    replayed: int
    dropped: int
    shrink_requests: int
    rerun: str  # the options that send the same examples again
    minimal_of: str | None = None  # the label of the example the minimised one came from
    budget: str | None = None  # the request budget ran out before the plan was done
    # `--explore deep` only: schemathesis' negative examples drawn, and those kept.
    deep_drawn: int | None = None
    deep_kept: int | None = None


@dataclass(frozen=True)
class ProbeResult:
    """What a probe gathered: its exchanges by label, and the fuzz probe's notes."""

    exchanges: dict[str, Exchange]
    fuzz: FuzzNotes | None = None


@dataclass(frozen=True)
class FeatureNote:
    """The feature map's verdict on one feature (features/check.py), kept for the run record."""

    id: str
    mode: str
    klass: str
    why: str
    declared: bool | None
    declared_why: str
    # Supported though the profile does not declare it: worth knowing, never a failure.
    information: bool

    def record(self) -> dict[str, str | bool | None]:
        """The run record's `feature` object (report/features.py reads it back)."""
        return {
            "id": self.id,
            "mode": self.mode,
            "class": self.klass,
            "why": self.why,
            "declared": self.declared,
            "declared_why": self.declared_why,
            "information": self.information,
        }


@dataclass
class CaseContext:
    """What a check sees: the exchanges a probe made, and the profile they were judged by; what
    checks work out along the way (a stream's grammar run, the feature map's verdict) is kept in
    typed fields, not a dictionary of notes."""

    profile: Profile
    contract: Contract
    request: Mapping[str, Any]
    exchanges: dict[str, Exchange] = field(default_factory=dict)
    fuzz: FuzzNotes | None = None
    # One grammar run per exchange, by label (checks/streaming.grammar_of).
    grammars: dict[str, StreamGrammar] = field(default_factory=dict)
    feature: FeatureNote | None = None

    @property
    def main(self) -> Exchange:
        return next(iter(self.exchanges.values()))

    def exchange(self, label: str) -> Exchange:
        return self.exchanges[label]


# A check takes the context and the case's parameters as keywords; `msgconform validate` compares
# the parameters a case passes with the function's signature, so a typo is caught before a run.
CheckFunc = Callable[..., None]


@dataclass(frozen=True)
class CheckSpec:
    name: str
    clauses: tuple[str, ...]
    func: CheckFunc
    doc: str
    # The verdicts on an answer's kind the check gives by design (SERVED: a request it expects
    # refused was served; REFUSED: the reverse); `msgconform validate` refuses a case in which two
    # checks give the same one on the same exchange, so one symptom is graded once.
    grades: frozenset[str] = frozenset()


SERVED = "served"
REFUSED = "refused"


REGISTRY: dict[str, CheckSpec] = {}


def check(
    name: str, *clauses: str, grades: tuple[str, ...] = ()
) -> Callable[[CheckFunc], CheckFunc]:
    """Register a check under `name`, citing the clause IDs it enforces."""

    def register(func: CheckFunc) -> CheckFunc:
        if name in REGISTRY:
            raise ValueError(f"check {name} registered twice")
        doc = (func.__doc__ or "").strip().splitlines()[0] if func.__doc__ else name
        REGISTRY[name] = CheckSpec(name, clauses, func, doc, frozenset(grades))
        return func

    return register


def fail(
    clause: str, expected: str, actual: object, exchange: Exchange | None = None, **kw: Any
) -> ConformanceFailure:
    """Build the failure; `raise fail(...)` keeps the raise visible at the call site."""
    shown = actual if isinstance(actual, str) else repr(actual)
    return ConformanceFailure(clause, expected, shown, exchange=exchange, **kw)


def to_failure(check: str, exc: ConformanceFailure) -> Failure:
    """The failure as graded and recorded: the clause's title, source and level filled in."""
    clause = clauses_mod.get(exc.clause)
    level = exc.level or ("MUST" if clause.level == "MUST" else "SHOULD")
    return Failure(
        check=check,
        clause=clause.id,
        level=level,
        requirement=clause.title,
        source=f"{clause.source} § {clause.section}",
        expected=exc.expected,
        actual=exc.actual,
        symptom=exc.symptom,
        event_index=exc.event_index,
        exchange=exc.exchange.label if exc.exchange else None,
    )
