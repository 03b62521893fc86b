"""The invariants over hand-built exchanges: legal variants pass, the odd answers they leave to
others stay unjudged, and the profile's contract (overlay) decides."""

from __future__ import annotations

import json
from typing import Any

import pytest

from msgconform.checks import invariants
from msgconform.checks.base import CaseContext
from msgconform.contract.document import Contract
from msgconform.core.exchange import Chunk, Exchange
from msgconform.core.profiles import load as load_profile

URL = "http://127.0.0.1:9/v1/messages"
GOOD = {"model": "m", "max_tokens": 8, "messages": [{"role": "user", "content": "hi"}]}
ENVELOPE = {"type": "error", "error": {"type": "invalid_request_error", "message": "no"}}


def exchange(status: int, content_type: str, body: Any, request: Any = None, **kw: Any) -> Exchange:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"content-type": content_type, "request-id": "req_1"}
    sent = request if request is not None else GOOD
    return Exchange(
        "main", "POST", URL, {}, sent, status=status, response_headers=headers,
        chunks=[Chunk(0.0, data)], **kw,
    )  # fmt: skip


def breaches(ex: Exchange, provider: str = "mock") -> list[str]:
    profile = load_profile(provider)
    contract = Contract.load(overlay=profile.contract.overlay)
    ctx = CaseContext(profile, contract, GOOD, {"main": ex})
    return [f"{b.invariant.name}:{b.failure.clause}" for b in invariants.judge(ctx, {})]


def message() -> dict[str, Any]:
    return {
        "id": "msg_1", "type": "message", "role": "assistant", "model": "m",
        "content": [{"type": "text", "text": "hi"}], "stop_reason": "end_turn",
        "stop_sequence": None, "usage": {"input_tokens": 3, "output_tokens": 1},
    }  # fmt: skip


@pytest.mark.parametrize(
    "content_type", ["application/json", "application/json; charset=utf-8", "Application/JSON"]
)
def test_json_with_parameters_or_any_case_is_json(content_type: str) -> None:
    assert breaches(exchange(200, content_type, message())) == []


def test_an_error_with_the_envelope_passes() -> None:
    assert breaches(exchange(400, "application/json", ENVELOPE)) == []


def test_a_gateway_page_is_left_to_the_cases_that_ask_for_errors() -> None:
    assert breaches(exchange(502, "text/html", b"<html>Bad gateway</html>")) == []


def test_a_422_is_judged_by_the_table() -> None:
    wrong = {"type": "error", "error": {"type": "api_error", "message": "no"}}
    assert breaches(exchange(422, "application/json", wrong)) == [
        "error_type_matches_status:ERR-002"
    ]
    assert breaches(exchange(422, "application/json", ENVELOPE)) == []


def test_a_5xx_for_a_valid_request_sent_as_bytes_is_not_err003() -> None:
    raw = json.dumps(GOOD).encode()
    server = {"type": "error", "error": {"type": "api_error", "message": "boom"}}
    ex = exchange(500, "application/json", server, request=None, raw_request_body=raw)
    ex.request_body = None
    assert breaches(ex) == []
    ex.raw_request_body = b'{"model": '
    assert breaches(ex) == ["client_mistake_not_5xx:ERR-003"]


def test_what_the_overlay_accepts_is_no_client_mistake() -> None:
    # Cortecs documents max_tokens as optional: a 5xx for a request without it is not ERR-003.
    without = {k: v for k, v in GOOD.items() if k != "max_tokens"}
    server = {"type": "error", "error": {"type": "api_error", "message": "boom"}}
    ex = exchange(500, "application/json", server, request=without)
    assert breaches(ex, "mock") == ["client_mistake_not_5xx:ERR-003"]
    assert breaches(ex, "cortecs") == []


def test_request_id_only_where_the_profile_documents_it() -> None:
    ex = exchange(200, "application/json", message())
    del ex.response_headers["request-id"]
    assert breaches(ex, "mock") == ["request_id:HDR-005"]
    assert breaches(ex, "baseten") == []


def test_an_unknown_stop_reason_is_one_breach_not_two() -> None:
    odd = {**message(), "stop_reason": "finished"}
    assert breaches(exchange(200, "application/json", odd)) == ["stop_reason_in_enum:STOP-001"]


def test_a_hung_stream_is_one_breach_of_stream_completes_not_of_the_grammar() -> None:
    streamed = {**GOOD, "stream": True}
    part = b'event: message_start\ndata: {"type":"message_start"}\n\n'
    ex = exchange(200, "text/event-stream", part, request=streamed, ended="idle_timeout")
    assert breaches(ex) == ["stream_completes:STREAM-014"]


def test_a_stream_cut_by_the_server_is_left_to_the_truncation_checks() -> None:
    streamed = {**GOOD, "stream": True}
    part = b'event: message_start\ndata: {"type":"message_start"}\n\n'
    ex = exchange(200, "text/event-stream", part, request=streamed, ended="reset")
    assert breaches(ex) == []
