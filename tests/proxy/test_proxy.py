"""`msgconform proxy` in front of the real mock on loopback: the official SDKs get the mock's
bytes unchanged, and the run record judges each exchange (provider by invariants, client by the
contract)."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anthropic
import httpx
import pytest
from tests.conftest import FAST, MOCK_KEY

from msgconform.core.exchange import Chunk, Exchange
from msgconform.core.profiles import Profile
from msgconform.mock.server import MockServer
from msgconform.proxy.judge import CLIENT_CHECK, ExchangeJudge, Verdict
from msgconform.proxy.session import ProxyRun, ProxyServer
from msgconform.proxy.wire import HOP_BY_HOP, Seen
from msgconform.report.record import Run, load_run
from msgconform.transport.cassette import ReplayClient

HELLO = {"model": "mock-sonnet", "max_tokens": 16, "messages": [{"role": "user", "content": "hi"}]}
HEADERS = {"x-api-key": MOCK_KEY, "anthropic-version": "2023-06-01"}
NODE_DIR = Path(__file__).parents[1] / "node"


class Tap:
    """Wraps the mock's ASGI app and keeps the body bytes it sent for each request."""

    def __init__(self, app: Any) -> None:
        self.app, self.sent = app, []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        kept = bytearray()
        self.sent.append(kept)

        async def tee(message: Any) -> None:
            if message["type"] == "http.response.body":
                kept.extend(message.get("body", b""))
            await send(message)

        await self.app(scope, receive, tee)


@pytest.fixture
def tapped_mock(mock_profile: Profile) -> Iterator[tuple[MockServer, Tap]]:
    server = MockServer(mock_profile, MOCK_KEY)
    tap = Tap(server.app)
    server.app = tap
    with server:
        yield server, tap


def proxy_for(
    profile: Profile, upstream: str, out: Path, **kw: Any
) -> tuple[ProxyRun, ProxyServer]:
    run = ProxyRun(profile, upstream, out=out, **kw)
    return run, ProxyServer(run, FAST).start()


def finish(run: ProxyRun, server: ProxyServer) -> Run:
    server.stop()
    return load_run(run.close())


def test_raw_bytes_through_the_proxy_are_the_mocks(
    tapped_mock: tuple[MockServer, Tap], mock_profile: Profile, tmp_path: Path
) -> None:
    mock, tap = tapped_mock
    run, proxy = proxy_for(mock_profile, mock.url, tmp_path)
    with httpx.Client(base_url=proxy.url, timeout=10) as client:
        plain = client.post("/v1/messages", json=HELLO, headers=HEADERS)
        with client.stream("POST", "/v1/messages", json={**HELLO, "stream": True},
                           headers=HEADERS) as streamed:  # fmt: skip
            raw = b"".join(streamed.iter_raw())
    assert plain.content == bytes(tap.sent[0])
    assert raw == bytes(tap.sent[1])
    assert plain.headers["request-id"]
    assert streamed.headers["content-type"].startswith("text/event-stream")
    record = finish(run, proxy)
    assert [c["outcome"] for c in record.cases] == ["PASS", "PASS"]
    assert record.header["run_kind"] == "proxy"


def test_python_sdk_gets_the_same_answers_as_direct(
    tapped_mock: tuple[MockServer, Tap], mock_profile: Profile, tmp_path: Path
) -> None:
    mock, tap = tapped_mock
    run, proxy = proxy_for(mock_profile, mock.url, tmp_path)
    results = []
    for url in (mock.url, proxy.url):
        with anthropic.Anthropic(base_url=url, api_key=MOCK_KEY, max_retries=0) as sdk:
            made = sdk.messages.with_raw_response.create(**HELLO)  # type: ignore[call-overload]
            with sdk.messages.stream(**HELLO) as stream:  # type: ignore[call-overload]
                final = stream.get_final_message()
        results.append((made.http_response.content, made.parse(), final))
    (_, direct, direct_final), (raw, proxied, proxied_final) = results
    assert raw == bytes(tap.sent[2])  # the SDK's own bytes via the proxy are the mock's
    assert proxied.model_dump(exclude={"id"}) == direct.model_dump(exclude={"id"})
    assert proxied_final.model_dump(exclude={"id"}) == direct_final.model_dump(exclude={"id"})
    record = finish(run, proxy)
    assert {c["outcome"] for c in record.cases} == {"PASS"}
    assert MOCK_KEY not in record.path.read_text() + (record.run_dir / "report.html").read_text()


@pytest.mark.parametrize(
    ("fault", "stream", "clause", "check"),
    [
        ("drop_message_stop", True, "STREAM-012", "invariant:stream_grammar"),
        ("openai_error_shape", False, "ERR-001", "invariant:error_envelope"),
    ],
)
def test_a_mock_fault_is_a_finding_with_the_exchange_as_evidence(
    mock_server: MockServer, mock_profile: Profile, tmp_path: Path,
    fault: str, stream: bool, clause: str, check: str,
) -> None:  # fmt: skip
    run, proxy = proxy_for(mock_profile, mock_server.url, tmp_path)
    body = {**HELLO, "stream": True} if stream else {**HELLO, "max_tokens": 0}
    httpx.post(f"{proxy.url}/v1/messages", json=body, timeout=10,
               headers={**HEADERS, "x-msgconform-fault": fault})  # fmt: skip
    record = finish(run, proxy)
    found = [f for f in record.footer["findings"] if f["check"] == check]  # type: ignore[index]
    assert found
    assert found[0]["clause"] == clause
    case = record.cases[0]
    assert case["outcome"] == "FAIL"
    assert check in {f["check"] for f in case["failures"]}
    assert case["evidence"][0]["label"] == found[0]["occurrences"][0]["exchange"]


def test_an_invalid_request_is_the_clients_mistake(
    mock_server: MockServer, mock_profile: Profile, tmp_path: Path
) -> None:
    run, proxy = proxy_for(mock_profile, mock_server.url, tmp_path)
    with (
        anthropic.Anthropic(base_url=proxy.url, api_key=MOCK_KEY, max_retries=0) as sdk,
        pytest.raises(anthropic.BadRequestError),
    ):
        sdk.messages.create(model="mock-sonnet", max_tokens=16, messages=[])
    record = finish(run, proxy)
    (case,) = record.cases
    assert case["area"] == "client"
    assert {f["check"] for f in case["failures"]} == {CLIENT_CHECK}
    assert not [f for f in record.footer["findings"] if f["check"] != CLIENT_CHECK]  # type: ignore[index]


def test_an_unreachable_upstream_gets_502_in_the_envelope(
    mock_profile: Profile, tmp_path: Path
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}"
    run, proxy = proxy_for(mock_profile, closed, tmp_path)
    answer = httpx.post(f"{proxy.url}/v1/messages", json=HELLO, headers=HEADERS, timeout=10)
    assert answer.status_code == 502
    assert answer.json()["error"]["type"] == "api_error"
    record = finish(run, proxy)
    assert record.cases[0]["outcome"] == "ERROR"
    assert "unreachable" in record.cases[0]["reason"]


def test_an_upstream_that_hangs_gets_504_and_a_finding(
    mock_profile: Profile, tmp_path: Path
) -> None:
    listener = socket.create_server(("127.0.0.1", 0))  # accepts, never answers
    try:
        upstream = f"http://127.0.0.1:{listener.getsockname()[1]}"
        run, proxy = proxy_for(mock_profile, upstream, tmp_path)
        with (
            anthropic.Anthropic(base_url=proxy.url, api_key=MOCK_KEY, max_retries=0) as sdk,
            pytest.raises(anthropic.APIStatusError) as raised,
        ):
            sdk.messages.create(**HELLO)  # type: ignore[call-overload]
        assert raised.value.status_code == 504
        record = finish(run, proxy)
    finally:
        listener.close()
    assert record.cases[0]["failures"][0]["clause"] == "STREAM-017"


class BrokenJudge(ExchangeJudge):
    """A judge with a bug (a class at module level: the judging process is started with it)."""

    def verdict(self, seen: Seen) -> Verdict:
        raise RuntimeError("judge bug")


def test_a_judging_error_never_breaks_the_exchange(
    mock_server: MockServer, mock_profile: Profile, tmp_path: Path
) -> None:
    run, proxy = proxy_for(mock_profile, mock_server.url, tmp_path, make_judge=BrokenJudge)
    answer = httpx.post(f"{proxy.url}/v1/messages", json=HELLO, headers=HEADERS, timeout=10)
    assert answer.status_code == 200
    assert answer.json()["type"] == "message"
    record = finish(run, proxy)
    assert record.cases[0]["outcome"] == "ERROR"
    assert "judge bug" in record.cases[0]["reason"]


def test_an_answer_in_an_unreadable_encoding_is_not_judged(mock_profile: Profile) -> None:
    exchange = Exchange(
        "00001",
        "POST",
        "http://127.0.0.1:9/v1/messages",
        {**HEADERS, "content-type": "application/json"},
        raw_request_body=json.dumps(HELLO).encode(),
        status=200,
        response_headers={"content-type": "application/json", "content-encoding": "br"},
        chunks=[Chunk(0.01, b"\x8b\x02\x80")],
    )
    seen = Seen(1, exchange)
    verdict = ExchangeJudge(mock_profile).verdict(seen)
    assert seen.undecodable == "content-encoding 'br' not readable"
    assert (verdict.outcome, verdict.reason) == ("ERROR", f"not judged: {seen.undecodable}")
    assert verdict.failures == []


def test_record_writes_a_cassette_that_replays(
    mock_server: MockServer, mock_profile: Profile, tmp_path: Path
) -> None:
    run, proxy = proxy_for(mock_profile, mock_server.url, tmp_path, record=tmp_path / "cass")
    content = httpx.Request("POST", "http://x", json={**HELLO, "stream": True}).read()
    headers = {**HEADERS, "content-type": "application/json"}
    sent = httpx.post(f"{proxy.url}/v1/messages", content=content, headers=headers, timeout=10)
    finish(run, proxy)
    assert run.cassette_path is not None
    assert MOCK_KEY not in run.cassette_path.read_text()
    replay = ReplayClient(run.cassette_path)
    replayed = replay.send("exchange 1", "POST", "/v1/messages", headers=replay_headers(sent),
                           raw_body=content)  # fmt: skip
    assert replayed.body == sent.content


def replay_headers(sent: httpx.Response) -> dict[str, str]:
    return {k: v for k, v in sent.request.headers.items() if k not in HOP_BY_HOP}


def test_sigterm_and_sigint_write_the_reports(mock_server: MockServer, tmp_path: Path) -> None:
    for number, signal_name in enumerate(("SIGTERM", "SIGINT")):
        out = tmp_path / signal_name
        port = free_port()
        proc = subprocess.Popen(
            [sys.executable, "-m", "msgconform.cli", "proxy", "--provider", "mock", "--upstream",
             mock_server.url, "--port", str(port), "--out", str(out)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            assert proc.stdout is not None
            assert "Ctrl-C writes the reports" in proc.stdout.readline()
            httpx.post(f"http://127.0.0.1:{port}/v1/messages", json=HELLO, headers=HEADERS)
            proc.send_signal(getattr(__import__("signal"), signal_name))
            stdout, _ = proc.communicate(timeout=30)
        finally:
            proc.kill() if proc.poll() is None else None
        assert proc.returncode == 0, (number, stdout)
        run_dir = next((out / "mock").glob("2*"))
        assert {"results.jsonl", "report.html", "junit.xml"} <= {p.name for p in run_dir.iterdir()}
        assert "1 exchanges" in stdout


def test_bad_arguments_are_one_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "msgconform.cli", "proxy", "--provider", "mock"],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert "no upstream" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.node
@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_typescript_sdk_through_the_proxy(
    tapped_mock: tuple[MockServer, Tap], mock_profile: Profile, tmp_path: Path
) -> None:
    mock, tap = tapped_mock
    run, proxy = proxy_for(mock_profile, mock.url, tmp_path)
    env = {**os.environ, "MOCK_URL": proxy.url, "MOCK_KEY": MOCK_KEY}
    done = subprocess.run(
        ["node", "sdk_scenarios.mjs"], cwd=NODE_DIR, env=env, capture_output=True, text=True,
        timeout=60, check=False,
    )  # fmt: skip
    record = finish(run, proxy)
    lines = done.stdout.splitlines()
    assert lines, done.stderr
    assert all(line.startswith("ok ") for line in lines), done.stdout + done.stderr
    # Every answer the SDK read through the proxy is the bytes the mock sent for it.
    kept = [bytes(b) for b in tap.sent]
    for case in record.cases:
        evidence = case["evidence"][0]["response"]
        text = evidence["body"] or evidence["transcript"] or ""
        assert any(text.encode() == sent for sent in kept), case["id"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
