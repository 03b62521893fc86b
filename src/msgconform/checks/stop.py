"""Checks on stop_reason and stop_sequence of a non-streaming Message."""

from __future__ import annotations

from msgconform.checks.base import CaseContext, check, fail
from msgconform.checks.common import (
    MODEL_LEVEL,
    cited,
    cut_at_the_cap,
    forced_call_problem,
    is_int,
    message_body,
    ran_to_the_cap,
    request_of,
    short,
    text_of,
)

# Which clause a probe for each stop_reason enforces.
CLAUSE_OF_REASON = {
    "max_tokens": "STOP-004",
    "stop_sequence": "STOP-005",
    "tool_use": "STOP-006",
    "end_turn": "STOP-007",
}


@check("stop_reason_in_enum", "STOP-001")
def stop_reason_in_enum(ctx: CaseContext, label: str | None = None) -> None:
    """stop_reason is one of the values the contract documents.

    Clauses: STOP-001"""
    exchange, body = message_body(ctx, "STOP-001", label)
    reason = body.get("stop_reason")
    allowed = ctx.contract.stop_reasons
    if reason is not None and reason not in allowed:
        raise fail(
            "STOP-001", f"one of {', '.join(allowed)}", f"stop_reason={short(reason)}", exchange
        )


@check("stop_reason_present", "STOP-002")
def stop_reason_present(ctx: CaseContext, label: str | None = None) -> None:
    """A non-streaming Message has a non-null stop_reason.

    Clauses: STOP-002"""
    exchange, body = message_body(ctx, "STOP-002", label)
    if body.get("stop_reason") is None:
        shown = "absent" if "stop_reason" not in body else "null"
        raise fail("STOP-002", "a non-null stop_reason", f"stop_reason {shown}", exchange)


@check("stop_sequence_consistent", "STOP-003")
def stop_sequence_consistent(ctx: CaseContext, label: str | None = None) -> None:
    """stop_sequence is non-null if and only if stop_reason is "stop_sequence".

    Clauses: STOP-003"""
    exchange, body = message_body(ctx, "STOP-003", label)
    reason, sequence = body.get("stop_reason"), body.get("stop_sequence")
    actual = f"stop_reason={short(reason)}, stop_sequence={short(sequence)}"
    if reason == "stop_sequence" and not isinstance(sequence, str):
        raise fail("STOP-003", "stop_sequence: the matched string", actual, exchange)
    if reason != "stop_sequence" and sequence is not None:
        raise fail("STOP-003", "stop_sequence: null", actual, exchange)


@check("stop_reason_is", "STOP-004", "STOP-005", "STOP-006", "STOP-007")
def stop_reason_is(
    ctx: CaseContext,
    expected: str = "end_turn",
    clause: str | None = None,
    label: str | None = None,
) -> None:
    """The probe ends with the stop_reason it provokes.

    Clauses: STOP-004, STOP-005, STOP-006, STOP-007"""
    clause = cited("stop_reason_is", clause or CLAUSE_OF_REASON.get(expected))
    exchange, body = message_body(ctx, clause, label)
    if body.get("stop_reason") != expected:
        if expected != "max_tokens" and ran_to_the_cap(request_of(ctx, exchange), body):
            raise cut_at_the_cap(clause, expected, exchange)
        actual = f"stop_reason={short(body.get('stop_reason'))}"
        raise fail(clause, f"stop_reason={expected}", actual, exchange)


@check("output_tokens_within_max", "STOP-004")
def output_tokens_within_max(ctx: CaseContext, label: str | None = None) -> None:
    """usage.output_tokens does not exceed the request's max_tokens.

    Clauses: STOP-004"""
    exchange, body = message_body(ctx, "STOP-004", label)
    limit = request_of(ctx, exchange).get("max_tokens")
    usage = body.get("usage")
    used = usage.get("output_tokens") if isinstance(usage, dict) else None
    if not is_int(used) or (is_int(limit) and used > limit):
        raise fail("STOP-004", f"usage.output_tokens <= {limit}", f"{short(used)}", exchange)


@check("stop_sequence_matched", "STOP-005")
def stop_sequence_matched(ctx: CaseContext, label: str | None = None) -> None:
    """stop_sequence echoes one of the request's stop_sequences, absent from the text.

    Clauses: STOP-005"""
    exchange, body = message_body(ctx, "STOP-005", label)
    asked = request_of(ctx, exchange).get("stop_sequences")
    asked = asked if isinstance(asked, list) else []
    matched = body.get("stop_sequence")
    if matched is None and ran_to_the_cap(request_of(ctx, exchange), body):
        raise cut_at_the_cap("STOP-005", "stop_sequence", exchange)
    if matched not in asked:
        actual = f"stop_sequence={short(matched)}"
        raise fail("STOP-005", f"one of {short(asked)}", actual, exchange)
    text = text_of(body)
    if isinstance(matched, str) and matched in text:
        at = text.index(matched)
        actual = f"text contains {short(matched)} at {at}: {short(text[max(at - 20, 0) :])}"
        raise fail("STOP-005", "the text ends before the match", actual, exchange)


@check("tool_use_present", "STOP-006")
def tool_use_present(ctx: CaseContext, label: str | None = None) -> None:
    """A forced tool call yields tool_use blocks (of the named tool, for tool_choice tool).

    Clauses: STOP-006"""
    exchange, body = message_body(ctx, "STOP-006", label)
    if problem := forced_call_problem(request_of(ctx, exchange), body):
        raise fail("STOP-006", problem[0], problem[1], exchange)


# The replayed stop-sequence probe (runner/probes.py stop_sequence_replay): a sequence drawn from
# the first reply's own text, so judging it does not depend on the model echoing a word.
REPLAY_DIFFERED = "could not judge: the replay differed"
_MIN_SEQUENCE = 3


def draw_stop_sequence(text: str) -> str | None:
    """A word of the text whose first occurrence is after the start, from its middle on: the
    replay should stop there. None if the text has no such word."""
    words = text.split()
    for word in words[len(words) // 2 :] + words[: len(words) // 2]:
        sequence = word.strip(".,;:!?\"'()[]")
        if len(sequence) >= _MIN_SEQUENCE and text.find(sequence) > 0:
            return sequence
    return None


@check("stop_sequence_replayed", "STOP-005")
def stop_sequence_replayed(ctx: CaseContext) -> None:
    """The replay with a stop sequence drawn from the first reply stops there: stop_reason
    stop_sequence, the sequence echoed, the text ending before it. A replay that differs from the
    first reply before the sequence cannot be judged (MODEL level), never a FAIL.

    Clauses: STOP-005"""
    _, first = message_body(ctx, "STOP-005", "first")
    drawn = draw_stop_sequence(text_of(first))
    if drawn is None or "replay" not in ctx.exchanges:
        raise fail(
            "STOP-005",
            "a first reply with a word to draw a stop sequence from",
            f"could not judge: no such word in {short(text_of(first))}",
            ctx.exchanges.get("first"),
            level=MODEL_LEVEL,
        )
    exchange, replay = message_body(ctx, "STOP-005", "replay")
    before = text_of(first)[: text_of(first).find(drawn)]
    text, reason, matched = text_of(replay), replay.get("stop_reason"), replay.get("stop_sequence")
    actual = f"stop_reason={short(reason)}, stop_sequence={short(matched)}, text {short(text)}"
    if drawn in text:
        raise fail("STOP-005", f"the text ends before {drawn!r}", actual, exchange)
    if reason == "stop_sequence" and matched == drawn:
        return
    if text.rstrip() != before.rstrip():
        raise fail(
            "STOP-005",
            f"the replay to agree with the first reply up to {drawn!r}: {short(before)}",
            f"{REPLAY_DIFFERED}: {actual}",
            exchange,
            symptom="a model that does not repeat itself cannot show where a stop sequence cuts",
            level=MODEL_LEVEL,
        )
    if reason == "max_tokens":  # cut by the budget right there: nothing shown either way
        raise fail(
            "STOP-005",
            f"stop_reason stop_sequence at {drawn!r}",
            f"could not judge: {actual}",
            exchange,
            level=MODEL_LEVEL,
        )
    raise fail("STOP-005", f"stop_reason=stop_sequence, stop_sequence={drawn!r}", actual, exchange)
