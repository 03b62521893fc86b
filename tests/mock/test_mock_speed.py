"""The mock's speed work changes no byte: corked writes keep one HTTP chunk per event, the memo of
clean answers gives what generation gives and never serves a faulted request, and the quick JSON
parse reads every body as the stdlib does (nothing here is timed; `make bench` measures)."""

from __future__ import annotations

import json
import socket
from typing import Any

import httpx
import pytest
from tests.conftest import MOCK_KEY

from msgconform.mock import memo
from msgconform.mock.app import build_app
from msgconform.mock.httpio import parse_json
from msgconform.mock.server import MockServer

HEADERS = {
    "x-api-key": MOCK_KEY,
    "anthropic-version": "2023-06-01",
    "content-type": "application/json",
}
REQUEST = {
    "model": "mock-sonnet",
    "max_tokens": 16,
    "messages": [{"role": "user", "content": "Hi"}],
}


def raw_exchange(url: str, payload: bytes) -> bytes:
    """The server's exact bytes for one POST /v1/messages on a fresh connection."""
    host, port = url.removeprefix("http://").split(":")
    head = (
        f"POST /v1/messages HTTP/1.1\r\nhost: {host}\r\nx-api-key: {MOCK_KEY}\r\n"
        f"anthropic-version: 2023-06-01\r\ncontent-type: application/json\r\n"
        f"content-length: {len(payload)}\r\nconnection: close\r\n\r\n"
    ).encode()
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(head + payload)
        chunks = []
        while data := sock.recv(65536):
            chunks.append(data)
    return b"".join(chunks)


def chunks_of(response: bytes) -> list[bytes]:
    """The HTTP/1.1 chunks of a chunked response body, in order (the last, empty one dropped)."""
    rest = response.split(b"\r\n\r\n", 1)[1]
    found = []
    while True:
        size_line, rest = rest.split(b"\r\n", 1)
        size = int(size_line, 16)
        if size == 0:
            return found
        found.append(rest[:size])
        assert rest[size : size + 2] == b"\r\n"
        rest = rest[size + 2 :]


def test_corked_stream_keeps_one_chunk_per_event(mock_server: MockServer) -> None:
    answer = raw_exchange(mock_server.url, json.dumps({**REQUEST, "stream": True}).encode())
    assert b"transfer-encoding: chunked" in answer.split(b"\r\n\r\n", 1)[0]
    chunks = chunks_of(answer)
    assert len(chunks) == 12
    assert all(c.count(b"\n\n") == 1 and c.endswith(b"\n\n") for c in chunks)
    assert chunks[0].startswith(b"event: message_start\n")
    assert chunks[-1] == b'event: message_stop\ndata: {"type":"message_stop"}\n\n'


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_memo_answers_as_generation_does(mock_server: MockServer, stream: bool) -> None:
    payload = json.dumps({**REQUEST, "stream": stream, "max_tokens": 23}).encode()
    fresh = build_app(mock_server.app.profile, MOCK_KEY)  # its memo is empty
    with httpx.Client(base_url=mock_server.url, timeout=10) as client:
        first, second = (
            client.post("/v1/messages", content=payload, headers=HEADERS) for _ in range(2)
        )
    assert first.status_code == second.status_code == 200, first.text
    assert mock_server.app.memo.get(payload) is not None
    assert first.content == second.content
    assert first.headers["content-type"] == second.headers["content-type"]
    direct = _generate(fresh, payload)
    assert first.content == direct


def _generate(app: Any, payload: bytes) -> bytes:
    """The answer generated without the memo, through the app's own encoders."""
    from msgconform.mock.generate import build_reply, digest
    from msgconform.mock.wire import dumps, message_object

    body = json.loads(payload)
    seed = digest(body)
    made = build_reply(body, thinking=app.profile.has("thinking"), seed=seed)
    message = message_object(made, "msg_01" + seed[:22], str(body["model"]))
    if not body.get("stream"):
        return dumps(message)
    return b"".join(app.encode_frames(app.fault, message, None))


def test_memo_never_answers_a_faulted_request(mock_server: MockServer) -> None:
    payload = json.dumps(REQUEST).encode()
    with httpx.Client(base_url=mock_server.url, timeout=10) as client:
        clean = client.post("/v1/messages", content=payload, headers=HEADERS)
        faulted = client.post(
            "/v1/messages",
            content=payload,
            headers={**HEADERS, "x-msgconform-fault": "missing_request_id"},
        )
    assert clean.status_code == faulted.status_code == 200
    assert "request-id" in clean.headers
    assert "request-id" not in faulted.headers


BODIES = [
    b'{"a": 1}',
    b'{"a": 18446744073709551616}',  # beyond 64 bits: orjson would read a float
    b'{"a": -9223372036854775809}',
    b'{"a": 9223372036854775807, "b": "1234567890123456789"}',
    b'{"a": 1e400}',
    b'{"a": NaN}',
    b'"\\ud800"',
    b"\xef\xbb\xbf{}",
    b'{"a": 1, "a": 2}',
    b'{"a": -0.0, "b": 0.1, "c": 5e-324}',
    '{"é": "日本語 🙂"}'.encode(),
    '{"a": 1}'.encode("utf-16"),
]


@pytest.mark.parametrize("data", BODIES)
def test_parse_json_reads_as_the_stdlib(data: bytes) -> None:
    expected = json.loads(data)
    got = parse_json(data)
    assert repr(got) == repr(expected)
    assert json.dumps(got, sort_keys=True) == json.dumps(expected, sort_keys=True)


@pytest.mark.parametrize("data", [b'{"a": ', b'{"a": "\x00"}', b"\xff\xfe\xfa", b""])
def test_parse_json_fails_as_the_stdlib(data: bytes) -> None:
    with pytest.raises((json.JSONDecodeError, UnicodeDecodeError)) as expected:
        json.loads(data)
    with pytest.raises(type(expected.value)) as got:
        parse_json(data)
    assert str(got.value) == str(expected.value)


def test_memo_never_answers_a_request_with_a_control_header(mock_server: MockServer) -> None:
    payload = json.dumps({**REQUEST, "max_tokens": 40}).encode()
    scenario = {**HEADERS, "x-msgconform-scenario": "long_stream:30"}
    with httpx.Client(base_url=mock_server.url, timeout=10) as client:
        clean = client.post("/v1/messages", content=payload, headers=HEADERS)
        long = client.post("/v1/messages", content=payload, headers=scenario)
    assert clean.json()["content"][0]["text"] != long.json()["content"][0]["text"]
    assert memo.controlled(scenario)
    assert not memo.controlled(HEADERS)


def test_memo_is_bounded() -> None:
    kept = memo.Memo()
    answer = b"x" * 1000
    for i in range(memo.MAX_ENTRIES + 10):
        kept.put(str(i).encode(), answer)
    assert len(kept.entries) == memo.MAX_ENTRIES
    assert kept.get(b"0") is None
    assert kept.get(str(memo.MAX_ENTRIES + 9).encode()) == answer
    big = b"y" * (memo.MAX_ANSWER_BYTES + 1)
    assert kept.put(b"big", big) is big
    assert kept.get(b"big") is None
    assert kept.total == sum(cost for _, cost in kept.entries.values())
    assert kept.total <= memo.MAX_TOTAL_BYTES
