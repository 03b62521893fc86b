"""`msgconform check-stream` on captures, and the registered stream checks on exchanges."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from msgconform.checks import REGISTRY, CaseContext, ConformanceFailure
from msgconform.cli import main
from msgconform.contract.document import Contract
from msgconform.core import profiles
from msgconform.core.exchange import Chunk, Exchange

FIXTURES = Path(__file__).parents[1] / "fixtures" / "sse"
SSE = {"content-type": "text/event-stream; charset=utf-8"}


def cli(*args: str) -> int:
    return main(["check-stream", *args])


@pytest.mark.parametrize("name", ["text.sse", "crlf.sse", "comments.sse", "thinking.sse"])
def test_clean_capture_exits_0(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(str(FIXTURES / name)) == 0
    assert "conforms" in capsys.readouterr().out


def test_broken_capture_prints_requirement_expected_actual(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli(str(FIXTURES / "wrong_delta_type.sse")) == 1
    out = capsys.readouterr().out
    assert "FAIL STREAM-008 at event 3" in out
    for label in ("Requirement:", "Expected:", "Actual:", "Mismatched content block type"):
        assert label in out


def test_stop_sequence_beside_end_turn_fails(capsys: pytest.CaptureFixture[str]) -> None:
    # llama.cpp b11434's answer to a matched stop sequence; text.sse is the same stream, clean.
    assert cli(str(FIXTURES / "stop_sequence_end_turn.sse")) == 1
    assert "FAIL STOP-003 at event 6 [stream_stop_sequence]" in capsys.readouterr().out


def test_provider_deviation_comes_from_its_profile() -> None:
    capture = str(FIXTURES / "data_only_done.sse")
    assert cli(capture) == 1
    assert cli(capture, "--provider", "cortecs") == 0


def test_tools_file_checks_input_schema(capsys: pytest.CaptureFixture[str]) -> None:
    capture = str(FIXTURES / "tool.sse")
    assert cli(capture, "--tools", str(FIXTURES / "tool.tools.json")) == 0
    assert cli(capture, "--tools", str(FIXTURES / "strict.tools.json")) == 1
    assert "FAIL STREAM-009 at event 5" in capsys.readouterr().out


@pytest.mark.parametrize("args", [["missing.sse"], ["text.sse", "--tools", "text.sse"]])
def test_bad_input_is_one_line_and_exit_2(
    args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli(*[str(FIXTURES / a) if a.endswith(".sse") else a for a in args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("msgconform: ")


def exchange(label: str, body: bytes, headers: dict[str, str] | None = None, **kw: Any) -> Exchange:
    ex = Exchange(label, "POST", "http://mock/v1/messages", {}, {"stream": True})
    ex.status, ex.response_headers = kw.pop("status", 200), headers if headers is not None else SSE
    ex.chunks = [Chunk(kw.pop("at_s", 0.01), body)]
    for name, value in kw.items():
        setattr(ex, name, value)
    return ex


def context(*exchanges: Exchange, request: dict[str, Any] | None = None) -> CaseContext:
    contract = Contract.load("2023-06-01", None)
    ctx = CaseContext(profiles.load("mock"), contract, request or {"max_tokens": 16})
    ctx.exchanges = {e.label: e for e in exchanges}
    return ctx


def verdict(check: str, ctx: CaseContext, **params: Any) -> tuple[str, int | None] | None:
    try:
        REGISTRY[check].func(ctx, **params)
    except ConformanceFailure as exc:
        return exc.clause, exc.event_index
    return None


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_checks_pass_on_a_clean_stream() -> None:
    ctx = context(exchange("main", fixture("text.sse")))
    names = [n for n in REGISTRY if n.startswith("stream_") and n != "stream_parity"]
    assert {n: verdict(n, ctx) for n in names} == dict.fromkeys(names)


def test_json_reply_to_a_stream_request_fails_content_type() -> None:
    ctx = context(exchange("main", b'{"type":"message"}', {"content-type": "application/json"}))
    assert verdict("stream_content_type", ctx) == ("STREAM-001", None)
    assert verdict("stream_message_start", ctx) == ("STREAM-001", None)


def test_grammar_runs_once_per_exchange() -> None:
    ctx = context(exchange("main", fixture("index_gap.sse")))
    assert verdict("stream_block_indices", ctx) == ("STREAM-006", 1)
    grammar = ctx.grammars["main"]
    assert verdict("stream_grammar", ctx) == ("STREAM-006", 1)
    assert ctx.grammars["main"] is grammar


@pytest.mark.parametrize(
    ("ended", "check", "clause"),
    [
        ("idle_timeout", "stream_deadline", "STREAM-014"),
        ("total_timeout", "stream_deadline", "STREAM-014"),
        ("close_timeout", "stream_close_after_stop", "STREAM-013"),
        ("first_byte_timeout", "stream_first_byte", "STREAM-017"),
    ],
)
def test_how_reading_ended_is_judged(ended: str, check: str, clause: str) -> None:
    ctx = context(exchange("main", fixture("missing_message_stop.sse"), ended=ended, error="t"))
    found = verdict(check, ctx)
    assert found is not None
    assert found[0] == clause


def test_stop_reason_probe_in_stream_mode() -> None:
    ctx = context(exchange("main", fixture("text.sse")))
    assert verdict("stream_stop_reason_is", ctx, expected="end_turn") is None
    assert verdict("stream_stop_reason_is", ctx, expected="max_tokens") == ("STOP-004", None)


def test_stop_sequence_must_be_echoed_and_absent_from_text() -> None:
    body = fixture("text.sse").replace(
        b'"stop_reason":"end_turn","stop_sequence":null',
        b'"stop_reason":"stop_sequence","stop_sequence":"gamma"',
    )
    request = {"max_tokens": 16, "stop_sequences": ["gamma"]}
    assert (
        verdict(
            "stream_stop_reason_is",
            context(exchange("main", body), request=request),
            expected="stop_sequence",
        )
        is None
    )
    other = {"max_tokens": 16, "stop_sequences": ["delta"]}
    assert verdict(
        "stream_stop_reason_is",
        context(exchange("main", body), request=other),
        expected="stop_sequence",
    ) == ("STOP-005", None)


def message_json(**changes: Any) -> bytes:
    message = {
        "id": "msg_02",
        "type": "message",
        "role": "assistant",
        "model": "mock-sonnet",
        "content": [{"type": "text", "text": "Hello there"}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 12, "output_tokens": 2},
    }
    return json.dumps({**message, **changes}).encode()


@pytest.mark.parametrize(
    ("changes", "passes"),
    [
        ({}, True),
        ({"stop_reason": "max_tokens"}, False),
        ({"usage": {"input_tokens": 99, "output_tokens": 2}}, False),
        ({"content": [{"type": "tool_use", "id": "t", "name": "x", "input": {}}]}, False),
    ],
)
def test_parity_between_stream_and_json(changes: dict[str, Any], passes: bool) -> None:
    plain = exchange("json", message_json(**changes), {"content-type": "application/json"})
    ctx = context(exchange("stream", fixture("text.sse")), plain)
    assert verdict("stream_parity", ctx) == (None if passes else ("STREAM-016", None))


@pytest.mark.parametrize(("used", "graded_model"), [(16, True), (2, False)])
def test_a_stream_cut_at_the_cap_judges_the_model_not_the_server(
    used: int, graded_model: bool
) -> None:
    # text.sse ends with end_turn; as max_tokens with every one of the 16 used, the server honoured
    # the cap and an end_turn probe cannot be judged (MODEL); with 2 of 16 it is a wrong stop.
    cut = fixture("text.sse").replace(
        b'{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":2}',
        b'{"stop_reason":"max_tokens","stop_sequence":null},"usage":{"output_tokens":%d}' % used,
    )
    ctx = context(exchange("main", cut))
    with pytest.raises(ConformanceFailure) as caught:
        REGISTRY["stream_stop_reason_is"].func(ctx, expected="end_turn")
    assert caught.value.clause == "STOP-007"
    assert (caught.value.level == "MODEL") is graded_model
