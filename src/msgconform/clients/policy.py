"""A client's documented policy (suites/clients/policies/<name>.yaml): what it retries, how long it
waits, what it sends. Data, so a new client is a new file; the battery's expectations follow it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from msgconform.core.datafiles import load_validated
from msgconform.core.errors import ConfigError
from msgconform.core.paths import SUITES

POLICY_DIR = SUITES / "clients" / "policies"


@dataclass(frozen=True)
class Policy:
    name: str
    client: str
    max_retries: int
    retry_statuses: tuple[int | str, ...]
    x_should_retry: bool
    retry_after_honoured: bool
    retry_after_max_s: float
    retry_after_ms: bool
    backoff_initial_s: float
    backoff_max_s: float
    jitter_min: float
    retry_count_header: str | None
    idempotency_header: str | None
    retries_after_stream_start: bool
    partial_text_on_error: bool

    def retries_status(self, status: int, headers: dict[str, str]) -> bool:
        hint = headers.get("x-should-retry")
        if self.x_should_retry and hint in ("true", "false"):
            return hint == "true"
        return status in self.retry_statuses or (status >= 500 and "5xx" in self.retry_statuses)

    def hint_s(self, headers: dict[str, str]) -> float | None:
        """The server's wait hint the client honours, in seconds, or None (then it backs off)."""
        if not self.retry_after_honoured:
            return None
        candidates = []
        if self.retry_after_ms and "retry-after-ms" in headers:
            candidates.append(float(headers["retry-after-ms"]) / 1000)
        elif "retry-after" in headers:
            candidates.append(float(headers["retry-after"]))
        for value in candidates:
            if 0 < value <= self.retry_after_max_s:
                return value
        return None

    def backoff_window(self, retries_taken: int) -> tuple[float, float]:
        nominal = min(self.backoff_initial_s * 2**retries_taken, self.backoff_max_s)
        return nominal * self.jitter_min, nominal


def path_for(name: str) -> Path:
    candidate = Path(name)
    if candidate.suffix in (".yaml", ".yml") and candidate.is_file():
        return candidate
    path = POLICY_DIR / f"{name}.yaml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in POLICY_DIR.glob("*.yaml")))
        raise ConfigError("--policy", f"no client policy {name!r}", f"a file or one of {known}")
    return path


def load(name: str) -> Policy:
    path = path_for(name)
    data: dict[str, Any] = load_validated(path, "client-policy")
    return Policy(
        name=path.stem,
        client=str(data["client"]),
        max_retries=int(data["max_retries"]),
        retry_statuses=tuple(data["retry_statuses"]),
        x_should_retry=bool(data["x_should_retry"]),
        retry_after_honoured=bool(data["retry_after"]["honoured"]),
        retry_after_max_s=float(data["retry_after"]["max_s"]),
        retry_after_ms=bool(data["retry_after_ms"]),
        backoff_initial_s=float(data["backoff"]["initial_s"]),
        backoff_max_s=float(data["backoff"]["max_s"]),
        jitter_min=float(data["backoff"]["jitter_min"]),
        retry_count_header=data["retry_count_header"],
        idempotency_header=data.get("idempotency_header"),
        retries_after_stream_start=bool(data["retries_after_stream_start"]),
        partial_text_on_error=bool(data["partial_text_on_error"]),
    )
