"""`msgconform clients` end to end: the run record and its views, the release gate (compare, diff),
one-line errors, and the client scenarios reachable from any mock by header."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import httpx
import pytest
from tests.conftest import MOCK_KEY

from msgconform.cli import main
from msgconform.mock.server import MockServer
from msgconform.report.record import load_run

BROKEN = Path(__file__).parents[1] / "clients" / "broken_adapter.py"
ONLY = ["--only", "rate-limit-exhausted", "--only", "bad-request-not-retried"]


def battery(tmp_path: Path, adapter: str, label: str) -> tuple[int, Path]:
    status = main(
        ["clients", "--adapter", adapter, "--label", label, "--out", str(tmp_path), *ONLY]
    )
    return status, tmp_path / label / "latest"


def test_client_run_writes_a_record_and_gates_a_release(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good, old = battery(tmp_path, "httpx", "client-old")
    broken = f"{shlex.quote(sys.executable)} {shlex.quote(str(BROKEN))} no_retries"
    bad, new = battery(tmp_path, broken, "client-new")
    assert (good, bad) == (0, 1)
    run = load_run(new)
    assert run.header["run_kind"] == "client"
    assert run.header["client"]["name"] == "msgconform-httpx-example"
    assert {c["outcome"] for c in run.cases} == {"FAIL", "PASS"}
    assert all((new / name).is_file() for name in ("junit.xml", "report.html", "badge.svg"))
    html = (new / "report.html").read_text(encoding="utf-8")
    assert 'data-kind="client"' in html
    assert "What the client returned" in html
    assert "sk-msgconform-client" not in (new / "results.jsonl").read_text(encoding="utf-8")
    capsys.readouterr()
    assert main(["diff", str(old), str(new)]) == 1
    assert "regressed" in capsys.readouterr().out
    assert main(["diff", str(old), str(old)]) == 0
    assert main(["compare", str(old), str(new), "--out", str(tmp_path / "c.html")]) == 0


def test_unknown_adapter_and_policy_are_one_line_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["clients", "--adapter", "httpx", "--policy", "nope", "--no-report"]) == 2
    assert main(["clients", "--adapter", "httpx", "--only", "no-such-scenario"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2
    assert "no client policy 'nope'" in err[0]


def test_list_names_every_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["clients", "--adapter", "httpx", "--list"]) == 0
    assert len(capsys.readouterr().out.strip().splitlines()) >= 30


def test_a_client_test_reaches_a_scenario_by_header(mock_server: MockServer) -> None:
    headers = {"x-api-key": MOCK_KEY, "anthropic-version": "2023-06-01",
               "x-msgconform-scenario": "client:rate-limited-retry-after:t1"}  # fmt: skip
    body = {
        "model": "mock-sonnet",
        "max_tokens": 16,
        "messages": [{"role": "user", "content": "hi"}],
    }
    with httpx.Client(base_url=mock_server.url) as client:
        first = client.post("/v1/messages", json=body, headers=headers)
        second = client.post("/v1/messages", json=body, headers=headers)
    assert (first.status_code, first.headers["retry-after"]) == (429, "2")
    assert second.status_code == 200
    assert json.loads(second.text)["content"][0]["type"] == "text"
    log = mock_server.app.client_log.entries("client:rate-limited-retry-after:t1")
    assert [e.status for e in log] == [429, 200]
    assert log[1].arrived >= log[0].finished
