"""The client record is the run record, written by the one writer (report/evidence.py): the same
line shape as a provider case plus what the client returned, each failure naming its exchange;
and a client record written before that (no `exchange` in its failures) still renders."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import jsonschema
import pytest

from msgconform.cli import main
from msgconform.clients.adapter import Adapter
from msgconform.clients.battery import Battery
from msgconform.clients.policy import load as load_policy
from msgconform.clients.scenarios import load_all
from msgconform.core.datafiles import meta_schema
from msgconform.core.profiles import Profile
from msgconform.report.record import load_run

BROKEN = Path(__file__).parent / "broken_adapter.py"
# A python-sdk battery record from before the client record used report/evidence.py (4 of its
# 41 scenarios: two XFAIL, a retried one, a passing one), as `msgconform clients` wrote it.
OLD_RUN = Path(__file__).parents[1] / "fixtures" / "runs" / "client-old" / "20261204T124129Z"


def test_an_old_client_record_still_renders(tmp_path: Path) -> None:
    assert main(["report", str(OLD_RUN), "--out-dir", str(tmp_path)]) == 0
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert 'data-kind="client"' in html
    assert "What the client returned" in html
    for case in load_run(OLD_RUN).cases:
        assert case["id"] in html
    junit = (tmp_path / "junit.xml").read_text(encoding="utf-8")
    assert junit.count("<testcase ") == 4


def test_a_new_client_record_has_the_old_shape_and_names_each_failures_exchange(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    adapter = f"{shlex.quote(sys.executable)} {shlex.quote(str(BROKEN))} x_api_key_always"
    only = ["--only", "auth-bearer"]
    argv = ["clients", "--adapter", adapter, "--label", "new", "--out", str(tmp_path), *only]
    assert main(argv) == 1
    capsys.readouterr()
    new_run = load_run(tmp_path / "new" / "latest")
    (case,) = new_run.cases
    old = next(c for c in load_run(OLD_RUN).cases if c["id"] == case["id"])
    assert set(case) == set(old)
    assert [set(e) for e in case["evidence"]] == [set(e) for e in old["evidence"]]
    assert case["outcome"] == "FAIL"
    assert (case["requests"], case["retries"], case["output_tokens"]) == (1, 0, 0)
    labels = {e["label"] for e in case["evidence"]}
    named = [f["exchange"] for f in case["failures"] if f["check"] == "client_auth_scheme"]
    assert named
    assert set(named) <= labels
    assert case["evidence"][0]["label"].startswith("attempt 1 at +")
    assert "x-msgconform-scenario: client:auth-bearer:replay1" in case["evidence"][0]["curl"]
    validator = jsonschema.Draft202012Validator(meta_schema("run-record"))
    for line in (tmp_path / "new" / "latest" / "results.jsonl").read_text().splitlines():
        validator.validate(json.loads(line))


def test_a_retry_too_soon_names_the_early_attempt(mock_profile: Profile) -> None:
    adapter = Adapter("no_backoff", (sys.executable, str(BROKEN), "no_backoff"), "httpx-example")
    battery = Battery(adapter, load_policy(adapter.policy), mock_profile, jobs=1)
    (result,) = battery.run([s for s in load_all() if s.id == "overloaded-backoff"])
    waits = [f for f in result.failures if f.check == "client_retry_wait"]
    assert result.outcome == "FAIL"
    assert waits
    assert {f.exchange for f in waits} <= set(result.exchanges)
    assert waits[0].exchange is not None
    assert waits[0].exchange.startswith("attempt 2 at +")
