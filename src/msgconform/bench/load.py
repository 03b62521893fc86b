"""Part 2: mock throughput under wrk (keep-alive, Lua POST body) at 1, 16 and 64 connections,
against the fixed-body ceiling on the same uvicorn stack; the mock's memory; 200 concurrent streams.

The servers run as separate processes pinned to core 0 and wrk to core 1 (when there are two).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from msgconform.bench.common import HEADERS, KEY, body, free_port, wait_port
from msgconform.bench.stats import Figure, Sample
from msgconform.core.paths import ROOT

LUA = ROOT / "bench" / "wrk" / "messages.lua"
CONNECTIONS = (1, 16, 64)
KINDS = ("json", "stream")
TARGET_SHARE = {"json": 0.5, "stream": 0.6}  # of the ceiling, at 16 connections
CONCURRENT = 200


class LoadUnavailable(Exception):
    """wrk or a server is missing: the part is reported as not measured."""


def pin(core: int) -> list[str]:
    if (os.cpu_count() or 1) >= 2 and shutil.which("taskset"):
        return ["taskset", "-c", str(core)]
    return []


@dataclass
class Server:
    name: str
    url: str
    proc: subprocess.Popen[bytes]

    def rss_mb(self, field: str = "VmRSS") -> float | None:
        try:
            status = Path(f"/proc/{self.proc.pid}/status").read_text()
        except OSError:
            return None
        for line in status.splitlines():
            if line.startswith(field + ":"):
                return round(int(line.split()[1]) / 1024, 1)
        return None


@contextmanager
def serving(name: str, argv: list[str], port: int) -> Iterator[Server]:
    proc = subprocess.Popen(pin(0) + argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        if not wait_port(port, 60):
            proc.kill()
            err = (proc.communicate()[1] or b"").decode(errors="replace").strip().splitlines()
            raise LoadUnavailable(f"{name} did not start: {(err or ['no output'])[-1][:200]}")
        yield Server(name, f"http://127.0.0.1:{port}", proc)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def mock_argv(port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "msgconform",
        "mock",
        "--provider",
        "mock",
        "--port",
        str(port),
        "--key",
        KEY,
    ]


def ceiling_argv(port: int, json_file: Path, sse_file: Path) -> list[str]:
    argv = [sys.executable, "-m", "msgconform.bench.ceiling", "--port", str(port)]
    return [*argv, "--json", str(json_file), "--sse", str(sse_file)]


def capture(url: str, tmp: Path) -> tuple[Path, Path, int]:
    """The mock's own answers to the bench request, for the ceiling to replay verbatim."""
    files = {}
    with httpx.Client(base_url=url, timeout=30) as client:
        for kind in KINDS:
            answer = client.post("/v1/messages", content=body(kind == "stream"), headers=HEADERS)
            if answer.status_code != 200:
                raise LoadUnavailable(
                    f"the mock answered {answer.status_code} to the bench request"
                )
            files[kind] = tmp / f"fixed.{kind}"
            files[kind].write_bytes(answer.content)
    events = files["stream"].read_bytes().count(b"\n\n")
    return files["json"], files["stream"], events


def request_files(tmp: Path) -> dict[str, Path]:
    files = {kind: tmp / f"request.{kind}.json" for kind in KINDS}
    for kind, path in files.items():
        path.write_bytes(body(kind == "stream"))
    return files


def wrk(url: str, body_file: Path, connections: int, seconds: int) -> dict[str, Any]:
    argv = [*pin(1), "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s"]
    argv += ["-s", str(LUA), url + "/v1/messages"]
    env = {**os.environ, "BENCH_BODY_FILE": str(body_file), "BENCH_KEY": KEY}
    done = subprocess.run(
        argv, capture_output=True, text=True, env=env, timeout=seconds + 60, check=False
    )
    for line in done.stdout.splitlines():
        if line.startswith("BENCH "):
            result: dict[str, Any] = json.loads(line[6:])
            result["rate"] = result["requests"] / (result["duration_us"] / 1e6)
            result["errors"] = sum(
                result[k] for k in ("connect", "read", "write", "status", "timeout")
            )
            return result
    raise LoadUnavailable(f"wrk gave no result: {(done.stderr or done.stdout).strip()[:200]}")


async def concurrent_streams(url: str, count: int) -> tuple[int, list[str]]:
    """`count` streams opened at once on `count` connections; an error is anything but a
    200 stream that ends with message_stop after 12 events."""
    limits = httpx.Limits(max_connections=count, max_keepalive_connections=count)
    content = body(True)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as client:

        async def one() -> str | None:
            try:
                answer = await client.post("/v1/messages", content=content, headers=HEADERS)
            except httpx.HTTPError as exc:
                return f"{type(exc).__name__}: {exc}"
            text = answer.text
            if answer.status_code != 200 or not text.rstrip().endswith('{"type":"message_stop"}'):
                return f"status {answer.status_code}, {text.count(chr(10) * 2)} events"
            return None

        found = await asyncio.gather(*(one() for _ in range(count)))
    problems = [p for p in found if p is not None]
    return len(problems), problems[:3]


@dataclass
class Point:
    """One (kind, connections) cell: rates and latencies of the mock and the ceiling."""

    kind: str
    connections: int
    mock: Sample
    ceiling: Sample
    mock_p50: Sample
    mock_p99: Sample
    ceiling_p50: Sample
    ceiling_p99: Sample
    errors: int = 0


def new_point(kind: str, connections: int) -> Point:
    return Point(kind, connections, Sample(), Sample(), Sample(), Sample(), Sample(), Sample())


def record(point: Point, who: str, result: dict[str, Any]) -> None:
    getattr(point, who).values.append(result["rate"])
    getattr(point, f"{who}_p50").values.append(result["p50_us"] / 1000)
    getattr(point, f"{who}_p99").values.append(result["p99_us"] / 1000)
    if who == "mock":
        point.errors += result["errors"]


def measure(repeat: int, quick: bool, log: Any = print) -> list[Figure]:
    if not shutil.which("wrk"):
        raise LoadUnavailable("wrk is not installed (Debian: apt-get install -y wrk)")
    seconds = 1 if quick else 3
    with tempfile.TemporaryDirectory(prefix="msgconform-bench-") as name:
        tmp = Path(name)
        mock_port, ceiling_port = free_port(), free_port()
        with serving("mock", mock_argv(mock_port), mock_port) as mock:
            json_file, sse_file, events = capture(mock.url, tmp)
            argv = ceiling_argv(ceiling_port, json_file, sse_file)
            requests = request_files(tmp)
            with serving("ceiling", argv, ceiling_port) as ceiling:
                idle_mb = mock.rss_mb()
                points = sweep(mock, ceiling, requests, repeat, seconds, log)
                loaded_mb, peak_mb = mock.rss_mb(), mock.rss_mb("VmHWM")
                stream_errors = Sample()
                details: list[str] = []
                for _ in range(repeat):
                    errors, details = asyncio.run(concurrent_streams(mock.url, CONCURRENT))
                    stream_errors.values.append(errors)
                log(f"{CONCURRENT} concurrent streams: {stream_errors.values} errors {details}")
    memory = {"idle_mb": idle_mb, "after_load_mb": loaded_mb, "peak_mb": peak_mb}
    return figures(points, events, memory, stream_errors, details)


def sweep(
    mock: Server, ceiling: Server, files: dict[str, Path], repeat: int, seconds: int, log: Any
) -> list[Point]:
    points = [new_point(kind, n) for kind in KINDS for n in CONNECTIONS]
    for rep in range(repeat):
        for point in points:  # mock and ceiling back to back, so noise hits both alike
            for who, server in (("mock", mock), ("ceiling", ceiling)):
                record(point, who, wrk(server.url, files[point.kind], point.connections, seconds))
            log(
                f"load {rep + 1}/{repeat} {point.kind} c={point.connections}: "
                f"mock {point.mock.values[-1]:.0f}/s, ceiling {point.ceiling.values[-1]:.0f}/s"
            )
    return points


def figures(
    points: list[Point], events: int, memory: dict[str, Any], streams: Sample, details: list[str]
) -> list[Figure]:
    out = [point_figure(p, events) for p in points]
    rss = Sample([v for v in (memory["after_load_mb"],) if v is not None])
    note = f"idle {memory['idle_mb']} MB, peak (VmHWM) {memory['peak_mb']} MB"
    out.append(Figure("mock-load", "mock RSS after load", "MB", rss, note=note, extra=memory))
    said = "; ".join(details) or "every stream 200 and ended by message_stop"
    name = f"{CONCURRENT} concurrent streams: errors"
    conc = Figure("mock-load", name, "errors", streams, note=said)
    out.append(conc.judge(lambda f: max(f.value.values) == 0, "0 errors"))
    return out


def point_figure(p: Point, events: int) -> Figure:
    unit = "req/s" if p.kind == "json" else f"streams/s ({events} events)"
    note = (
        f"p50 {p.mock_p50.median:.1f} ms (ceiling {p.ceiling_p50.median:.1f}), "
        f"p99 {p.mock_p99.median:.1f} ms (ceiling {p.ceiling_p99.median:.1f}); {p.errors} errors"
    )
    figure = Figure("mock-load", f"mock {p.kind} c={p.connections}", unit, p.mock, note=note)
    figure.baseline_name, figure.baseline = f"fixed-body ceiling {p.kind}", p.ceiling
    figure.ratio_kind = "value/baseline"
    figure.extra = {
        "mock_p50_ms": p.mock_p50.as_dict(),
        "mock_p99_ms": p.mock_p99.as_dict(),
        "ceiling_p50_ms": p.ceiling_p50.as_dict(),
        "ceiling_p99_ms": p.ceiling_p99.as_dict(),
        "mock_errors": p.errors,
    }
    if p.connections == 16:
        share, errors = TARGET_SHARE[p.kind], p.errors
        figure.judge(
            lambda f: (f.ratio or 0) >= share and errors == 0, f">= {share:.0%} of ceiling"
        )
    return figure
