"""Faults of error answers (ERR): the envelope, the type for the status, the status for the
mistake, retry-after; and the legal variant that repeats the caller's key (for the redaction
test)."""

from __future__ import annotations

import json

from msgconform.mock.hooks import Ctx, ErrorOut, Faults

# The mock's message for a JSON Schema type rule (contract/explain.py): "path: must be of type …".
TYPE_RULE = "must be of type"


FAULTS = Faults()


@FAULTS.hook("error", "ERR-001")
def _openai_error_shape(err: ErrorOut, ctx: Ctx) -> ErrorOut:
    """errors use the OpenAI shape {error: {message, type, code}}"""
    err.raw = json.dumps(
        {"error": {"message": err.message, "type": err.etype, "code": err.status}}
    ).encode()
    return err


@FAULTS.hook("error", "ERR-001")
def _html_body(err: ErrorOut, ctx: Ctx) -> ErrorOut:
    """errors are an HTML page"""
    err.raw = f"<html><body><h1>{err.status} Error</h1><p>{err.message}</p></body></html>".encode()
    err.content_type = "text/html; charset=utf-8"
    return err


@FAULTS.hook("error", "ERR-001")
def _message_only_error(err: ErrorOut, ctx: Ctx) -> ErrorOut:
    """errors are {"error": "<message>"} with no type (the form Baseten documents)"""
    # Baseten's documented form: right for a profile that declares it, a fault for any other.
    err.raw = json.dumps({"error": err.message}).encode()
    return err


@FAULTS.hook("error", "ERR-002")
def _wrong_error_type_for_status(err: ErrorOut, ctx: Ctx) -> ErrorOut:
    """error.type does not match the status"""
    err.etype = "invalid_request_error" if err.etype == "api_error" else "api_error"
    return err


@FAULTS.hook("error", "ERR-003", "ERR-008", "REQ-014", "REQ-015")
def _client_error_as_500(err: ErrorOut, ctx: Ctx) -> ErrorOut:
    """invalid requests get 500 api_error"""
    if err.etype == "invalid_request_error":
        err.status, err.etype = 500, "api_error"
    return err


@FAULTS.hook("error", "ERR-003")
def _unknown_field_as_500(out: ErrorOut, ctx: Ctx) -> ErrorOut:
    """an unknown top-level field gets 500 api_error"""
    if out.status < 500 and "unexpected field" in out.message and out.message.startswith("("):
        return ErrorOut(500, "api_error", "Internal server error")
    return out


@FAULTS.hook("error", "ERR-004")
def _no_retry_after(err: ErrorOut, ctx: Ctx) -> ErrorOut:
    """429 carries no retry-after"""
    err.headers.pop("retry-after", None)
    return err


@FAULTS.hook("status", "ERR-007")
def _no_413(status: int, ctx: Ctx) -> int:
    """an oversized body gets 400, not 413"""
    return 400 if status == 413 else status


@FAULTS.hook("error", legal=True)
def _echo_key_in_error(err: ErrorOut, ctx: Ctx) -> ErrorOut:
    """error messages repeat the caller's key (for the redaction test)"""
    err.message += f" (received key {ctx.key})"
    return err


# Only one kind of error answer is wrong: the invariants catch these (test_invariants.py).


@FAULTS.hook("error", "ERR-002", invariant_only=True)
def _typed_fields_422_api_error(err: ErrorOut, ctx: Ctx) -> ErrorOut:
    """only a wrongly typed field is answered 422 with error.type api_error"""
    # What LiteLLM 1.106.2 answered for max_tokens: "ten": a server-error type for a client mistake.
    if err.status == 400 and TYPE_RULE in err.message:
        err.status, err.etype = 422, "api_error"
    return err


@FAULTS.hook("error", "ERR-001", invariant_only=True)
def _not_found_without_envelope(err: ErrorOut, ctx: Ctx) -> ErrorOut:
    """only 404s lose the error envelope (a plain-text body)"""
    if err.status == 404:
        err.raw, err.content_type = b"404 page not found\n", "text/plain; charset=utf-8"
    return err
