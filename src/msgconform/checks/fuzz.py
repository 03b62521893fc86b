"""Fuzz checks: judge every generated exchange; a failure shows the minimised example and seed.

The predicates here are shared with the fuzz probe (msgconform.fuzz.probe), which shrinks a failing
example while the same predicate still finds the same problem, so the verdict and the
minimisation can never disagree. Verdicts are graded: a provider stricter or more lenient than
the contract is NON-STRICT; FAIL is kept for a broken server (5xx, no envelope, an invalid 200,
a broken stream) and for accepting what a stated MUST says must be refused.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from msgconform.checks.base import REFUSED, SERVED, CaseContext, ConformanceFailure, check, fail
from msgconform.checks.common import describe, documented_message
from msgconform.checks.streaming import stream_rules
from msgconform.contract.document import Contract
from msgconform.contract.rules import request_breaks
from msgconform.core import clauses
from msgconform.core.exchange import Exchange
from msgconform.core.grading import served_level
from msgconform.stream.grammar import run
from msgconform.stream.sse import parse_chunks

if TYPE_CHECKING:
    from msgconform.core.profiles import Profile

MINIMAL = "fuzz:minimal"
# Overloaded and rate-limited answers say nothing about the request: not judged.
INCONCLUSIVE = frozenset({429, 529})
# A negative example is graded by the clause of what it breaks (x-rules and schema keywords).
NEGATIVE_CLAUSES = (
    "REQ-014", "REQ-015", "REQ-030", "REQ-031", "REQ-032", "REQ-033", "REQ-034", "REQ-035",
    "REQ-036", "REQ-037", "REQ-038",
)  # fmt: skip
# Both fuzz verdicts judge every example by what it is now (valid or not): each grades both ways.
EVERY_EXAMPLE = (SERVED, REFUSED)


@dataclass(frozen=True)
class Problem:
    clause: str
    expected: str
    actual: str
    event_index: int | None = None
    level: str = "MUST"  # MUST: FAIL; SHOULD: NON-STRICT (stricter or lenient, FAIL with --strict)

    @property
    def gating(self) -> bool:
        return self.level == "MUST"


Predicate = Callable[[Exchange], "Problem | None"]


# ------------------------------------------------------------------ predicates (shared)


def positive_problem(
    exchange: Exchange, contract: Contract, profile: Profile, endpoint: str = "messages"
) -> Problem | None:
    """What is wrong with the answer to a valid request (None when it conforms).

    A proper 4xx error envelope is graded SHOULD: the provider is stricter than the contract,
    which a maintainer should see but which is not a broken server."""
    expected = "200 and a body that validates"
    status = exchange.status
    if status is not None and 400 <= status < 500 and status not in INCONCLUSIVE:
        if enveloped(exchange, contract, profile):
            actual = f"stricter than the contract: {describe(exchange)}"
            return Problem("REQ-001", expected, actual, level="SHOULD")
        return Problem("REQ-001", expected, f"not the error envelope: {describe(exchange)}")
    if status != 200:
        return Problem("REQ-001", expected, describe(exchange))
    if exchange.is_sse:
        return stream_problem(exchange, contract, profile)
    if isinstance(exchange.request_body, dict) and exchange.request_body.get("stream") is True:
        return Problem("REQ-001", "text/event-stream for stream: true", describe(exchange))
    data = exchange.json()
    if data is None:
        return Problem("REQ-001", expected, f"not JSON: {describe(exchange)}")
    if endpoint == "count_tokens":
        issues = contract.count_tokens_issues(data)
    else:
        issues = contract.message_issues(data)
    if issues:
        return Problem("REQ-001", expected, "; ".join(map(str, issues[:3])))
    return None


def enveloped(exchange: Exchange, contract: Contract, profile: Profile) -> bool:
    """An error body in the envelope, or in the form the provider documents instead."""
    if documented_message(profile, exchange) is not None:
        return True
    data = exchange.json()
    return data is not None and not contract.error_issues(data)


def stream_problem(exchange: Exchange, contract: Contract, profile: Profile) -> Problem | None:
    expected = "a stream that follows the event grammar"
    if not isinstance(exchange.request_body, dict) or not exchange.request_body.get("stream"):
        return Problem("REQ-001", "application/json for stream absent", describe(exchange))
    grammar = run(parse_chunks(exchange.chunks), **stream_rules(profile, contract))
    if not grammar.violations:
        return None
    first = grammar.violations[0]
    return Problem("REQ-001", expected, f"{first.clause}: {first.actual}", first.event_index)


def must_reject(clause_id: str) -> bool:
    """Only a clause whose own text says the API must (stated MUST) makes leniency a FAIL."""
    clause = clauses.get(clause_id)
    return served_level(clause.level, clause.level_basis) == "MUST"


def negative_problem(
    exchange: Exchange, contract: Contract, profile: Profile, endpoint: str = "messages"
) -> Problem | None:
    """What is wrong with the answer to a request that breaks the contract (None when right).

    What the request breaks is derived again from the request itself, so an example that is
    valid after all (shrinking, a stored example, a changed contract) is judged as positive."""
    breaks = request_breaks(contract, exchange.request_body, endpoint)
    if not breaks:
        return positive_problem(exchange, contract, profile, endpoint)
    broken = breaks[0]
    expected = f"a 4xx in the error envelope ({broken.what} is broken)"
    status = exchange.status
    if status is not None and 200 <= status < 300:
        # Leniency is a correct answer to a request the contract rejects; a wrong one is not.
        wrong = positive_problem(exchange, contract, profile, endpoint)
        level = "MUST" if must_reject(broken.clause) or wrong is not None else "SHOULD"
        actual = f"lenient: status {status} for a request that breaks {broken.detail}"
        if wrong is not None:
            actual = f"status {status} for a request that breaks {broken.detail}: {wrong.actual}"
        return Problem(broken.clause, expected, actual, level=level)
    if status is None or not 400 <= status < 500:
        return Problem("REQ-014", expected, describe(exchange))
    if documented_message(profile, exchange) is not None:
        return None
    data = exchange.json()
    issues = contract.error_issues(data) if data is not None else None
    if issues is None or issues:
        shown = "; ".join(map(str, issues[:3])) if issues else "not JSON"
        return Problem("REQ-014", expected, f"{shown}: {describe(exchange)}")
    return None


def example_problem(
    exchange: Exchange, contract: Contract, profile: Profile, endpoint: str = "messages"
) -> Problem | None:
    """Judge a generated or stored example by what it is now, not by what its case calls it."""
    if request_breaks(contract, exchange.request_body, endpoint):
        return negative_problem(exchange, contract, profile, endpoint)
    return positive_problem(exchange, contract, profile, endpoint)


def server_error(exchange: Exchange) -> Problem | None:
    status = exchange.status
    if status is not None and status >= 500 and status not in INCONCLUSIVE:
        return Problem("ERR-003", "a 4xx (or 200), never a 5xx", describe(exchange))
    return None


# ------------------------------------------------------------------ the checks


def judged(ctx: CaseContext) -> Iterator[Exchange]:
    """The minimised example first (when there is one), then every example in order."""
    if MINIMAL in ctx.exchanges:
        yield ctx.exchanges[MINIMAL]
    for label, exchange in ctx.exchanges.items():
        if label != MINIMAL and exchange.status not in INCONCLUSIVE:
            yield exchange


def raise_worst(ctx: CaseContext, predicate: Predicate) -> None:
    """The first gating problem, else the first non-gating one (NON-STRICT), else nothing."""
    first: tuple[Problem, Exchange] | None = None
    for exchange in judged(ctx):
        problem = predicate(exchange)
        if problem is None:
            continue
        if problem.gating:
            raise to_failure(ctx, problem, exchange)
        first = first or (problem, exchange)
    if first is not None:
        raise to_failure(ctx, *first)


def to_failure(ctx: CaseContext, problem: Problem, exchange: Exchange) -> ConformanceFailure:
    notes = ctx.fuzz  # None only for a fuzz check outside the fuzz probe: printed as None
    rerun, sent = (notes.rerun, notes.sent) if notes else (None, None)
    minimal_of = notes.minimal_of if notes else None
    origin = minimal_of if exchange.label == MINIMAL else exchange.label
    shown = "minimised example" if exchange.label == MINIMAL else "example"
    actual = (
        f"{problem.actual}\n  {shown} ({origin}; seed {seed_of(ctx)}, "
        f"rerun with {rerun}; {sent} examples sent):\n"
        f"  {exchange.curl()}\n"
        f"  keep it (suites/fuzz/regressions.yaml): {stored_entry(ctx, exchange)}"
    )
    level = None if problem.gating else "SHOULD"
    return fail(
        problem.clause,
        problem.expected,
        actual,
        exchange,
        event_index=problem.event_index,
        level=level,
    )


def stored_entry(ctx: CaseContext, exchange: Exchange) -> str:
    """The example as an entry of the stored examples (JSON is YAML), replayed on every run."""
    body = exchange.request_body
    if isinstance(body, dict) and isinstance(body.get("model"), str):
        body = {**body, "model": "{model}"}
    endpoint = endpoint_of(ctx)
    breaks = request_breaks(ctx.contract, exchange.request_body, endpoint)
    entry: dict[str, Any] = {"id": "NAME-ME", "mode": "negative" if breaks else "positive"}
    if endpoint != "messages":
        entry["endpoint"] = endpoint
    if isinstance(body, dict) and body.get("stream") is True:
        entry["stream"] = True
    if breaks:
        entry["breaks"] = breaks[0].what
    entry.update(body=body, found=f"seed {seed_of(ctx)}")
    return json.dumps(entry, ensure_ascii=False)


def seed_of(ctx: CaseContext) -> int | None:
    return ctx.fuzz.seed if ctx.fuzz else None


def endpoint_of(ctx: CaseContext) -> str:
    return ctx.fuzz.endpoint if ctx.fuzz else "messages"


@check("fuzz_positive_accepted", "REQ-001", grades=EVERY_EXAMPLE)
def fuzz_positive_accepted(ctx: CaseContext, /, **_: Any) -> None:
    """Every generated valid request gets 200 and a body that validates; a 4xx error envelope
    is NON-STRICT (stricter than the contract). Clauses: REQ-001."""
    endpoint = endpoint_of(ctx)
    raise_worst(ctx, lambda e: example_problem(e, ctx.contract, ctx.profile, endpoint))


@check("fuzz_negative_rejected", *NEGATIVE_CLAUSES, grades=EVERY_EXAMPLE)
def fuzz_negative_rejected(ctx: CaseContext, /, **_: Any) -> None:
    """Every generated request that breaks the contract gets a 4xx error envelope; a 2xx is
    NON-STRICT (lenient) unless the broken clause is a stated MUST. Clauses: REQ-014."""
    endpoint = endpoint_of(ctx)
    raise_worst(ctx, lambda e: example_problem(e, ctx.contract, ctx.profile, endpoint))


@check("fuzz_no_server_error", "ERR-003")
def fuzz_no_server_error(ctx: CaseContext, /, **_: Any) -> None:
    """No generated request is answered with a 5xx. Clauses: ERR-003."""
    raise_worst(ctx, server_error)
