"""Faults of error answers (ERR): the envelope, the type for the status, the status for the
mistake, retry-after; and the legal variant that repeats the caller's key (for the redaction
test)."""

from __future__ import annotations

import json

from msgconform.mock.hooks import Ctx, ErrorOut, Fault

# The mock's message for a JSON Schema type rule (contract/explain.py): "path: must be of type …".
TYPE_RULE = "must be of type"


def _openai(err: ErrorOut, ctx: Ctx) -> ErrorOut:
    err.raw = json.dumps(
        {"error": {"message": err.message, "type": err.etype, "code": err.status}}
    ).encode()
    return err


def _message_only(err: ErrorOut, ctx: Ctx) -> ErrorOut:
    # Baseten's documented form: right for a profile that declares it, a fault for any other.
    err.raw = json.dumps({"error": err.message}).encode()
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


def _typed_fields_422(err: ErrorOut, ctx: Ctx) -> ErrorOut:
    # What LiteLLM 1.106.2 answered for max_tokens: "ten": a server-error type for a client mistake.
    if err.status == 400 and TYPE_RULE in err.message:
        err.status, err.etype = 422, "api_error"
    return err


def _bare_404(err: ErrorOut, ctx: Ctx) -> ErrorOut:
    if err.status == 404:
        err.raw, err.content_type = b"404 page not found\n", "text/plain; charset=utf-8"
    return err


def _unknown_field_as_500(out: ErrorOut, ctx: Ctx) -> ErrorOut:
    if out.status < 500 and "unexpected field" in out.message and out.message.startswith("("):
        return ErrorOut(500, "api_error", "Internal server error")
    return out


FAULTS: list[Fault] = [
    Fault(
        "openai_error_shape",
        "errors use the OpenAI shape {error: {message, type, code}}",
        ("ERR-001",),
        error=_openai,
    ),
    Fault("html_body", "errors are an HTML page", ("ERR-001",), error=_html),
    Fault(
        "message_only_error",
        'errors are {"error": "<message>"} with no type (the form Baseten documents)',
        ("ERR-001",),
        error=_message_only,
    ),
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
    Fault(
        "unknown_field_as_500",
        "an unknown top-level field gets 500 api_error",
        ("ERR-003",),
        error=_unknown_field_as_500,
    ),
    Fault("no_retry_after", "429 carries no retry-after", ("ERR-004",), error=_no_retry_after),
    Fault(
        "no_413",
        "an oversized body gets 400, not 413",
        ("ERR-007",),
        status=lambda status, ctx: 400 if status == 413 else status,
    ),
    Fault(
        "echo_key_in_error",
        "error messages repeat the caller's key (for the redaction test)",
        legal=True,
        error=_echo_key,
    ),
    # Only one kind of error answer is wrong: the invariants catch these (test_invariants.py).
    Fault(
        "typed_fields_422_api_error",
        "only a wrongly typed field is answered 422 with error.type api_error",
        ("ERR-002",),
        invariant_only=True,
        error=_typed_fields_422,
    ),
    Fault(
        "not_found_without_envelope",
        "only 404s lose the error envelope (a plain-text body)",
        ("ERR-001",),
        invariant_only=True,
        error=_bare_404,
    ),
]
