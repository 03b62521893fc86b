"""Cassettes: recording redacts every secret, replay gives back the recorded exchanges exactly."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from msgconform.commands import matrix
from msgconform.core import profiles
from msgconform.core.errors import ConfigError, TransportError
from msgconform.core.exchange import Chunk, Exchange
from msgconform.core.redact import Redactor
from msgconform.mock.server import MockServer
from msgconform.transport.cassette import RecordingClient, ReplayClient, load_cassette
from msgconform.transport.client import Budget, BudgetExhausted, Deadlines, StreamWatch
from msgconform.transport.session import make_watch

KEY = "sk-cassette-test-key-5f1e2d3c4b5a"
BASE = "http://127.0.0.1:9999"
BODY = {"model": "m", "max_tokens": 8, "messages": [{"role": "user", "content": "hi"}]}
SSE = (
    b'event: message_start\ndata: {"type":"message_start"}\n\n',
    b'event: message_stop\ndata: {"type":"message_stop"}\n\n',
)


class FakeInner:
    """Stands in for HttpClient: answers from a script of (status, headers, chunks)."""

    def __init__(self, answers: list[tuple[int, dict[str, str], list[bytes]]]) -> None:
        self.base_url = BASE
        self.budget = Budget(max_requests=100, max_output_tokens=1000)
        self.answers = answers
        self.closed = False

    def send(
        self,
        label: str,
        method: str,
        path: str,
        *,
        headers: Mapping[str, str],
        json_body: Any = None,
        raw_body: bytes | None = None,
        watch: Callable[[], StreamWatch] | None = None,
        retry: bool = True,
        deadlines: Deadlines | None = None,
    ) -> Exchange:
        status, response_headers, parts = self.answers.pop(0)
        exchange = Exchange(label, method, BASE + path, dict(headers), json_body, raw_body, status)
        exchange.response_headers = response_headers
        exchange.chunks = [Chunk(0.01 * (i + 1), p) for i, p in enumerate(parts)]
        exchange.elapsed_s = 0.05
        return exchange

    def close(self) -> None:
        self.closed = True


class Feeds:
    terminal_seen = False

    def __init__(self) -> None:
        self.data: list[bytes] = []

    def feed(self, data: bytes) -> None:
        self.data.append(data)


def record(tmp_path: Path, answers: list[tuple[int, dict[str, str], list[bytes]]]) -> Path:
    path = tmp_path / "run.cassette.jsonl"
    client = RecordingClient(FakeInner(answers), path, Redactor([KEY]), provider="mock")
    client.send("main", "POST", "/v1/messages", headers={"x-api-key": KEY}, json_body=BODY)
    client.close()
    return path


def same(a: Exchange, b: Exchange) -> bool:
    return (a.status, a.response_headers, a.body, a.ended) == (
        b.status,
        b.response_headers,
        b.body,
        b.ended,
    )


def test_recording_writes_a_header_and_keeps_the_key_out(tmp_path: Path) -> None:
    echo = b'{"type":"error","error":{"message":"bad key ' + KEY.encode() + b'"}}'
    path = record(tmp_path, [(401, {"authorization": f"Bearer {KEY}"}, [echo])])
    text = path.read_text()
    assert KEY not in text
    header, line = (json.loads(x) for x in text.splitlines())
    assert (header["kind"], header["format"], header["provider"]) == ("cassette", 1, "mock")
    assert header["created_at"]
    assert line["request"]["headers"]["x-api-key"] == "[REDACTED]"
    assert line["response"]["chunks"][0]["redacted"] is True


def test_replay_returns_the_recorded_exchange_and_feeds_the_watch(tmp_path: Path) -> None:
    inner = FakeInner([(200, {"content-type": "text/event-stream"}, list(SSE))])
    path = tmp_path / "c.jsonl"
    recorder = RecordingClient(inner, path, Redactor([KEY]))
    original = recorder.send(
        "s", "POST", "/v1/messages", headers={"x-api-key": KEY}, json_body=BODY
    )
    recorder.close()
    feeds = Feeds()
    again = ReplayClient(path).send(
        "s", "POST", "/v1/messages", headers={"x-api-key": "other"}, json_body=BODY,
        watch=lambda: feeds,
    )  # fmt: skip
    assert same(original, again)
    assert [c.at_s for c in again.chunks] == [c.at_s for c in original.chunks]
    assert feeds.data == list(SSE)
    assert inner.closed


def test_the_auth_scheme_takes_part_in_matching_but_not_the_key(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    recorder = RecordingClient(
        FakeInner([(200, {}, [b"{}"]), (401, {}, [b"{}"])]), path, Redactor([KEY])
    )
    for headers in ({"authorization": f"Bearer {KEY}"}, {}):
        recorder.send("a", "POST", "/v1/messages", headers=headers, json_body=BODY)
    recorder.close()
    assert KEY not in path.read_text()
    replay = ReplayClient(path)
    missing = replay.send("a", "POST", "/v1/messages", headers={}, json_body=BODY)
    bearer = {"Authorization": "Bearer sk-a-different-key-0000"}
    assert replay.send("a", "POST", "/v1/messages", headers=bearer, json_body=BODY).status == 200
    assert missing.status == 401


def test_a_large_raw_body_is_matched_by_digest_not_stored(tmp_path: Path) -> None:
    raw = b"x" * 200_000
    path = tmp_path / "c.jsonl"
    recorder = RecordingClient(FakeInner([(413, {}, [b"{}"])]), path, Redactor([]))
    recorder.send("big", "POST", "/v1/messages", headers={}, raw_body=raw)
    recorder.close()
    request = load_cassette(path).entries[0].request
    assert (request["raw_len"], "raw_b64" in request) == (200_000, False)
    replay = ReplayClient(path)
    assert replay.send("big", "POST", "/v1/messages", headers={}, raw_body=raw).status == 413
    with pytest.raises(TransportError, match=r"not in c\.jsonl"):
        replay.send("big", "POST", "/v1/messages", headers={}, raw_body=raw + b"y")


def test_a_request_sent_twice_gets_its_answers_in_order(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    recorder = RecordingClient(
        FakeInner([(529, {}, [b"{}"]), (200, {}, [b"{}"])]), path, Redactor([])
    )
    for _ in range(2):
        recorder.send("x", "POST", "/v1/messages", headers={}, json_body=BODY)
    recorder.close()
    replay = ReplayClient(path)
    statuses = [replay.send("x", "POST", "/v1/messages", headers={}, json_body=BODY).status]
    statuses.append(replay.send("x", "POST", "/v1/messages", headers={}, json_body=BODY).status)
    assert statuses == [529, 200]
    with pytest.raises(TransportError, match=r"recorded 2 time\(s\).*call 3"):
        replay.send("x", "POST", "/v1/messages", headers={}, json_body=BODY)


def test_unicode_line_separators_in_a_body_keep_one_exchange_per_line(tmp_path: Path) -> None:
    body = {**BODY, "messages": [{"role": "user", "content": "a\x85b\u2028c"}]}
    path = tmp_path / "c.jsonl"
    recorder = RecordingClient(FakeInner([(200, {}, ["\x85".encode()])]), path, Redactor([]))
    recorder.send("u", "POST", "/v1/messages", headers={}, json_body=body)
    recorder.close()
    again = ReplayClient(path).send("u", "POST", "/v1/messages", headers={}, json_body=body)
    assert again.body == "\x85".encode()


def test_an_unrecorded_request_is_one_line_naming_it(tmp_path: Path) -> None:
    replay = ReplayClient(record(tmp_path, [(200, {}, [b"{}"])]))
    with pytest.raises(TransportError) as info:
        replay.send("other-label", "POST", "/v1/messages", headers={}, json_body=BODY)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith("replay: POST /v1/messages [other-label]")
    assert message.endswith("headers and body is not in run.cassette.jsonl")


def test_replay_spends_the_budget_it_is_given(tmp_path: Path) -> None:
    replay = ReplayClient(record(tmp_path, [(200, {}, [b"{}"])]), budget=Budget(0, 10))
    with pytest.raises(BudgetExhausted):
        replay.send("main", "POST", "/v1/messages", headers={}, json_body=BODY)


def test_a_missing_cassette_is_one_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such cassette"):
        load_cassette(tmp_path / "absent.jsonl")


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("{not json", "not valid JSON"),
        ('{"kind": "exchange", "request": {}}', "exchange without 'response'"),
        ('{"kind": "exchange", "request": {"label": "a"}, "response": {}}', "without 'method'"),
    ],
)
def test_a_malformed_line_names_its_number(tmp_path: Path, line: str, problem: str) -> None:
    path = record(tmp_path, [(200, {}, [b"{}"])])
    path.write_text(path.read_text() + line + "\n")
    with pytest.raises(ConfigError, match=rf":3: .*{problem}"):
        load_cassette(path)


def test_a_file_without_a_header_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    path.write_text('{"kind": "exchange"}\n')
    with pytest.raises(ConfigError, match=":1: no cassette header"):
        load_cassette(path)


# ---- round trip through the real client and the bundled mock -------------------------------------

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "cassettes"


def fixture_recorder() -> Any:
    spec = importlib.util.spec_from_file_location("record_fixtures", FIXTURES / "record.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def key_anywhere(path: Path, key: str) -> bool:
    """The key in the text, or inside any base64 body the text carries."""
    cassette = load_cassette(path)
    bodies = [c.data for e in cassette.entries for c in e.chunks]
    return key in path.read_text() or any(key.encode() in b for b in bodies)


def replay_entry(path: Path, watch: Any = None) -> tuple[Exchange, Any]:
    entry = load_cassette(path).entries[0]
    # Another key than the recorded one: auth values must not take part in matching.
    headers = {**entry.request["match_headers"], "x-api-key": "sk-another-key-entirely"}
    sent = ReplayClient(path).send(
        entry.request["label"], "POST", entry.request["path"], headers=headers,
        json_body=entry.request["json"], watch=watch,
    )  # fmt: skip
    return sent, entry


def test_a_run_against_the_mock_replays_exactly_and_keeps_no_key(tmp_path: Path) -> None:
    recorder = fixture_recorder()
    with MockServer(profiles.load("mock"), recorder.KEY) as server:
        recorded = {n: recorder.record_one(server.url, n, tmp_path / n) for n in recorder.REQUESTS}
    assert recorded["error"].status == 400
    for name, original in recorded.items():
        assert not key_anywhere(tmp_path / name, recorder.KEY)
        again, _ = replay_entry(tmp_path / name)
        body = original.body.replace(recorder.KEY.encode(), b"[REDACTED]")
        assert (again.status, again.response_headers, again.body, again.ended) == (
            original.status, original.response_headers, body, original.ended,
        )  # fmt: skip


@pytest.mark.parametrize("name", ["message", "stream", "error"])
def test_shipped_cassettes_replay_and_hold_no_key(name: str) -> None:
    path = FIXTURES / f"{name}.jsonl"
    assert not key_anywhere(path, fixture_recorder().KEY)
    watch = make_watch()
    again, entry = replay_entry(path, watch=lambda: watch)
    assert again.body == b"".join(c.data for c in entry.chunks)
    assert again.status == entry.response["status"]
    assert watch.terminal_seen is (name == "stream")


def test_the_error_cassette_marks_its_redacted_chunk() -> None:
    chunks = load_cassette(FIXTURES / "error.jsonl").entries[0].response["chunks"]
    assert [c.get("redacted", False) for c in chunks] == [True]


# ---- the workflows that record cassettes nightly -------------------------------------------------

WORKFLOWS = Path(__file__).resolve().parents[2] / ".github" / "workflows"


def workflow(name: str) -> dict[Any, Any]:
    data: dict[Any, Any] = yaml.safe_load((WORKFLOWS / name).read_text())
    # YAML 1.1 reads the bare key `on` as True.
    data["on"] = data.pop(True)
    return data


def steps_text(job: dict[str, Any]) -> str:
    return "\n".join(str(step.get("run", "")) + str(step.get("uses", "")) for step in job["steps"])


def test_ci_runs_the_local_entry_point_on_push_and_pull_request() -> None:
    ci = workflow("ci.yml")
    assert {"push", "pull_request"} <= set(ci["on"])
    assert "bash .ci/run" in steps_text(ci["jobs"]["check"])


def test_nightly_runs_each_provider_with_its_own_key() -> None:
    nightly = workflow("nightly.yml")
    assert {"schedule", "workflow_dispatch"} <= set(nightly["on"])
    run = nightly["jobs"]["run"]
    assert run["continue-on-error"] is True
    # The matrix is provider × model, planned from the profiles by msgconform.commands.matrix.
    assert run["needs"] == "plan"
    assert run["strategy"]["matrix"] == "${{ fromJSON(needs.plan.outputs.matrix) }}"
    assert "msgconform.commands.matrix" in steps_text(nightly["jobs"]["plan"])
    legs = {(leg["provider"], leg["key_env"]) for leg in matrix.legs()}
    assert legs == {(p, profiles.load(p).key_env) for p in ("baseten", "cortecs", "anthropic")}
    text = steps_text(run)
    for needed in ("actions/setup-python", "make install", "msgconform run", "--record", "--model"):
        assert needed in text
    upload = next(s for s in run["steps"] if "upload-artifact" in s.get("uses", ""))
    assert upload["with"]["path"] == "reports/${{ matrix.provider }}/"
    assert upload["with"]["name"] == "nightly-${{ matrix.provider }}-${{ matrix.slug }}"


def test_the_nightly_matrix_has_a_leg_per_listed_model() -> None:
    baseten = [leg for leg in matrix.legs() if leg["provider"] == "baseten"]
    assert [leg["model"] for leg in baseten] == list(profiles.load("baseten").model_list)
    assert len({(leg["provider"], leg["slug"]) for leg in matrix.legs()}) == len(matrix.legs())
    assert all("/" not in leg["slug"] for leg in baseten)


def test_nightly_compares_and_diffs_after_every_leg() -> None:
    compare = workflow("nightly.yml")["jobs"]["compare"]
    assert compare["needs"] == "run"
    assert compare["if"] == "always()"
    text = steps_text(compare)
    for needed in ("msgconform compare", "msgconform diff", "GITHUB_STEP_SUMMARY", "gh run list"):
        assert needed in text
    downloads = [s for s in compare["steps"] if "download-artifact" in s.get("uses", "")]
    assert any("run-id" in s["with"] for s in downloads)


@pytest.mark.parametrize("name", ["ci.yml", "nightly.yml"])
def test_workflow_shell_steps_parse(name: str) -> None:
    for job in workflow(name)["jobs"].values():
        for step in job["steps"]:
            if "run" in step:
                script = re.sub(r"\$\{\{.*?\}\}", "x", step["run"])
                subprocess.run(["bash", "-n", "-c", script], check=True)
