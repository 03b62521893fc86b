"""Faults of the reply, the errors, auth, headers and the other endpoints (request acceptance
is in `faults/request.py`)."""

from __future__ import annotations

import json
from typing import Any

from msgconform.mock.hooks import Ctx, ErrorOut, Fault, flag

HUGE_BYTES = 48 * 1024 * 1024


def _blocks_of(message: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [b for b in message["content"] if b.get("type") == kind]


def _set(key: str, value: Any) -> Any:
    def hook(message: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
        message[key] = value
        return message

    return hook


def _unknown_stop(message: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
    message["stop_reason"] = "finished"
    return message


def _no_echo(message: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
    if message["stop_reason"] == "stop_sequence":
        message["stop_sequence"] = None
    return message


def _seq_in_text(message: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
    texts = _blocks_of(message, "text")
    if message["stop_sequence"] and texts:
        texts[-1]["text"] += message["stop_sequence"]
    return message


def _tool_end_turn(message: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
    if message["stop_reason"] == "tool_use":
        message["stop_reason"] = "end_turn"
    return message


def _negative(message: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
    message["usage"]["input_tokens"] = -message["usage"]["input_tokens"]
    return message


def _bad_tool_input(message: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
    schemas = {t.get("name"): t.get("input_schema") or {} for t in ctx.body.get("tools") or []}
    for block in _blocks_of(message, "tool_use"):
        required = schemas.get(block["name"], {}).get("required") or []
        if required:
            block["input"].pop(required[0], None)
        else:
            block["input"] = {"msgconform_unexpected": True}
    return message


def _unforced(body: Any, ctx: Ctx) -> Any:
    choice = body.get("tool_choice") if isinstance(body, dict) else None
    if isinstance(choice, dict) and choice.get("type") in ("any", "tool"):
        return {**body, "tool_choice": {"type": "none"}}
    return body


def _openai(err: ErrorOut, ctx: Ctx) -> ErrorOut:
    err.raw = json.dumps(
        {"error": {"message": err.message, "type": err.etype, "code": err.status}}
    ).encode()
    return err


def _wrong_type(err: ErrorOut, ctx: Ctx) -> ErrorOut:
    err.etype = "invalid_request_error" if err.etype == "api_error" else "api_error"
    return err


def _as_500(err: ErrorOut, ctx: Ctx) -> ErrorOut:
    if err.etype == "invalid_request_error":
        err.status, err.etype = 500, "api_error"
    return err


def _html(err: ErrorOut, ctx: Ctx) -> ErrorOut:
    err.raw = f"<html><body><h1>{err.status} Error</h1><p>{err.message}</p></body></html>".encode()
    err.content_type = "text/html; charset=utf-8"
    return err


def _no_retry_after(err: ErrorOut, ctx: Ctx) -> ErrorOut:
    err.headers.pop("retry-after", None)
    return err


def _echo_key(err: ErrorOut, ctx: Ctx) -> ErrorOut:
    err.message += f" (received key {ctx.key})"
    return err


def _huge(body: bytes, ctx: Ctx) -> bytes:
    head = body[: body.index(b'"content":[') + len(b'"content":[')]
    return head + b'{"type":"text","text":"' + b"a" * HUGE_BYTES + b'"}]}'


def _extra_field(body: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
    body["provider_metadata"] = {"node": "mock-1"}
    return body


def _string_cache(message: dict[str, Any], ctx: Ctx) -> dict[str, Any]:
    message["usage"]["cache_read_input_tokens"] = "0"
    return message


FAULTS: list[Fault] = [
    Fault(
        "unknown_stop_reason",
        "stop_reason is 'finished' (not in the enum)",
        ("STOP-001", "STREAM-011"),
        message=_unknown_stop,
    ),
    Fault(
        "null_stop_reason_nonstream",
        "non-streaming replies have stop_reason null",
        ("STOP-002",),
        body=_set("stop_reason", None),
    ),
    Fault(
        "stop_sequence_not_echoed",
        "stop_sequence is null when stop_reason is stop_sequence",
        ("STOP-003", "STOP-005"),
        message=_no_echo,
    ),
    Fault(
        "stop_sequence_in_text",
        "the matched stop sequence stays in the text",
        ("STOP-005",),
        message=_seq_in_text,
    ),
    Fault(
        "max_tokens_ignored",
        "replies run past max_tokens (end_turn, more tokens)",
        ("STOP-004",),
        request=lambda body, ctx: {**body, "max_tokens": max(4096, body.get("max_tokens", 0))}
        if isinstance(body, dict) and isinstance(body.get("max_tokens"), int)
        else body,
    ),
    Fault(
        "forced_tool_ignored",
        "tool_choice any or tool is answered with text",
        ("STOP-006",),
        request=_unforced,
    ),
    flag(
        "conflicting_auth_alternates",
        "x-api-key plus Authorization together: accepted and refused in turn",
        "AUTH-006",
    ),
    flag("model_info_wrong_id", "GET /v1/models/{id} answers another model's info", "ENDP-004"),
    Fault(
        "wrong_stop_reason_tool",
        "tool calls end with stop_reason end_turn",
        ("STOP-006",),
        message=_tool_end_turn,
    ),
    Fault(
        "tool_input_not_matching_schema",
        "tool_use input lacks a required property",
        ("SHAPE-007", "STREAM-009"),
        message=_bad_tool_input,
    ),
    Fault("negative_tokens", "usage.input_tokens is negative", ("USAGE-001",), message=_negative),
    Fault(
        "cache_tokens_as_string",
        "usage.cache_read_input_tokens is the string '0'",
        ("USAGE-004",),
        message=_string_cache,
    ),
    Fault(
        "wrong_role",
        "the reply's role is 'user'",
        ("SHAPE-002", "STREAM-005"),
        message=_set("role", "user"),
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
        message=_set("model", ""),
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
    flag("stream_answered_json", "stream: true is answered with a JSON Message", "STREAM-001"),
    flag("json_answered_sse", "stream false or absent is answered with SSE", "SHAPE-008"),
    flag("wrong_content_type", "JSON replies are labelled text/plain", "SHAPE-008"),
    Fault(
        "garbage_body",
        "non-streaming 200 bodies are bytes that are not JSON",
        ("SHAPE-001",),
        raw=lambda raw, ctx: b"\x00\x9f\x92garbage\xff" * 64,
    ),
    Fault("huge_body", "non-streaming 200 bodies are 48 MB", ("SHAPE-001",), raw=_huge),
    Fault(
        "openai_error_shape",
        "errors use the OpenAI shape {error: {message, type, code}}",
        ("ERR-001",),
        error=_openai,
    ),
    Fault("html_body", "errors are an HTML page", ("ERR-001",), error=_html),
    Fault(
        "wrong_error_type_for_status",
        "error.type does not match the status",
        ("ERR-002",),
        error=_wrong_type,
    ),
    Fault(
        "client_error_as_500",
        "invalid requests get 500 api_error",
        ("ERR-003", "ERR-008", "REQ-014", "REQ-015"),
        error=_as_500,
    ),
    Fault("no_retry_after", "429 carries no retry-after", ("ERR-004",), error=_no_retry_after),
    flag("missing_request_id", "no response carries request-id", "HDR-005"),
    flag("no_413", "an oversized body gets 400, not 413", "ERR-007"),
    flag(
        "unknown_path_not_404", "unknown paths get 400 invalid_request_error", "ERR-006", "ENDP-002"
    ),
    Fault(
        "echo_key_in_error",
        "error messages repeat the caller's key (for the redaction test)",
        legal=True,
        error=_echo_key,
    ),
    flag("accept_missing_api_key", "requests without a key are served", "AUTH-003"),
    flag("accept_wrong_key", "any key value is accepted", "AUTH-004"),
    flag("accept_rejected_scheme", "a scheme the profile rejects authenticates", "AUTH-002"),
    flag("reject_accepted_scheme", "the profile's last accepted scheme is refused", "AUTH-001"),
    flag("auth_only_on_messages", "count_tokens and models need no key", "AUTH-005"),
    flag("reject_new_version", "anthropic-version 2026-10-21 is refused", "HDR-002"),
    flag(
        "accept_sampling_on_new_version", "2026-10-21 accepts temperature, top_p, top_k", "HDR-002"
    ),
    flag("missing_version_accepted", "a missing anthropic-version is accepted", "HDR-003"),
    flag("reject_beta_query", "?beta=true gets 400", "HDR-004"),
    flag("unknown_beta_500", "an unknown anthropic-beta value gets 500", "HDR-006"),
    flag("count_tokens_mismatch", "count_tokens answers 3 more than messages", "USAGE-002"),
    flag(
        "count_tokens_needs_max_tokens",
        "count_tokens refuses a request without max_tokens",
        "ENDP-001",
    ),
    flag(
        "models_openai_shape",
        "GET /v1/models answers an OpenAI list {object: list, data}",
        "ENDP-003",
    ),
    flag("unknown_model_200", "GET /v1/models/{id} answers 200 for any id", "ENDP-004"),
]
