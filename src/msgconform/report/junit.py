"""junit.xml from the run record (not from pytest), for CI readers: one testcase per case."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

from msgconform.report.record import Run

# XML 1.0 cannot carry most control characters; a provider's body can.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
EXCERPT = 2000


def clean(text: object) -> str:
    return _NOT_XML.sub("\ufffd", "" if text is None else str(text))


def failure_text(failure: dict[str, Any]) -> str:
    lines = [
        f"[{failure['clause']} {failure['level']}] {failure['requirement']}",
        f"  source:   {failure['source']}",
        f"  check:    {failure['check']}",
        f"  expected: {failure['expected']}",
        f"  actual:   {failure['actual']}",
    ]
    if failure.get("event_index") is not None:
        lines.append(f"  event:    #{failure['event_index']}")
    if failure.get("symptom"):
        lines.append(f"  client symptom: {failure['symptom']}")
    return "\n".join(lines)


def evidence_text(item: dict[str, Any]) -> str:
    response = item.get("response") or {}
    shown = response.get("transcript") or response.get("body") or ""
    excerpt = shown[:EXCERPT] + ("…" if len(shown) > EXCERPT else "")
    return "\n".join(
        [
            f"evidence {item['label']}: HTTP {response.get('status')} "
            f"(ended: {response.get('ended')}, request-id: {item.get('request_id')})",
            f"  reproduce: {item['curl']}",
            "  response excerpt:",
            excerpt,
        ]
    )


def case_text(case: dict[str, Any]) -> str:
    parts = [failure_text(f) for f in case["failures"]]
    if case.get("reason"):
        parts.insert(0, f"reason: {case['reason']}")
    parts += [evidence_text(e) for e in case["evidence"]]
    return "\n\n".join(parts)


def summary(case: dict[str, Any]) -> str:
    if case["failures"]:
        first = case["failures"][0]
        more = f" (+{len(case['failures']) - 1} more)" if len(case["failures"]) > 1 else ""
        return f"{first['clause']}: expected {first['expected']}; got {first['actual']}{more}"
    return str(case.get("reason") or case["outcome"])


def add_result(element: ET.Element, case: dict[str, Any]) -> None:
    outcome = case["outcome"]
    if outcome in ("FAIL", "XPASS"):
        result = ET.SubElement(element, "failure", message=clean(summary(case)), type=outcome)
        result.text = clean(case_text(case))
    elif outcome == "ERROR":
        result = ET.SubElement(element, "error", message=clean(summary(case)), type="ERROR")
        result.text = clean(case_text(case))
    elif outcome in ("SKIP", "XFAIL"):
        ET.SubElement(element, "skipped", message=clean(f"{outcome}: {case.get('reason') or ''}"))
    elif outcome == "NON-STRICT":
        # A SHOULD broken: passed for CI, but the text is kept where readers show it.
        ET.SubElement(element, "system-out").text = clean(case_text(case))


def testcase(case: dict[str, Any]) -> ET.Element:
    element = ET.Element(
        "testcase", classname=case["area"], name=case["id"], time=f"{case['duration_s']:.3f}"
    )
    props = ET.SubElement(element, "properties")
    for clause in case["clauses"]:
        ET.SubElement(props, "property", name="clause", value=clause)
    ET.SubElement(props, "property", name="outcome", value=case["outcome"])
    # A notice grades nothing, so it is no <failure>; CI views still see it on the testcase.
    for notice in case.get("notices") or []:
        shown = f"{notice['clause']} {notice['level']}: {notice.get('symptom') or notice['check']}"
        ET.SubElement(props, "property", name="notice", value=clean(shown))
    add_result(element, case)
    return element


def render(run: Run) -> str:
    counts = run.counts()
    duration = (run.footer or {}).get("duration_s", sum(c["duration_s"] for c in run.cases))
    stats = {
        "tests": len(run.cases),
        "failures": counts["FAIL"] + counts["XPASS"],
        "errors": counts["ERROR"],
        "skipped": counts["SKIP"] + counts["XFAIL"],
        "time": f"{duration:.3f}",
    }
    attrs = {k: str(v) for k, v in stats.items()}
    # The strict Jenkins/xunit schema allows no "skipped" on <testsuites>; readers sum the suites.
    root = ET.Element("testsuites", {"name": "msgconform", **attrs})
    root.attrib.pop("skipped")
    started = str(run.header["started_at"]).removesuffix("Z")
    suite = ET.SubElement(root, "testsuite", {"name": run.provider, "timestamp": started, **attrs})
    props = ET.SubElement(suite, "properties")
    for name in ("provider", "model", "msgconform_version", "suite_hash", "schema_hash"):
        ET.SubElement(props, "property", name=name, value=clean(run.header.get(name)))
    suite.extend(testcase(c) for c in run.cases)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
