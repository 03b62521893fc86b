"""Checks that a request form is accepted and its meaning honoured (system, prefill, thinking)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from msgconform.checks.base import REFUSED, CaseContext, check, fail
from msgconform.checks.common import (
    blocks,
    cited,
    error_summary,
    message_body,
    request_of,
    selected,
    short,
    text_of,
    typed_blocks,
)

ACCEPTED_CLAUSES = (
    "REQ-001", "REQ-002", "REQ-003", "REQ-004", "REQ-005", "REQ-006", "REQ-007", "REQ-008",
    "REQ-009", "REQ-010", "REQ-011", "REQ-016", "REQ-017", "HDR-001", "HDR-002", "HDR-004",
    "HDR-006", "AUTH-001", "ENDP-001",
)  # fmt: skip
# The grade of a check that judges what a model says rather than the wire format (run-record
# failure level; the engine counts it NON-STRICT, --strict or not).
MODEL_BEHAVIOUR = "MODEL"
BETA_QUERY_SYMPTOM = "Claude Code (POST /v1/messages?beta=true) gets 400"


@check("request_accepted", *ACCEPTED_CLAUSES, grades=(REFUSED,))
def request_accepted(ctx: CaseContext, clause: str | None = None, label: str | None = None) -> None:
    """The request is accepted with 200 (every exchange of the probe, or the one named).

    Clauses: REQ-001, REQ-002 … REQ-011, REQ-016, REQ-017, HDR-001, HDR-002, HDR-004, HDR-006,
    AUTH-001, ENDP-001"""
    clause = cited("request_accepted", clause)
    for exchange in selected(ctx, label, clause):
        if exchange.status != 200:
            symptom = BETA_QUERY_SYMPTOM if "beta=true" in exchange.url else None
            where = f"{exchange.label}: " if len(ctx.exchanges) > 1 else ""
            raise fail(
                clause, "status 200", where + error_summary(exchange), exchange, symptom=symptom
            )


@check("system_honoured", "REQ-002", "REQ-003")
def system_honoured(
    ctx: CaseContext, word: str = "PAPAYA", clause: str | None = None, label: str | None = None
) -> None:
    """The reply obeys a canary instruction in system, so system was not dropped.

    Model behaviour, not wire format: graded MODEL (NON-STRICT), passing when any of the
    probe's tries has the canary. Clauses: REQ-002, REQ-003"""
    clause = cited("system_honoured", clause)
    tries = [label] if label is not None else list(ctx.exchanges)
    text, exchange = "", None
    for name in tries:
        exchange, body = message_body(ctx, clause, name)
        text = text_of(body)
        if word.lower() in text.lower():
            return
    raise fail(
        clause,
        f"the canary {word} in the reply (any of {len(tries)} tries)",
        f"text={short(text)}",
        exchange,
        symptom="system prompt silently dropped, or a model that does not obey it",
        level=MODEL_BEHAVIOUR,
    )


def prefill_of(request: Mapping[str, Any]) -> str:
    messages = request.get("messages")
    last = messages[-1] if isinstance(messages, list) and messages else None
    if not isinstance(last, dict) or last.get("role") != "assistant":
        return ""
    content = last.get("content")
    if isinstance(content, str):
        return content
    return "".join(str(b.get("text", "")) for b in content or [] if isinstance(b, dict))


@check("prefill_continued", "REQ-005")
def prefill_continued(
    ctx: CaseContext, contains: str | None = None, label: str | None = None
) -> None:
    """The reply continues the assistant prefill instead of starting over.

    Model behaviour, not wire format (a model may restart or reword): graded MODEL (NON-STRICT),
    passing when any of the probe's tries continues the prefill. Clauses: REQ-005"""
    # With no exchange at all, message_body(None) raises the usual "no message" failure.
    tries: list[str | None] = [label] if label is not None else [*ctx.exchanges] or [None]
    seen = []
    for name in tries:
        exchange, body = message_body(ctx, "REQ-005", name)
        problem = continuation_problem(prefill_of(request_of(ctx, exchange)).strip(), contains,
                                       text_of(body))  # fmt: skip
        if problem is None:
            return
        seen.append((exchange, problem))
    exchange, (expected, actual) = seen[-1]
    raise fail(
        "REQ-005",
        f"{expected} (any of {len(tries)} tries)",
        actual,
        exchange,
        symptom="prefill silently dropped, or a model that restarts its answer",
        level=MODEL_BEHAVIOUR,
    )


def continuation_problem(prefill: str, contains: str | None, text: str) -> tuple[str, str] | None:
    """(expected, actual) when the text is not a continuation of the prefill, else None."""
    if prefill and text.strip().startswith(prefill):
        return "a continuation of the prefill", f"text repeats the prefill: {short(text)}"
    if contains is not None and contains.lower() not in text.lower():
        return f"a continuation containing {contains}", f"text={short(text)}"
    return None


@check("thinking_signed", "REQ-010")
def thinking_signed(ctx: CaseContext, label: str | None = None) -> None:
    """Extended thinking yields thinking blocks, each with a non-empty signature.

    Clauses: REQ-010"""
    exchange, body = message_body(ctx, "REQ-010", label)
    thinking = typed_blocks(body, "thinking")
    if not thinking and not typed_blocks(body, "redacted_thinking"):
        kinds = [b.get("type") if isinstance(b, dict) else b for b in blocks(body)]
        raise fail("REQ-010", "a thinking block", f"content types {short(kinds)}", exchange)
    for block in thinking:
        signature = block.get("signature")
        if not isinstance(signature, str) or not signature:
            symptom = "the next turn fails: thinking blocks must be echoed with their signature"
            actual = f"signature={short(signature)}"
            raise fail("REQ-010", "a non-empty signature", actual, exchange, symptom=symptom)


@check("tool_use_absent", "REQ-006")
def tool_use_absent(ctx: CaseContext, label: str | None = None) -> None:
    """tool_choice none yields no tool_use block.

    Clauses: REQ-006"""
    exchange, body = message_body(ctx, "REQ-006", label)
    uses = typed_blocks(body, "tool_use")
    if uses:
        names = [u.get("name") for u in uses]
        raise fail("REQ-006", "no tool_use block", f"tool_use of {short(names)}", exchange)
