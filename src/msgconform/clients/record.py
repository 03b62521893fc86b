"""A battery run as a run record (results.jsonl, then junit.xml, report.html, badge.svg), the same
files a provider run writes, with `run_kind: client` and what each client returned."""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from msgconform.clients.battery import Battery, ScenarioResult
from msgconform.core.grading import Failure
from msgconform.core.paths import REPORTS
from msgconform.core.redact import Redactor
from msgconform.mock.scenarios_clients import Logged
from msgconform.report.record import RunRecorder, compute_hashes
from msgconform.report.write import publish

CLIENT_REPORTS = REPORTS / "clients"
MOCK_URL = "http://127.0.0.1:8080"  # where `msgconform mock --port 8080` serves a reproduction


def client_info(results: Sequence[ScenarioResult]) -> dict[str, str]:
    for result in results:
        info = (result.run.output or {}).get("client") if result.run else None
        if isinstance(info, dict) and info.get("name"):
            return {"name": str(info["name"]), "version": str(info.get("version", "unknown"))}
    return {"name": "unknown", "version": "unknown"}


def label_for(battery: Battery, info: dict[str, str]) -> str:
    raw = (
        f"{battery.adapter.name}-{info['version']}"
        if info["version"] != "unknown"
        else battery.adapter.name
    )
    return re.sub(r"[^A-Za-z0-9_.-]", "-", raw).strip("-.") or "client"


def write(
    battery: Battery,
    results: Sequence[ScenarioResult],
    *,
    label: str | None,
    out: Path | None,
    argv: Sequence[str],
    key: str = "",
) -> Path:
    info = client_info(results)
    name = label or label_for(battery, info)
    redactor = Redactor([key])
    header = {
        **compute_hashes(),
        "provider": name,
        "profile": battery.profile.redacted(),
        "model": battery.profile.model(),
        "strict": battery.strict,
        "target": "mock",
        "argv": list(argv),
        "run_kind": "client",
        "client": {**info, "adapter": battery.adapter.name, "policy": battery.policy.name},
    }
    recorder = RunRecorder(out or CLIENT_REPORTS, name, header, redactor)
    for result in results:
        recorder.case(case_line(result))
    run_dir = recorder.finish()
    publish(run_dir)
    return run_dir


def case_line(result: ScenarioResult) -> dict[str, Any]:
    scenario = result.scenario
    return {
        "kind": "case",
        "id": scenario.test_id,
        "area": scenario.area,
        "description": scenario.description,
        "clauses": list(scenario.clauses),
        "outcome": result.outcome,
        "duration_s": round(result.duration_s, 3),
        "reason": result.reason,
        "failures": [failure_line(f) for f in result.failures],
        "evidence": [evidence(result, n, entry) for n, entry in enumerate(result.log, 1)],
        "requests": len(result.log),
        "retries": max(0, len(result.log) - 1),
        "output_tokens": 0,
        "client_result": (result.run.output if result.run else None),
    }


def failure_line(failure: Failure) -> dict[str, Any]:
    return {
        "check": failure.check, "clause": failure.clause, "level": failure.level,
        "requirement": failure.requirement, "source": failure.source,
        "expected": failure.expected, "actual": failure.actual,
        "symptom": failure.symptom, "event_index": failure.event_index,
    }  # fmt: skip


def evidence(result: ScenarioResult, number: int, entry: Logged) -> dict[str, Any]:
    """One request the client sent, as the mock logged it, with a curl that replays the scenario."""
    offset = entry.arrived - result.started
    body_text = bytes(entry.body).decode("utf-8", errors="replace")
    try:
        body: Any = json.loads(body_text)
    except json.JSONDecodeError:
        body = body_text
    answer = bytes(entry.response).decode("utf-8", errors="replace") or None
    ended = "eof" if entry.ended is not None else "reset" if entry.responded else "none"
    return {
        "label": f"attempt {number} at +{offset:.2f}s",
        "request": {
            "method": entry.method,
            "url": entry.path,
            "headers": dict(entry.headers),
            "body": body,
        },
        "response": {
            "status": entry.status,
            "headers": {},
            "body": answer,
            "transcript": None,
            "ended": ended,
            "error": None,
        },
        "request_id": None,
        "curl": curl(result, number, body_text),
    }


def curl(result: ScenarioResult, number: int, body: str) -> str:
    tag = f"client:{result.scenario.id}:replay{number}"
    return " ".join(
        [
            "curl -sN",
            shlex.quote(f"{MOCK_URL}/v1/messages"),
            "-H",
            shlex.quote(f"x-msgconform-scenario: {tag}"),
            "-H 'content-type: application/json' -H 'anthropic-version: 2023-06-01'",
            '-H "x-api-key: $MSGCONFORM_MOCK_KEY"',
            "-d",
            shlex.quote(body),
        ]
    )
