"""The SSE frame reader: every legal framing variant, and breakage reported rather than raised."""

from __future__ import annotations

from pathlib import Path

import pytest

from msgconform.core.exchange import Chunk
from msgconform.stream.sse import SSEParser, TerminalWatch, parse_bytes, parse_chunks

FIXTURES = Path(__file__).parents[1] / "fixtures" / "sse"


def frames_of(name: str) -> list[tuple[str | None, str | None]]:
    return [(f.event, f.data) for f in parse_bytes((FIXTURES / name).read_bytes())]


@pytest.mark.parametrize(
    ("name", "ending"), [("text.sse", "LF"), ("crlf.sse", "CRLF"), ("cr.sse", "CR")]
)
def test_line_endings_give_the_same_events(name: str, ending: str) -> None:
    frames = parse_bytes((FIXTURES / name).read_bytes())
    assert [(f.event, f.data) for f in frames] == frames_of("text.sse")
    assert {f.line_ending for f in frames} == {ending}


def test_data_before_event_is_the_same_event() -> None:
    assert frames_of("data_before_event.sse") == frames_of("text.sse")


def test_comments_are_kept_and_comment_blocks_are_not_events() -> None:
    frames = parse_bytes((FIXTURES / "comments.sse").read_bytes())
    assert [(f.event, f.data) for f in frames] == frames_of("text.sse")
    assert frames[0].comments == ["stream opened"]
    assert frames[3].comments == ["keepalive", "note"]


def test_multiline_data_is_joined_and_other_fields_kept() -> None:
    (frame,) = parse_bytes(b"id: 7\nevent: x\ndata: a\ndata:b\nretry: 5\n\n")
    assert (frame.event, frame.data) == ("x", "a\nb")
    assert frame.other_fields == ["id: 7", "retry: 5"]


def test_byte_by_byte_feeding_keeps_multibyte_characters_whole() -> None:
    raw = (FIXTURES / "unicode.sse").read_bytes()
    chunks = [Chunk(float(i), raw[i : i + 1]) for i in range(len(raw))]
    frames = parse_chunks(chunks)
    assert [(f.event, f.data) for f in frames] == frames_of("unicode.sse")
    assert all(f.utf8_error is None for f in frames)
    assert "🙂 日本" in (frames[2].data or "")


def test_crlf_split_between_reads_is_one_line_end() -> None:
    parser = SSEParser()
    assert parser.feed(b"event: a\r\ndata: {}\r\n\r") == []
    (frame,) = parser.feed(b"\n")
    assert (frame.event, frame.data, frame.line_ending) == ("a", "{}", "CRLF")
    assert parser.finish() == []


def test_arrival_time_is_the_chunk_that_completed_the_frame() -> None:
    frames = parse_chunks([Chunk(0.1, b"event: a\ndata: 1\n"), Chunk(0.5, b"\nevent: b\n")])
    assert [(f.event, f.at_s, f.complete) for f in frames] == [("a", 0.5, True), ("b", 0.5, False)]


def test_last_frame_without_blank_line_is_reported_incomplete() -> None:
    frames = parse_bytes((FIXTURES / "no_final_blank_line.sse").read_bytes())
    assert frames[-1].event == "message_stop"
    assert not frames[-1].complete
    assert all(f.complete for f in frames[:-1])


def test_invalid_utf8_is_reported_not_raised() -> None:
    frames = parse_bytes((FIXTURES / "invalid_utf8.sse").read_bytes())
    assert frames[3].utf8_error is not None
    assert "\ufffd" in (frames[3].data or "")


def test_frame_without_event_line_has_event_none() -> None:
    (frame,) = parse_bytes(b'data: {"type":"ping"}\n\n')
    assert frame.event is None


@pytest.mark.parametrize(
    ("stream", "terminal"),
    [
        (b"event: message_stop\ndata: {}\n\n", True),
        (b'event: error\ndata: {"type":"error"}\n\n', True),
        (b'data: {"type":"message_stop"}\n\n', True),
        (b"data: [DONE]\n\n", True),
        (b'event: content_block_delta\ndata: {"text":"error"}\n\n', False),
        (b'data: {"type":"content_block_delta","delta":{"text":"error"}}\n\n', False),
        (b"event: message_stop\ndata: {}\n", False),
    ],
)
def test_terminal_watch(stream: bytes, terminal: bool) -> None:
    watch = TerminalWatch()
    for i in range(len(stream)):
        watch.feed(stream[i : i + 1])
    assert watch.terminal_seen is terminal
