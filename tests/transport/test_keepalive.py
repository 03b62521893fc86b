"""A keep-alive connection the server closed under a request: sent once more on a new connection,
with the evidence kept; never twice; never when the server announced the close."""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import pytest

from msgconform import cli
from msgconform.core import profiles
from msgconform.core.cases import load_all
from msgconform.core.redact import Redactor
from msgconform.report.record import load_run
from msgconform.runner.engine import Engine
from msgconform.transport.cassette import RecordingClient, ReplayClient
from msgconform.transport.client import Budget, Deadlines, HttpClient
from msgconform.transport.session import Session

FAST = Deadlines(connect=1.0, first_byte=1.0, idle=0.5, total=3.0, close_after_stop=0.3)
OK = b'{"ok":true}'


@dataclass
class Script:
    """What the scripted server does: answer the first request of each connection (up to
    `answer_connections` of them) and drop the rest unanswered; `announce` adds Connection: close
    and closes after the answer, as RFC 9112 §9.6 asks."""

    answer_connections: int = 1_000
    announce: bool = False
    requests: list[tuple[int, int]] = field(default_factory=list)  # (connection, nth request)
    connections: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def read_request(stream: BinaryIO) -> bool:
    length = 0
    while True:
        line = stream.readline()
        if not line:
            return False
        if line in (b"\r\n", b"\n"):
            break
        name, _, value = line.decode("latin-1").partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    stream.read(length)
    return True


class Handler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        script: Script = self.server.script  # type: ignore[attr-defined]
        with script.lock:
            script.connections += 1
            conn = script.connections
        nth = 0
        while read_request(self.rfile):
            nth += 1
            with script.lock:
                script.requests.append((conn, nth))
            if nth > 1 or conn > script.answer_connections:
                return  # closes the connection: not a byte of an answer
            close = b"Connection: close\r\n" if script.announce else b""
            self.wfile.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                + b"Content-Length: %d\r\n" % len(OK)
                + close
                + b"\r\n"
                + OK
            )
            self.wfile.flush()
            if script.announce:
                return


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


@pytest.fixture
def serve() -> Iterator[tuple[Script, str]]:
    script = Script()
    server = Server(("127.0.0.1", 0), Handler)
    server.script = script  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield script, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def client(url: str) -> HttpClient:
    return HttpClient(url, FAST, max_body_bytes=1 << 20, budget=Budget(100, 10_000))


def test_a_closed_keep_alive_connection_is_sent_again_once_with_evidence(
    serve: tuple[Script, str],
) -> None:
    script, url = serve
    http = client(url)
    first = http.send("first", "POST", "/v1/messages", headers={}, json_body={"n": 1})
    second = http.send("second", "POST", "/v1/messages", headers={}, json_body={"n": 2})
    http.close()
    assert (first.status, first.reconnected) == (200, None)
    assert second.status == 200
    assert second.reconnected is not None
    assert "Server disconnected without sending a response" in second.reconnected
    assert second.retries == 1
    # the reused connection's request, then the same request on a new connection
    assert script.requests == [(1, 1), (1, 2), (2, 1)]


def test_a_failure_on_the_new_connection_is_not_sent_a_third_time(
    serve: tuple[Script, str],
) -> None:
    script, url = serve
    script.answer_connections = 1
    http = client(url)
    http.send("first", "POST", "/v1/messages", headers={}, json_body={"n": 1})
    second = http.send("second", "POST", "/v1/messages", headers={}, json_body={"n": 2})
    http.close()
    assert second.status is None
    assert second.ended == "reset"
    assert second.reconnected is not None
    assert script.requests == [(1, 1), (1, 2), (2, 1)]


def test_a_second_failure_is_an_error_naming_the_closed_connection(
    serve: tuple[Script, str],
) -> None:
    script, url = serve
    script.answer_connections = 1
    mock = profiles.load("mock")
    session = Session(mock, "sk-keepalive-test", url, deadlines=FAST)
    case = next(c for c in load_all() if c.test_id == "response_shape/SHAPE-001/message-valid")
    session.send("warm-up", "/v1/messages", {"n": 0})
    result = Engine(mock, session).run_case(case)
    session.close()
    assert result.outcome == "ERROR"
    assert result.reason is not None
    assert "keep-alive connection" in result.reason
    (exchange,) = result.exchanges.values()
    assert exchange.reconnected is not None


def test_an_announced_close_is_followed_by_a_new_connection_not_a_resend(
    serve: tuple[Script, str],
) -> None:
    script, url = serve
    script.announce = True
    http = client(url)
    sent = [
        http.send(f"n{n}", "POST", "/v1/messages", headers={}, json_body={"n": n}) for n in range(3)
    ]
    http.close()
    assert [(e.status, e.reconnected, e.retries) for e in sent] == [(200, None, 0)] * 3
    assert script.requests == [(1, 1), (2, 1), (3, 1)]


def test_a_replayed_run_keeps_the_evidence_of_the_resend(
    serve: tuple[Script, str], tmp_path: Path
) -> None:
    _, url = serve
    path = tmp_path / "keepalive.cassette.jsonl"
    recording = RecordingClient(client(url), path, Redactor([]), provider="mock")
    for n in range(2):
        recording.send(f"n{n}", "POST", "/v1/messages", headers={}, json_body={"n": n})
    recording.close()
    replay = ReplayClient(path)
    again = [
        replay.send(f"n{n}", "POST", "/v1/messages", headers={}, json_body={"n": n})
        for n in range(2)
    ]
    assert again[0].reconnected is None
    assert again[1].reconnected is not None
    assert "keep-alive" in again[1].reconnected


def test_a_run_names_the_closed_connection_as_a_finding_and_stays_green(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["run", "--provider", "mock", "--only", "streaming", "--mock-fault",
            "close_after_stream", "--out", str(tmp_path), "-q"]  # fmt: skip
    assert cli.main(argv) == 0
    out = capsys.readouterr().out
    assert "msgconform: 1 distinct finding (" in out
    assert "[HDR-007 SHOULD]" in out
    assert "ERROR" not in out
    run = load_run(tmp_path / "mock" / "latest")  # validated against the record schema
    (found,) = (run.footer or {})["findings"]
    assert found["clause"] == "HDR-007"
    noticed = [c for c in run.cases if c.get("notices")]
    assert noticed
    assert all(c["outcome"] == "PASS" for c in noticed)
    assert any(item.get("reconnected") for c in noticed for item in c["evidence"])
    html = (tmp_path / "mock" / "latest" / "report.html").read_text(encoding="utf-8")
    assert "Findings (1)" in html
    assert "the server closed a keep-alive connection" in html
