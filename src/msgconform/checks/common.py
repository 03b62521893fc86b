"""What the request/response checks share: reading a body safely, picking exchanges, parameters.

Every helper here turns a garbage response into a ConformanceFailure with evidence, never an
exception of another kind: checks call them first and then read fields without fear.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, TypeGuard

from msgconform.checks.base import REGISTRY, CaseContext, fail
from msgconform.core.errors import ConfigError
from msgconform.core.exchange import Exchange
from msgconform.core.profiles import Profile
from msgconform.stream.sse import parse_chunks

JsonObject = dict[str, Any]
EXCERPT_CHARS = 120


def cited(check_name: str, clause: str | None) -> str:
    """The clause a case says this check enforces; the check's first clause by default."""
    registered = REGISTRY[check_name].clauses
    if clause is None:
        return registered[0]
    if clause not in registered:
        raise ConfigError(
            f"check {check_name}", f"clause {clause} is not one it cites", ", ".join(registered)
        )
    return clause


def excerpt(exchange: Exchange, limit: int = EXCERPT_CHARS) -> str:
    """A short, exact view of a body: says empty, invalid UTF-8, or quotes its start."""
    body = exchange.body
    if not body:
        return "empty body"
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"invalid UTF-8 at byte {exc.start}: {body[:40]!r}"
    shown = json.dumps(text[:limit], ensure_ascii=False)
    return shown + (f"… ({len(body)} bytes)" if len(text) > limit else "")


def describe(exchange: Exchange) -> str:
    """Status, content type and a body excerpt: the evidence of a response we cannot read."""
    kind = exchange.content_type or "no content-type"
    reading = f", ended {exchange.ended}" if exchange.ended != "eof" else ""
    return f"status {exchange.status}, {kind}{reading}, {excerpt(exchange)}"


def json_object(exchange: Exchange, clause: str, what: str = "a JSON object") -> JsonObject:
    data = exchange.json()
    if isinstance(data, dict):
        return data
    if data is None and not _is_json_null(exchange):
        raise fail(clause, what, f"not JSON: {describe(exchange)}", exchange)
    kind = type(data).__name__ if data is not None else "null"
    raise fail(clause, what, f"JSON {kind} instead of an object: {excerpt(exchange)}", exchange)


def _is_json_null(exchange: Exchange) -> bool:
    return exchange.body.strip() == b"null"


def pick(ctx: CaseContext, label: str | None, clause: str) -> Exchange:
    """The exchange a case names, or the probe's first; a missing one fails with what exists."""
    if not ctx.exchanges:
        raise fail(clause, "an exchange to judge", "the probe made no request")
    if label is None:
        return ctx.main
    if label not in ctx.exchanges:
        if ctx.request.get("tools") and (kinds := tool_less_reply(ctx.main)) is not None:
            # A round trip stops when the first reply holds no tool call: there is no result to
            # judge, and whether a call had to come is STOP-006's verdict, not this clause's.
            raise no_tool_call(clause, kinds, ctx.main)
        made = ", ".join(ctx.exchanges) or "none"
        raise fail(clause, f"an exchange labelled {label!r}", f"only {made}")
    return ctx.exchanges[label]


def tool_less_reply(exchange: Exchange) -> list[Any] | None:
    """The content types of a 200 Message that holds no tool_use block, else None."""
    if exchange.status != 200:
        return None
    body = exchange.json()
    content = body.get("content") if isinstance(body, dict) else None
    if not isinstance(content, list):
        return None
    kinds = [b.get("type") if isinstance(b, dict) else b for b in content]
    return None if "tool_use" in kinds else kinds


def selected(ctx: CaseContext, label: str | None, clause: str) -> list[Exchange]:
    """One named exchange, or every exchange the probe made."""
    if label is not None:
        return [pick(ctx, label, clause)]
    return list(ctx.exchanges.values())


def message_body(ctx: CaseContext, clause: str, label: str | None = None) -> tuple[Exchange, Any]:
    """The Message of a 200 response; any other answer fails the calling check's clause."""
    exchange = pick(ctx, label, clause)
    if exchange.status != 200:
        raise fail(clause, "status 200 with a Message", f"{describe(exchange)}", exchange)
    return exchange, json_object(exchange, clause, "a Message (JSON object)")


def request_of(ctx: CaseContext, exchange: Exchange) -> Mapping[str, Any]:
    body = exchange.request_body
    return body if isinstance(body, Mapping) else ctx.request


def blocks(message: Mapping[str, Any]) -> list[Any]:
    content = message.get("content")
    return content if isinstance(content, list) else []


def typed_blocks(message: Mapping[str, Any], kind: str) -> list[JsonObject]:
    return [b for b in blocks(message) if isinstance(b, dict) and b.get("type") == kind]


def forced_call_problem(
    request: Mapping[str, Any], message: Mapping[str, Any]
) -> tuple[str, str] | None:
    """What a reply that had to call a tool lacks (expected, actual), JSON or accumulated stream:
    a tool_use block, and for tool_choice tool one of that tool (STOP-006)."""
    uses = typed_blocks(message, "tool_use")
    if not uses:
        kinds = [b.get("type") if isinstance(b, dict) else b for b in blocks(message)]
        return "at least one tool_use block", f"content types {short(kinds)}"
    choice = request.get("tool_choice")
    if isinstance(choice, dict) and choice.get("type") == "tool":
        wrong = [u.get("name") for u in uses if u.get("name") != choice.get("name")]
        if wrong:
            return f"tool_use of {choice.get('name')}", f"names {short(wrong)}"
    return None


def text_of(message: Mapping[str, Any]) -> str:
    return "".join(str(b.get("text", "")) for b in typed_blocks(message, "text"))


def is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def short(value: Any, limit: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False, default=repr)
    return text if len(text) <= limit else text[:limit] + "…"


def statuses(ctx: CaseContext, spec: Any) -> frozenset[int]:
    """A case's status expectation: an int, a list, "client_error" (the profile's) or "4xx"."""
    if spec == "client_error":
        return frozenset(ctx.profile.contract.client_error_statuses)
    if spec == "4xx":
        return frozenset(range(400, 500))
    if isinstance(spec, int):
        return frozenset({spec})
    if isinstance(spec, list) and all(isinstance(s, int) for s in spec):
        return frozenset(spec)
    raise ConfigError("check parameter status", f"unusable value {spec!r}", 'int, list, "4xx"')


def error_fields(exchange: Exchange) -> tuple[Any, Any]:
    """(error.type, error.message) of an error body, None where absent or unreadable."""
    data = exchange.json()
    error = data.get("error") if isinstance(data, dict) else None
    if not isinstance(error, dict):
        return None, None
    return error.get("type"), error.get("message")


def documented_message(profile: Profile, exchange: Exchange) -> str | None:
    """The message of an error body in the provider's own documented form {"error": "<message>"}
    (`contract.error_body: message_only`), else None. That form has no error.type: the status
    alone classes the error, so what the envelope's type would say is not judged."""
    if not profile.contract.message_only_errors:
        return None
    data = exchange.json()
    error = data.get("error") if isinstance(data, dict) else None
    return error if isinstance(error, str) else None


def error_summary(exchange: Exchange) -> str:
    kind, message = error_fields(exchange)
    if isinstance(message, str):
        return f"status {exchange.status} {kind}: {message[:EXCERPT_CHARS]}"
    return describe(exchange)


def names_field(message: str, name: str) -> bool:
    """Whether an error message names a field path, in dotted or bracketed form."""
    dotted = re.sub(r"\[(\d+)\]", r".\1", message).lower()
    return name.lower() in dotted


def sse_events(exchange: Exchange) -> list[JsonObject]:
    """The JSON objects of an SSE body's data lines (unparseable frames are left out)."""
    events: list[JsonObject] = []
    for frame in parse_chunks(exchange.chunks):
        try:
            parsed = json.loads(frame.data) if frame.data else None
        except json.JSONDecodeError:
            continue
        if isinstance(parsed, dict):
            events.append(parsed)
    return events


# A check's grade for a model's behaviour rather than the wire format (core/grading.py MODEL_LEVEL:
# NON-STRICT, --strict or not).
MODEL_LEVEL = "MODEL"
NO_TOOL_CALL = "no tool call to judge"


def ran_to_the_cap(request: Mapping[str, Any], message: Mapping[str, Any]) -> bool:
    """The reply stopped for max_tokens after using all of them: the server honoured the cap."""
    usage, cap = message.get("usage"), request.get("max_tokens")
    used = usage.get("output_tokens") if isinstance(usage, Mapping) else None
    return (
        message.get("stop_reason") == "max_tokens"
        and isinstance(used, int)
        and isinstance(cap, int)
        and used >= cap
    )


def cut_at_the_cap(clause: str, expected: str, exchange: Exchange | None) -> Exception:
    """A probe for another stop that ran out of max_tokens first judges the model, not the wire:
    a small or slow model on a small cap cannot reach end_turn, a tool call or a stop sequence,
    and the server did what the contract says (STOP-004). Graded MODEL, never a FAIL."""
    return fail(
        clause,
        f"stop_reason {expected}",
        "stop_reason max_tokens with every max_tokens used: not judged",
        exchange,
        symptom="the reply reached max_tokens before it could stop otherwise",
        level=MODEL_LEVEL,
    )


def forces_tool_call(request: Mapping[str, Any]) -> bool:
    """The request declares tools and tool_choice any or tool: its answer should hold a call."""
    choice = request.get("tool_choice")
    kind = choice.get("type") if isinstance(choice, Mapping) else None
    return bool(request.get("tools")) and kind in ("any", "tool")


def no_tool_call(clause: str, content_types: list[Any], exchange: Exchange | None) -> Exception:
    """A tool check with nothing to judge: not a PASS. Graded MODEL, since whether a call came is
    STOP-006's verdict (a MUST there); this check's own clause cannot be judged on text alone."""
    return fail(
        clause,
        "a tool_use block to judge (the request forces a tool call)",
        f"{NO_TOOL_CALL}: content types {short(content_types)}",
        exchange,
        symptom="a text-only answer to a tool case proves nothing about tool calls",
        level=MODEL_LEVEL,
    )
