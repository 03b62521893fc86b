"""A battery run as a run record (results.jsonl, then junit.xml, report.html, badge.svg), the same
files a provider run writes, with `run_kind: client` and what each client returned."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from msgconform.clients.battery import Battery, ScenarioResult
from msgconform.core.paths import REPORTS
from msgconform.core.redact import Redactor
from msgconform.report.evidence import case_record
from msgconform.report.record import RunRecorder, compute_hashes
from msgconform.report.write import publish

CLIENT_REPORTS = REPORTS / "clients"


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
    """The run record's case line (report/evidence.py, as for a provider case), with what the
    client returned; the tokens in the mock's scripted answers cost nothing, so none are counted."""
    client_result = result.run.output if result.run else None
    return case_record(result) | {"output_tokens": 0, "client_result": client_result}
