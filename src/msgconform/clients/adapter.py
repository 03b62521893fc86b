"""Running an adapter for one scenario: the protocol's environment, stdin, one JSON line out."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import time
from dataclasses import dataclass, field
from typing import Any

from msgconform.clients.adapters import Shipped, shipped
from msgconform.core.errors import ConfigError

STDERR_TAIL = 2000
# Credentials of the caller's own environment never reach an adapter: it gets the mock's key only.
DROPPED_PREFIXES = ("ANTHROPIC_", "MSGCONFORM_")


@dataclass(frozen=True)
class Adapter:
    name: str
    argv: tuple[str, ...]
    policy: str
    env: dict[str, str] = field(default_factory=dict)


@dataclass
class AdapterRun:
    """What one adapter process left: its result line (or why there is none) and its timing."""

    output: dict[str, Any] | None
    elapsed_s: float
    exit_code: int | None
    stderr: str
    timed_out: bool = False
    problem: str | None = None


def resolve(spec: str, policy: str | None) -> Adapter:
    """A shipped adapter's name, or any command line (then --policy names its policy)."""
    found: Shipped | None = shipped().get(spec)
    if found is not None:
        if why := found.missing():
            raise ConfigError("--adapter", why)
        return Adapter(found.name, found.argv, policy or found.policy, dict(found.env))
    argv = tuple(shlex.split(spec))
    if not argv:
        raise ConfigError("--adapter", "empty command", f"one of {', '.join(shipped())} or a command")
    name = os.path.basename(argv[0]) or "adapter"
    return Adapter(name, argv, policy or "httpx-example")


def environment(adapter: Adapter, extra: dict[str, str]) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(DROPPED_PREFIXES)}
    return {**base, **adapter.env, **extra}


def run(adapter: Adapter, request: dict[str, Any], env: dict[str, str], timeout_s: float) -> AdapterRun:
    started = time.monotonic()
    try:
        done = subprocess.run(
            adapter.argv, input=json.dumps(request, ensure_ascii=False), capture_output=True,
            text=True, env=environment(adapter, env), timeout=timeout_s, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired as exc:
        stderr = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else ""
        return AdapterRun(None, time.monotonic() - started, None, stderr[-STDERR_TAIL:], True)
    except OSError as exc:
        raise ConfigError("--adapter", f"cannot run {adapter.argv[0]}: {exc.strerror}") from None
    elapsed = time.monotonic() - started
    output, problem = result_line(done.stdout)
    return AdapterRun(output, elapsed, done.returncode, done.stderr[-STDERR_TAIL:], problem=problem)


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
