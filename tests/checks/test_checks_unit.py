"""The request/response checks over hand-built exchanges: each passes on a good exchange, fails
with the right clause on a bad one, and never raises anything but a failure on garbage."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any, ClassVar, cast

import pytest

from msgconform.checks import auth, endpoints, errors, request, shape, stop, usage  # noqa: F401
from msgconform.checks.base import REGISTRY, CaseContext, ConformanceFailure
from msgconform.contract.document import REQUEST_SCHEMAS, Contract, SchemaIssue
from msgconform.core.errors import ConfigError
from msgconform.core.exchange import Chunk, Exchange
from msgconform.core.profiles import load as load_profile

MODULES = {"auth", "endpoints", "errors", "request", "shape", "stop", "usage"}
MINE = sorted(n for n, s in REGISTRY.items() if s.func.__module__.rsplit(".", 1)[-1] in MODULES)
ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
}
TOOL = {
    "name": "get_weather",
    "input_schema": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
}
REQUEST: dict[str, Any] = {
    "model": "m",
    "max_tokens": 8,
    "messages": [{"role": "user", "content": "Repeat after me: hi"}],
    "tools": [TOOL],
    "stop_sequences": ["END"],
}
MESSAGE: dict[str, Any] = {
    "id": "msg_1",
    "type": "message",
    "role": "assistant",
    "model": "m",
    "content": [{"type": "text", "text": "PAPAYA hi"}],
    "stop_reason": "end_turn",
    "stop_sequence": None,
    "usage": {"input_tokens": 12, "output_tokens": 3, "cache_read_input_tokens": None},
}
ERROR = {
    "type": "error",
    "error": {"type": "invalid_request_error", "message": "max_tokens: Field required"},
}


class FakeContract:
    """Stands in for the bundled contract: it reports whatever issues a test sets."""

    stop_reasons = ("end_turn", "max_tokens", "stop_sequence", "tool_use")
    error_types = ERROR_TYPES

    def __init__(self, issues: list[SchemaIssue] | None = None, extra: list[str] | None = None):
        self.issues = issues or []
        self.extra = extra or []

    def message_issues(self, body: Any) -> list[SchemaIssue]:
        return self.issues

    count_tokens_issues = models_page_issues = model_info_issues = error_issues = message_issues
    # Requests are valid and there are no cross-field rules: a served request is never leniency.
    openapi: ClassVar[dict[str, Any]] = {
        "components": {"schemas": {s: {} for s in REQUEST_SCHEMAS.values()}}
    }

    def request_issues_fast(self, body: Any, endpoint: str = "messages") -> list[SchemaIssue]:
        return []

    def extra_fields(self, body: Any, component: str = "Message") -> list[str]:
        return self.extra


def ex(
    body: Any = MESSAGE,
    status: int = 200,
    headers: dict[str, str] | None = None,
    label: str = "main",
    url: str = "http://t/v1/messages",
    req: Any = REQUEST,
) -> Exchange:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    kind = "application/json" if not isinstance(body, bytes) else "text/html"
    found = {"content-type": kind, "request-id": "req_1", **(headers or {})}
    exchange = Exchange(label, "POST", url, {}, request_body=req, status=status)
    exchange.response_headers, exchange.chunks = found, [Chunk(0.0, raw)]
    return exchange


def ctx_of(*exchanges: Exchange, contract: FakeContract | None = None) -> CaseContext:
    ctx = CaseContext(load_profile("mock"), cast(Contract, contract or FakeContract()), REQUEST)
    ctx.exchanges = {e.label: e for e in exchanges}
    return ctx


def run(name: str, ctx: CaseContext, **params: Any) -> ConformanceFailure | None:
    try:
        REGISTRY[name].func(ctx, **params)
    except ConformanceFailure as exc:
        return exc
    return None


def msg(**changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(MESSAGE)
    body.update(changes)
    return body


def err(status: int, kind: str, message: str = "nope") -> Exchange:
    return ex({"type": "error", "error": {"type": kind, "message": message}}, status)


TOOL_USE = {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Oslo"}}
GOOD_STREAM = (
    b'event: message_start\ndata: {"type":"message_start","message":{"usage":'
    b'{"input_tokens":12,"output_tokens":1}}}\n\n'
    b'event: message_stop\ndata: {"type":"message_stop"}\n\n'
)
PREFILLED = {
    **REQUEST,
    "messages": [
        {"role": "user", "content": "Repeat after me: alpha beta gamma"},
        {"role": "assistant", "content": "alpha beta"},
    ],
}


def sse(raw: bytes, label: str = "stream") -> Exchange:
    exchange = ex(raw, label=label)
    exchange.response_headers["content-type"] = "text/event-stream"
    return exchange


Ctx = Callable[[], CaseContext]
STOPPED = msg(stop_reason="stop_sequence", stop_sequence="END")
SEA = "The sea is calm today. Waves roll in slowly and the gulls circle above the harbour."
FIRST = msg(content=[{"type": "text", "text": SEA}])
CUT = SEA[: SEA.find("slowly")]
REPLAYED = msg(content=[{"type": "text", "text": CUT}], stop_reason="stop_sequence",
               stop_sequence="slowly")  # fmt: skip
END_TURN = msg(content=[{"type": "text", "text": CUT}], stop_reason="end_turn", stop_sequence=None)
MODEL = {"type": "model", "id": "m-1", "display_name": "M", "created_at": "2026-01-01T00:00:00Z"}
PAGE = {"data": [MODEL], "has_more": False, "first_id": "m-1", "last_id": "m-1"}
MODELS_URL = "http://t/v1/models/m-1"
# (check, params, good, bad, clause the bad one breaks)
# fmt: off
TABLE: list[tuple[str, dict[str, Any], Ctx, Ctx, str]] = [
    ("message_schema", {}, lambda: ctx_of(ex()),
     lambda: ctx_of(ex(), contract=FakeContract([SchemaIssue("id", "required")])), "SHAPE-001"),
    ("message_type_role", {}, lambda: ctx_of(ex()), lambda: ctx_of(ex(msg(role="user"))),
     "SHAPE-002"),
    ("message_id_present", {}, lambda: ctx_of(ex()), lambda: ctx_of(ex(msg(id=""))), "SHAPE-003"),
    ("message_model_present", {}, lambda: ctx_of(ex()), lambda: ctx_of(ex(msg(model=None))),
     "SHAPE-004"),
    ("content_blocks_known", {}, lambda: ctx_of(ex()),
     lambda: ctx_of(ex(msg(content=[{"type": "tool_use", "id": "x"}]))), "SHAPE-005"),
    ("message_no_extra_fields", {}, lambda: ctx_of(ex()),
     lambda: ctx_of(ex(), contract=FakeContract(extra=["choices"])), "SHAPE-006"),
    ("tool_use_valid", {}, lambda: ctx_of(ex(msg(content=[TOOL_USE]))),
     lambda: ctx_of(ex(msg(content=[{**TOOL_USE, "input": {"city": 3}}]))), "SHAPE-007"),
    ("response_is_json", {}, lambda: ctx_of(ex()), lambda: ctx_of(sse(GOOD_STREAM, "main")),
     "SHAPE-008"),
    ("stop_reason_in_enum", {}, lambda: ctx_of(ex()),
     lambda: ctx_of(ex(msg(stop_reason="eos"))), "STOP-001"),
    ("stop_reason_present", {}, lambda: ctx_of(ex()),
     lambda: ctx_of(ex(msg(stop_reason=None))), "STOP-002"),
    ("stop_sequence_consistent", {}, lambda: ctx_of(ex(STOPPED)),
     lambda: ctx_of(ex(msg(stop_sequence="END"))), "STOP-003"),
    ("stop_reason_is", {"expected": "max_tokens"},
     lambda: ctx_of(ex(msg(stop_reason="max_tokens"))), lambda: ctx_of(ex()), "STOP-004"),
    ("stop_reason_is", {"expected": "tool_use"},
     lambda: ctx_of(ex(msg(stop_reason="tool_use"))), lambda: ctx_of(ex()), "STOP-006"),
    ("output_tokens_within_max", {}, lambda: ctx_of(ex()),
     lambda: ctx_of(ex(msg(usage={"input_tokens": 1, "output_tokens": 9}))), "STOP-004"),
    ("stop_sequence_matched", {}, lambda: ctx_of(ex(STOPPED)),
     lambda: ctx_of(ex({**STOPPED, "content": [{"type": "text", "text": "a END"}]})),
     "STOP-005"),
    ("tool_use_present", {}, lambda: ctx_of(ex(msg(content=[TOOL_USE]))),
     lambda: ctx_of(ex()), "STOP-006"),
    ("usage_integers", {}, lambda: ctx_of(ex()),
     lambda: ctx_of(ex(msg(usage={"input_tokens": 0, "output_tokens": 1}))), "USAGE-001"),
    ("usage_optional_fields", {}, lambda: ctx_of(ex()),
     lambda: ctx_of(ex(msg(usage={"input_tokens": 1, "output_tokens": 1,
                                  "cache_read_input_tokens": -1}))), "USAGE-004"),
    ("usage_input_tokens_agree", {}, lambda: ctx_of(ex(label="json"), sse(GOOD_STREAM)),
     lambda: ctx_of(ex(label="json"), ex({"input_tokens": 13}, label="count")), "USAGE-002"),
    ("error_envelope", {}, lambda: ctx_of(ex(ERROR, 400)),
     lambda: ctx_of(ex({"error": {"message": "x", "code": 400}}, 400)), "ERR-001"),
    ("error_status_matches_type", {}, lambda: ctx_of(ex(ERROR, 400)),
     lambda: ctx_of(err(401, "invalid_request_error")), "ERR-002"),
    ("error_not_5xx", {}, lambda: ctx_of(ex(ERROR, 400)),
     lambda: ctx_of(err(500, "api_error")), "ERR-003"),
    ("error_not_5xx", {"clause": "HDR-006"}, lambda: ctx_of(ex()),
     lambda: ctx_of(err(500, "api_error")), "HDR-006"),
    ("rate_limit_retry_after", {}, lambda: ctx_of(ex(ERROR, 429, {"retry-after": "2"})),
     lambda: ctx_of(err(429, "rate_limit_error")), "ERR-004"),
    ("rejected_with", {"clause": "REQ-015", "names": "max_tokens"},
     lambda: ctx_of(ex(ERROR, 400)),
     lambda: ctx_of(err(400, "invalid_request_error", "bad request")), "REQ-015"),
    ("rejected_with", {"clause": "ERR-006", "status": 404, "type": "not_found_error"},
     lambda: ctx_of(err(404, "not_found_error")), lambda: ctx_of(ex()), "ERR-006"),
    ("request_id_present", {}, lambda: ctx_of(ex(), ex(ERROR, 400, label="b")),
     lambda: ctx_of(ex(ERROR, 400, {"request-id": ""})), "HDR-005"),
    ("request_accepted", {}, lambda: ctx_of(ex()), lambda: ctx_of(ex(ERROR, 400)), "REQ-001"),
    ("request_accepted", {"clause": "REQ-016", "label": "result"},
     lambda: ctx_of(ex(label="call"), ex(label="result")), lambda: ctx_of(ex(label="call")),
     "REQ-016"),
    ("system_honoured", {"clause": "REQ-003"}, lambda: ctx_of(ex()),
     lambda: ctx_of(ex(msg(content=[{"type": "text", "text": "hi"}]))), "REQ-003"),
    ("prefill_continued", {"contains": "gamma"},
     lambda: ctx_of(ex(msg(content=[{"type": "text", "text": " gamma"}]), req=PREFILLED)),
     lambda: ctx_of(ex(msg(content=[{"type": "text", "text": "alpha beta gamma"}]),
                       req=PREFILLED)), "REQ-005"),
    ("thinking_signed", {},
     lambda: ctx_of(ex(msg(content=[{"type": "thinking", "thinking": "t", "signature": "s"}]))),
     lambda: ctx_of(ex(msg(content=[{"type": "thinking", "thinking": "t", "signature": ""}]))),
     "REQ-010"),
    ("tool_use_absent", {}, lambda: ctx_of(ex()),
     lambda: ctx_of(ex(msg(content=[TOOL_USE]))), "REQ-006"),
    ("auth_refused", {}, lambda: ctx_of(err(401, "authentication_error")),
     lambda: ctx_of(ex()), "AUTH-003"),
    ("auth_refused", {"clause": "AUTH-005"},
     lambda: ctx_of(err(401, "authentication_error"), ex(ERROR, 401, label="endpoint:models")),
     lambda: ctx_of(err(401, "authentication_error"), ex(PAGE, label="endpoint:models")),
     "AUTH-005"),
    ("auth_conflict_deterministic", {},
     lambda: ctx_of(ex(label="conflict-1"), ex(label="conflict-2")),
     lambda: ctx_of(ex(label="conflict-1"), err(401, "authentication_error")), "AUTH-006"),
    ("count_tokens_shape", {}, lambda: ctx_of(ex({"input_tokens": 5})),
     lambda: ctx_of(ex({"input_tokens": "5"})), "ENDP-001"),
    ("models_page_shape", {}, lambda: ctx_of(ex(PAGE, label="list")),
     lambda: ctx_of(ex({**PAGE, "last_id": "other"}, label="list")), "ENDP-003"),
    ("stop_sequence_replayed", {},
     lambda: ctx_of(ex(FIRST, label="first"), ex(REPLAYED, label="replay")),
     lambda: ctx_of(ex(FIRST, label="first"), ex(END_TURN, label="replay")), "STOP-005"),
    ("model_info_shape", {}, lambda: ctx_of(ex(MODEL, label="one", url=MODELS_URL)),
     lambda: ctx_of(ex({**MODEL, "id": "m-2"}, label="one", url=MODELS_URL)), "ENDP-004"),
]
# fmt: on


def table_id(row: tuple[str, dict[str, Any], Ctx, Ctx, str]) -> str:
    return f"{row[0]}-{row[4]}"


@pytest.mark.parametrize("row", TABLE, ids=table_id)
def test_check_passes_on_good_exchange(row: tuple[str, dict[str, Any], Ctx, Ctx, str]) -> None:
    name, params, good, _, _ = row
    failure = run(name, good(), **params)
    assert failure is None, str(failure)


@pytest.mark.parametrize("row", TABLE, ids=table_id)
def test_check_fails_on_bad_exchange(row: tuple[str, dict[str, Any], Ctx, Ctx, str]) -> None:
    name, params, _, bad, clause = row
    failure = run(name, bad(), **params)
    assert failure is not None
    assert failure.clause == clause
    assert clause in REGISTRY[name].clauses


def test_every_check_of_mine_is_in_the_table() -> None:
    assert set(MINE) - {row[0] for row in TABLE} == set()


GARBAGE: list[tuple[int, bytes]] = [
    (status, body)
    for status in (200, 400, 401, 429, 500)
    for body in (
        b"<html><body>Bad Gateway</body></html>",
        b"",
        b"\xff\xfe{not utf-8",
        b"[1, 2]",
        b"null",
        b"{}",
        b'{"content": "x", "usage": [], "error": "e", "stop_sequence": {}, "type": ["error"]}',
        b'{"content": [{"type": ["text"]}, {"type": "tool_use", "name": {}}], "data": [1]}',
    )
]


@pytest.mark.parametrize("name", MINE)
def test_check_never_raises_on_garbage(name: str) -> None:
    for status, body in GARBAGE:
        exchange = ex(body, status)
        ctx = ctx_of(exchange, ex(body, status, label="one", url=MODELS_URL))
        failure = run(name, ctx)
        if failure is not None:
            assert failure.actual, f"{name} on {body!r}: empty evidence"


@pytest.mark.parametrize("body", [b"<html>oops</html>", b"", b"\xff\xfe", b"[1]"])
def test_message_checks_say_why_the_body_is_unreadable(body: bytes) -> None:
    failure = run("message_schema", ctx_of(ex(body)))
    assert failure is not None
    assert any(
        w in failure.actual for w in ("not JSON", "empty body", "invalid UTF-8", "JSON list")
    )


def test_a_clause_the_check_does_not_cite_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="STOP-001"):
        run("request_accepted", ctx_of(ex()), clause="STOP-001")


def test_rejected_with_reads_bracketed_field_paths() -> None:
    exchange = err(400, "invalid_request_error", "messages[0].content[0]: unknown tag")
    assert run("rejected_with", ctx_of(exchange), names="messages.0.content.0") is None


def test_client_error_means_the_profile_statuses() -> None:
    assert run("rejected_with", ctx_of(err(422, "invalid_request_error"))) is not None
    assert run("rejected_with", ctx_of(err(400, "invalid_request_error"))) is None


CUT = msg(stop_reason="max_tokens", usage={"input_tokens": 1, "output_tokens": 8})


@pytest.mark.parametrize("expected", ["end_turn", "tool_use", "stop_sequence"])
def test_a_reply_cut_at_the_cap_judges_the_model_not_the_server(expected: str) -> None:
    # REQUEST sends max_tokens 8: all 8 used is the server honouring the cap (STOP-004).
    failure = run("stop_reason_is", ctx_of(ex(CUT)), expected=expected)
    assert failure is not None
    assert failure.level == "MODEL"
    assert "not judged" in failure.actual


def test_max_tokens_before_the_cap_is_still_a_wrong_stop() -> None:
    early = msg(stop_reason="max_tokens", usage={"input_tokens": 1, "output_tokens": 3})
    failure = run("stop_reason_is", ctx_of(ex(early)), expected="end_turn")
    assert failure is not None
    assert failure.level != "MODEL"
    assert failure.clause == "STOP-007"


def test_no_stop_sequence_on_a_reply_cut_at_the_cap_is_not_judged() -> None:
    failure = run("stop_sequence_matched", ctx_of(ex(CUT)))
    assert failure is not None
    assert failure.level == "MODEL"


def test_a_round_trip_without_a_tool_call_has_no_result_to_judge() -> None:
    # REQUEST declares a tool; the first reply answered in text, so the probe sent no result.
    failure = run("request_accepted", ctx_of(ex(label="call")), label="result")
    assert failure is not None
    assert failure.level == "MODEL"
    assert "no tool call to judge" in failure.actual


def test_a_missing_exchange_without_tools_still_fails() -> None:
    ctx = ctx_of(ex(label="call"))
    ctx.request = {k: v for k, v in REQUEST.items() if k != "tools"}
    failure = run("request_accepted", ctx, label="result")
    assert failure is not None
    assert failure.level is None
