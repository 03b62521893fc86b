"""Fuzz checks: judge every generated exchange; a failure shows the minimised example and seed.

The predicates here are shared with the fuzz probe (msgconform.fuzz.probe), which runs them under
hypothesis shrinking, so the verdict and the minimisation can never disagree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from msgconform.checks.base import CaseContext, ConformanceFailure, check, fail
from msgconform.checks.common import describe
from msgconform.contract.document import Contract
from msgconform.core.exchange import Exchange

if TYPE_CHECKING:
    from msgconform.core.profiles import Profile

MINIMAL = "fuzz:minimal"
# Overloaded and rate-limited answers say nothing about the request: not judged.
INCONCLUSIVE = frozenset({429, 529})


@dataclass(frozen=True)
class Problem:
    clause: str
    expected: str
    actual: str
    event_index: int | None = None


Predicate = Callable[[Exchange], "Problem | None"]


# ------------------------------------------------------------------ predicates (shared)


def positive_problem(
    exchange: Exchange, contract: Contract, profile: Profile, endpoint: str = "messages"
) -> Problem | None:
    """What is wrong with the answer to a schema-valid request (None when it conforms)."""
    expected = "200 and a body that validates"
    if exchange.status != 200:
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


def stream_problem(exchange: Exchange, contract: Contract, profile: Profile) -> Problem | None:
    expected = "a stream that follows the event grammar"
    if not isinstance(exchange.request_body, dict) or not exchange.request_body.get("stream"):
        return Problem("REQ-001", "application/json for stream absent", describe(exchange))
    try:
        from msgconform.checks.streaming import stream_rules
        from msgconform.stream.grammar import run
        from msgconform.stream.sse import parse_chunks
    except ImportError:  # the grammar is optional: judge the content type alone
        return None
    grammar = run(parse_chunks(exchange.chunks), **stream_rules(profile, contract))
    if not grammar.violations:
        return None
    first = grammar.violations[0]
    return Problem("REQ-001", expected, f"{first.clause}: {first.actual}", first.event_index)


def negative_problem(exchange: Exchange, contract: Contract) -> Problem | None:
    """What is wrong with the answer to a request that breaks the schema (None when right)."""
    expected = "a 4xx in the error envelope"
    status = exchange.status
    if status is None or not 400 <= status < 500:
        return Problem("REQ-014", expected, describe(exchange))
    data = exchange.json()
    issues = contract.error_issues(data) if data is not None else None
    if issues is None or issues:
        shown = "; ".join(map(str, issues[:3])) if issues else "not JSON"
        return Problem("REQ-014", expected, f"{shown}: {describe(exchange)}")
    return None


def server_error(exchange: Exchange) -> Problem | None:
    status = exchange.status
    if status is not None and status >= 500 and status not in INCONCLUSIVE:
        return Problem("ERR-003", "a 4xx (or 200), never a 5xx", describe(exchange))
    return None


# ------------------------------------------------------------------ schemathesis' own checks


def as_schemathesis(exchange: Exchange) -> Any:
    """The recorded answer as schemathesis' Response (no secrets: only method and URL go in)."""
    import requests
    from schemathesis.core.transport import Response

    return Response(
        status_code=exchange.status or 0,
        headers={name: [value] for name, value in exchange.response_headers.items()},
        content=exchange.body,
        request=requests.Request(exchange.method, exchange.url).prepare(),
        elapsed=exchange.elapsed_s,
        verify=True,
    )


def schemathesis_problem(
    exchange: Exchange, st_case: Any, clause: str, names: tuple[str, ...]
) -> Problem | None:
    """Run schemathesis' response checks on the recorded answer; its failure becomes `clause`."""
    import schemathesis.checks as st_checks
    from schemathesis.core.failures import FailureGroup

    if exchange.is_sse:
        # Streams are judged by our grammar, which knows the profile's framing (Cortecs documents
        # data-only frames); schemathesis' per-event schema check does not.
        return None
    checks = [getattr(st_checks, name) for name in names]
    try:
        st_case.validate_response(as_schemathesis(exchange), checks=checks)
    except (AssertionError, FailureGroup) as exc:  # FailureGroup is a BaseExceptionGroup
        first = str(exc).strip().splitlines()
        return Problem(clause, f"schemathesis {', '.join(names)} to pass", " ".join(first[:4]))
    return None


ST_RESPONSE = ("status_code_conformance", "content_type_conformance", "response_schema_conformance")


# ------------------------------------------------------------------ the checks


def notes_of(ctx: CaseContext) -> dict[str, Any]:
    notes = getattr(ctx.exchanges, "notes", None)
    return notes if isinstance(notes, dict) else ctx.notes


def judged(ctx: CaseContext) -> Iterator[Exchange]:
    """The minimised example first (when there is one), then every example in order."""
    if MINIMAL in ctx.exchanges:
        yield ctx.exchanges[MINIMAL]
    for label, exchange in ctx.exchanges.items():
        if label != MINIMAL and exchange.status not in INCONCLUSIVE:
            yield exchange


def raise_first(ctx: CaseContext, predicate: Predicate, st_clause: str | None = None) -> None:
    cases = getattr(ctx.exchanges, "st_cases", {})
    for exchange in judged(ctx):
        problem = predicate(exchange)
        st_case = cases.get(exchange.label)
        if problem is None and st_clause and st_case is not None:
            problem = schemathesis_problem(exchange, st_case, st_clause, ST_RESPONSE)
        if problem is not None:
            raise to_failure(ctx, problem, exchange)


def to_failure(ctx: CaseContext, problem: Problem, exchange: Exchange) -> ConformanceFailure:
    notes = notes_of(ctx)
    origin = notes.get("minimal_of") if exchange.label == MINIMAL else exchange.label
    shown = "minimised example" if exchange.label == MINIMAL else "example"
    actual = (
        f"{problem.actual}\n  {shown} ({origin}; seed {notes.get('seed')}, "
        f"rerun with {notes.get('rerun')}; {notes.get('sent')} examples sent):\n"
        f"  {exchange.curl()}"
    )
    return fail(problem.clause, problem.expected, actual, exchange, event_index=problem.event_index)


@check("fuzz_positive_accepted", "REQ-001")
def fuzz_positive_accepted(ctx: CaseContext, /, **_: Any) -> None:
    """Every generated schema-valid request gets 200 and a body that validates. Clauses: REQ-001."""
    endpoint = str(notes_of(ctx).get("endpoint", "messages"))

    def predicate(exchange: Exchange) -> Problem | None:
        return positive_problem(exchange, ctx.contract, ctx.profile, endpoint)

    raise_first(ctx, predicate, "REQ-001")


@check("fuzz_negative_rejected", "REQ-014")
def fuzz_negative_rejected(ctx: CaseContext, /, **_: Any) -> None:
    """Every generated schema-breaking request gets a 4xx error envelope. Clauses: REQ-014."""
    raise_first(ctx, lambda exchange: negative_problem(exchange, ctx.contract), "REQ-014")


@check("fuzz_no_server_error", "ERR-003")
def fuzz_no_server_error(ctx: CaseContext, /, **_: Any) -> None:
    """No generated request is answered with a 5xx. Clauses: ERR-003."""
    raise_first(ctx, server_error)
