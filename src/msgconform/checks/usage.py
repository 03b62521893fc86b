"""Checks on usage: token counts of a Message, and their agreement across endpoints and modes."""

from __future__ import annotations

from typing import Any

from msgconform.checks.base import CaseContext, check, fail
from msgconform.checks.common import (
    is_int,
    json_object,
    message_body,
    short,
    sse_events,
)
from msgconform.core.exchange import Exchange
from msgconform.core.usage import INPUT_PARTS, shown_input, total_input

# Optional integer counters of Usage, and the nested objects whose members are counters too.
OPTIONAL_COUNTS = ("cache_creation_input_tokens", "cache_read_input_tokens")
NESTED_COUNTS = ("cache_creation", "server_tool_use", "output_tokens_details")


def usage_of(ctx: CaseContext, clause: str, label: str | None) -> tuple[Exchange, Any]:
    exchange, body = message_body(ctx, clause, label)
    usage = body.get("usage")
    if not isinstance(usage, dict):
        raise fail(clause, "usage: an object", f"usage={short(usage)}", exchange)
    return exchange, usage


@check("usage_integers", "USAGE-001")
def usage_integers(ctx: CaseContext, label: str | None = None) -> None:
    """usage.input_tokens and output_tokens are integers >= 0, and input_tokens > 0.

    Clauses: USAGE-001"""
    exchange, usage = usage_of(ctx, "USAGE-001", label)
    for name, least in (("input_tokens", 1), ("output_tokens", 0)):
        value = usage.get(name)
        if not is_int(value) or value < least:
            shown = "absent" if name not in usage else short(value)
            raise fail("USAGE-001", f"usage.{name}: an integer >= {least}", shown, exchange)


@check("usage_optional_fields", "USAGE-004")
def usage_optional_fields(ctx: CaseContext, label: str | None = None) -> None:
    """Optional usage counters are integers >= 0 or null, nested ones too.

    Clauses: USAGE-004"""
    exchange, usage = usage_of(ctx, "USAGE-004", label)
    found = [(f"usage.{n}", usage.get(n)) for n in OPTIONAL_COUNTS]
    for group in NESTED_COUNTS:
        nested = usage.get(group)
        if nested is not None and not isinstance(nested, dict):
            raise fail("USAGE-004", f"usage.{group}: an object or null", short(nested), exchange)
        found += [(f"usage.{group}.{k}", v) for k, v in (nested or {}).items()]
    for path, value in found:
        if value is not None and (not is_int(value) or value < 0):
            raise fail("USAGE-004", f"{path}: an integer >= 0 or null", short(value), exchange)


def json_input_usage(exchange: Exchange) -> dict[str, Any]:
    data = json_object(exchange, "USAGE-002", "a JSON body with input_tokens")
    usage = data.get("usage")
    return dict(usage) if isinstance(usage, dict) else {"input_tokens": data.get("input_tokens")}


def stream_input_usage(exchange: Exchange) -> dict[str, Any]:
    """As the official SDK accumulates: message_start's values, each overwritten when non-null."""
    found: dict[str, Any] = {}
    for event in sse_events(exchange):
        holder = event.get("message") if event.get("type") == "message_start" else event
        usage = holder.get("usage") if isinstance(holder, dict) else None
        if isinstance(usage, dict):
            found.update({k: usage[k] for k in INPUT_PARTS if usage.get(k) is not None})
    return found


@check("usage_input_tokens_agree", "USAGE-002")
def usage_input_tokens_agree(ctx: CaseContext, tolerance: int = 0) -> None:
    """input_tokens agree between the JSON reply, the stream and count_tokens.

    Clauses: USAGE-002"""
    counts: dict[str, Any] = {}
    parts: dict[str, str] = {}
    for label, exchange in ctx.exchanges.items():
        if exchange.status != 200:
            raise fail(
                "USAGE-002", f"status 200 from {label}", f"status {exchange.status}", exchange
            )
        is_stream = exchange.is_sse or label == "stream"
        usage = stream_input_usage(exchange) if is_stream else json_input_usage(exchange)
        # Cache reads and writes are input too: 9+16 and 1+24 agree.
        counts[label], parts[label] = total_input(usage), shown_input(usage)
    shown = ", ".join(f"{k}={short(parts[k])}" for k in counts)
    values = list(counts.values())
    unread = [label for label, value in counts.items() if not is_int(value)]
    if unread:
        exchange = ctx.exchanges[unread[0]]
        raise fail("USAGE-002", "an integer input_tokens from every source", shown, exchange)
    # With one source (no streaming, no count_tokens) there is nothing to disagree with.
    if values and max(values) - min(values) > tolerance:
        raise fail("USAGE-002", f"equal input_tokens (tolerance {tolerance})", shown)
