"""Checks on the other endpoints of the family: count_tokens and models."""

from __future__ import annotations

import urllib.parse
from typing import Any

from msgconform.checks.base import CaseContext, check, fail
from msgconform.checks.common import describe, is_int, json_object, pick, short
from msgconform.checks.shape import listed
from msgconform.core.exchange import Exchange


def ok_object(ctx: CaseContext, clause: str, label: str | None, what: str) -> tuple[Exchange, Any]:
    exchange = pick(ctx, label, clause)
    if exchange.status != 200:
        raise fail(clause, f"status 200 with {what}", describe(exchange), exchange)
    return exchange, json_object(exchange, clause, what)


@check("count_tokens_shape", "ENDP-001")
def count_tokens_shape(ctx: CaseContext, label: str | None = None) -> None:
    """count_tokens answers {input_tokens: int > 0} valid against the contract.

    Clauses: ENDP-001"""
    exchange, body = ok_object(ctx, "ENDP-001", label, "a token count (JSON object)")
    value = body.get("input_tokens")
    if not is_int(value) or value < 1:
        raise fail(
            "ENDP-001", "input_tokens: an integer > 0", f"input_tokens={short(value)}", exchange
        )
    issues = ctx.contract.count_tokens_issues(body)
    if issues:
        raise fail("ENDP-001", "a count valid against the contract", listed(issues), exchange)


@check("models_page_shape", "ENDP-003")
def models_page_shape(ctx: CaseContext, label: str | None = "list") -> None:
    """GET /v1/models answers a page {data, has_more, first_id, last_id} of ModelInfo.

    Clauses: ENDP-003"""
    exchange, body = ok_object(ctx, "ENDP-003", label, "a page of models (JSON object)")
    issues = ctx.contract.models_page_issues(body)
    if issues:
        symptom = "an OpenAI-shaped list" if body.get("object") == "list" else None
        raise fail(
            "ENDP-003",
            "a page valid against the contract",
            listed(issues),
            exchange,
            symptom=symptom,
        )
    data = body.get("data")
    if isinstance(data, list) and data and all(isinstance(m, dict) for m in data):
        ends = (data[0].get("id"), data[-1].get("id"))
        if (body.get("first_id"), body.get("last_id")) != ends:
            actual = f"first_id={short(body.get('first_id'))}, last_id={short(body.get('last_id'))}"
            raise fail("ENDP-003", f"first_id/last_id = {short(list(ends))}", actual, exchange)


@check("model_info_shape", "ENDP-004")
def model_info_shape(ctx: CaseContext, label: str | None = "one") -> None:
    """GET /v1/models/{id} answers the ModelInfo of that id.

    Clauses: ENDP-004"""
    exchange, body = ok_object(ctx, "ENDP-004", label, "a ModelInfo (JSON object)")
    issues = ctx.contract.model_info_issues(body)
    if issues:
        raise fail("ENDP-004", "a ModelInfo valid against the contract", listed(issues), exchange)
    # Ids may hold slashes (HF-style slugs), so take everything after /v1/models/.
    path = urllib.parse.urlsplit(exchange.url).path
    asked = urllib.parse.unquote(path.partition("/v1/models/")[2])
    if body.get("id") != asked:
        raise fail("ENDP-004", f"id={asked}", f"id={short(body.get('id'))}", exchange)
