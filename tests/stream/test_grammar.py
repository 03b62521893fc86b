"""The stream grammar: legal streams pass, each breakage is named by clause and event index."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from msgconform.stream.grammar import StreamGrammar, run
from msgconform.stream.sse import SSEParser, parse_bytes

FIXTURES = Path(__file__).parents[1] / "fixtures" / "sse"
STOP_REASONS = ("end_turn", "max_tokens", "stop_sequence", "tool_use")
LEGAL = [
    "text.sse",
    "crlf.sse",
    "cr.sse",
    "comments.sse",
    "data_before_event.sse",
    "pings.sse",
    "extra_fields.sse",
    "unicode.sse",
    "tool.sse",
    "thinking.sse",
    "error_midstream.sse",
]
BROKEN = [
    ("missing_message_start.sse", "STREAM-005", 0, "Stream completed without receiving"),
    ("ping_before_start.sse", "STREAM-005", 0, None),
    ("duplicate_message_start.sse", "STREAM-005", 1, None),
    ("delta_before_start.sse", "STREAM-007", 1, "Content block not found"),
    ("wrong_delta_type.sse", "STREAM-008", 3, "Mismatched content block type"),
    ("index_gap.sse", "STREAM-006", 1, None),
    ("duplicate_block_start.sse", "STREAM-006", 6, None),
    ("missing_message_stop.sse", "STREAM-012", 6, None),
    ("event_after_stop.sse", "STREAM-012", 8, None),
    ("no_final_blank_line.sse", "STREAM-012", 7, None),
    ("done.sse", "STREAM-003", 8, None),
    ("name_mismatch.sse", "STREAM-002", 5, None),
    ("data_only_done.sse", "STREAM-002", 0, "Streaming fallback triggered"),
    ("bad_json.sse", "STREAM-004", 4, None),
    ("invalid_utf8.sse", "STREAM-004", 3, None),
    ("tokens_decreasing.sse", "USAGE-003", 7, None),
    ("tokens_below_start.sse", "USAGE-003", 6, None),
    ("thinking_unsigned.sse", "STREAM-010", 3, None),
    ("bad_partial_json.sse", "STREAM-009", 4, None),
    ("unknown_stop_reason.sse", "STREAM-011", 6, None),
    ("block_after_message_delta.sse", "STREAM-011", 7, None),
    ("error_malformed.sse", "ERR-005", 4, None),
    ("empty.sse", "STREAM-005", 0, "Stream completed without receiving"),
]


def judge(name: str, **rules: Any) -> StreamGrammar:
    frames = parse_bytes((FIXTURES / name).read_bytes())
    return run(frames, **{"stop_reasons": STOP_REASONS, **rules})


@pytest.mark.parametrize("name", LEGAL)
def test_legal_stream_passes(name: str) -> None:
    assert judge(name).violations == []


@pytest.mark.parametrize(("name", "clause", "index", "symptom"), BROKEN)
def test_breakage_is_named(name: str, clause: str, index: int, symptom: str | None) -> None:
    first = judge(name).violations[0]
    assert (first.clause, first.event_index) == (clause, index)
    if symptom:
        assert (first.symptom or "").startswith(symptom)


def test_truncation_is_also_an_err_005() -> None:
    clauses = [v.clause for v in judge("missing_message_stop.sse").violations]
    assert clauses == ["STREAM-012", "ERR-005"]


def test_error_event_mid_stream_is_a_proper_end() -> None:
    grammar = judge("error_midstream.sse")
    assert grammar.terminal == "error"
    assert grammar.error_event == {
        "type": "error",
        "error": {"type": "overloaded_error", "message": "Overloaded"},
    }


def test_profile_allowing_data_only_and_done_passes() -> None:
    grammar = judge("data_only_done.sse", named_events=False, done_sentinel=True)
    assert grammar.violations == []
    assert grammar.terminal == "[DONE]"


def test_schema_issues_come_from_the_contract() -> None:
    def event_issues(event: Any) -> list[str]:
        return ["index: must be an integer"] if event.get("type") == "content_block_stop" else []

    found = judge("text.sse", event_issues=event_issues).violations
    assert [(v.clause, v.event_index) for v in found] == [("STREAM-015", 5)]


def test_accumulates_text_and_overwrites_usage() -> None:
    message = judge("text.sse").message
    assert message is not None
    assert message["content"] == [{"type": "text", "text": "Hello there"}]
    assert (message["stop_reason"], message["usage"]) == (
        "end_turn",
        {"input_tokens": 12, "output_tokens": 2},
    )


def test_accumulates_tool_input_and_thinking_signature() -> None:
    tool = judge("tool.sse").message
    assert tool is not None
    assert tool["content"][0]["input"] == {"city": "Paris"}
    thinking = judge("thinking.sse").message
    assert thinking is not None
    assert thinking["content"][0]["signature"] == "EqQBCgIYAhIM"


def test_output_tokens_are_not_summed_across_message_deltas() -> None:
    raw = (
        (FIXTURES / "tokens_decreasing.sse")
        .read_bytes()
        .replace(b'"output_tokens":3', b'"output_tokens":6')
    )
    message = run(parse_bytes(raw)).message
    assert message is not None
    assert message["usage"]["output_tokens"] == 6


def test_partial_transcript_is_judged_as_far_as_it_goes() -> None:
    raw = (FIXTURES / "text.sse").read_bytes()
    grammar = StreamGrammar(stop_reasons=STOP_REASONS)
    parser = SSEParser()
    for frame in parser.feed(raw[: len(raw) // 2]):
        grammar.feed(frame)
    assert grammar.violations == []
    assert grammar.message is not None
    assert [v.clause for v in grammar.finish().violations] == ["STREAM-012", "ERR-005"]
