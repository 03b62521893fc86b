"""Classing one feature probe: supported, ignored, rejected or broken, with the reason why.

broken: a 5xx, a 4xx without the error envelope, a hang or reset, a body or stream that is not
valid; rejected: a 4xx in the envelope; then the feature's signal decides between supported and
ignored (ignored only on a definite "no")."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from msgconform.checks.base import CaseContext, ConformanceFailure
from msgconform.checks.common import documented_message
from msgconform.checks.streaming import grammar_of
from msgconform.core import clauses
from msgconform.core.exchange import SECRET_HEADERS, Exchange
from msgconform.core.profiles import Profile
from msgconform.core.redact import Redactor
from msgconform.features.classes import (
    BROKEN,
    IGNORED,
    NOT_JUDGED,
    REJECTED,
    SUPPORTED,
    Verdict,
)
from msgconform.features.signals import SIGNALS

HANGS = ("first_byte_timeout", "idle_timeout", "total_timeout", "reset", "size_cap", "connect")
# The event-schema details belong to the streaming area; the map asks whether a stream works.
STREAM_DETAIL = frozenset({"STREAM-015"})
EXCERPT = 160


def classify(ctx: CaseContext, mode: str, endpoint: str, honoured: Mapping[str, Any]) -> Verdict:
    exchange = ctx.exchanges["feature"]
    if (trouble := refused_or_broken(exchange, ctx.profile)) is not None:
        return trouble
    answer = answer_of(ctx, exchange, mode, endpoint, honoured)
    if isinstance(answer, Verdict):
        return answer
    seen, why = SIGNALS[str(honoured["signal"])](answer, ctx.request, ctx.exchanges, honoured)
    if seen is False:
        return Verdict(IGNORED, why, exchange.label)
    if seen is None and honoured["signal"] != "none":
        # The signal could show the feature at work and this answer did not: not "supported".
        return Verdict(NOT_JUDGED, why, exchange.label)
    return Verdict(SUPPORTED, why, exchange.label)


def refused_or_broken(exchange: Exchange, profile: Profile) -> Verdict | None:
    label = exchange.label
    if exchange.ended in HANGS or exchange.status is None:
        return Verdict(BROKEN, f"ended {exchange.ended}: {exchange.error or 'no answer'}", label)
    status = exchange.status
    if status >= 500:
        return Verdict(BROKEN, f"status {status}: {short(exchange)}", label)
    if 400 <= status < 500:
        envelope = error_of(exchange, profile)
        if envelope is None:
            why = f"status {status} without the error envelope: {short(exchange)}"
            return Verdict(BROKEN, why, label)
        return Verdict(REJECTED, f"{status} {envelope[0]}: {envelope[1]}", label)
    if status != 200:
        return Verdict(BROKEN, f"status {status}: {short(exchange)}", label)
    return None


def error_of(exchange: Exchange, profile: Profile) -> tuple[str, str] | None:
    """(error.type, message) of an error in the envelope; the type is "(no type)" for the form
    {"error": "<message>"} that a provider documents instead (contract.error_body)."""
    if (documented := documented_message(profile, exchange)) is not None:
        return "(no type)", scrubbed(exchange, documented)[:EXCERPT]
    data = exchange.json()
    error = data.get("error") if isinstance(data, dict) and data.get("type") == "error" else None
    if isinstance(error, dict) and isinstance(error.get("type"), str):
        return error["type"], scrubbed(exchange, str(error.get("message")))[:EXCERPT]
    return None


def short(exchange: Exchange) -> str:
    text = scrubbed(exchange, exchange.body.decode("utf-8", errors="replace"))
    return json.dumps(text[:EXCERPT]) + (" …" if len(text) > EXCERPT else "")


def scrubbed(exchange: Exchange, text: str) -> str:
    """The key out of a server's words BEFORE they are cut short: the record's redaction cannot
    find half a key."""
    sent = [
        value.split(" ", 1)[-1]
        for name, value in exchange.request_headers.items()
        if name.lower() in SECRET_HEADERS
    ]
    return Redactor(sent).text(text)


def answer_of(
    ctx: CaseContext, exchange: Exchange, mode: str, endpoint: str, honoured: Mapping[str, Any]
) -> dict[str, Any] | Verdict:
    """The answer to judge (a Message, a count or a page), or the verdict that it is not one."""
    if mode == "stream":
        return streamed_message(ctx, exchange, honoured)
    if exchange.is_sse:
        return Verdict(BROKEN, "an event stream to a request without stream", exchange.label)
    data = exchange.json()
    if not isinstance(data, dict):
        return Verdict(
            BROKEN, f"a 200 that is not a JSON object: {short(exchange)}", exchange.label
        )
    problem = answer_problem(ctx, data, endpoint)
    return Verdict(BROKEN, problem, exchange.label) if problem else data


def answer_problem(ctx: CaseContext, data: dict[str, Any], endpoint: str) -> str | None:
    if endpoint == "count_tokens":
        counted = data.get("input_tokens")
        return None if isinstance(counted, int) else "no integer input_tokens in the answer"
    if endpoint == "models":
        return None if isinstance(data.get("data"), list) else "no data list in the answer"
    issues = ctx.contract.message_issues(data)
    return f"not a valid Message: {issues[0]}" if issues else None


def streamed_message(
    ctx: CaseContext, exchange: Exchange, honoured: Mapping[str, Any]
) -> dict[str, Any] | Verdict:
    if not exchange.is_sse:
        data = exchange.json()
        if isinstance(data, dict) and data.get("type") == "message":
            # The stream flag itself was dropped: the streaming feature is ignored; any other
            # streamed feature is broken for a client that reads events.
            klass = IGNORED if honoured.get("signal") == "sse" else BROKEN
            return Verdict(klass, "stream true answered with one JSON Message", exchange.label)
        return Verdict(BROKEN, f"not an event stream: {short(exchange)}", exchange.label)
    try:
        grammar = grammar_of(ctx, exchange)
    except ConformanceFailure as exc:
        return Verdict(BROKEN, exc.actual, exchange.label)
    for violation in grammar.violations:
        if violation.clause not in STREAM_DETAIL and clauses.get(violation.clause).level == "MUST":
            why = f"{violation.clause}: expected {violation.expected}; got {violation.actual}"
            return Verdict(BROKEN, why[:300], exchange.label)
    if grammar.message is None:
        return Verdict(BROKEN, "no message_start in the stream", exchange.label)
    return grammar.message
