"""Stream checks: one grammar run per exchange (cached in ctx.grammars); each cites a clause."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from jsonschema import Draft202012Validator

from msgconform.checks.base import CaseContext, ConformanceFailure, check, fail
from msgconform.checks.common import (
    cut_at_the_cap,
    forced_call_problem,
    forces_tool_call,
    no_tool_call,
    ran_to_the_cap,
)
from msgconform.contract.document import Contract
from msgconform.core.exchange import Exchange
from msgconform.core.profiles import Profile
from msgconform.core.usage import total_input
from msgconform.stream.frames import excerpt
from msgconform.stream.grammar import StreamGrammar, run
from msgconform.stream.sse import parse_chunks
from msgconform.stream.violations import Violation

TIMEOUTS = ("idle_timeout", "total_timeout", "size_cap")
STOP_CLAUSES = {
    "max_tokens": "STOP-004",
    "stop_sequence": "STOP-005",
    "tool_use": "STOP-006",
    "end_turn": "STOP-007",
}


def stream_rules(profile: Profile, contract: Contract | None) -> dict[str, Any]:
    """The grammar's knobs: the profile's documented deviations are data, read here."""
    return {
        # getattr: the contract's enum may be absent while the contract is a stub.
        "stop_reasons": getattr(contract, "stop_reasons", None),
        "named_events": profile.contract.named_sse_events,
        "done_sentinel": profile.contract.done_sentinel,
        "event_issues": contract.event_issues if contract is not None else None,
    }


def stream_exchange(ctx: CaseContext) -> Exchange:
    return ctx.exchanges.get("stream") or ctx.main


def grammar_of(ctx: CaseContext, exchange: Exchange | None = None) -> StreamGrammar:
    exchange = exchange or stream_exchange(ctx)
    if exchange.label not in ctx.grammars:
        if exchange.status != 200 or (not exchange.is_sse and exchange.json() is not None):
            raise fail(
                "STREAM-001",
                "a 200 text/event-stream response to judge",
                describe(exchange),
                exchange,
            )
        rules = stream_rules(ctx.profile, ctx.contract)
        ctx.grammars[exchange.label] = run(parse_chunks(exchange.chunks), **rules)
    return ctx.grammars[exchange.label]


def describe(exchange: Exchange) -> str:
    return f"status {exchange.status}, {exchange.content_type or 'no content-type'}: " + (
        exchange.body_text(200)
    )


def to_failure(
    grammar: StreamGrammar, v: Violation, exchange: Exchange, more: int = 0
) -> ConformanceFailure:
    where = f"event {v.event_index}" if v.event_index is not None else "stream"
    tail = f" (+{more} more)" if more else ""
    actual = f"{v.actual}{tail} at {where}:\n{excerpt(grammar.frames, v.event_index)}"
    return fail(
        v.clause, v.expected, actual, exchange, event_index=v.event_index, symptom=v.symptom
    )


def raise_first(ctx: CaseContext, clauses: Iterable[str] | None = None) -> StreamGrammar:
    """Fail with the first violation of `clauses` (all when None); return the grammar otherwise."""
    exchange = stream_exchange(ctx)
    grammar = grammar_of(ctx, exchange)
    wanted = set(clauses) if clauses is not None else None
    found = [v for v in grammar.violations if wanted is None or v.clause in wanted]
    if found:
        raise to_failure(grammar, found[0], exchange, len(found) - 1)
    return grammar


@check("stream_content_type", "STREAM-001")
def stream_content_type(ctx: CaseContext) -> None:
    """stream:true is answered 200 with Content-Type text/event-stream. Clauses: STREAM-001."""
    exchange = stream_exchange(ctx)
    if exchange.status != 200 or not exchange.is_sse:
        raise fail(
            "STREAM-001", "200 with Content-Type: text/event-stream", describe(exchange), exchange
        )


@check(
    "stream_grammar",
    "STREAM-002",
    "STREAM-003",
    "STREAM-004",
    "STREAM-005",
    "STREAM-006",
    "STREAM-007",
    "STREAM-008",
    "STREAM-009",
    "STREAM-010",
    "STREAM-011",
    "STREAM-012",
    "STREAM-015",
    "USAGE-003",
    "ERR-005",
    "STOP-003",
)
def stream_grammar(ctx: CaseContext) -> None:
    """The whole event grammar; reports the first violation. Clauses: STREAM-002…015."""
    raise_first(ctx)


def _clause_check(name: str, clause: str, doc: str) -> None:
    def func(ctx: CaseContext) -> None:
        raise_first(ctx, [clause])

    func.__doc__ = f"{doc} Clauses: {clause}."
    func.__name__ = name
    check(name, clause)(func)


for _name, _clause, _doc in (
    ("stream_event_names", "STREAM-002", "Every frame is named, and the name equals data.type."),
    ("stream_no_done", "STREAM-003", "No data: [DONE] sentinel unless the provider documents it."),
    ("stream_json_payloads", "STREAM-004", "Every data payload is UTF-8 JSON."),
    ("stream_message_start", "STREAM-005", "message_start comes first, once, with its fields."),
    ("stream_block_indices", "STREAM-006", "Block indices contiguous from 0, no overlap."),
    ("stream_unstarted_index", "STREAM-007", "No delta or stop for an unstarted/stopped block."),
    ("stream_delta_types", "STREAM-008", "Each delta type matches its block type."),
    ("stream_signature", "STREAM-010", "A thinking block is signed before it stops."),
    ("stream_message_delta", "STREAM-011", "message_delta has an enum stop_reason and usage."),
    (
        "stream_stop_sequence",
        "STOP-003",
        "stop_sequence is set only with stop_reason stop_sequence.",
    ),
    ("stream_usage_cumulative", "USAGE-003", "message_delta output_tokens is cumulative."),
    ("stream_input_counts_kept", "USAGE-005", "message_delta input counts >= message_start's."),
    ("stream_message_stop", "STREAM-012", "One message_stop ends the stream; nothing follows."),
    ("stream_error_event", "ERR-005", "A failure after the 200 is an event: error frame."),
):
    _clause_check(_name, _clause, _doc)


@check("stream_tool_input", "STREAM-009")
def stream_tool_input(ctx: CaseContext) -> None:
    """partial_json forms an object valid for the tool's input_schema. Clauses: STREAM-009."""
    grammar = raise_first(ctx, ["STREAM-009"])
    tools = {t.get("name"): t for t in ctx.request.get("tools") or [] if isinstance(t, Mapping)}
    require_tool_call(ctx, grammar, "STREAM-009")
    for index, block in grammar.blocks.items():
        if block.type != "tool_use" or not tools:  # a capture judged without its request
            continue
        name = block.content.get("name")
        if name not in tools:
            raise fail(
                "STREAM-009",
                f"a tool named in the request ({', '.join(map(str, tools))})",
                f"tool {name!r} in block {index}",
                stream_exchange(ctx),
            )
        schema = tools[name].get("input_schema") or {}
        error = next(iter(Draft202012Validator(schema).iter_errors(block.content["input"])), None)
        if error is not None:
            path = ".".join(str(p) for p in error.absolute_path) or "input"
            actual = f"{path}: {error.message}:\n{excerpt(grammar.frames, block.stopped_at)}"
            raise fail(
                "STREAM-009",
                f"input valid for {name}'s input_schema",
                actual,
                stream_exchange(ctx),
                event_index=block.stopped_at,
            )


def require_tool_call(ctx: CaseContext, grammar: StreamGrammar, clause: str) -> None:
    kinds = [b.type for b in grammar.blocks.values()]
    if forces_tool_call(ctx.request) and "tool_use" not in kinds:
        raise no_tool_call(clause, kinds, stream_exchange(ctx))


@check("stream_event_schema", "STREAM-015")
def stream_event_schema(ctx: CaseContext) -> None:
    """Every event validates against its event schema. Clauses: STREAM-015."""
    grammar = raise_first(ctx, ["STREAM-015"])
    if not grammar.schema_checked:
        raise RuntimeError("the contract has no event schemas yet (contract.event_issues)")


@check("stream_close_after_stop", "STREAM-013")
def stream_close_after_stop(ctx: CaseContext) -> None:
    """The server closes the connection soon after message_stop. Clauses: STREAM-013."""
    exchange = stream_exchange(ctx)
    if exchange.ended == "close_timeout":
        wait = ctx.profile.timeouts.close_after_stop
        raise fail(
            "STREAM-013",
            f"the connection closed within {wait}s of the terminal event",
            f"still open: {exchange.error}",
            exchange,
        )


@check("stream_deadline", "STREAM-014")
def stream_deadline(ctx: CaseContext) -> None:
    """The stream ends within its deadline, with no long silent gap. Clauses: STREAM-014."""
    exchange = stream_exchange(ctx)
    if exchange.ended in TIMEOUTS:
        frames = parse_chunks(exchange.chunks)
        limits = ctx.profile.timeouts
        expected = f"complete within {limits.total}s, gaps under {limits.idle}s"
        actual = f"{exchange.ended}: {exchange.error}; transcript so far:\n{excerpt(frames, None)}"
        raise fail("STREAM-014", expected, actual, exchange, event_index=len(frames) - 1)


@check("stream_first_byte", "STREAM-017")
def stream_first_byte(ctx: CaseContext) -> None:
    """The first byte arrives within the first-byte deadline. Clauses: STREAM-017."""
    exchange = stream_exchange(ctx)
    limits = ctx.profile.timeouts
    deadline = float(limits.connect) + float(limits.first_byte)
    first = exchange.first_byte_s
    if exchange.ended == "first_byte_timeout" or (first is not None and first > deadline):
        shown = f"{first:.2f}s" if first is not None else "nothing"
        raise fail(
            "STREAM-017",
            f"a first byte within {deadline:g}s",
            f"{shown} ({exchange.error or exchange.ended})",
            exchange,
        )


@check(
    "stream_stop_reason_is", "STOP-001", "STOP-003", "STOP-004", "STOP-005", "STOP-006", "STOP-007"
)
def stream_stop_reason_is(ctx: CaseContext, expected: str = "end_turn") -> None:
    """The accumulated stream stops for the expected reason. Clauses: STOP-001, STOP-003…007."""
    exchange = stream_exchange(ctx)
    message = grammar_of(ctx, exchange).message or {}
    clause = STOP_CLAUSES.get(expected, "STOP-001")
    reason, sequence = message.get("stop_reason"), message.get("stop_sequence")
    if reason != expected:
        if expected != "max_tokens" and ran_to_the_cap(ctx.request, message):
            raise cut_at_the_cap(clause, expected, exchange)
        raise fail(clause, f"stop_reason {expected}", f"stop_reason {reason!r}", exchange)
    if (sequence is not None) != (reason == "stop_sequence"):
        raise fail(
            "STOP-003",
            "stop_sequence set if and only if stop_reason is stop_sequence",
            f"stop_sequence {sequence!r} with stop_reason {reason}",
            exchange,
        )
    problem = stop_detail_problem(ctx.request, message, expected)
    if problem:
        raise fail(clause, problem[0], problem[1], exchange)


def stop_detail_problem(
    request: Mapping[str, Any], message: Mapping[str, Any], reason: str
) -> tuple[str, str] | None:
    content = message.get("content") or []
    if reason == "max_tokens":
        used, cap = (message.get("usage") or {}).get("output_tokens"), request.get("max_tokens")
        if isinstance(used, int) and isinstance(cap, int) and used > cap:
            return f"output_tokens <= max_tokens {cap}", f"output_tokens {used}"
    if reason == "stop_sequence":
        sequence, allowed = message.get("stop_sequence"), request.get("stop_sequences") or []
        text = "".join(str(b.get("text", "")) for b in content if b.get("type") == "text")
        if sequence not in allowed:
            return f"stop_sequence echoed, one of {allowed}", f"stop_sequence {sequence!r}"
        if isinstance(sequence, str) and sequence in text:
            return f"text without the stop sequence {sequence!r}", repr(text[-80:])
    if reason == "tool_use" and not any(b.get("type") == "tool_use" for b in content):
        return "a tool_use block", "block types " + ", ".join(str(b.get("type")) for b in content)
    if reason == "tool_use" and forces_tool_call(request):
        return forced_call_problem(request, message)
    return None


@check("stream_parity", "STREAM-016")
def stream_parity(ctx: CaseContext) -> None:
    """The accumulated stream matches the JSON reply to the same request. Clauses: STREAM-016."""
    streamed = grammar_of(ctx, ctx.exchange("stream")).message or {}
    plain = ctx.exchange("json").json()
    if not isinstance(plain, dict):
        raise fail(
            "STREAM-016",
            "a JSON message for the non-stream request",
            describe(ctx.exchange("json")),
            ctx.exchange("json"),
        )
    require_tool_call(ctx, grammar_of(ctx, ctx.exchange("stream")), "STREAM-016")
    for what, a, b in parity_pairs(streamed, plain):
        if a != b:
            raise fail(
                "STREAM-016",
                f"{what} as in the JSON reply: {b!r}",
                f"accumulated stream: {a!r}",
                ctx.exchange("stream"),
            )


def parity_pairs(
    streamed: Mapping[str, Any], plain: Mapping[str, Any]
) -> list[tuple[str, Any, Any]]:
    def shape(message: Mapping[str, Any]) -> list[Any]:
        blocks = [b.get("type") for b in message.get("content") or [] if isinstance(b, Mapping)]
        return [message.get("type"), message.get("role"), blocks]

    def usage(message: Mapping[str, Any]) -> list[Any]:
        u = message.get("usage") or {}
        return [total_input(u), type(u.get("output_tokens")).__name__]

    return [
        ("type, role and block types", shape(streamed), shape(plain)),
        ("stop_reason", streamed.get("stop_reason"), plain.get("stop_reason")),
        ("stop_sequence", streamed.get("stop_sequence"), plain.get("stop_sequence")),
        (
            "usage input (cache reads and writes included) and output_tokens type",
            usage(streamed),
            usage(plain),
        ),
    ]
