"""The servers the load part measures (the mock, the fixed-body ceiling, the peer), each a process
pinned to core 0, and wrk pinned to core 1 (when there are two): one run, with the server's CPU."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from msgconform.bench.common import HEADERS, KEY, body, wait_port
from msgconform.core.paths import ROOT

LUA = ROOT / "bench" / "wrk" / "messages.lua"
KINDS = ("json", "stream")


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

    def cpu_seconds(self) -> float | None:
        """User + system CPU of the process (every thread) so far; None where /proc is absent."""
        try:
            stat = Path(f"/proc/{self.proc.pid}/stat").read_text()
        except OSError:
            return None
        fields = stat.rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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
        if proc.stderr is not None:
            proc.stderr.close()


def mock_argv(port: int) -> list[str]:
    return [
        sys.executable, "-m", "msgconform", "mock", "--provider", "mock", "--port", str(port),
        "--key", KEY,
    ]  # fmt: skip


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


def wrk(server: Server, body_file: Path, connections: int, seconds: int) -> dict[str, Any]:
    """One wrk run: its rate, latencies and errors, and the server's CPU per request (µs), which
    the other processes on the machine disturb less than the rate."""
    argv = [*pin(1), "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s"]
    argv += ["-s", str(LUA), server.url + "/v1/messages"]
    env = {**os.environ, "BENCH_BODY_FILE": str(body_file), "BENCH_KEY": KEY}
    before = server.cpu_seconds()
    done = subprocess.run(
        argv, capture_output=True, text=True, env=env, timeout=seconds + 60, check=False
    )
    after = server.cpu_seconds()
    for line in done.stdout.splitlines():
        if line.startswith("BENCH "):
            result: dict[str, Any] = json.loads(line[6:])
            result["rate"] = result["requests"] / (result["duration_us"] / 1e6)
            result["errors"] = sum(
                result[k] for k in ("connect", "read", "write", "status", "timeout")
            )
            if before is not None and after is not None and result["requests"]:
                result["cpu_us"] = (after - before) * 1e6 / result["requests"]
            return result
    raise LoadUnavailable(f"wrk gave no result: {(done.stderr or done.stdout).strip()[:200]}")
