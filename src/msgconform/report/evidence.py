"""Turning the runner's results into record lines: what an exchange leaves behind as evidence."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Protocol

from msgconform.core.exchange import Exchange
from msgconform.core.grading import Failure

# A report must stay openable in a browser when a provider streams megabytes.
BODY_LIMIT = 20_000
_OUTPUT_TOKENS = re.compile(rb'"output_tokens"\s*:\s*(\d+)')


class CaseLike(Protocol):
    @property
    def test_id(self) -> str: ...
    @property
    def area(self) -> str: ...
    @property
    def description(self) -> str: ...
    @property
    def clauses(self) -> tuple[str, ...]: ...


class ResultLike(Protocol):
    """The runner's CaseResult, as far as the record needs it."""

    @property
    def case(self) -> CaseLike: ...
    @property
    def outcome(self) -> str: ...
    @property
    def duration_s(self) -> float: ...
    @property
    def reason(self) -> str | None: ...
    @property
    def failures(self) -> list[Any]: ...
    @property
    def exchanges(self) -> Mapping[str, Exchange]: ...
    @property
    def requests(self) -> int: ...
    @property
    def retries(self) -> int: ...
    @property
    def notices(self) -> list[Any]: ...


def output_tokens(exchange: Exchange) -> int:
    """The last usage.output_tokens the response carried (a stream repeats it, growing)."""
    found = _OUTPUT_TOKENS.findall(exchange.body)
    return int(found[-1]) if found else 0


def evidence(exchange: Exchange) -> dict[str, Any]:
    """One exchange as the record keeps it. Untruncated: the recorder redacts, then truncates."""
    text = exchange.body.decode("utf-8", errors="replace") if exchange.chunks else None
    request_body: Any = exchange.request_body
    if request_body is None and exchange.raw_request_body is not None:
        request_body = exchange.raw_request_body.decode("utf-8", errors="replace")
    return {
        "label": exchange.label,
        "request": {
            "method": exchange.method,
            "url": exchange.url,
            "headers": dict(exchange.request_headers),
            "body": request_body,
        },
        "response": {
            "status": exchange.status,
            "headers": dict(exchange.response_headers),
            "body": None if exchange.is_sse else text,
            "transcript": text if exchange.is_sse else None,
            "ended": exchange.ended,
            "error": exchange.error,
        },
        "request_id": exchange.request_id,
        "curl": exchange.curl(),
    } | ({"reconnected": exchange.reconnected} if exchange.reconnected else {})


def failure_record(failure: Failure) -> dict[str, Any]:
    return {
        "check": failure.check,
        "clause": failure.clause,
        "level": failure.level,
        "requirement": failure.requirement,
        "source": failure.source,
        "expected": failure.expected,
        "actual": failure.actual,
        "symptom": failure.symptom,
        "event_index": failure.event_index,
        # Which of the case's exchanges broke it (findings name it); not every failure has one.
        "exchange": failure.exchange,
    }


def case_record(result: ResultLike) -> dict[str, Any]:
    """A record case line from the runner's CaseResult (pass it to RunRecorder.case)."""
    case = result.case
    exchanges = list(result.exchanges.values())
    return {
        "kind": "case",
        "id": case.test_id,
        "area": case.area,
        "description": case.description,
        "clauses": list(case.clauses),
        "outcome": result.outcome,
        "duration_s": round(result.duration_s, 4),
        "reason": result.reason,
        "failures": [failure_record(f) for f in result.failures],
        "evidence": [evidence(e) for e in exchanges],
        "requests": result.requests,
        "retries": result.retries,
        "output_tokens": sum(output_tokens(e) for e in exchanges),
    } | notices_record(result.notices)


def notices_record(notices: list[Failure]) -> dict[str, Any]:
    """Findings that grade nothing (checks/connection.py), kept whatever the outcome; a line
    without any keeps the shape it always had."""
    return {"notices": [failure_record(f) for f in notices]} if notices else {}
