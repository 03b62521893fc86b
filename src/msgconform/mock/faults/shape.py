"""Faults of the Message's shape and how it is labelled (SHAPE): fields, blocks, bytes, the
content type and the mode; and the legal variant of the content type with parameters."""

from __future__ import annotations

from typing import Any

from msgconform.mock.hooks import Ctx, Fault

HUGE_BYTES = 48 * 1024 * 1024
JSON_TYPE = b"application/json"


def blocks_of(message: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [b for b in message["content"] if b.get("type") == kind]


def set_field(key: str, value: Any) -> Any:
    def hook(message: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
        message[key] = value
        return message

    return hook


def _bad_tool_input(message: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
    schemas = {t.get("name"): t.get("input_schema") or {} for t in ctx.body.get("tools") or []}
    for block in blocks_of(message, "tool_use"):
        required = schemas.get(block["name"], {}).get("required") or []
        if required:
            block["input"].pop(required[0], None)
        else:
            block["input"] = {"msgconform_unexpected": True}
    return message


def _huge(body: bytes, ctx: Ctx) -> bytes:
    head = body[: body.index(b'"content":[') + len(b'"content":[')]
    return head + b'{"type":"text","text":"' + b"a" * HUGE_BYTES + b'"}]}'


def _extra_field(body: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
    body["provider_metadata"] = {"node": "mock-1"}
    return body


def _message_as_text_plain(content_type: bytes, ctx: Ctx) -> bytes:
    """A 200 JSON Message (not an error, not another endpoint's answer) labelled text/plain."""
    message = ctx.status == 200 and ctx.route == "/v1/messages" and content_type == JSON_TYPE
    return b"text/plain; charset=utf-8" if message else content_type


def _with_parameters(content_type: bytes, ctx: Ctx) -> bytes:
    """RFC 9110: parameters are part of a media type; a charset on JSON and none on SSE are fine."""
    if content_type == JSON_TYPE:
        return b"application/json; charset=utf-8"
    if content_type.startswith(b"text/event-stream"):
        return b"text/event-stream"
    return content_type


FAULTS: list[Fault] = [
    Fault(
        "tool_input_not_matching_schema",
        "tool_use input lacks a required property",
        ("SHAPE-007", "STREAM-009"),
        message=_bad_tool_input,
    ),
    Fault(
        "wrong_role",
        "the reply's role is 'user'",
        ("SHAPE-002", "STREAM-005"),
        message=set_field("role", "user"),
    ),
    Fault(
        "missing_id",
        "the reply has no id",
        ("SHAPE-003", "STREAM-005"),
        message=lambda m, ctx: {k: v for k, v in m.items() if k != "id"},
    ),
    Fault(
        "empty_model",
        "the reply's model is ''",
        ("SHAPE-004", "STREAM-005"),
        message=set_field("model", ""),
    ),
    Fault(
        "unknown_response_block",
        "non-streaming text blocks have type output_text",
        ("SHAPE-005",),
        body=lambda m, ctx: {
            **m,
            "content": [
                {**b, "type": "output_text"} if b["type"] == "text" else b for b in m["content"]
            ],
        },
    ),
    Fault(
        "extra_response_field",
        "non-streaming replies carry an undocumented field (SHOULD level)",
        ("SHAPE-006",),
        body=_extra_field,
    ),
    Fault(
        "json_answered_sse",
        "stream false or absent is answered with SSE",
        ("SHAPE-008",),
        sse=lambda streamed, ctx: True,
    ),
    Fault(
        "wrong_content_type",
        "JSON replies are labelled text/plain",
        ("SHAPE-008",),
        content_type=_message_as_text_plain,
    ),
    Fault(
        "garbage_body",
        "non-streaming 200 bodies are bytes that are not JSON",
        ("SHAPE-001",),
        raw=lambda raw, ctx: b"\x00\x9f\x92garbage\xff" * 64,
    ),
    Fault("huge_body", "non-streaming 200 bodies are 48 MB", ("SHAPE-001",), raw=_huge),
    Fault(
        "content_type_parameters",
        "JSON labelled application/json; charset=utf-8, SSE labelled text/event-stream",
        legal=True,
        content_type=_with_parameters,
    ),
]
