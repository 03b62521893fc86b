"""Nightly-grade behaviour against the real mock: retries, deadlines, smoke gate, budget, replay,
several providers at once. Bounds are checked on what the client recorded, not by timing tests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from msgconform.cli import main
from msgconform.core import profiles
from msgconform.core.cases import load_all
from msgconform.core.paths import PROVIDERS
from msgconform.core.profiles import Profile
from msgconform.mock.server import MockServer
from msgconform.runner.engine import Engine
from msgconform.transport.client import Deadlines
from msgconform.transport.session import Session

KEY = "sk-resilience-0123456789abcdef"
BODY = {"model": "mock-sonnet", "max_tokens": 8, "messages": [{"role": "user", "content": "Hi"}]}
TIGHT = Deadlines(connect=1.0, first_byte=0.4, idle=0.3, total=1.0, close_after_stop=0.2)


@pytest.fixture(scope="module")
def mock() -> Profile:
    return profiles.load("mock")


@pytest.fixture(scope="module")
def url(mock: Profile) -> Iterator[str]:
    with MockServer(mock, KEY) as server:
        yield server.url


def session_with(
    mock: Profile, url: str, headers: dict[str, str], deadlines: Deadlines = TIGHT, **limits: object
) -> Session:
    profile = profiles.from_data({**mock.raw, "limits": {**mock.raw["limits"], **limits}}, {})
    return Session(profile, KEY, url, extra_headers=headers, deadlines=deadlines)


def test_retries_honour_retry_after_then_succeed(mock: Profile, url: str) -> None:
    # NAME:N:TAG refuses the first N requests carrying this exact header value.
    session = session_with(mock, url, {"x-msgconform-scenario": "rate_limited:2:retry-ok"})
    exchange = session.send("main", "/v1/messages", BODY)
    session.close()
    assert exchange.status == 200
    assert exchange.retries == 2


def test_exhausted_retries_end_as_error_not_fail(mock: Profile, url: str) -> None:
    session = session_with(
        mock, url, {"x-msgconform-scenario": "rate_limited"}, retries=1, retry_after_cap=0.1
    )
    case = next(c for c in load_all() if c.test_id == "response_shape/SHAPE-001/message-valid")
    result = Engine(session.profile, session).run_case(case)
    session.close()
    assert result.outcome == "ERROR"
    assert "429 after 1 retries" in (result.reason or "")


# The mock's slow drip writes once a second, so its idle deadline sits above that.
DRIP = Deadlines(connect=1.0, first_byte=0.4, idle=1.5, total=2.5, close_after_stop=0.2)


@pytest.mark.parametrize(
    ("fault", "deadlines", "ended", "bound"),
    [
        ("hang_before_headers", TIGHT, "first_byte_timeout", 1.0 + 0.4),
        ("hang_mid_stream", TIGHT, "idle_timeout", 1.0),
        ("slow_drip", DRIP, "total_timeout", 2.5 + 1.5),
        ("no_close_after_message_stop", TIGHT, "close_timeout", 1.0),
    ],
)
def test_each_deadline_fires_within_its_bound(
    mock: Profile, url: str, fault: str, deadlines: Deadlines, ended: str, bound: float
) -> None:
    session = session_with(mock, url, {"x-msgconform-fault": fault}, deadlines=deadlines)
    exchange = session.send("main", "/v1/messages", {**BODY, "stream": True}, stream=True)
    session.close()
    assert exchange.ended == ended
    # The recorded elapsed time, plus a margin for a loaded machine; not a timed test of speed.
    assert exchange.elapsed_s < bound + 0.5


def test_smoke_gate_stops_a_run_with_a_wrong_key_in_one_line(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WRONG_KEY_FOR_TEST", "sk-not-the-right-key-000000")
    status = main([
        "run", "--provider", "generic", "--base-url", url, "--auth", "x-api-key",
        "--key-env", "WRONG_KEY_FOR_TEST", "--model", "mock-sonnet", "--out", str(tmp_path), "-q",
    ])  # fmt: skip
    out = capsys.readouterr()
    assert status == 1
    gate = [line for line in (out.out + out.err).splitlines() if "smoke gate" in line]
    assert gate
    assert "WRONG_KEY_FOR_TEST was refused (401" in gate[0]


def test_budget_stops_the_run_cleanly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = PROVIDERS / "mock" / "profile.yaml"
    text = source.read_text().replace("max_requests: 5000", "max_requests: 12")
    home = copy_tree_with_profile(tmp_path, "mock", text)
    monkeypatch.setenv("MSGCONFORM_PROFILE_PATH", str(home))  # searched before the bundled ones
    status = main(["run", "--provider", "mock", "--out", str(tmp_path / "out"), "-q"])
    footer = last_footer(tmp_path / "out" / "mock")
    assert status == 1
    assert footer["aborted"] is True
    assert "budget" in footer["abort_reason"]


def test_a_recorded_run_replays_to_the_same_outcomes(tmp_path: Path) -> None:
    cassette = tmp_path / "run.cassette"
    common = ["run", "--provider", "mock", "--only", "stop_reason", "--only", "streaming", "-q"]
    assert main([*common, "--record", str(cassette), "--out", str(tmp_path / "a")]) == 0
    assert main([*common, "--replay", str(cassette), "--out", str(tmp_path / "b")]) == 0
    assert outcomes(tmp_path / "a" / "mock") == outcomes(tmp_path / "b" / "mock")


def test_two_providers_run_concurrently_into_one_comparison(tmp_path: Path) -> None:
    argv = ["run", "--provider", "mock", "--provider", "anthropic", "--against-mock",
            "--only", "stop_reason", "--out", str(tmp_path)]  # fmt: skip
    assert main(argv) == 0
    assert (tmp_path / "mock" / "latest").exists()
    assert (tmp_path / "anthropic" / "latest").exists()
    page = (tmp_path / "compare.html").read_text()
    assert "anthropic" in page
    assert "mock" in page


def copy_tree_with_profile(tmp_path: Path, name: str, text: str) -> Path:
    home = tmp_path / "providers"
    (home / name).mkdir(parents=True)
    (home / name / "profile.yaml").write_text(text)
    return home


def records(run_root: Path) -> list[dict[str, object]]:
    latest = run_root / "latest"
    run_dir = latest.resolve() if latest.is_symlink() else run_root / latest.read_text().strip()
    lines = (run_dir / "results.jsonl").read_text().split("\n")
    return [json.loads(line) for line in lines if line]


def last_footer(run_root: Path) -> dict[str, object]:
    return next(r for r in records(run_root) if r["kind"] == "footer")


def outcomes(run_root: Path) -> dict[object, object]:
    return {r["id"]: r["outcome"] for r in records(run_root) if r["kind"] == "case"}
