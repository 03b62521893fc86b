"""No key reaches any artifact: a full run against a mock that echoes the key in its error bodies,
recorded to a cassette, leaves the key in no file it wrote."""

from __future__ import annotations

from pathlib import Path

import pytest

from msgconform.cli import main
from msgconform.core import profiles
from msgconform.mock.server import MockServer
from msgconform.transport.session import Session

KEY = "sk-secret-e2e-" + "7Q" * 14


def test_the_fault_really_echoes_the_key() -> None:
    mock = profiles.load("mock")
    with MockServer(mock, KEY, fault="echo_key_in_error") as server:
        session = Session(mock, KEY, server.url)
        bad = {"model": "m", "max_tokens": 4, "messages": [{"role": "user", "content": ""}]}
        exchange = session.send("main", "/v1/messages", bad, retry=False)
        session.close()
    assert exchange.status == 400
    assert KEY.encode() in exchange.body


def test_no_file_a_run_writes_holds_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MSGCONFORM_MOCK_KEY", KEY)
    cassette = tmp_path / "run.cassette"
    argv = ["run", "--provider", "mock", "--mock-fault", "echo_key_in_error", "--record",
            str(cassette), "--out", str(tmp_path / "reports"), "-q"]  # fmt: skip
    assert main(argv) == 0
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(written) >= 4
    for path in written:
        data = path.read_bytes()
        assert KEY.encode() not in data, path
        assert KEY[:16].encode() not in data, path
