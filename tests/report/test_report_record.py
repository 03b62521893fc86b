"""The run record: writing it line by line, loading it back, and keeping keys out of it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from msgconform.core.datafiles import meta_schema
from msgconform.core.errors import ConfigError
from msgconform.core.exchange import Chunk, Exchange
from msgconform.core.redact import Redactor
from msgconform.report import record
from msgconform.report.evidence import BODY_LIMIT, case_record
from msgconform.report.record import RunRecorder, build_header, compute_hashes, load_run
from msgconform.report.write import publish

KEY = "sk-live-SECRET-0123456789"
FIXTURE = Path(__file__).parents[1] / "fixtures" / "runs" / "mock" / "20260101T000000Z"


def make_case(case_id: str = "auth/AUTH-001/missing-key", outcome: str = "PASS") -> dict[str, Any]:
    return {
        "id": case_id,
        "area": case_id.split("/")[0],
        "description": "A request without a key is rejected",
        "clauses": [case_id.split("/")[1]],
        "outcome": outcome,
        "duration_s": 0.01,
        "reason": None,
        "failures": [],
        "evidence": [],
        "requests": 1,
        "retries": 0,
        "output_tokens": 3,
    }


def recorder(tmp_path: Path, key: str = KEY) -> RunRecorder:
    header = build_header("mock", {"name": "mock"}, model="mock-model", seed=1, argv=["run"])
    return RunRecorder(tmp_path / "reports", "mock", header, Redactor([key]))


def validate_lines(path: Path) -> list[dict[str, Any]]:
    validator = jsonschema.Draft202012Validator(meta_schema("run-record"))
    lines = [json.loads(t) for t in path.read_text().splitlines()]
    for line in lines:
        validator.validate(line)
    return lines


def test_recorder_writes_a_valid_record_and_the_views(tmp_path: Path) -> None:
    rec = recorder(tmp_path)
    rec.case(make_case())
    rec.case(make_case("errors/ERR-001/bad-json", "FAIL"))
    run_dir = rec.finish()
    publish(run_dir)
    lines = validate_lines(run_dir / "results.jsonl")
    assert [line["kind"] for line in lines] == ["header", "case", "case", "footer"]
    assert lines[-1]["counts"]["PASS"] == 1
    assert lines[-1]["counts"]["FAIL"] == 1
    assert lines[-1]["requests"] == 2
    assert lines[-1]["output_tokens"] == 6
    assert {p.name for p in run_dir.iterdir()} >= {"junit.xml", "report.html", "badge.svg"}


def test_latest_points_at_the_run(tmp_path: Path) -> None:
    rec = recorder(tmp_path)
    run_dir = rec.finish()
    latest = tmp_path / "reports" / "mock" / "latest"
    assert latest.is_symlink()
    assert load_run(latest).stamp == run_dir.name


def test_latest_falls_back_to_a_text_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_: object, **__: object) -> None:
        raise OSError("no symlinks here")

    monkeypatch.setattr(Path, "symlink_to", refuse)
    run_dir = recorder(tmp_path).finish()
    latest = tmp_path / "reports" / "mock" / "latest"
    assert latest.read_text().strip() == run_dir.name
    assert load_run(latest).run_dir == run_dir


def test_an_interrupted_run_keeps_its_cases(tmp_path: Path) -> None:
    rec = recorder(tmp_path)
    rec.case(make_case())
    run = load_run(rec.run_dir)  # read while the file is still open
    assert len(run.cases) == 1
    assert run.footer is None
    rec.close()


def test_an_exception_inside_with_finishes_as_aborted(tmp_path: Path) -> None:
    def interrupted_run() -> None:
        with recorder(tmp_path) as rec:
            rec.case(make_case())
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        interrupted_run()
    footer = load_run(tmp_path / "reports" / "mock" / "latest").footer
    assert footer is not None
    assert footer["aborted"] is True
    assert footer["counts"]["PASS"] == 1


def test_aborted_run_records_why(tmp_path: Path) -> None:
    run_dir = recorder(tmp_path).finish(aborted=True, abort_reason="smoke probe failed")
    footer = load_run(run_dir).footer
    assert footer is not None
    assert (footer["aborted"], footer["abort_reason"]) == (True, "smoke probe failed")


def test_two_runs_in_one_second_get_distinct_dirs(tmp_path: Path) -> None:
    first, second = recorder(tmp_path), recorder(tmp_path)
    assert first.run_dir != second.run_dir
    first.close()
    second.close()


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{not json\n", ":2: not JSON"),
        ('{"kind": "case", "id": "x"}\n', ":2: (top level)"),
        ("HEADER", ":2: unexpected header line"),
    ],
)
def test_malformed_record_gives_one_line_naming_file_and_line(
    tmp_path: Path, text: str, problem: str
) -> None:
    path = tmp_path / "results.jsonl"
    header = (FIXTURE / "results.jsonl").read_text().splitlines()[0] + "\n"
    path.write_text(header + text.replace("HEADER", header))
    with pytest.raises(ConfigError) as info:
        load_run(path)
    line = info.value.line()
    assert "results.jsonl" in line
    assert problem in line
    assert "\n" not in line


def test_missing_run_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no run record here"):
        load_run(tmp_path / "nowhere")


def test_hashes_cover_suites_and_contract_but_not_meta(tmp_path: Path) -> None:
    suites, schemas = tmp_path / "suites", tmp_path / "schemas"
    (suites / "auth").mkdir(parents=True)
    (schemas / "meta").mkdir(parents=True)
    (suites / "auth" / "cases.yaml").write_text("a")
    (schemas / "clauses.yaml").write_text("c")
    (schemas / "meta" / "x.json").write_text("{}")
    before = compute_hashes(suites, schemas)
    (schemas / "meta" / "x.json").write_text("{ }")
    assert compute_hashes(suites, schemas) == before
    (suites / "auth" / "cases.yaml").write_text("b")
    after = compute_hashes(suites, schemas)
    assert after["suite_hash"] != before["suite_hash"]
    assert after["schema_hash"] == before["schema_hash"]


@dataclass
class FakeCase:
    test_id: str = "errors/ERR-001/echoes-key"
    area: str = "errors"
    description: str = "An error body echoes the request"
    clauses: tuple[str, ...] = ("ERR-001",)


@dataclass
class FakeResult:
    exchanges: dict[str, Exchange]
    case: FakeCase = field(default_factory=FakeCase)
    outcome: str = "FAIL"
    duration_s: float = 0.2
    reason: str | None = None
    failures: list[Any] = field(default_factory=list)
    requests: int = 1
    retries: int = 0
    notices: list[Any] = field(default_factory=list)


def leaky_exchange(straddle: int | None = None) -> Exchange:
    """As a fault that echoes the key would leave it: in headers, the body, the URL.

    With `straddle`, a trailing copy of the key starts 10 characters before that offset."""
    body = json.dumps({"type": "error", "error": {"message": f"bad key {KEY}"}})
    if straddle is not None:
        body += " " * (straddle - len(body) - 10) + KEY
    return Exchange(
        "main",
        "POST",
        f"http://127.0.0.1/v1/messages?key={KEY}",
        {"x-api-key": KEY, "authorization": f"Bearer {KEY}", "content-type": "application/json"},
        request_body={"model": "m", "max_tokens": 1, "metadata": {"user_id": KEY}},
        raw_request_body=json.dumps({"note": KEY}).encode(),
        status=401,
        response_headers={"content-type": "application/json", "x-echo-key": KEY},
        chunks=[Chunk(0.01, body.encode())],
    )


def test_no_file_the_recorder_writes_contains_the_key(tmp_path: Path) -> None:
    rec = recorder(tmp_path)
    # The cut falls inside the trailing key: redaction must come before truncation.
    rec.case(case_record(FakeResult({"main": leaky_exchange(straddle=BODY_LIMIT)})))
    rec.case(case_record(FakeResult({"main": leaky_exchange()})))
    run_dir = rec.finish()
    publish(run_dir)
    files = [p for p in (tmp_path / "reports").rglob("*") if p.is_file()]
    assert len(files) == 4
    for path in files:
        data = path.read_bytes()
        assert KEY.encode() not in data, path.name
        assert KEY[:10].encode() not in data, path.name
    validate_lines(run_dir / "results.jsonl")


def test_case_record_from_a_result_is_valid(tmp_path: Path) -> None:
    line = case_record(FakeResult({"main": leaky_exchange()}))
    validator = jsonschema.Draft202012Validator(meta_schema("run-record"))
    validator.validate(Redactor([KEY]).value(line))
    assert line["evidence"][0]["response"]["status"] == 401
    assert "$API_KEY" in line["evidence"][0]["curl"]


def test_build_header_is_valid() -> None:
    header = build_header("mock", {"name": "mock"}, model=None)
    jsonschema.Draft202012Validator(meta_schema("run-record")).validate(header)
    assert header["versions"]["httpx"]
    assert record.pass_rate({"PASS": 1, "FAIL": 1, "SKIP": 9, "ERROR": 9}) == 0.5


def test_recorder_fills_in_what_a_caller_header_leaves_out(tmp_path: Path) -> None:
    header = {"profile": {"name": "mock"}, "target": "mock", "mock_fault": "drop_message_stop"}
    rec = RunRecorder(tmp_path, "mock", header, Redactor([KEY]))
    lines = validate_lines(rec.finish() / "results.jsonl")
    assert lines[0]["mock_fault"] == "drop_message_stop"
    assert lines[0]["versions"]["python"]
