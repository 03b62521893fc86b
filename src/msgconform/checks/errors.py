"""Checks on error responses: the envelope, status and type, and the headers that go with them."""

from __future__ import annotations

import email.utils
import urllib.parse
from typing import Any

from msgconform.checks.base import SERVED, CaseContext, ConformanceFailure, check, fail
from msgconform.checks.common import (
    cited,
    documented_message,
    error_fields,
    error_summary,
    json_object,
    names_field,
    request_of,
    selected,
    short,
    statuses,
)
from msgconform.checks.fuzz import positive_problem
from msgconform.contract.rules import Break, request_breaks
from msgconform.core import clauses
from msgconform.core.endpoints import COUNT_TOKENS, MESSAGES
from msgconform.core.exchange import Exchange
from msgconform.core.grading import served_level

OPENAI_SHAPE = "an OpenAI-style error: the SDK raises with no error type"


def error_exchanges(ctx: CaseContext, label: str | None, clause: str) -> list[Exchange]:
    """The error responses to judge. A check of errors judges error responses only: a request
    that was served is the refusal check's to grade (`rejected_with`, by the leniency rule), so a
    200 adds no failure here and one symptom is never graded twice."""
    chosen = selected(ctx, label, clause)
    return [e for e in chosen if e.status is not None and e.status >= 400]


@check("error_envelope", "ERR-001")
def error_envelope(ctx: CaseContext, label: str | None = None) -> None:
    """Every error body is {type: "error", error: {type: str, message: str}}.

    Clauses: ERR-001"""
    for exchange in error_exchanges(ctx, label, "ERR-001"):
        body = json_object(exchange, "ERR-001", "an error envelope (JSON object)")
        if documented_message(ctx.profile, exchange) is not None:
            continue
        error = body.get("error")
        if body.get("type") == "error" and well_formed(error):
            issues = ctx.contract.error_issues(body)
            if issues:
                shown = "; ".join(str(i) for i in issues[:3])
                raise fail("ERR-001", "an envelope valid against the contract", shown, exchange)
            continue
        symptom = OPENAI_SHAPE if isinstance(error, dict) and "code" in error else None
        raise fail(
            "ERR-001",
            '{"type":"error","error":{"type":str,"message":str}}',
            f"status {exchange.status}: {short(body, 120)}",
            exchange,
            symptom=symptom,
        )


def well_formed(error: Any) -> bool:
    return (
        isinstance(error, dict)
        and isinstance(error.get("type"), str)
        and isinstance(error.get("message"), str)
    )


def expected_type(ctx: CaseContext, status: int) -> tuple[str, ...]:
    mapped = ctx.contract.error_types.get(status)
    if mapped:
        return (mapped,)
    # Upstream uses invalid_request_error for the 4xx statuses its table does not list.
    return ("invalid_request_error",) if status < 500 else tuple(ctx.contract.error_types.values())


@check("error_status_matches_type", "ERR-002")
def error_status_matches_type(ctx: CaseContext, label: str | None = None) -> None:
    """The HTTP status matches error.type (400 invalid_request_error, 401 authentication_error…).

    Clauses: ERR-002"""
    for exchange in error_exchanges(ctx, label, "ERR-002"):
        if documented_message(ctx.profile, exchange) is not None:
            continue
        kind, _ = error_fields(exchange)
        wanted = expected_type(ctx, int(exchange.status or 0))
        if kind not in wanted:
            actual = f"status {exchange.status} with error.type={short(kind)}"
            raise fail("ERR-002", " or ".join(wanted), actual, exchange)


@check("error_not_5xx", "ERR-003", "HDR-006")
def error_not_5xx(ctx: CaseContext, clause: str | None = None, label: str | None = None) -> None:
    """A client mistake (or an unknown header) is never answered with a 5xx.

    Clauses: ERR-003, HDR-006"""
    clause = cited("error_not_5xx", clause)
    for exchange in selected(ctx, label, clause):
        if exchange.status is not None and exchange.status >= 500:
            symptom = "the SDK retries a request that can never succeed"
            raise fail(
                clause, "a status below 500", error_summary(exchange), exchange, symptom=symptom
            )


@check("rate_limit_retry_after", "ERR-004")
def rate_limit_retry_after(ctx: CaseContext, label: str | None = None) -> None:
    """A 429 carries a usable retry-after header.

    Clauses: ERR-004"""
    for exchange in error_exchanges(ctx, label, "ERR-004"):
        if exchange.status != 429:
            raise fail("ERR-004", "status 429", error_summary(exchange), exchange)
        value = exchange.response_headers.get("retry-after")
        if value is None or not retry_after_usable(value):
            shown = "absent" if value is None else short(value)
            symptom = "clients back off blindly"
            raise fail(
                "ERR-004", "retry-after: seconds or an HTTP date", shown, exchange, symptom=symptom
            )


def retry_after_usable(value: str) -> bool:
    if value.strip().isdigit():
        return True
    try:
        return email.utils.parsedate_to_datetime(value) is not None
    except (TypeError, ValueError):
        return False


REJECTED_WITH_CLAUSES = (
    "REQ-014", "REQ-012", "REQ-013", "REQ-015", "HDR-002", "HDR-003", "ERR-003", "ERR-004",
    "ERR-006", "ERR-007", "ERR-008", "ENDP-002", "ENDP-004",
    "REQ-030", "REQ-031", "REQ-032", "REQ-033", "REQ-034", "REQ-035", "REQ-036", "REQ-037",
    "REQ-038",
)  # fmt: skip


@check("rejected_with", *REJECTED_WITH_CLAUSES, grades=(SERVED,))
def rejected_with(
    ctx: CaseContext,
    clause: str | None = None,
    status: Any = "client_error",
    type: str | None = None,  # the case data's own word
    names: str | list[str] | None = None,
    label: str | None = None,
) -> None:
    """The request is refused with the status, error.type and field name the case expects.

    Clauses: REQ-014, REQ-012, REQ-013, REQ-015, HDR-002, HDR-003, ERR-003, ERR-004, ERR-006,
    ERR-007, ERR-008, ENDP-002, ENDP-004, REQ-030, REQ-031, REQ-032, REQ-033, REQ-034, REQ-035,
    REQ-036, REQ-037, REQ-038"""
    clause = cited("rejected_with", clause)
    allowed = statuses(ctx, status)
    for exchange in selected(ctx, label, clause):
        if exchange.status not in allowed:
            expected = f"status {' or '.join(str(s) for s in sorted(allowed)[:4])}"
            if (exchange.status or 0) < 300:
                raise served(ctx, clause, expected, exchange)
            raise fail(clause, expected, error_summary(exchange), exchange)
        kind, message = error_fields(exchange)
        if (documented := documented_message(ctx.profile, exchange)) is not None:
            kind, message = type, documented  # the documented form has no type to compare
        if type is not None and kind != type:
            raise fail(clause, f"error.type={type}", error_summary(exchange), exchange)
        wanted = [names] if isinstance(names, str) else list(names or [])
        if wanted and not any(isinstance(message, str) and names_field(message, n) for n in wanted):
            raise fail(
                clause, f"a message naming {' or '.join(wanted)}", error_summary(exchange), exchange
            )


def served(ctx: CaseContext, clause: str, expected: str, exchange: Exchange) -> ConformanceFailure:
    """A request that was to be refused, served. Where the contract rejects the request and the
    answer is correct, that is leniency, graded by `served_level` (NON-STRICT unless the clause is
    a stated MUST); any other served answer keeps the clause's level."""
    symptom = "a mistaken request is served"
    broken = lenient_answer(ctx, exchange)
    if broken is None:
        return fail(clause, expected, error_summary(exchange), exchange, symptom=symptom)
    rule = clauses.get(clause)
    level = served_level(rule.level, rule.level_basis)
    actual = f"lenient: status {exchange.status} and a correct answer for a request that breaks "
    return fail(clause, expected, actual + broken, exchange, symptom=symptom, level=level)


def lenient_answer(ctx: CaseContext, exchange: Exchange) -> str | None:
    """What the request breaks, when the contract rejects it and the 2xx answer is correct."""
    broken = lenient_break(ctx, exchange)
    return broken.detail if broken is not None else None


def lenient_break(ctx: CaseContext, exchange: Exchange) -> Break | None:
    """The first thing the request breaks, when the contract rejects it and the 2xx answer is
    correct (the feature map grades its probes by it too)."""
    endpoint = endpoint_of(exchange)
    if exchange.status is None or exchange.status >= 300 or endpoint is None:
        return None
    breaks = request_breaks(ctx.contract, request_of(ctx, exchange), endpoint)
    if not breaks or positive_problem(exchange, ctx.contract, ctx.profile, endpoint) is not None:
        return None
    return breaks[0]


def endpoint_of(exchange: Exchange) -> str | None:
    path = urllib.parse.urlsplit(exchange.url).path.rstrip("/")
    if exchange.method != "POST":
        return None
    if path.endswith(COUNT_TOKENS):
        return "count_tokens"
    return "messages" if path.endswith(MESSAGES) else None


@check("request_id_present", "HDR-005")
def request_id_present(ctx: CaseContext, label: str | None = None) -> None:
    """Every response carries a request-id header.

    Clauses: HDR-005"""
    for exchange in selected(ctx, label, "HDR-005"):
        # The SDK reads request-id only; x-request-id is noted but does not count.
        if exchange.status is not None and not exchange.response_headers.get("request-id"):
            other = exchange.response_headers.get("x-request-id")
            actual = f"status {exchange.status} without request-id" + (
                f" (x-request-id {short(other)})" if other else ""
            )
            symptom = "the SDK's request_id is None: no id to quote to support"
            raise fail("HDR-005", "a request-id header", actual, exchange, symptom=symptom)
