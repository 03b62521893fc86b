"""Bounded evidence: large bodies kept as size, sha256, head and tail; curl lines that rebuild them;
a `make conformance`-equivalent run whose artifacts stay small; old records still render."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path
from typing import Any

import jsonschema

from msgconform.cli import main
from msgconform.core.datafiles import meta_schema
from msgconform.core.exchange import Chunk, Exchange
from msgconform.core.redact import Redactor
from msgconform.report import bounded
from msgconform.report.evidence import case_record
from msgconform.report.record import RunRecorder, build_header, load_run

KEY = "sk-bounded-SECRET-0123456789"
RECORD_LIMIT = 2 * 1024 * 1024
HTML_LIMIT = 3 * 1024 * 1024
OLD_RUN = Path(__file__).parents[1] / "fixtures" / "runs" / "mock" / "20260101T000000Z"


class Case:
    test_id = "errors/ERR-007/body-too-large"
    area = "errors"
    description = "A body over the limit is refused with 413"
    clauses = ("ERR-007",)


class Result:
    def __init__(self, exchange: Exchange, outcome: str) -> None:
        self.case, self.outcome, self.duration_s, self.reason = Case(), outcome, 0.1, None
        self.failures: list[Any] = []
        self.notices: list[Any] = []
        self.exchanges = {exchange.label: exchange}
        self.requests, self.retries = 1, 0


def big_exchange(size: int, response: bytes = b'{"type":"error"}') -> Exchange:
    body = {"model": "m", "max_tokens": 4, "metadata": {"user_id": "x" * size}}
    return Exchange(
        "main",
        "POST",
        "http://127.0.0.1:9/v1/messages",
        {"x-api-key": KEY, "content-type": "application/json"},
        request_body=body,
        raw_request_body=json.dumps(body, ensure_ascii=False).encode(),
        status=413,
        response_headers={"content-type": "application/json"},
        chunks=[Chunk(0.01, response)],
    )


def recorded(tmp_path: Path, *results: Result) -> list[dict[str, Any]]:
    header = build_header("mock", {"name": "mock"}, model="m", seed=1)
    rec = RunRecorder(tmp_path / "reports", "mock", header, Redactor([KEY]))
    for result in results:
        rec.case(case_record(result))
    run_dir = rec.finish()
    return load_run(run_dir).cases


def test_a_large_request_body_is_kept_as_size_digest_head_and_tail(tmp_path: Path) -> None:
    exchange = big_exchange(300_000)
    (case,) = recorded(tmp_path, Result(exchange, "FAIL"))
    request = case["evidence"][0]["request"]
    sent = exchange.raw_request_body or b""
    assert request["body"] is None
    assert request["bounded"]["size"] == len(sent)
    assert request["bounded"]["sha256"] == hashlib.sha256(sent).hexdigest()
    assert sent.decode().startswith(request["bounded"]["head"])
    assert sent.decode().endswith(request["bounded"]["tail"])
    assert len(json.dumps(case)) < 20_000


def test_the_curl_line_rebuilds_the_exact_body_with_a_script(tmp_path: Path) -> None:
    exchange = big_exchange(2_000_000)
    (case,) = recorded(tmp_path, Result(exchange, "PASS"))
    curl = case["evidence"][0]["curl"]
    script, _, command = curl.partition(" | ")
    assert command.startswith("curl ")
    assert command.endswith("--data-binary @-")
    assert '"x-api-key: $API_KEY"' in command
    rebuilt = subprocess.run(["bash", "-c", script], capture_output=True, check=True).stdout
    assert rebuilt == exchange.raw_request_body
    assert len(curl) < bounded.EMBED_LIMIT + 1024


def test_a_passing_case_keeps_summary_evidence_a_failing_one_more(tmp_path: Path) -> None:
    response = json.dumps({"type": "error", "pad": "y" * 10_000}).encode()
    passing, failing = recorded(
        tmp_path,
        Result(big_exchange(10, response), "PASS"),
        Result(big_exchange(10, response), "FAIL"),
    )
    assert passing["evidence"][0]["response"]["body"] is None
    assert passing["evidence"][0]["response"]["bounded"]["size"] == len(response)
    assert failing["evidence"][0]["response"]["body"] == response.decode()


def test_bounding_comes_after_redaction(tmp_path: Path) -> None:
    # A key straddling the head's cut: the record must hold neither half of it.
    cut = bounded.SUMMARY_EDGE
    response = (" " * (cut - 10) + KEY + " " * 5000).encode()
    recorded(tmp_path, Result(big_exchange(10, response), "PASS"))
    for path in (tmp_path / "reports").rglob("*"):
        if path.is_file():
            assert KEY[:10].encode() not in path.read_bytes(), path.name


def test_bounded_lines_validate_against_the_record_schema(tmp_path: Path) -> None:
    (case,) = recorded(tmp_path, Result(big_exchange(300_000, b"z" * 100_000), "FAIL"))
    jsonschema.Draft202012Validator(meta_schema("run-record")).validate(case)
    assert case["evidence"][0]["response"]["bounded"]["field"] == "body"


def test_a_record_from_before_still_renders_and_its_page_stays_small(tmp_path: Path) -> None:
    # An old record stored bodies and curl lines whole; `msgconform report` must still render it.
    lines = (OLD_RUN / "results.jsonl").read_text().splitlines()
    cases = [json.loads(t) for t in lines if json.loads(t)["kind"] == "case"]
    huge = next(c for c in cases if c["evidence"])
    item = huge["evidence"][0]
    item["request"]["body"] = {"metadata": {"user_id": "x" * 3_000_000}}
    item["curl"] = "curl -X POST http://h/v1/messages --data-binary '" + "x" * 3_000_000 + "'"
    run_dir = tmp_path / "mock" / "20260101T000000Z"
    run_dir.mkdir(parents=True)
    rewritten = [json.dumps(huge) if json.loads(t).get("id") == huge["id"] else t for t in lines]
    (run_dir / "results.jsonl").write_text("\n".join(rewritten) + "\n")
    assert main(["report", str(run_dir)]) == 0
    page = (run_dir / "report.html").read_text()
    assert len(page) < 200_000
    assert "characters not shown" in page


def test_a_conformance_run_writes_small_artifacts(tmp_path: Path) -> None:
    """`make conformance` against the mock: record under 2 MB, HTML under 3 MB."""
    assert main(["run", "--provider", "mock", "--out", str(tmp_path), "-q"]) == 0
    run_dir = (tmp_path / "mock" / "latest").resolve()
    record, page = run_dir / "results.jsonl", run_dir / "report.html"
    assert record.stat().st_size < RECORD_LIMIT, record.stat().st_size
    assert page.stat().st_size < HTML_LIMIT, page.stat().st_size
    big = next(c for c in load_run(run_dir).cases if c["id"] == Case.test_id)
    assert big["evidence"][0]["request"]["bounded"]["size"] > 30_000_000
    assert "python3 -c" in big["evidence"][0]["curl"]
