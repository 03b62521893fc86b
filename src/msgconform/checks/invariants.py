"""Invariants: what every exchange of every case honours, whatever the case was written to test.

A case's checks judge the exchanges someone thought to look at; the engine also runs these on every
exchange a probe made (generated ones included), so a server is judged on everything it said. Each
invariant cites its clause and is graded by that clause's level. They never turn red on a correct
server: they judge only what the contract states for every response, read the profile's contract
(overlay included) and features, and a case that provokes an odd answer on purpose turns one off
with a reason (`invariants_off` in its YAML).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from msgconform.checks.base import REGISTRY, CaseContext, ConformanceFailure, fail
from msgconform.checks.common import describe, documented_message, error_fields, short
from msgconform.checks.errors import OPENAI_SHAPE, expected_type, well_formed
from msgconform.checks.shape import listed
from msgconform.checks.streaming import grammar_of
from msgconform.checks.streaming import to_failure as violation_failure
from msgconform.core.endpoints import COUNT_TOKENS, MESSAGES
from msgconform.core.errors import ConfigError
from msgconform.core.exchange import Exchange
from msgconform.stream.sse import parse_chunks

PREFIX = "invariant:"
FUZZ_MINIMAL = "fuzz:minimal"  # a copy of one example: judged once, under its own label
# A 502/503/504 usually comes from a proxy or load balancer in front of the server, not from the
# implementation under test; the cases that ask for errors judge those.
GATEWAY_STATUSES = frozenset({502, 503, 504})
# An overloaded answer says nothing about the request that got it.
NOT_ABOUT_THE_REQUEST = frozenset({529})
COMPLETE = frozenset({"eof", "close_timeout"})  # a cut stream is stream_completes' to report
HUNG = frozenset({"idle_timeout", "total_timeout"})
MORE_SHOWN = 3

InvariantFunc = Callable[[CaseContext, Exchange], None]


@dataclass(frozen=True)
class Invariant:
    name: str
    clauses: tuple[str, ...]
    func: InvariantFunc
    # The answer is not the kind of response asked for: every other verdict on it is a consequence.
    whole_exchange: bool = False

    @property
    def check(self) -> str:
        return PREFIX + self.name


@dataclass(frozen=True)
class Breach:
    """One invariant broken in one case: the first failure, and every exchange that broke it."""

    invariant: Invariant
    failure: ConformanceFailure
    labels: frozenset[str]

    def explains(self, clause: str, label: str | None) -> bool:
        """Whether a case check's failure is this breach seen again (reported once, here)."""
        if label is None or label not in self.labels:
            return False
        return self.invariant.whole_exchange or clause == self.failure.clause


INVARIANTS: dict[str, Invariant] = {}


def invariant(
    name: str, *clauses: str, whole_exchange: bool = False
) -> Callable[[InvariantFunc], InvariantFunc]:
    def register(func: InvariantFunc) -> InvariantFunc:
        if name in INVARIANTS:
            raise ValueError(f"invariant {name} registered twice")
        INVARIANTS[name] = Invariant(name, clauses, func, whole_exchange)
        return func

    return register


# ------------------------------------------------------------------ what an exchange is


def endpoint_of(exchange: Exchange) -> str | None:
    path = urlsplit(exchange.url).path.rstrip("/")
    if path.endswith(COUNT_TOKENS):
        return "count_tokens"
    return "messages" if path.endswith(MESSAGES) and exchange.method == "POST" else None


def asked_to_stream(exchange: Exchange) -> bool:
    body = exchange.request_body
    return isinstance(body, Mapping) and body.get("stream") is True


def media_type(exchange: Exchange) -> str:
    return exchange.content_type.split(";")[0].strip().lower()


def is_error(exchange: Exchange) -> bool:
    return exchange.status is not None and exchange.status >= 400


def message_answer(exchange: Exchange) -> bool:
    """A 200 JSON answer to a non-streaming POST /v1/messages: a Message to judge."""
    return (
        exchange.status == 200
        and endpoint_of(exchange) == "messages"
        and not asked_to_stream(exchange)
        and media_type(exchange) == "application/json"
    )


# ------------------------------------------------------------------ errors


@invariant("error_envelope", "ERR-001")
def error_envelope(ctx: CaseContext, exchange: Exchange) -> None:
    """Every error body is the envelope {type: error, error: {type, message}}."""
    if not is_error(exchange) or exchange.status in GATEWAY_STATUSES:
        return
    if documented_message(ctx.profile, exchange) is not None:
        return
    body = exchange.json()
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(body, dict) and body.get("type") == "error" and well_formed(error):
        issues = ctx.contract.error_issues(body)
        if not issues:
            return
        raise fail("ERR-001", "an envelope valid against the contract", listed(issues), exchange)
    openai = isinstance(error, dict) and "code" in error
    symptom = OPENAI_SHAPE if openai else "the SDK raises an error with no error type"
    expected = '{"type":"error","error":{"type":str,"message":str}}'
    raise fail("ERR-001", expected, describe(exchange), exchange, symptom=symptom)


@invariant("error_type_matches_status", "ERR-002")
def error_type_matches_status(ctx: CaseContext, exchange: Exchange) -> None:
    """error.type agrees with the status by the contract's table (the profile's overlay)."""
    if not is_error(exchange):
        return
    kind, message = error_fields(exchange)
    if not isinstance(kind, str) or not isinstance(message, str):
        return  # not an envelope: error_envelope reports it
    status = int(exchange.status or 0)
    wanted = expected_type(ctx, status)
    if kind not in wanted:
        symptom = f"status {status} says {kind}: clients that branch on error.type misjudge it"
        actual = f"status {status} with error.type={short(kind)}: {short(message, 100)}"
        raise fail("ERR-002", " or ".join(wanted), actual, exchange, symptom=symptom)


@invariant("client_mistake_not_5xx", "ERR-003")
def client_mistake_not_5xx(ctx: CaseContext, exchange: Exchange) -> None:
    """A request the profile's contract calls invalid is never answered with a 5xx."""
    status = exchange.status
    if status is None or status < 500 or status in NOT_ABOUT_THE_REQUEST:
        return
    endpoint = endpoint_of(exchange)
    problem = request_problem(ctx, exchange, endpoint) if endpoint else None
    if problem is not None:
        symptom = "the SDK retries a request that can never succeed"
        actual = f"{describe(exchange)} for a request the contract rejects ({problem})"
        raise fail("ERR-003", "a status below 500", actual, exchange, symptom=symptom)


def request_problem(ctx: CaseContext, exchange: Exchange, endpoint: str) -> str | None:
    body: Any = exchange.request_body
    if body is None and exchange.raw_request_body is not None:
        try:  # sent as bytes on purpose (a padded or broken body); judged only after a 5xx
            body = json.loads(exchange.raw_request_body)
        except (UnicodeDecodeError, json.JSONDecodeError):
            return "the body is not JSON"
    if body is None:
        return None
    issues = ctx.contract.request_issues(body, endpoint)
    return str(issues[0]) if issues else None


@invariant("request_id", "HDR-005")
def request_id(ctx: CaseContext, exchange: Exchange) -> None:
    """Every response carries request-id, where the profile documents it (a SHOULD)."""
    if exchange.status is None or not ctx.profile.has("request_id"):
        return
    if not exchange.response_headers.get("request-id"):
        other = exchange.response_headers.get("x-request-id")
        actual = f"status {exchange.status} without request-id" + (
            f" (x-request-id {short(other)})" if other else ""
        )
        symptom = "the SDK's request_id is None: no id to quote to support"
        raise fail("HDR-005", "a request-id header", actual, exchange, symptom=symptom)


# ------------------------------------------------------------------ the kind of answer


@invariant("content_type", "STREAM-001", "SHAPE-008", whole_exchange=True)
def content_type(ctx: CaseContext, exchange: Exchange) -> None:
    """A 200 from /v1/messages is SSE when asked to stream and application/json otherwise."""
    if exchange.status != 200 or endpoint_of(exchange) != "messages":
        return
    if asked_to_stream(exchange):
        if not exchange.is_sse:
            symptom = "the SDK's stream yields no events"
            expected = "200 with Content-Type: text/event-stream"
            raise fail("STREAM-001", expected, describe(exchange), exchange, symptom=symptom)
    elif media_type(exchange) != "application/json":
        symptom = (
            "Streaming fallback triggered"
            if exchange.is_sse
            else "the SDK does not read the body as JSON"
        )
        expected = "Content-Type application/json"
        raise fail("SHAPE-008", expected, describe(exchange), exchange, symptom=symptom)


# ------------------------------------------------------------------ the message and the stream


@invariant("message_schema", "SHAPE-001")
def message_schema(ctx: CaseContext, exchange: Exchange) -> None:
    """A 200 Message validates against the profile's contract (stop_reason: see below)."""
    if not message_answer(exchange):
        return
    body = exchange.json()
    if not isinstance(body, dict):
        symptom = "the SDK cannot parse the Message"
        actual = f"not a JSON object: {describe(exchange)}"
        raise fail("SHAPE-001", "a Message", actual, exchange, symptom=symptom)
    # An unknown stop_reason is its own clause (STOP-001): one problem, one finding.
    issues = [i for i in ctx.contract.message_issues(body) if i.path != "stop_reason"]
    if issues:
        symptom = "fields clients read are missing or mistyped"
        expected = "a Message valid against the contract"
        raise fail("SHAPE-001", expected, listed(issues), exchange, symptom=symptom)


@invariant("stop_reason_in_enum", "STOP-001")
def stop_reason_in_enum(ctx: CaseContext, exchange: Exchange) -> None:
    """A Message's stop_reason, when set, is one of the contract's values."""
    if not message_answer(exchange):
        return
    body = exchange.json()
    reason = body.get("stop_reason") if isinstance(body, dict) else None
    if reason is not None and reason not in ctx.contract.stop_reasons:
        symptom = "clients switching on stop_reason meet a value they do not know"
        expected = " or ".join(ctx.contract.stop_reasons)
        raise fail("STOP-001", expected, f"stop_reason={short(reason)}", exchange, symptom=symptom)


@invariant("stop_sequence_consistent", "STOP-003")
def stop_sequence_consistent(ctx: CaseContext, exchange: Exchange) -> None:
    """A Message that names a matched stop_sequence says stop_reason stop_sequence."""
    if not message_answer(exchange):
        return
    body = exchange.json()
    if not isinstance(body, dict):
        return  # message_schema reports it
    reason, sequence = body.get("stop_reason"), body.get("stop_sequence")
    if sequence is not None and reason != "stop_sequence":
        symptom = "a client that branches on stop_reason never sees the sequence that stopped it"
        actual = f"stop_reason={short(reason)}, stop_sequence={short(sequence)}"
        raise fail("STOP-003", "stop_sequence: null", actual, exchange, symptom=symptom)


@invariant("stream_grammar", *REGISTRY["stream_grammar"].clauses)
def stream_grammar(ctx: CaseContext, exchange: Exchange) -> None:
    """A complete SSE answer follows the event grammar (the profile's framing)."""
    if exchange.status != 200 or not exchange.is_sse or exchange.ended not in COMPLETE:
        return
    if endpoint_of(exchange) != "messages" or not asked_to_stream(exchange):
        return  # SSE for a non-streaming request is content_type's to report
    grammar = grammar_of(ctx, exchange)  # cached per exchange: the case's checks share it
    if grammar.violations:
        found = grammar.violations
        raise violation_failure(grammar, found[0], exchange, len(found) - 1)


@invariant("stream_completes", "STREAM-014", whole_exchange=True)
def stream_completes(ctx: CaseContext, exchange: Exchange) -> None:
    """A stream that started (200, SSE) ends rather than going silent past the profile's deadlines:
    a hung stream fails every case that streamed, not only the cases that look at completion, and
    what is missing from it (message_stop, stop_reason) is its consequence, reported here once."""
    if exchange.status != 200 or not exchange.is_sse or exchange.ended not in HUNG:
        return
    frames = parse_chunks(exchange.chunks)
    limits = ctx.profile.timeouts
    raise fail(
        "STREAM-014",
        f"a stream that ends: gaps under {limits.idle}s, all within {limits.total}s",
        f"{exchange.ended} after {len(frames)} events: {exchange.error}",
        exchange,
        event_index=len(frames) - 1 if frames else None,
        symptom="a client waits on a stream that never ends",
    )


# ------------------------------------------------------------------ running them


def judge(ctx: CaseContext, off: Mapping[str, str], where: str = "case") -> list[Breach]:
    """Every invariant not turned off, on every exchange; one breach per invariant and clause."""
    unknown = sorted(set(off) - set(INVARIANTS))
    if unknown:
        raise ConfigError(f"{where}: invariants_off", f"unknown {unknown}", ", ".join(INVARIANTS))
    exchanges = [e for label, e in ctx.exchanges.items() if not duplicate(ctx, label)]
    breaches: list[Breach] = []
    for spec in INVARIANTS.values():
        if spec.name not in off:
            breaches += breaches_of(spec, ctx, exchanges)
    return breaches


def duplicate(ctx: CaseContext, label: str) -> bool:
    """The fuzz probe's minimised example copies one it made; judged once, unless only the copy is
    kept (a shrinking step's answer)."""
    return label == FUZZ_MINIMAL and minimal_of(ctx) in ctx.exchanges


def minimal_of(ctx: CaseContext) -> str | None:
    return ctx.fuzz.minimal_of if ctx.fuzz else None


def breaches_of(spec: Invariant, ctx: CaseContext, exchanges: Sequence[Exchange]) -> list[Breach]:
    found: dict[str, list[ConformanceFailure]] = {}
    for exchange in exchanges:
        if exchange.status is None:
            continue  # nothing came back: transport trouble, not a verdict
        try:
            spec.func(ctx, exchange)
        except ConformanceFailure as exc:
            found.setdefault(exc.clause, []).append(exc)
    return [summarised(spec, failures, ctx) for failures in found.values()]


def summarised(spec: Invariant, failures: list[ConformanceFailure], ctx: CaseContext) -> Breach:
    first = failures[0]
    labels = {f.exchange.label for f in failures if f.exchange is not None}
    if minimal_of(ctx) in labels:
        labels.add(FUZZ_MINIMAL)
    if len(failures) > 1:
        others = [f.exchange.label for f in failures[1:] if f.exchange is not None]
        shown = ", ".join(others[:MORE_SHOWN]) + (" …" if len(others) > MORE_SHOWN else "")
        first.actual += f"\n  (and {len(failures) - 1} more exchanges: {shown})"
    first.check = spec.check
    return Breach(spec, first, frozenset(labels))


def explained(breaches: Sequence[Breach], clause: str, label: str | None) -> bool:
    return any(b.explains(clause, label) for b in breaches)
