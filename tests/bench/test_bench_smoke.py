"""`make bench` keeps working: one cheap part runs and writes a valid report, and the peer it
measures streams as many events as the mock (nothing is timed)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from msgconform.bench import peer, streamval
from msgconform.bench.__main__ import main
from msgconform.bench.common import HEADERS, KEY, body, free_port
from msgconform.bench.servers import serving
from msgconform.core.profiles import load as load_profile
from msgconform.mock.server import MockServer


def test_quick_stream_validation_writes_valid_json(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    argv = ["-m", "msgconform.bench", "--quick", "--only", "stream-validation", "--out", str(out)]
    done = subprocess.run([sys.executable, *argv], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["machine"]["nproc"] >= 1
    [part] = report["parts"]
    assert part["part"] == "stream-validation"
    assert part["measured"]
    first = part["figures"][0]
    assert first["value"]["median"] > 0
    assert first["baseline"]["median"] > 0
    assert first["met"] in (True, False)
    assert "parser+grammar+schema" in done.stdout


def test_synthetic_stream_is_valid_for_the_grammar() -> None:
    figures = streamval.measure(1, True, log=lambda line: None)
    assert "valid stream" in figures[0].note, figures[0].note


def test_unknown_part_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--only", "nope"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "unknown part 'nope'" in err[0]


def test_peer_chunk_size_gives_the_mock_event_count() -> None:
    text = "This is the msgconform reference mock speaking. It answers every request with the same"
    for events in (8, 12, 23):
        chunk = peer.chunk_size(text, events)
        assert math.ceil(len(text) / chunk) + peer.FRAME_EVENTS == events


@pytest.mark.skipif(peer.missing() is not None, reason=str(peer.missing()))
def test_peer_streams_as_many_events_as_the_mock(tmp_path: Path) -> None:
    """The stream benchmark compares equal event counts: the peer, fed the mock's own reply text
    at the computed chunk size, streams exactly as many events as the mock does."""
    with MockServer(load_profile("mock"), KEY) as mock:
        answer = httpx.post(mock.url + "/v1/messages", content=body(False), headers=HEADERS)
        events = peer.stream_events(mock.url)
    text = peer.reply_text(answer.content)
    port = free_port()
    argv = peer.argv(port, peer.write_fixture(tmp_path, text), peer.chunk_size(text, events))
    with serving(peer.NAME, argv, port) as server:
        assert peer.stream_events(server.url) == events == 12
        said = httpx.post(server.url + "/v1/messages", content=body(False), headers=HEADERS)
        assert peer.reply_text(said.content) == text
