"""Findings: failures with the same clause, check and symptom are one problem seen N times.

A provider engineer reads six findings, not forty-five red cases (Schemathesis' "distinct
failures"). Built from record case lines (plain data), so the summary, the footer, the HTML page and
`msgconform diff` all group the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from html import escape
from typing import Any

from msgconform.report.evidence import ResultLike, failure_record

# Failures of an XFAIL case are a documented deviation, not news.
COUNTED = frozenset({"FAIL", "NON-STRICT"})
LEVEL_ORDER = {"MUST": 0, "SHOULD": 1, "MODEL": 2, "MAY": 3}
SUMMARY_SHOWN = 15


@dataclass(frozen=True)
class Occurrence:
    case: str
    outcome: str
    exchange: str | None
    actual: str  # its first line

    def record(self) -> dict[str, Any]:
        return {"case": self.case, "exchange": self.exchange}


@dataclass
class Finding:
    clause: str
    check: str
    symptom: str | None
    level: str
    requirement: str
    expected: str
    occurrences: list[Occurrence] = field(default_factory=list)
    notice: bool = False  # from notices: it graded no case, so it is never a regression

    @property
    def key(self) -> str:
        """Stable across runs: what `msgconform diff` matches on."""
        return f"{self.clause} {self.check}" + (f" · {self.symptom}" if self.symptom else "")

    @property
    def cases(self) -> list[str]:
        return list(dict.fromkeys(o.case for o in self.occurrences))

    def first_line(self) -> str:
        count = len(self.cases)
        seen = f"{count} case" + ("s" if count != 1 else "")
        what = self.symptom or f"expected {self.expected}"
        return f"[{self.clause} {self.level}] {self.requirement} — {self.check}, {seen}: {what}"

    def record(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "clause": self.clause,
            "check": self.check,
            "symptom": self.symptom,
            "level": self.level,
            "requirement": self.requirement,
            "count": len(self.occurrences),
            "cases": self.cases,
            "occurrences": [o.record() for o in self.occurrences],
        }


def collect(cases: Iterable[Mapping[str, Any]]) -> list[Finding]:
    """Findings of record case lines ({id, outcome, failures, notices}), most serious and common
    first. A notice is a finding whatever the case's outcome: it graded nothing."""
    found: dict[tuple[str, str, str], Finding] = {}
    for case in cases:
        counted = case.get("outcome") in COUNTED
        for failure in (case.get("failures") or []) if counted else []:
            add(found, case, failure)
        for notice in case.get("notices") or []:
            add(found, case, notice, notice=True)
    return sorted(found.values(), key=order)


def add(
    found: dict[tuple[str, str, str], Finding],
    case: Mapping[str, Any],
    failure: Any,
    notice: bool = False,
) -> None:
    # Read with defaults: a record is validated on load, but diff and tests pass partial lines.
    text = {k: str(failure.get(k) or "") for k in ("clause", "check", "symptom", "requirement")}
    level = str(failure.get("level") or "MUST")
    key = (text["clause"], text["check"], text["symptom"])
    finding = found.get(key)
    if finding is None:
        expected = str(failure.get("expected") or "")
        finding = found[key] = Finding(
            key[0], key[1], key[2] or None, level, text["requirement"], expected, notice=notice
        )
    if rank(level) < rank(finding.level):
        finding.level = level  # the most serious it was graded
    actual = str(failure.get("actual") or "").split("\n", 1)[0]
    occurrence = Occurrence(str(case["id"]), str(case["outcome"]), failure.get("exchange"), actual)
    finding.occurrences.append(occurrence)


def rank(level: str) -> int:
    return LEVEL_ORDER.get(level, len(LEVEL_ORDER))


def order(finding: Finding) -> tuple[int, int, str]:
    return (rank(finding.level), -len(finding.cases), finding.key)


def of_results(results: Iterable[ResultLike]) -> list[Finding]:
    """The findings of the runner's results, before any record is written."""
    return collect(
        {
            "id": r.case.test_id,
            "outcome": r.outcome,
            "failures": [failure_record(f) for f in r.failures],
            "notices": [failure_record(f) for f in r.notices],
        }
        for r in results
    )


def summary_lines(findings: list[Finding], prefix: str = "msgconform: ") -> list[str]:
    """The CLI's view: how many distinct problems, and the first line of each."""
    failures = sum(len(f.occurrences) for f in findings)
    cases = len({o.case for f in findings for o in f.occurrences})
    noun = "finding" if len(findings) == 1 else "findings"
    lines = [
        f"{prefix}{len(findings)} distinct {noun}"
        + (f" ({failures} failures in {cases} cases)" if findings else "")
    ]
    lines += [f"  {n}. {f.first_line()}" for n, f in enumerate(findings[:SUMMARY_SHOWN], 1)]
    if len(findings) > SUMMARY_SHOWN:
        lines.append(f"  … and {len(findings) - SUMMARY_SHOWN} more in report.html")
    return lines


def render_html(findings: list[Finding], anchor: Callable[[str], str]) -> str:
    """The report opens with these: one line each, expanding to where it happened."""
    if not findings:
        return '<h2>Findings</h2><p id="findings" class="note">No findings.</p>'
    items = "".join(finding_html(n, f, anchor) for n, f in enumerate(findings, 1))
    return f'<h2>Findings ({len(findings)})</h2><div id="findings">{items}</div>'


def finding_html(number: int, finding: Finding, anchor: Callable[[str], str]) -> str:
    rows = "".join(
        f'<li><a href="#{escape(anchor(o.case))}">{escape(o.case)}</a> '
        f"({escape(o.outcome)}{', exchange ' + escape(o.exchange) if o.exchange else ''}): "
        f"{escape(o.actual)}</li>"
        for o in finding.occurrences
    )
    return (
        f'<details class="finding {escape(finding.level)}" id="finding-{number}">'
        f"<summary>{escape(finding.first_line())}</summary><ul>{rows}</ul></details>"
    )
