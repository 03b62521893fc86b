"""The one SSE encoder (mock/wire.py): each StreamOptions a client scenario sets changes only what
it names, read back by the suite's own SSE parser; and the loopback server both servers share."""

from __future__ import annotations

import itertools
import json
import socket
from typing import Any

import pytest

from msgconform.core.loopback import LoopbackServer
from msgconform.mock.scenarios_clients import build_message
from msgconform.mock.wire import Ending, Step, StreamOptions, stream_events, stream_steps
from msgconform.stream.sse import parse_bytes

TOOL = {"type": "tool_use", "id": "toolu_01", "name": "get_weather", "input": {"city": "Zürich"}}
MESSAGE = build_message(None, "mock-sonnet", "wire-test")
TOOL_MESSAGE = {**MESSAGE, "content": [TOOL], "stop_reason": "tool_use"}


def events_of(steps: list[Step]) -> list[tuple[str | None, Any]]:
    frames = parse_bytes(b"".join(step.data for step in steps))
    return [(f.event, json.loads(f.data or "null")) for f in frames]


def test_the_default_streams_the_mock_s_events() -> None:
    steps = stream_steps(MESSAGE, StreamOptions())
    assert events_of(steps) == stream_events(MESSAGE)
    assert [name for name, _ in stream_events(MESSAGE)][:2] == ["message_start", "ping"]


@pytest.mark.parametrize(
    ("options", "line_ending", "comments"),
    [
        (StreamOptions(newline=b"\r\n"), "CRLF", []),
        (StreamOptions(comment=b": keepalive"), "LF", ["keepalive"]),
    ],
)
def test_framing_options_change_the_frames_not_the_events(
    options: StreamOptions, line_ending: str, comments: list[str]
) -> None:
    steps = stream_steps(MESSAGE, options)
    frames = parse_bytes(b"".join(step.data for step in steps))
    assert {f.line_ending for f in frames} == {line_ending}
    assert all(f.comments == comments for f in frames)
    assert events_of(steps) == stream_events(MESSAGE)


def test_pings_everywhere_and_none() -> None:
    names = [n for n, _ in stream_events(MESSAGE, StreamOptions(pings="everywhere"))]
    assert names[0] == names[-2] == "ping"
    assert names[-1] == "message_stop"
    assert all(a != b for a, b in itertools.pairwise(names))
    assert "ping" not in [n for n, _ in stream_events(MESSAGE, StreamOptions(pings="none"))]


def test_json_fragments_and_whole_input() -> None:
    def pieces(options: StreamOptions) -> list[str]:
        return [
            d["delta"]["partial_json"]
            for n, d in stream_events(TOOL_MESSAGE, options)
            if n == "content_block_delta"
        ]

    assert pieces(StreamOptions(json_deltas="whole")) == ["", '{"city": "Zürich"}']
    assert pieces(StreamOptions(json_fragments={0: ['{"ci', 'ty": "Zürich"}']})) == [
        '{"ci',
        'ty": "Zürich"}',
    ]
    assert len(pieces(StreamOptions())) > 2


def test_split_utf8_cuts_inside_a_character_and_keeps_the_bytes() -> None:
    whole = stream_steps(MESSAGE, StreamOptions())
    split = stream_steps(MESSAGE, StreamOptions(split_utf8=True, split_pause_s=0.02))
    assert b"".join(s.data for s in split) == b"".join(s.data for s in whole)
    cut = [s for s in split if s.delay_s == 0.02]
    assert cut
    assert all(s.data[0] & 0xC0 == 0x80 for s in cut)  # each starts mid-character


@pytest.mark.parametrize(
    ("ending", "last"),
    [
        (Ending("cut", 3), None),
        (Ending("reset", 3), Step(reset=True)),
        (Ending("error", 3, ("api_error", "boom")), "error"),
    ],
)
def test_an_ending_keeps_the_first_frames(ending: Ending, last: object) -> None:
    steps = stream_steps(MESSAGE, StreamOptions(ending=ending, pings="none"))
    kept = [s for s in steps if not s.reset]
    names = [n for n, _ in events_of(kept)]
    assert names[:3] == [n for n, _ in stream_events(MESSAGE, StreamOptions(pings="none"))][:3]
    assert len(names) == (4 if last == "error" else 3)
    if last == "error":
        assert events_of(kept)[-1][1]["error"] == {"type": "api_error", "message": "boom"}
    elif last is not None:
        assert steps[-1] == last


def test_a_busy_port_is_an_os_error_the_commands_can_report() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(OSError, match="in use"):
            LoopbackServer(port=taken.getsockname()[1]).start()
