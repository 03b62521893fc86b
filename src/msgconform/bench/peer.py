"""The third-party peer `make bench` measures beside the mock: aimock (@copilotkit/aimock, Node.js),
the fastest other mock of this API we know, installed by `make bench-peer` into bench/peer/.

It answers from a fixture: the text the mock gives the bench request, cut into as many deltas as
make its stream as many events as the mock's (aimock sends no ping, so one delta more), so both
streams carry the same events and about the same bytes. It checks nothing in the request."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import httpx

from msgconform.bench.common import HEADERS, body
from msgconform.core.paths import ROOT

NAME = "aimock"
PACKAGE = "@copilotkit/aimock"
HOME = ROOT / "bench" / "peer"
CLI = HOME / "node_modules" / "@copilotkit" / "aimock" / "dist" / "cli.js"
# message_start, content_block_start, content_block_stop, message_delta, message_stop.
FRAME_EVENTS = 5


def missing() -> str | None:
    """Why the peer cannot run here, or None."""
    if not shutil.which("node"):
        return "node not found (the peer is aimock on Node.js)"
    if not CLI.exists():
        return f"{PACKAGE} not installed (make bench-peer)"
    return None


def version() -> str:
    manifest = CLI.parents[1] / "package.json"
    return str(json.loads(manifest.read_text(encoding="utf-8")).get("version", "?"))


def chunk_size(text: str, events: int) -> int:
    """aimock's --chunk-size that streams `text` as `events` events in all."""
    deltas = max(1, events - FRAME_EVENTS)
    return max(1, math.ceil(len(text) / deltas))


def write_fixture(folder: Path, text: str) -> Path:
    """One fixture: the bench request's user message answered with `text`."""
    folder.mkdir(parents=True, exist_ok=True)
    fixture = {"fixtures": [{"match": {"userMessage": "Hi"}, "response": {"content": text}}]}
    (folder / "bench.json").write_text(json.dumps(fixture), encoding="utf-8")
    return folder


def argv(port: int, fixtures: Path, chunk: int) -> list[str]:
    node = shutil.which("node") or "node"
    return [
        node, str(CLI), "--port", str(port), "--host", "127.0.0.1", "--fixtures", str(fixtures),
        "--chunk-size", str(chunk), "--log-level", "silent",
    ]  # fmt: skip


def reply_text(json_answer: bytes) -> str:
    """The text of the mock's non-streaming answer (its one text block)."""
    message = json.loads(json_answer)
    return "".join(b.get("text", "") for b in message["content"] if b.get("type") == "text")


def stream_events(url: str) -> int:
    """How many events the server at `url` streams for the bench request."""
    with httpx.Client(base_url=url, timeout=30) as client:
        answer = client.post("/v1/messages", content=body(True), headers=HEADERS)
    return answer.content.count(b"\n\n") if answer.status_code == 200 else 0
