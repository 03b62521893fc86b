"""`make bench` keeps working: one cheap part runs and writes a valid report (nothing is timed)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from msgconform.bench import streamval
from msgconform.bench.__main__ import main


def test_quick_stream_validation_writes_valid_json(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    argv = ["-m", "msgconform.bench", "--quick", "--only", "stream-validation", "--out", str(out)]
    done = subprocess.run([sys.executable, *argv], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["machine"]["nproc"] >= 1
    [part] = report["parts"]
    assert part["part"] == "stream-validation"
    assert part["measured"]
    first = part["figures"][0]
    assert first["value"]["median"] > 0
    assert first["baseline"]["median"] > 0
    assert first["met"] in (True, False)
    assert "parser+grammar+schema" in done.stdout


def test_synthetic_stream_is_valid_for_the_grammar() -> None:
    figures = streamval.measure(1, True, log=lambda line: None)
    assert "valid stream" in figures[0].note, figures[0].note


def test_unknown_part_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--only", "nope"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert "unknown part 'nope'" in err[0]
