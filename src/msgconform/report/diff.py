"""What changed between two runs (usually last night's and tonight's): regressions first."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from msgconform.report import findings
from msgconform.report.record import Run

# A case regressed when it was fine (or not judged) and now gates the run.
WAS_FINE = frozenset({"PASS", "XFAIL", "SKIP"})
GATES = frozenset({"FAIL", "XPASS"})
FIXED_FROM = frozenset({"FAIL", "XPASS", "ERROR", "NON-STRICT"})
GENERATED_AREA = "fuzz"


@dataclass
class Change:
    id: str
    old: str | None
    new: str | None


@dataclass
class Diff:
    regressed: list[Change] = field(default_factory=list)
    fixed: list[Change] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    new: list[Change] = field(default_factory=list)
    removed: list[Change] = field(default_factory=list)
    # Findings (report/findings.py) by key: a new problem can hide in a case that already failed.
    new_findings: list[str] = field(default_factory=list)
    gone_findings: list[str] = field(default_factory=list)
    new_failing_findings: list[str] = field(default_factory=list)

    @property
    def has_regression(self) -> bool:
        return bool(self.regressed or self.new_failing_findings)


def classify(change: Change) -> str:
    if change.old is None:
        return "new"
    if change.new is None:
        return "removed"
    if change.old in WAS_FINE and change.new in GATES:
        return "regressed"
    if change.old in FIXED_FROM and change.new == "PASS":
        return "fixed"
    return "changed"


def verdict(case: dict[str, object]) -> str:
    """A generated case's verdict is its outcome and the clauses it failed, never its example:
    a new example that fails the same way is the same verdict (see fuzz/probe.py)."""
    outcome = str(case["outcome"])
    failures = case.get("failures")
    if case.get("area") != GENERATED_AREA or not isinstance(failures, list) or not failures:
        return outcome
    return f"{outcome} ({', '.join(sorted({str(f['clause']) for f in failures}))})"


def diff(old: Run, new: Run) -> Diff:
    before = {str(c["id"]): str(c["outcome"]) for c in old.cases}
    after = {str(c["id"]): str(c["outcome"]) for c in new.cases}
    verdicts = [{str(c["id"]): verdict(c) for c in run.cases} for run in (old, new)]
    result = Diff()
    for case_id in sorted(before.keys() | after.keys()):
        change = Change(case_id, before.get(case_id), after.get(case_id))
        if change.old == change.new:
            was, now = verdicts[0].get(case_id), verdicts[1].get(case_id)
            if was != now:  # same outcome, another clause: not a regression
                result.changed.append(Change(case_id, was, now))
            continue
        getattr(result, classify(change)).append(change)
    compare_findings(result, old, new)
    return result


def compare_findings(result: Diff, old: Run, new: Run) -> None:
    before = {f.key for f in findings.collect(old.cases)}
    after = findings.collect(new.cases)
    result.new_findings = [f.key for f in after if f.key not in before]
    result.gone_findings = sorted(before - {f.key for f in after})
    result.new_failing_findings = [
        f.key
        for f in after
        if f.key not in before and not f.notice and any(o.outcome == "FAIL" for o in f.occurrences)
    ]


def as_json(result: Diff, old: Run, new: Run) -> str:
    data = {
        "old": {"provider": old.provider, "stamp": old.stamp},
        "new": {"provider": new.provider, "stamp": new.stamp},
        **{k: [asdict(c) for c in v] for k, v in asdict_lists(result).items()},
        "findings": {"new": result.new_findings, "gone": result.gone_findings},
        "regression": result.has_regression,
    }
    return json.dumps(data, indent=2)


def asdict_lists(result: Diff) -> dict[str, list[Change]]:
    return {
        "regressed": result.regressed,
        "fixed": result.fixed,
        "changed": result.changed,
        "new": result.new,
        "removed": result.removed,
    }


def as_text(result: Diff, old: Run, new: Run) -> str:
    lines = [f"{old.provider}@{old.stamp} → {new.provider}@{new.stamp}"]
    for name, changes in asdict_lists(result).items():
        if not changes:
            continue
        lines.append(f"{name} ({len(changes)}):")
        lines += [f"  {c.id}: {c.old or '(absent)'} → {c.new or '(absent)'}" for c in changes]
    for name, keys in (
        ("new findings", result.new_findings),
        ("gone findings", result.gone_findings),
    ):
        if keys:
            lines.append(f"{name} ({len(keys)}):")
            lines += [f"  {key}" for key in keys]
    if len(lines) == 1:
        lines.append("no changes")
    return "\n".join(lines)
