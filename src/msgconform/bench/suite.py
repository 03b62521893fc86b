"""Part 1: the full conformance run against the mock (`msgconform run` in a subprocess, as a user
runs it) against a plain loop of as many raw httpx requests to the mock in this process (the
suite's mock also runs in-process, a uvicorn thread beside the client); and the nightly
`--explore deep` run (seed fixed) against the plain one."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from msgconform.bench.common import KEY, raw_loop_seconds
from msgconform.bench.stats import Figure, Sample
from msgconform.core.profiles import load as load_profile


class SuiteBroken(Exception):
    """The run wrote no record: nothing to time."""


DEEP_SEED = 20261204
DEEP = ("--explore", "deep", "--seed", str(DEEP_SEED))
# A deep run takes about a minute (schemathesis drawing is most of it): at most this many.
DEEP_REPEAT = 3


def run_suite(out: Path, extra: tuple[str, ...] = ()) -> tuple[float, dict[str, Any], int]:
    argv = [
        sys.executable,
        "-m",
        "msgconform",
        "run",
        "--provider",
        "mock",
        "--out",
        str(out),
        "-q",
        *extra,
    ]
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    found = footer(out)
    if not found.get("requests"):
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise SuiteBroken(f"msgconform run exit {done.returncode}, no record: {tail[0][:200]}")
    return wall, found, done.returncode


def footer(out: Path) -> dict[str, Any]:
    found = sorted(out.glob("mock/*/results.jsonl"))
    if not found:
        return {}
    last = found[-1].read_text(encoding="utf-8").strip().splitlines()[-1]
    record: dict[str, Any] = json.loads(last)
    return record if record.get("kind") == "footer" else {}


def measure(repeat: int, quick: bool, log: Any = print) -> list[Figure]:
    from msgconform.mock.server import MockServer

    wall, engine, raw = Sample(), Sample(), Sample()
    requests, statuses, counts = 0, set[int](), {}
    broken = ""
    with (
        tempfile.TemporaryDirectory(prefix="msgconform-bench-") as tmp,
        MockServer(load_profile("mock"), KEY) as server,
    ):
        for i in range(repeat):
            try:
                seconds, foot, status = run_suite(Path(tmp) / str(i))
            except SuiteBroken as exc:
                broken = str(exc)
                log(f"suite: {broken}")
                break
            requests = int(foot.get("requests", 0))
            wall.values.append(seconds)
            engine.values.append(float(foot.get("duration_s", 0.0)))
            statuses.add(status)
            counts = foot.get("counts", {})
            raw.values.append(raw_loop_seconds(server.url, max(requests, 1)))
            log(
                f"suite: {seconds:.1f} s wall, {requests} requests, raw loop {raw.values[-1]:.2f} s"
            )
    note = broken or f"{requests} requests; exit {sorted(statuses)}; outcomes {counts}"
    found = figures(wall, engine, raw, requests, note)
    if not broken:
        found.append(deep_figure(min(repeat, DEEP_REPEAT), wall, log))
    return found


def deep_figure(repeat: int, plain: Sample, log: Any) -> Figure:
    """`--explore deep`: the plain run plus schemathesis' negative examples (fuzz/deep.py)."""
    wall, note = Sample(), ""
    with tempfile.TemporaryDirectory(prefix="msgconform-bench-deep-") as tmp:
        for i in range(repeat):
            try:
                seconds, foot, status = run_suite(Path(tmp) / str(i), DEEP)
            except SuiteBroken as exc:
                note = str(exc)
                break
            wall.values.append(seconds)
            note = f"{foot.get('requests')} requests; exit {status}; outcomes {foot.get('counts')}"
            log(f"suite --explore deep: {seconds:.1f} s wall, {foot.get('requests')} requests")
    name = f"msgconform run {' '.join(DEEP)} (subprocess) wall"
    figure = Figure("suite", name, "s", wall, "the same run without --explore", plain)
    figure.ratio_kind, figure.note = "value/baseline", note
    return figure


def figures(wall: Sample, engine: Sample, raw: Sample, requests: int, note: str) -> list[Figure]:
    raw_name = f"{requests} raw httpx requests"
    whole = Figure("suite", "msgconform run (subprocess) wall", "s", wall, raw_name, raw)
    whole.ratio_kind, whole.note = "value/baseline", note
    whole.judge(lambda f: f.value.median < 20 and (f.ratio or 99) < 3, "< 20 s and < 3x raw")
    inner = Figure("suite", "cases only (engine time in the record)", "s", engine, raw_name, raw)
    inner.ratio_kind = "value/baseline"
    inner.note = "footer duration_s: without interpreter start, collection, reports"
    return [whole, inner]
