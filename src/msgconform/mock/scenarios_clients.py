"""Scripted scenarios that judge client libraries (`msgconform clients`), served by the mock.

A client reaches one in either of two ways:
- its base URL is `http://HOST:PORT/_msgconform/clients/<scenario-id>/<token>` (what the battery
  gives an adapter, so no client needs to send anything special); or
- it sends `x-msgconform-scenario: client:<scenario-id>[:<tag>]` (a client's own tests).

The script is data: the `serve` list of a scenario in suites/clients/*.yaml, one entry per attempt
(the last one repeats): an `error` (status, type, headers, or a raw body) or a `reply` (the
scenario's `message`, as JSON or as a stream with wire options: pings, inserted events, CRLF,
comments, UTF-8 split across writes, pauses, an error event, a clean cut or a reset).
Every request under a scenario is kept in the ClientLog with its arrival time, headers, body and
the status answered, so the battery judges retries and waits from the mock's own clock.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from msgconform.core.datafiles import load_yaml
from msgconform.core.paths import SUITES
from msgconform.mock.hooks import Ctx, ErrorOut
from msgconform.mock.reply import JSON_TYPE, SSE_TYPE, Reply, error
from msgconform.mock.scenarios import wait_disconnect
from msgconform.mock.wire import Ending, StreamOptions, dumps, stream_steps, usage

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

PREFIX = "/_msgconform/clients/"
NAME = "client"
HEADER = b"x-msgconform-scenario"
SCENARIO_DIR = SUITES / "clients"
ERROR_BODY_LIMIT = 4096
# A pause between the pieces of a split write, so they leave (and, on a busy machine, are read)
# as separate TCP segments.
SPLIT_PAUSE_S = 0.02
DEFAULT_MESSAGE: dict[str, Any] = {
    "content": [{"type": "text", "text": "Hello from the mock: ünïcødé ✓ 🌍 done."}],
    "stop_reason": "end_turn",
    "usage": {"input_tokens": 12, "output_tokens": 9},
}


@dataclass
class Logged:
    """One request under a client scenario, as the mock saw it (times are time.monotonic())."""

    key: str
    arrived: float
    method: str
    path: str
    headers: dict[str, str]
    body: bytearray = field(default_factory=bytearray)
    status: int | None = None
    responded: float | None = None
    ended: float | None = None
    response: bytearray = field(default_factory=bytearray)

    @property
    def finished(self) -> float:
        """When the client could start waiting: the end of the response, or what came of it."""
        return self.ended or self.responded or self.arrived


class ClientLog:
    """Requests per scenario key (`client:<id>:<token>`), in arrival order; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_key: dict[str, list[Logged]] = {}

    def add(self, entry: Logged) -> None:
        with self._lock:
            self._by_key.setdefault(entry.key, []).append(entry)

    def entries(self, key: str) -> list[Logged]:
        with self._lock:
            return list(self._by_key.get(key, []))

    def attempt(self, key: str) -> int:
        """The 0-based number of the latest request under `key`."""
        with self._lock:
            return max(0, len(self._by_key.get(key, [])) - 1)

    def forget(self, key: str) -> None:
        with self._lock:
            self._by_key.pop(key, None)


def key_for(scenario_id: str, token: str) -> str:
    return f"{NAME}:{scenario_id}:{token}"


def enter(
    log: ClientLog, scope: Scope, receive: Receive, send: Send
) -> tuple[Scope, Receive, Send]:
    """Route a base-URL scenario to its header form and log the request; others pass untouched."""
    if scope.get("type") != "http":
        return scope, receive, send
    original = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
    path = str(scope.get("path", ""))
    key = original.get(HEADER.decode(), "")
    if path.startswith(PREFIX):
        scenario_id, _, rest = path.removeprefix(PREFIX).partition("/")
        token, _, tail = rest.partition("/")
        key = key_for(scenario_id, token)
        headers = [(k, v) for k, v in scope["headers"] if k.lower() != HEADER]
        scope = {**scope, "path": "/" + tail, "raw_path": ("/" + tail).encode(), "headers": headers}
        scope["headers"].append((HEADER, key.encode()))
    if not key.startswith(NAME + ":"):
        return scope, receive, send
    entry = Logged(key, time.monotonic(), str(scope["method"]), str(scope["path"]), original)
    log.add(entry)
    return scope, _logged_receive(entry, receive), _logged_send(entry, send)


def _logged_receive(entry: Logged, receive: Receive) -> Receive:
    async def logged() -> MutableMapping[str, Any]:
        message = await receive()
        if message["type"] == "http.request":
            entry.body += message.get("body", b"")
        return message

    return logged


def _logged_send(entry: Logged, send: Send) -> Send:
    async def logged(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            entry.status, entry.responded = int(message["status"]), time.monotonic()
        elif message["type"] == "http.response.body":
            if (entry.status or 0) >= 400 and len(entry.response) < ERROR_BODY_LIMIT:
                entry.response += message.get("body", b"")
            if not message.get("more_body"):
                entry.ended = time.monotonic()
        await send(message)

    return logged


@cache
def scripts() -> dict[str, dict[str, Any]]:
    """Every client scenario by id, as written in suites/clients/*.yaml."""
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(SCENARIO_DIR.glob("*.yaml")):
        data = load_yaml(path) or {}
        for entry in data.get("scenarios", []):
            found[str(entry["id"])] = entry
    return found


async def serve(key: str, ctx: Ctx, reply: Reply, log: ClientLog) -> None:
    """Answer one attempt of the scenario named in `key` (`client:<id>[:<token>]`)."""
    scenario_id = key.split(":")[1] if key.count(":") >= 1 else ""
    script = scripts().get(scenario_id)
    if script is None:
        await reply.error(
            error(400, f"x-msgconform-scenario: unknown client scenario {scenario_id!r}")
        )
        return
    if (problem := auth_problem(script.get("auth"), ctx.headers)) is not None:
        await reply.error(problem)
        return
    steps = script["serve"]
    step = steps[min(log.attempt(key), len(steps) - 1)]
    if "error" in step:
        await reply.error(scripted_error(step["error"]))
        return
    wire: dict[str, Any] = step.get("reply") or {}
    body = ctx.body if isinstance(ctx.body, dict) else {}
    model = str(body.get("model") or "mock-sonnet")
    message = build_message(script.get("message"), model, scenario_id)
    if wire.get("first_byte_s") and await wait_disconnect(ctx.receive, float(wire["first_byte_s"])):
        return
    if not ctx.stream or wire.get("json_body"):
        await reply.whole(200, JSON_TYPE, dumps(message))
        return
    await reply.start(200, SSE_TYPE, {"cache-control": "no-cache"})
    await reply.steps(stream_steps(message, stream_options(wire)))


def auth_problem(scheme: str | None, headers: Any) -> ErrorOut | None:
    """A scenario that emulates a provider wanting exactly one scheme refuses the other."""
    if scheme is None:
        return None
    bearer = str(headers.get("authorization", "")).startswith("Bearer ")
    has_key = "x-api-key" in headers
    ok = (bearer and not has_key) if scheme == "bearer" else (has_key and not bearer)
    if ok:
        return None
    wanted = "Authorization: Bearer" if scheme == "bearer" else "x-api-key"
    return error(401, f"this provider accepts only {wanted}")


def scripted_error(spec: dict[str, Any]) -> ErrorOut:
    status = int(spec["status"])
    headers = {str(k): str(v) for k, v in (spec.get("headers") or {}).items()}
    raw = spec.get("body")
    return ErrorOut(
        status,
        str(spec.get("type", "api_error")),
        str(spec.get("message", f"scripted {status}")),
        headers,
        raw.encode() if isinstance(raw, str) else None,
        str(spec.get("content_type", "application/json")),
    )


def build_message(spec: dict[str, Any] | None, model: str, scenario_id: str) -> dict[str, Any]:
    """The Message the scenario serves; the battery expects the client to build exactly this."""
    spec = spec or DEFAULT_MESSAGE
    content = [expand(block) for block in spec["content"]]
    counts = spec["usage"]
    return {
        "id": "msg_01" + hashlib.sha256(scenario_id.encode()).hexdigest()[:22],
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": spec.get("stop_reason", "end_turn"),
        "stop_sequence": spec.get("stop_sequence"),
        "usage": usage(int(counts["input_tokens"]), int(counts["output_tokens"])),
    }


def expand(block: dict[str, Any]) -> dict[str, Any]:
    """`repeat: {text, times}` spells a long text without writing it out."""
    if "repeat" not in block:
        return dict(block)
    spec = block["repeat"]
    out = {k: v for k, v in block.items() if k != "repeat"}
    out["text"] = str(spec["text"]) * int(spec["times"])
    return out


def stream_options(wire: dict[str, Any]) -> StreamOptions:
    """A `reply`'s wire options (suites/clients/*.yaml) as mock/wire.py's StreamOptions."""
    gap = wire.get("gap")
    return StreamOptions(
        pings="everywhere" if wire.get("pings") else "none",
        start_usage={"output_tokens": 1, **(wire.get("start_usage") or {})},
        delta_usage=wire.get("delta_usage") or None,
        text_deltas="chars" if wire.get("text_deltas") == "chars" else "words",
        json_deltas="whole",
        json_fragments={int(k): list(v) for k, v in (wire.get("json_fragments") or {}).items()},
        insert=[
            (int(item["after"]), (str(item["event"]), dict(item["data"])))
            for item in wire.get("insert") or []
        ],
        newline=b"\r\n" if wire.get("newline") == "crlf" else b"\n",
        comment=b": keepalive" if wire.get("comments") else b"",
        gap=(int(gap["after"]), float(gap["seconds"])) if gap else None,
        split_utf8=bool(wire.get("split_utf8")),
        split_pause_s=SPLIT_PAUSE_S,
        ending=ending(wire),
    )


def ending(wire: dict[str, Any]) -> Ending | None:
    """Where the scenario cuts the stream short: a clean end, a reset, or an error event."""
    if "cut_after" in wire:
        return Ending("cut", int(wire["cut_after"]))
    if "reset_after" in wire:
        return Ending("reset", int(wire["reset_after"]))
    if "error_after" in wire:
        spec = wire.get("error") or {"type": "overloaded_error", "message": "Overloaded"}
        return Ending("error", int(wire["error_after"]), (str(spec["type"]), str(spec["message"])))
    return None
