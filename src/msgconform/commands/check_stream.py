"""`msgconform check-stream FILE.sse`: judge a captured stream without a live endpoint."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from msgconform.checks import REGISTRY, CaseContext, ConformanceFailure
from msgconform.contract.document import Contract
from msgconform.core import clauses, profiles
from msgconform.core.errors import ConfigError
from msgconform.core.exchange import Chunk, Exchange

# The checks a capture can answer: no timing, no second exchange, no request to compare with.
CAPTURE_CHECKS = (
    "stream_event_names",
    "stream_no_done",
    "stream_json_payloads",
    "stream_message_start",
    "stream_block_indices",
    "stream_unstarted_index",
    "stream_delta_types",
    "stream_tool_input",
    "stream_signature",
    "stream_message_delta",
    "stream_stop_sequence",
    "stream_usage_cumulative",
    "stream_message_stop",
    "stream_error_event",
    "stream_event_schema",
)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "check-stream",
        help="judge a captured SSE stream (raw bytes) against the event grammar",
    )
    parser.add_argument("file", metavar="FILE.sse", help="the raw response body of a stream")
    parser.add_argument(
        "--tools",
        metavar="TOOLS.json",
        help="the request's tools array, to check tool input against input_schema",
    )
    parser.add_argument(
        "--provider",
        default="anthropic",
        help="profile whose documented deviations apply (default: anthropic)",
    )
    parser.set_defaults(func=run)


def read_bytes(path: str, what: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(what, f"cannot read {path}: {exc.strerror or exc}") from None


def load_tools(path: str | None) -> list[Any]:
    if path is None:
        return []
    try:
        tools = json.loads(read_bytes(path, "--tools").decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError("--tools", f"{path} is not JSON: {exc}") from None
    if isinstance(tools, dict) and "tools" in tools:
        tools = tools["tools"]
    if not isinstance(tools, list):
        raise ConfigError("--tools", f"{path} holds no tools array", "[{name, input_schema}, …]")
    return tools


def context_for(data: bytes, tools: list[Any], provider: str) -> CaseContext:
    profile = profiles.load(provider, {"base_url": "http://capture.invalid"})
    exchange = Exchange("main", "POST", "capture", {}, {"stream": True, "tools": tools})
    exchange.status = 200
    exchange.response_headers = {"content-type": "text/event-stream"}
    exchange.chunks = [Chunk(0.0, data)]
    contract = Contract.load(profile.anthropic_version, profile.contract.overlay)
    return CaseContext(profile, contract, {"stream": True, "tools": tools}, {"main": exchange})


def run(args: argparse.Namespace) -> int:
    data = read_bytes(args.file, "check-stream")
    ctx = context_for(data, load_tools(args.tools), args.provider)
    failures: list[tuple[str, ConformanceFailure]] = []
    for name in CAPTURE_CHECKS:
        try:
            REGISTRY[name].func(ctx)
        except ConformanceFailure as exc:
            failures.append((name, exc))
    for name, failure in failures:
        print(render(name, failure))
    frames = len(ctx.grammars["main"].frames)  # the stream checks ran the grammar once
    verdict = f"{len(failures)} failure(s)" if failures else "conforms"
    print(f"{args.file}: {frames} events, {verdict}")
    return 1 if failures else 0


def requirement(clause_id: str) -> str:
    try:
        clause = clauses.get(clause_id)
    except ConfigError:
        return clause_id
    return f"{clause.id} ({clause.level}) {clause.title}"


def render(name: str, exc: ConformanceFailure) -> str:
    where = f"event {exc.event_index}" if exc.event_index is not None else "stream"
    lines = [
        f"FAIL {exc.clause} at {where} [{name}]",
        f"  Requirement: {requirement(exc.clause)}",
        f"  Expected: {exc.expected}",
        "  Actual: " + exc.actual.replace("\n", "\n    "),
    ]
    if exc.symptom:
        lines.append(f"  Client symptom: {exc.symptom}")
    return "\n".join(lines)
