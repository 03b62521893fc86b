"""Faults of the Message's shape and how it is labelled (SHAPE): fields, blocks, bytes, the
content type and the mode; and the legal variant of the content type with parameters."""

from __future__ import annotations

from typing import Any

from msgconform.mock.hooks import Ctx, Faults

HUGE_BYTES = 48 * 1024 * 1024
JSON_TYPE = b"application/json"


def blocks_of(message: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [b for b in message["content"] if b.get("type") == kind]


FAULTS = Faults()


@FAULTS.hook("message", "SHAPE-007", "STREAM-009")
def _tool_input_not_matching_schema(message: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
    """tool_use input lacks a required property"""
    schemas = {t.get("name"): t.get("input_schema") or {} for t in ctx.body.get("tools") or []}
    for block in blocks_of(message, "tool_use"):
        required = schemas.get(block["name"], {}).get("required") or []
        if required:
            block["input"].pop(required[0], None)
        else:
            block["input"] = {"msgconform_unexpected": True}
    return message


@FAULTS.hook("message", "SHAPE-002", "STREAM-005")
def _wrong_role(message: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
    """the reply's role is 'user'"""
    return {**message, "role": "user"}


@FAULTS.hook("message", "SHAPE-003", "STREAM-005")
def _missing_id(message: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
    """the reply has no id"""
    return {k: v for k, v in message.items() if k != "id"}


@FAULTS.hook("message", "SHAPE-004", "STREAM-005")
def _empty_model(message: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
    """the reply's model is ''"""
    return {**message, "model": ""}


@FAULTS.hook("body", "SHAPE-005")
def _unknown_response_block(message: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
    """non-streaming text blocks have type output_text"""
    content = [
        {**b, "type": "output_text"} if b["type"] == "text" else b for b in message["content"]
    ]
    return {**message, "content": content}


@FAULTS.hook("body", "SHAPE-006")
def _extra_response_field(body: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
    """non-streaming replies carry an undocumented field (SHOULD level)"""
    body["provider_metadata"] = {"node": "mock-1"}
    return body


@FAULTS.hook("sse", "SHAPE-008")
def _json_answered_sse(streamed: bool, ctx: Ctx) -> bool:
    """stream false or absent is answered with SSE"""
    return True


@FAULTS.hook("content_type", "SHAPE-008")
def _wrong_content_type(content_type: bytes, ctx: Ctx) -> bytes:
    """JSON replies are labelled text/plain

    Only a 200 JSON Message (not an error, not another endpoint's answer) is mislabelled."""
    message = ctx.status == 200 and ctx.route == "/v1/messages" and content_type == JSON_TYPE
    return b"text/plain; charset=utf-8" if message else content_type


@FAULTS.hook("raw", "SHAPE-001")
def _garbage_body(raw: bytes, ctx: Ctx) -> bytes:
    """non-streaming 200 bodies are bytes that are not JSON"""
    return b"\x00\x9f\x92garbage\xff" * 64


@FAULTS.hook("raw", "SHAPE-001")
def _huge_body(body: bytes, ctx: Ctx) -> bytes:
    """non-streaming 200 bodies are 48 MB"""
    head = body[: body.index(b'"content":[') + len(b'"content":[')]
    return head + b'{"type":"text","text":"' + b"a" * HUGE_BYTES + b'"}]}'


@FAULTS.hook("content_type", legal=True)
def _content_type_parameters(content_type: bytes, ctx: Ctx) -> bytes:
    """JSON labelled application/json; charset=utf-8, SSE labelled text/event-stream

    RFC 9110: parameters are part of a media type; a charset on JSON and none on SSE are fine."""
    if content_type == JSON_TYPE:
        return b"application/json; charset=utf-8"
    if content_type.startswith(b"text/event-stream"):
        return b"text/event-stream"
    return content_type
