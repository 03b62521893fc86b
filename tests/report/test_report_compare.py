"""compare, diff and report: the commands over run records."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from urllib.parse import unquote

import pytest

from msgconform.cli import main
from msgconform.report import compare, diff
from msgconform.report.record import load_run

RUNS = Path(__file__).parents[1] / "fixtures" / "runs"
CLEAN = RUNS / "mock" / "20260101T000000Z"
FAULT = RUNS / "mock-fault" / "20260101T010000Z"


def copy_run(src: Path, dest: Path, **header: object) -> Path:
    """A copy of a fixture run under dest/<provider>/<stamp>, with header fields replaced."""
    lines = (src / "results.jsonl").read_text().splitlines()
    first = {**json.loads(lines[0]), **header}
    run_dir = dest / str(first["provider"]) / src.name
    run_dir.mkdir(parents=True)
    (run_dir / "results.jsonl").write_text("\n".join([json.dumps(first), *lines[1:]]) + "\n")
    return run_dir


def test_matrix_rows_are_the_union_of_cases() -> None:
    rows = compare.rows([load_run(CLEAN), load_run(FAULT)])
    by_id = {r.case_id: r.outcomes for r in rows}
    assert by_id["stop_reason/STOP-001/end-turn"] == ("PASS", "FAIL")
    assert by_id["auth/AUTH-001/missing-key"] == ("MISSING", "PASS")
    assert [r.case_id for r in rows] == sorted(by_id)


def test_same_provider_twice_is_labelled_by_stamp(tmp_path: Path) -> None:
    other = copy_run(CLEAN, tmp_path / "x")
    shutil.move(other, other.parent / "20260102T000000Z")
    runs = [load_run(CLEAN), load_run(other.parent / "20260102T000000Z")]
    assert compare.labels(runs) == ["mock@20260101T000000Z", "mock@20260102T000000Z"]


def test_cli_compare_writes_html_and_markdown(tmp_path: Path) -> None:
    out, md = tmp_path / "cmp.html", tmp_path / "cmp.md"
    argv = ["compare", str(CLEAN), str(FAULT), "--out", str(out), "--markdown", str(md)]
    assert main(argv) == 0
    page = out.read_text()
    assert 'id="rate-0">80%' in page
    assert 'id="rate-1">40%' in page
    assert "report.html#case-stop_reason/STOP-001/end-turn" in page
    table = md.read_text()
    assert "| stop_reason | STOP-001 | end-turn ≠ | [PASS](" in table
    assert "| | | **pass rate** | 80% | 40% |" in table
    assert "| auth | AUTH-001 | missing-key ≠ | not run | [PASS](" in table


def test_matrix_links_land_on_case_rows(tmp_path: Path) -> None:
    runs = [copy_run(CLEAN, tmp_path), copy_run(FAULT, tmp_path)]
    for run_dir in runs:
        assert main(["report", str(run_dir)]) == 0
    out = tmp_path / "views" / "compare.html"
    assert main(["compare", *map(str, runs), "--out", str(out)]) == 0
    links = re.findall(r'href="([^"#]+)#([^"]+)"', out.read_text())
    assert len(links) == 14  # 7 cases in each run
    for target, fragment in links:
        page = (out.parent / unquote(target)).read_text()
        assert f'id="{unquote(fragment)}"' in page


@pytest.mark.parametrize("field", ["suite_hash", "schema_hash"])
def test_compare_refuses_mixed_runs_and_says_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], field: str
) -> None:
    other = copy_run(FAULT, tmp_path, **{field: "d" * 64})
    argv = ["compare", str(CLEAN), str(other), "--out", str(tmp_path / "c.html")]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert field in err
    assert "--allow-mixed" in err
    assert main([*argv, "--allow-mixed"]) == 0


def test_diff_sorts_changes_and_flags_regressions() -> None:
    result = diff.diff(load_run(CLEAN), load_run(FAULT))
    assert [c.id for c in result.regressed] == [
        "errors/ERR-001/invalid-request",
        "stop_reason/STOP-001/end-turn",
    ]
    assert [c.id for c in result.changed] == ["streaming/STREAM-001/text-stream"]
    assert [c.id for c in result.new] == ["auth/AUTH-001/missing-key"]
    assert [c.id for c in result.removed] == ["stop_reason/STOP-002/max-tokens"]


def test_diff_exit_status(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", str(CLEAN), str(FAULT)]) == 1
    assert "regressed (2)" in capsys.readouterr().out
    assert main(["diff", str(FAULT), str(CLEAN), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["regression"] is False
    fixed = [c["id"] for c in data["fixed"]]
    assert fixed == ["stop_reason/STOP-001/end-turn", "streaming/STREAM-001/text-stream"]


def test_cli_report_rerenders_the_views(tmp_path: Path) -> None:
    run_dir = copy_run(FAULT, tmp_path)
    assert main(["report", str(run_dir / "results.jsonl")]) == 0
    assert {p.name for p in run_dir.iterdir()} == {
        "results.jsonl",
        "junit.xml",
        "report.html",
        "badge.svg",
    }
    assert "40% mock-fault" in (run_dir / "badge.svg").read_text()


@pytest.mark.parametrize("command", ["report", "diff", "compare"])
def test_bad_input_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    bad = tmp_path / "results.jsonl"
    bad.write_text("{}\n")
    argv = {"report": [str(bad)], "diff": [str(CLEAN), str(bad)], "compare": [str(tmp_path / "x")]}
    assert main([command, *argv[command]]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("msgconform: ")
