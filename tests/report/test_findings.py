"""Findings: grouping failures, the record's footer, the report's opening, JUnit, and diff."""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from msgconform.core.redact import Redactor
from msgconform.report import diff, findings
from msgconform.report.record import RunRecorder, build_header, load_run
from msgconform.report.write import publish

STREAM_FAILURE = {
    "check": "invariant:content_type",
    "clause": "STREAM-001",
    "level": "MUST",
    "requirement": "stream true is answered with Content-Type text/event-stream",
    "source": "004 § Body › stream",
    "expected": "200 with Content-Type: text/event-stream",
    "actual": "status 200, application/json, {…}\n  (and 2 more exchanges: a, b)",
    "symptom": "the SDK's stream yields no events",
    "event_index": None,
    "exchange": "main",
}
ID_FAILURE = {
    **STREAM_FAILURE,
    "check": "invariant:request_id",
    "clause": "HDR-005",
    "level": "SHOULD",
    "requirement": "Every response carries a request-id header",
    "symptom": "the SDK's request_id is None",
}


def case(case_id: str, outcome: str, *failures: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": case_id,
        "area": case_id.split("/")[0],
        "description": "a case",
        "clauses": [case_id.split("/")[1]],
        "outcome": outcome,
        "duration_s": 0.01,
        "reason": None,
        "failures": list(failures),
        "evidence": [],
        "requests": 1,
        "retries": 0,
        "output_tokens": 0,
    }


RED = [
    case("streaming/STREAM-001/text-stream", "FAIL", STREAM_FAILURE),
    case("streaming/STREAM-009/tool-stream", "FAIL", STREAM_FAILURE, ID_FAILURE),
    case("streaming/STREAM-011/delta", "FAIL", STREAM_FAILURE),
    case("headers/HDR-005/request-id", "NON-STRICT", ID_FAILURE),
    case("streaming/STREAM-012/known", "XFAIL", {**STREAM_FAILURE, "symptom": "other"}),
    case("auth/AUTH-001/ok", "PASS"),
]


def test_same_clause_check_and_symptom_are_one_finding() -> None:
    found = findings.collect(RED)
    assert [(f.clause, len(f.cases)) for f in found] == [("STREAM-001", 3), ("HDR-005", 2)]
    assert found[0].occurrences[0].actual == "status 200, application/json, {…}"
    assert "STREAM-001 MUST" in found[0].first_line()
    assert "3 cases" in found[0].first_line()


def test_a_known_deviation_is_not_a_finding() -> None:
    assert all(f.symptom != "other" for f in findings.collect(RED))


def test_summary_prints_the_count_and_one_line_each() -> None:
    lines = findings.summary_lines(findings.collect(RED))
    assert lines[0] == "msgconform: 2 distinct findings (5 failures in 4 cases)"
    assert len(lines) == 3


def write_run(tmp_path: Path, cases: list[dict[str, Any]], name: str = "reports") -> Path:
    header = build_header("mock", {"name": "mock"}, model="mock-model", seed=1, argv=["run"])
    recorder = RunRecorder(tmp_path / name, "mock", header, Redactor(["sk-unused-0123456789"]))
    for item in cases:
        recorder.case(item)
    run_dir = recorder.finish()
    publish(run_dir)
    return run_dir


def test_the_footer_carries_the_findings(tmp_path: Path) -> None:
    run = load_run(write_run(tmp_path, RED))  # validates every line against the record schema
    assert run.footer is not None
    carried = run.footer["findings"]
    assert [f["clause"] for f in carried] == ["STREAM-001", "HDR-005"]
    assert carried[0]["cases"][0] == "streaming/STREAM-001/text-stream"
    assert carried[0]["occurrences"][0] == {"case": RED[0]["id"], "exchange": "main"}


def test_the_report_opens_with_findings_expanding_to_occurrences(tmp_path: Path) -> None:
    page = (write_run(tmp_path, RED) / "report.html").read_text()
    assert page.index("<h2>Findings (2)</h2>") < page.index("<h2>Outcomes</h2>")
    assert '<details class="finding MUST" id="finding-1">' in page
    assert 'href="#case-streaming/STREAM-009/tool-stream"' in page


def test_junit_keeps_one_testcase_per_case(tmp_path: Path) -> None:
    tree = ET.parse(write_run(tmp_path, RED) / "junit.xml")
    assert len(tree.getroot().findall(".//testcase")) == len(RED)


def test_diff_reports_a_new_finding_in_a_case_that_already_failed(tmp_path: Path) -> None:
    before = [case("streaming/STREAM-009/tool-stream", "FAIL", STREAM_FAILURE)]
    after = [case("streaming/STREAM-009/tool-stream", "FAIL", STREAM_FAILURE, GRAMMAR)]
    old = load_run(write_run(tmp_path, before, "old"))
    new = load_run(write_run(tmp_path, after, "new"))
    result = diff.diff(old, new)
    assert not result.regressed  # the case was red and stays red
    assert result.has_regression
    assert "new findings (1):" in diff.as_text(result, old, new)
    back = diff.diff(new, old)
    assert not back.has_regression
    assert back.gone_findings == [findings.collect(after)[1].key]


GRAMMAR = {**STREAM_FAILURE, "check": "invariant:stream_grammar", "clause": "STREAM-012"}
CLOSED = {
    **STREAM_FAILURE,
    "check": "connection_close_announced",
    "clause": "HDR-007",
    "level": "SHOULD",
    "requirement": "A server that closes a keep-alive connection announces it",
    "symptom": "the server closed a keep-alive connection",
}


def noticed(case_id: str, outcome: str, *failures: dict[str, Any]) -> dict[str, Any]:
    return {**case(case_id, outcome, *failures), "notices": [CLOSED]}


def test_a_notice_is_a_finding_whatever_the_outcome() -> None:
    cases = [noticed("auth/AUTH-001/ok", "PASS"), noticed("errors/ERR-001/x", "XFAIL")]
    (found,) = findings.collect(cases)
    assert (found.clause, found.level, found.notice) == ("HDR-007", "SHOULD", True)
    assert found.cases == ["auth/AUTH-001/ok", "errors/ERR-001/x"]


def test_a_new_notice_in_a_failing_case_is_no_regression(tmp_path: Path) -> None:
    before = [case("streaming/STREAM-009/tool-stream", "FAIL", STREAM_FAILURE)]
    after = [noticed("streaming/STREAM-009/tool-stream", "FAIL", STREAM_FAILURE)]
    old = load_run(write_run(tmp_path, before, "old"))
    new = load_run(write_run(tmp_path, after, "new"))  # the record schema takes notices
    result = diff.diff(old, new)
    assert result.new_findings == [findings.collect(after)[1].key]
    assert not result.has_regression


@pytest.mark.browser
def test_browser_shows_findings_first_and_their_links_land_on_cases(tmp_path: Path) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    page = write_run(tmp_path, RED) / "report.html"
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom"]  # fmt: skip
    dom = subprocess.run(
        [chromium, *flags, page.as_uri()], capture_output=True, text=True, timeout=120, check=True
    ).stdout
    assert dom.index('id="findings"') < dom.index('id="count-total"')
    links = set(re.findall(r'<li><a href="#([^"]+)"', dom))
    assert links == {f"case-{c['id']}" for c in RED if c["outcome"] in ("FAIL", "NON-STRICT")}
    assert all(f'id="{anchor}"' in dom for anchor in links)
