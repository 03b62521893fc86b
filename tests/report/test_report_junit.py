"""junit.xml from the record, read back by junitparser (the library CI plugins build on)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import junitparser
import pytest

from msgconform.report import junit
from msgconform.report.record import Run, load_run

RUNS = Path(__file__).parents[1] / "fixtures" / "runs"


@pytest.fixture(scope="module")
def run() -> Run:
    return load_run(RUNS / "mock-fault" / "20260101T010000Z")


@pytest.fixture(scope="module")
def parsed(run: Run, tmp_path_factory: pytest.TempPathFactory) -> junitparser.JUnitXml:
    path = tmp_path_factory.mktemp("junit") / "junit.xml"
    path.write_text(junit.render(run), encoding="utf-8")
    return junitparser.JUnitXml.fromfile(str(path))


def results(parsed: junitparser.JUnitXml) -> dict[str, str]:
    found = {}
    for suite in parsed:
        for case in suite:
            kinds = [type(r).__name__ for r in case.result]
            found[case.name] = kinds[0] if kinds else "passed"
    return found


def test_one_suite_named_after_the_provider_with_one_case_per_record_case(
    parsed: junitparser.JUnitXml, run: Run
) -> None:
    suites = list(parsed)
    assert [s.name for s in suites] == ["mock-fault"]
    assert suites[0].tests == len(run.cases)
    assert (suites[0].failures, suites[0].errors, suites[0].skipped) == (2, 1, 1)


def test_outcomes_map_to_junit_results(parsed: junitparser.JUnitXml) -> None:
    assert results(parsed) == {
        "auth/AUTH-001/missing-key": "passed",
        "errors/ERR-001/invalid-request": "Failure",
        "response_shape/SHAPE-001/minimal-message": "passed",
        "stop_reason/STOP-001/end-turn": "Failure",
        "streaming/STREAM-001/text-stream": "Error",
        "streaming/STREAM-003/two-text-blocks": "passed",
        "streaming/STREAM-005/tool-use-stream": "Skipped",
    }


def test_failure_text_has_requirement_expected_actual_and_curl(
    parsed: junitparser.JUnitXml,
) -> None:
    case = next(c for s in parsed for c in s if c.name == "stop_reason/STOP-001/end-turn")
    assert case.classname == "stop_reason"
    text = case.result[0].text
    for part in ("STOP-001 MUST", "expected: one of end_turn", "actual:   'banana'", "curl -sS"):
        assert part in text


def test_testcase_properties_carry_clauses_and_outcome(run: Run) -> None:
    root = ET.fromstring(junit.render(run))
    case = root.find(".//testcase[@name='streaming/STREAM-003/two-text-blocks']")
    assert case is not None
    props = {(p.get("name"), p.get("value")) for p in case.iter("property")}
    assert props == {("clause", "STREAM-003"), ("outcome", "NON-STRICT")}
    out = case.find("system-out")
    assert out is not None
    assert "STREAM-003 SHOULD" in (out.text or "")


def test_a_notice_is_a_property_of_a_passing_testcase() -> None:
    notice = {"clause": "HDR-007", "level": "SHOULD", "check": "connection_close_announced",
              "symptom": "the server closed a keep-alive connection"}  # fmt: skip
    line = {"id": "auth/AUTH-001/ok", "area": "auth", "duration_s": 0.1, "clauses": ["AUTH-001"],
            "outcome": "PASS", "failures": [], "evidence": [], "notices": [notice]}  # fmt: skip
    element = junit.testcase(line)
    props = {(p.get("name"), p.get("value")) for p in element.iter("property")}
    assert ("notice", "HDR-007 SHOULD: the server closed a keep-alive connection") in props
    assert element.find("failure") is None


def test_control_characters_in_bodies_stay_parseable(run: Run) -> None:
    case = dict(run.cases[1], outcome="FAIL", reason="bad \x00\x1b bytes")
    odd = Run(run.header, [case], run.footer, run.path)
    ET.fromstring(junit.render(odd))


def test_xfail_and_skip_are_skipped() -> None:
    clean = load_run(RUNS / "mock" / "20260101T000000Z")
    root = ET.fromstring(junit.render(clean))
    suite = root.find("testsuite")
    assert suite is not None
    assert (suite.get("skipped"), suite.get("failures"), suite.get("errors")) == ("2", "0", "0")
