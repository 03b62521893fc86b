"""Running an adapter for one scenario: the protocol's environment, stdin, one JSON line out."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import shlex
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from msgconform.clients.adapters import Shipped, shipped
from msgconform.core.errors import ConfigError

STDERR_TAIL = 2000
# Loading a runtime and an SDK on a loaded 2-core machine has taken 30 s; waiting costs nothing.
READY_TIMEOUT_S = 120.0
# Credentials of the caller's own environment never reach an adapter: it gets the mock's key only.
DROPPED_PREFIXES = ("ANTHROPIC_", "MSGCONFORM_")


@dataclass(frozen=True)
class Adapter:
    name: str
    argv: tuple[str, ...]
    policy: str
    env: dict[str, str] = field(default_factory=dict)
    # Speaks the optional lines mode: one process, one scenario per stdin line (see Worker).
    lines: bool = False


@dataclass
class AdapterRun:
    """What one adapter process left: its result line (or why there is none) and its timing."""

    output: dict[str, Any] | None
    elapsed_s: float
    exit_code: int | None
    stderr: str
    timed_out: bool = False
    problem: str | None = None
    started: float = 0.0  # time.monotonic() when the request was handed to the adapter


def resolve(spec: str, policy: str | None, lines: bool = False) -> Adapter:
    """A shipped adapter's name, or any command line (then --policy names its policy)."""
    found: Shipped | None = shipped().get(spec)
    if found is not None:
        if why := found.missing():
            raise ConfigError("--adapter", why)
        return Adapter(found.name, found.argv, policy or found.policy, dict(found.env), True)
    argv = tuple(shlex.split(spec))
    if not argv:
        raise ConfigError(
            "--adapter", "empty command", f"one of {', '.join(shipped())} or a command"
        )
    name = os.path.basename(argv[0]) or "adapter"
    return Adapter(name, argv, policy or "httpx-example", lines=lines)


def environment(adapter: Adapter, extra: dict[str, str]) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(DROPPED_PREFIXES)}
    return {**base, **adapter.env, **extra}


def run(
    adapter: Adapter, request: dict[str, Any], env: dict[str, str], timeout_s: float
) -> AdapterRun:
    started = time.monotonic()
    try:
        done = subprocess.run(
            adapter.argv, input=json.dumps(request, ensure_ascii=False), capture_output=True,
            text=True, env=environment(adapter, env), timeout=timeout_s, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired as exc:
        stderr = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else ""
        tail = stderr[-STDERR_TAIL:]
        return AdapterRun(None, time.monotonic() - started, None, tail, True, started=started)
    except OSError as exc:
        raise ConfigError("--adapter", f"cannot run {adapter.argv[0]}: {exc.strerror}") from None
    elapsed = time.monotonic() - started
    output, problem = result_line(done.stdout)
    tail = done.stderr[-STDERR_TAIL:]
    return AdapterRun(output, elapsed, done.returncode, tail, problem=problem, started=started)


def result_line(stdout: str) -> tuple[dict[str, Any] | None, str | None]:
    """The last line that is a JSON object (adapters may print other lines first)."""
    for line in reversed(stdout.strip().splitlines()):
        try:
            value = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            return value, None
    return None, "printed no JSON result line" if stdout.strip() else "printed nothing"


class Worker:
    """One long-lived adapter process in lines mode (MSGCONFORM_PROTOCOL=lines): it first prints
    `{"ready": true}`, then each stdin line is `{"env": {...}, "request": {...}}` and each answer
    one stdout line. It spares a process start
    per scenario (the Python SDK alone takes 2 s of CPU to import). A scenario that times out
    kills the process; the next call starts a new one."""

    def __init__(self, adapter: Adapter) -> None:
        self.adapter = adapter
        self.process: subprocess.Popen[str] | None = None
        self.lines: queue.Queue[str | None] = queue.Queue()
        # Closed in close(): it outlives each process the worker starts.
        self.stderr = tempfile.TemporaryFile(mode="w+", encoding="utf-8")  # noqa: SIM115

    def start(self) -> subprocess.Popen[str]:
        env = environment(self.adapter, {"MSGCONFORM_PROTOCOL": "lines"})
        self.lines = queue.Queue()
        try:
            process = subprocess.Popen(
                self.adapter.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=self.stderr, text=True, encoding="utf-8", env=env, bufsize=1,
            )  # fmt: skip
        except OSError as exc:
            raise ConfigError(
                "--adapter", f"cannot run {self.adapter.argv[0]}: {exc.strerror}"
            ) from None
        threading.Thread(target=self._read, args=(process, self.lines), daemon=True).start()
        self.process = process
        return process

    @staticmethod
    def _read(process: subprocess.Popen[str], lines: queue.Queue[str | None]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    def ready(self) -> subprocess.Popen[str] | None:
        """A running process that has said `{"ready": true}` (its runtime and client loaded), so a
        slow start on a busy machine never eats into a scenario's deadline."""
        if self.process is not None and self.process.poll() is None:
            return self.process
        process = self.start()
        try:
            line = self.lines.get(timeout=READY_TIMEOUT_S)
        except queue.Empty:
            line = None
        if line is None or (result_line(line)[0] or {}).get("ready") is not True:
            self.stop()
            return None
        return process

    def call(self, request: dict[str, Any], env: dict[str, str], timeout_s: float) -> AdapterRun:
        process = self.ready()
        if process is None:
            return AdapterRun(None, 0.0, None, self._stderr_tail(), problem="never said ready")
        started = time.monotonic()
        assert process.stdin is not None
        try:
            process.stdin.write(
                json.dumps({"env": env, "request": request}, ensure_ascii=False) + "\n"
            )
            process.stdin.flush()
        except OSError:
            return self._gone(started, "closed its input")
        deadline = started + timeout_s
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=remaining)
            except queue.Empty:
                break
            if line is None:
                return self._gone(started, "exited")
            output, _ = result_line(line)
            if output is not None:
                return AdapterRun(output, time.monotonic() - started, None, "", started=started)
        self.stop()
        tail = self._stderr_tail()
        return AdapterRun(None, time.monotonic() - started, None, tail, True, started=started)

    def _gone(self, started: float, what: str) -> AdapterRun:
        code = self.process.wait(5) if self.process else None
        self.stop()
        return AdapterRun(
            None,
            time.monotonic() - started,
            code,
            self._stderr_tail(),
            problem=f"{what} without a result",
        )

    def _stderr_tail(self) -> str:
        self.stderr.seek(0)
        return self.stderr.read()[-STDERR_TAIL:]

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            process.kill()
        process.wait(5)
        for pipe in (process.stdin, process.stdout):
            if pipe is not None:
                with contextlib.suppress(OSError):  # a broken pipe to a killed process
                    pipe.close()

    def close(self) -> None:
        if self.process is not None and self.process.stdin is not None:
            try:
                self.process.stdin.close()
                self.process.wait(5)
            except (OSError, subprocess.TimeoutExpired):
                pass
        self.stop()
        self.stderr.close()
