"""The runner as people meet it: `msgconform run` and plain `pytest suites`; statuses, files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from msgconform.cli import main
from msgconform.core.paths import ROOT


def run_dir(out: Path, provider: str = "mock") -> Path:
    latest = out / provider / "latest"
    return latest.resolve() if latest.is_symlink() else out / provider / latest.read_text().strip()


def test_list_prints_cases_with_clauses_and_sends_nothing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["run", "--provider", "baseten", "--list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert any(line.startswith("auth/AUTH-001/") for line in lines)
    assert any("SKIP" in line and "count_tokens" in line for line in lines)


def test_dry_run_prints_the_plan_and_its_cost(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--provider", "baseten", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "requests" in out
    assert "output tokens" in out


def test_unknown_only_selector_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--provider", "mock", "--only", "no-such-area", "-q"]) == 2
    assert "no case matches no-such-area" in capsys.readouterr().err


def test_clean_mock_run_exits_zero_and_writes_the_three_reports(tmp_path: Path) -> None:
    assert main(["run", "--provider", "mock", "--only", "auth", "--out", str(tmp_path), "-q"]) == 0
    written = {p.name for p in run_dir(tmp_path).iterdir()}
    assert {"results.jsonl", "junit.xml", "report.html"} <= written


def test_a_fault_the_suite_catches_exits_one(tmp_path: Path) -> None:
    argv = ["run", "--provider", "mock", "--only", "streaming", "--mock-fault",
            "drop_message_stop", "--out", str(tmp_path), "-q"]  # fmt: skip
    assert main(argv) == 1


def test_the_lenient_variant_has_no_fail_through_the_command(tmp_path: Path) -> None:
    # The whole suite, as a user runs it, against a correct server lenient on inferred rules.
    argv = ["run", "--provider", "mock", "--mock-fault", "lenient_request_rules",
            "--out", str(tmp_path), "-q"]  # fmt: skip
    assert main(argv) == 0
    lines = (run_dir(tmp_path) / "results.jsonl").read_text().splitlines()
    outcomes = [json.loads(line).get("outcome") for line in lines]
    assert "FAIL" not in outcomes
    assert "NON-STRICT" in outcomes


def test_plain_pytest_is_the_same_run(tmp_path: Path) -> None:
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    argv = [sys.executable, "-m", "pytest", "suites", "-p", "msgconform.runner.plugin",
            "--provider", "mock", "--only", "stop_reason", "--out", str(tmp_path)]  # fmt: skip
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout[-2000:]
    assert "msgconform: mock" in done.stdout


AREAS = ["auth", "headers", "request", "response_shape", "stop_reason", "usage", "errors",
         "endpoints", "streaming"]  # fmt: skip


@pytest.mark.parametrize("provider", ["baseten", "cortecs", "anthropic"])
def test_each_live_profile_passes_against_its_own_emulation(tmp_path: Path, provider: str) -> None:
    """Profile, overlay and expectations agree: the mock emulating a provider passes its suite."""
    only = [arg for area in AREAS for arg in ("--only", area)]
    argv = ["run", "--provider", provider, "--against-mock", *only, "--out", str(tmp_path), "-q"]
    assert main(argv) == 0
