"""One HTTP request and what came back, exactly as seen on the wire (before any judging)."""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field
from typing import Any

SECRET_HEADERS = frozenset({"x-api-key", "authorization", "proxy-authorization", "api-key"})
REDACTED = "[REDACTED]"


@dataclass
class Chunk:
    """A piece of the body as one read returned it, with its arrival time since the request."""

    at_s: float
    data: bytes


@dataclass
class Exchange:
    label: str
    method: str
    url: str
    request_headers: dict[str, str]
    request_body: Any = None
    raw_request_body: bytes | None = None
    status: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    chunks: list[Chunk] = field(default_factory=list)
    truncated: bool = False
    # How reading ended: "eof", "first_byte_timeout", "idle_timeout", "total_timeout",
    # "close_timeout" (still open after the terminal event), "size_cap", "reset", "connect".
    ended: str = "eof"
    error: str | None = None
    elapsed_s: float = 0.0
    retries: int = 0
    # Why the request went again on a new connection (the server had closed the reused
    # keep-alive connection before any response byte), or None when it went once.
    reconnected: str | None = None
    _json: Any = field(default=None, repr=False)
    _json_done: bool = field(default=False, repr=False)

    @property
    def body(self) -> bytes:
        return b"".join(c.data for c in self.chunks)

    @property
    def content_type(self) -> str:
        return self.response_headers.get("content-type", "")

    @property
    def is_sse(self) -> bool:
        return self.content_type.split(";")[0].strip().lower() == "text/event-stream"

    @property
    def request_id(self) -> str | None:
        return self.response_headers.get("request-id") or self.response_headers.get("x-request-id")

    @property
    def first_byte_s(self) -> float | None:
        return self.chunks[0].at_s if self.chunks else None

    def json(self) -> Any:
        """The body as JSON, or None when it is not valid UTF-8 JSON (checks report that)."""
        if not self._json_done:
            self._json_done = True
            try:
                self._json = json.loads(self.body.decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError):
                self._json = None
        return self._json

    def body_text(self, limit: int = 4000) -> str:
        text = self.body[:limit].decode("utf-8", errors="replace")
        return text + (f"… ({len(self.body)} bytes)" if len(self.body) > limit else "")

    def curl(self) -> str:
        """A command that reproduces the request, with the key left as a shell variable."""
        parts = ["curl", "-sS", "-N" if self._streams() else "", "-X", self.method, self.url]
        for name, value in self.request_headers.items():
            shown = secret_placeholder(name, value)
            parts += ["-H", f"{name}: {shown}"]
        if self.raw_request_body is not None:
            parts += ["--data-binary", self.raw_request_body.decode("utf-8", errors="replace")]
        return " ".join(quote_keeping_vars(p) for p in parts if p)

    def _streams(self) -> bool:
        return isinstance(self.request_body, dict) and self.request_body.get("stream") is True


def secret_placeholder(name: str, value: str) -> str:
    lower = name.lower()
    if lower not in SECRET_HEADERS:
        return value
    scheme = value.split(" ", 1)[0] + " " if " " in value else ""
    return f"{scheme}$API_KEY"


def quote_keeping_vars(part: str) -> str:
    # Double quotes let $API_KEY expand in the reader's shell; everything else is single-quoted.
    if "$API_KEY" in part:
        return '"' + part.replace("\\", "\\\\").replace('"', '\\"').replace("`", "\\`") + '"'
    return shlex.quote(part)
