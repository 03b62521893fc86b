"""Checks on the shape of a non-streaming Message."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jsonschema

from msgconform.checks.base import CaseContext, check, fail
from msgconform.checks.common import (
    blocks,
    describe,
    forces_tool_call,
    message_body,
    no_tool_call,
    pick,
    request_of,
    short,
    typed_blocks,
)

# Output block types of the current contract and the fields each must carry.
KNOWN_BLOCKS: dict[str, tuple[str, ...]] = {
    "text": ("text",),
    "thinking": ("thinking", "signature"),
    "redacted_thinking": ("data",),
    "tool_use": ("id", "name", "input"),
    "server_tool_use": ("id", "name", "input"),
    "web_search_tool_result": ("tool_use_id", "content"),
    "web_fetch_tool_result": ("tool_use_id", "content"),
    "code_execution_tool_result": ("tool_use_id", "content"),
    "bash_code_execution_tool_result": ("tool_use_id", "content"),
    "text_editor_code_execution_tool_result": ("tool_use_id", "content"),
    "tool_search_tool_result": ("tool_use_id", "content"),
    "container_upload": ("file_id",),
}
ISSUES_SHOWN = 3


def listed(items: list[Any]) -> str:
    more = f" (+{len(items) - ISSUES_SHOWN} more)" if len(items) > ISSUES_SHOWN else ""
    return "; ".join(str(i) for i in items[:ISSUES_SHOWN]) + more


@check("message_schema", "SHAPE-001")
def message_schema(ctx: CaseContext, label: str | None = None) -> None:
    """The 200 body validates as a Message against the profile's contract.

    Clauses: SHAPE-001"""
    exchange, body = message_body(ctx, "SHAPE-001", label)
    issues = ctx.contract.message_issues(body)
    if issues:
        raise fail("SHAPE-001", "a Message valid against the contract", listed(issues), exchange)


@check("message_type_role", "SHAPE-002")
def message_type_role(ctx: CaseContext, label: str | None = None) -> None:
    """type is "message" and role is "assistant".

    Clauses: SHAPE-002"""
    exchange, body = message_body(ctx, "SHAPE-002", label)
    seen = (body.get("type"), body.get("role"))
    if seen != ("message", "assistant"):
        actual = f"type={short(seen[0])}, role={short(seen[1])}"
        raise fail("SHAPE-002", 'type="message", role="assistant"', actual, exchange)


def non_empty_string(ctx: CaseContext, clause: str, field: str, label: str | None) -> None:
    exchange, body = message_body(ctx, clause, label)
    value = body.get(field)
    if not isinstance(value, str) or not value:
        shown = "absent" if field not in body else short(value)
        raise fail(clause, f"{field}: a non-empty string", f"{field}={shown}", exchange)


@check("message_id_present", "SHAPE-003")
def message_id_present(ctx: CaseContext, label: str | None = None) -> None:
    """The Message id is a non-empty string.

    Clauses: SHAPE-003"""
    non_empty_string(ctx, "SHAPE-003", "id", label)


@check("message_model_present", "SHAPE-004")
def message_model_present(ctx: CaseContext, label: str | None = None) -> None:
    """The Message model is a non-empty string.

    Clauses: SHAPE-004"""
    non_empty_string(ctx, "SHAPE-004", "model", label)


@check("content_blocks_known", "SHAPE-005")
def content_blocks_known(ctx: CaseContext, label: str | None = None) -> None:
    """content is a list of blocks of known types, each with its required fields.

    Clauses: SHAPE-005"""
    exchange, body = message_body(ctx, "SHAPE-005", label)
    if not isinstance(body.get("content"), list):
        raise fail(
            "SHAPE-005", "content: a list", f"content={short(body.get('content'))}", exchange
        )
    for i, block in enumerate(blocks(body)):
        kind = block.get("type") if isinstance(block, dict) else None
        if not isinstance(block, dict) or not isinstance(kind, str) or kind not in KNOWN_BLOCKS:
            shown = f"content.{i}.type={short(kind)}" if isinstance(block, dict) else short(block)
            raise fail("SHAPE-005", "a known block type", shown, exchange)
        missing = [f for f in KNOWN_BLOCKS[kind] if f not in block]
        if missing:
            actual = f"content.{i} ({kind}) lacks {', '.join(missing)}"
            raise fail(
                "SHAPE-005", f"{kind} with {', '.join(KNOWN_BLOCKS[kind])}", actual, exchange
            )
    if forces_tool_call(request_of(ctx, exchange)) and not typed_blocks(body, "tool_use"):
        raise no_tool_call("SHAPE-005", [b.get("type") for b in blocks(body)], exchange)


@check("message_no_extra_fields", "SHAPE-006")
def message_no_extra_fields(ctx: CaseContext, label: str | None = None) -> None:
    """The Message carries no field outside the documented schema.

    Clauses: SHAPE-006"""
    exchange, body = message_body(ctx, "SHAPE-006", label)
    extra = ctx.contract.extra_fields(body, "Message")
    if extra:
        raise fail("SHAPE-006", "only documented fields", f"extra: {listed(extra)}", exchange)


@check("tool_use_valid", "SHAPE-007")
def tool_use_valid(ctx: CaseContext, label: str | None = None) -> None:
    """Each tool_use block has an id, a declared tool's name, and input valid for its schema.

    Clauses: SHAPE-007"""
    exchange, body = message_body(ctx, "SHAPE-007", label)
    tools = declared_tools(request_of(ctx, exchange))
    for i, block in enumerate(blocks(body)):
        if not isinstance(block, dict) or block.get("type") != "tool_use":
            continue
        problem = tool_use_problem(block, tools)
        if problem:
            raise fail("SHAPE-007", "a valid tool_use block", f"content.{i}: {problem}", exchange)


def declared_tools(request: Mapping[str, Any]) -> dict[str, Any]:
    tools = request.get("tools")
    found = tools if isinstance(tools, list) else []
    return {
        t["name"]: t.get("input_schema", {}) for t in found if isinstance(t, dict) and "name" in t
    }


def tool_use_problem(block: Mapping[str, Any], tools: Mapping[str, Any]) -> str | None:
    name, tool_id, given = block.get("name"), block.get("id"), block.get("input")
    if not isinstance(tool_id, str) or not tool_id:
        return f"id={short(tool_id)}"
    if not isinstance(name, str) or name not in tools:
        return f"name={short(name)} is not a declared tool ({', '.join(tools) or 'none'})"
    if not isinstance(given, dict):
        return f"input={short(given)} is not an object"
    try:
        error = jsonschema.exceptions.best_match(
            jsonschema.Draft202012Validator(tools[name]).iter_errors(given)
        )
    except jsonschema.exceptions.SchemaError as exc:
        return f"the request's input_schema is unusable: {exc.message}"
    if error is not None:
        path = ".".join(str(p) for p in error.absolute_path) or "input"
        return f"{path}: {error.message}"
    return None


@check("response_is_json", "SHAPE-008")
def response_is_json(ctx: CaseContext, label: str | None = None) -> None:
    """A request with stream false or absent is answered with application/json, not SSE.

    Clauses: SHAPE-008"""
    exchange = pick(ctx, label, "SHAPE-008")
    media = exchange.content_type.split(";")[0].strip().lower()
    if media != "application/json":
        symptom = "Streaming fallback triggered" if exchange.is_sse else None
        raise fail(
            "SHAPE-008",
            "Content-Type application/json",
            describe(exchange),
            exchange,
            symptom=symptom,
        )
