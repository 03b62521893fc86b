"""Faults that break an invariant in one kind of exchange only, so no case written for another
purpose notices them unless the invariants judge every exchange; and the legal variant of the
content type they must not flag."""

from __future__ import annotations

from typing import Any

from msgconform.mock.hooks import Ctx, ErrorOut, Fault

# The mock's message for a JSON Schema type rule (contract/explain.py): "path: must be of type …".
TYPE_RULE = "must be of type"


def _typed_fields_422(err: ErrorOut, ctx: Ctx) -> ErrorOut:
    # What LiteLLM 1.106.2 answered for max_tokens: "ten": a server-error type for a client mistake.
    if err.status == 400 and TYPE_RULE in err.message:
        err.status, err.etype = 422, "api_error"
    return err


def _bare_404(err: ErrorOut, ctx: Ctx) -> ErrorOut:
    if err.status == 404:
        err.raw, err.content_type = b"404 page not found\n", "text/plain; charset=utf-8"
    return err


def _calls_tools(ctx: Ctx) -> bool:
    body: Any = ctx.body
    return ctx.stream and isinstance(body, dict) and bool(body.get("tools"))


def _tool_stream_text_plain(content_type: bytes, ctx: Ctx) -> bytes:
    return b"text/plain; charset=utf-8" if _calls_tools(ctx) else content_type


def _with_parameters(content_type: bytes, ctx: Ctx) -> bytes:
    """RFC 9110: parameters are part of a media type; a charset on JSON and none on SSE are fine."""
    if content_type == b"application/json":
        return b"application/json; charset=utf-8"
    if content_type.startswith(b"text/event-stream"):
        return b"text/event-stream"
    return content_type


FAULTS: list[Fault] = [
    Fault(
        "typed_fields_422_api_error",
        "only a wrongly typed field is answered 422 with error.type api_error",
        ("ERR-002",),
        error=_typed_fields_422,
    ),
    Fault(
        "not_found_without_envelope",
        "only 404s lose the error envelope (a plain-text body)",
        ("ERR-001",),
        error=_bare_404,
    ),
    Fault(
        "tool_streams_text_plain",
        "only streams of a request with tools are labelled text/plain",
        ("STREAM-001",),
        content_type=_tool_stream_text_plain,
    ),
    Fault(
        "content_type_parameters",
        "JSON labelled application/json; charset=utf-8, SSE labelled text/event-stream",
        legal=True,
        content_type=_with_parameters,
    ),
]
