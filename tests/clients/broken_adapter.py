"""The httpx example adapter with one thing wrong, for the bite tests
(tests/clients/test_clients_bite.py).

Usage: python broken_adapter.py VARIANT (then the adapter protocol on stdin/stdout). Each variant
is one plausible client bug, patched into an otherwise correct client."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx

EXAMPLE = (
    Path(__file__).parents[2] / "src" / "msgconform" / "clients" / "adapters" / "httpx_example.py"
)
spec = importlib.util.spec_from_file_location("httpx_example", EXAMPLE)
assert spec is not None
assert spec.loader is not None
m: Any = importlib.util.module_from_spec(spec)
spec.loader.exec_module(m)

KNOWN_STOPS = {"end_turn", "max_tokens", "stop_sequence", "tool_use", "pause_turn", "refusal"}
KNOWN_BLOCKS = {"text", "thinking", "tool_use", "redacted_thinking"}
Patch = Callable[[], None]


def ignore_retry_after() -> None:
    m.retry_wait = lambda response, n: min(0.5 * 2**n, 8.0) * 0.9


def no_backoff() -> None:
    m.retry_wait = lambda response, n: 0.0


def no_retries() -> None:
    m.MAX_RETRIES = 0


def retries_client_errors() -> None:
    m.should_retry = lambda response: True


def type_from_status() -> None:
    table = {400: "invalid_request_error", 401: "authentication_error", 429: "rate_limit_error"}
    m.error_from_response = lambda r: m.APIError(
        table.get(r.status_code, "api_error"), r.status_code, r.text
    )


def drop_last_delta() -> None:
    original = m.iter_events

    def events(chunks: Iterator[bytes]) -> Iterator[tuple[str | None, str]]:
        found = list(original(chunks))
        last = max(
            (i for i, (name, _) in enumerate(found) if name == "content_block_delta"), default=None
        )
        return iter([e for i, e in enumerate(found) if i != last])

    m.iter_events = events


class AllNames(frozenset[str]):
    def __contains__(self, item: object) -> bool:
        return True


def crash_on_unknown_event() -> None:
    m.KNOWN_EVENTS = AllNames()
    original = m.apply_event
    known = {"content_block_start", "content_block_delta", "content_block_stop", "message_delta"}

    def apply(message: dict[str, Any], event: dict[str, Any], buffers: dict[int, str]) -> None:
        if event["type"] not in known:
            raise KeyError(event["type"])
        original(message, event, buffers)

    m.apply_event = apply


def crash_on_unknown_delta() -> None:
    original = m.apply_delta
    known = {"text_delta", "thinking_delta", "signature_delta", "input_json_delta"}

    def apply(
        block: dict[str, Any], delta: dict[str, Any], buffers: dict[int, str], index: int
    ) -> None:
        if delta.get("type") not in known:
            raise KeyError(delta.get("type"))
        original(block, delta, buffers, index)

    m.apply_delta = apply


def strict_enums() -> None:
    original = m.call

    def call(request: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = original(request, state)
        message = result["message"]
        if message["stop_reason"] not in KNOWN_STOPS:
            raise ValueError(f"unknown stop_reason {message['stop_reason']}")
        for block in message["content"]:
            if block["type"] not in KNOWN_BLOCKS:
                raise ValueError(f"unknown block type {block['type']}")
        return result

    m.call = call


def lf_only() -> None:
    def frame_end(buffer: bytes) -> tuple[int, int] | None:
        at = buffer.find(b"\n\n")
        return (at, at + 2) if at >= 0 else None

    m.frame_end = frame_end


def event_line_first() -> None:
    original = m.parse_block

    def parse_block(block: str) -> tuple[str | None, str] | None:
        return original(block) if block.startswith("event:") else None

    m.parse_block = parse_block


def decode_per_chunk() -> None:
    original = m.iter_events

    def events(chunks: Iterator[bytes]) -> Iterator[tuple[str | None, str]]:
        text = (c.decode("utf-8", errors="replace").encode() for c in chunks)
        return original(text)

    m.iter_events = events


def parse_each_fragment() -> None:
    original = m.apply_delta

    def apply(
        block: dict[str, Any], delta: dict[str, Any], buffers: dict[int, str], index: int
    ) -> None:
        if delta.get("type") == "input_json_delta":
            block["input"] = {**block.get("input", {}), **json.loads(delta["partial_json"])}
            return
        original(block, delta, buffers, index)

    m.apply_delta = apply


def ignore_signature() -> None:
    original = m.apply_delta
    m.apply_delta = lambda block, delta, buffers, index: (
        None if delta.get("type") == "signature_delta" else original(block, delta, buffers, index)
    )


def first_block_only() -> None:
    original = m.apply_event

    def apply(message: dict[str, Any], event: dict[str, Any], buffers: dict[int, str]) -> None:
        if "index" in event and event["type"] != "content_block_start":
            event = {**event, "index": 0}
        original(message, event, buffers)

    m.apply_event = apply


def usage_from_start() -> None:
    original = m.apply_event
    m.apply_event = lambda message, event, buffers: original(
        message, {**event, "usage": {}} if event["type"] == "message_delta" else event, buffers
    )


def swallow_stream_error() -> None:
    original = m.accumulate

    def accumulate(
        events: Iterator[tuple[str | None, str]], state: dict[str, Any]
    ) -> dict[str, Any]:
        kept = (e for e in events if e[0] != "error")
        try:
            return dict(original(kept, state))
        except m.APIError:
            return dict(state["message"])

    m.accumulate = accumulate


def accept_truncated() -> None:
    original = m.accumulate

    def accumulate(
        events: Iterator[tuple[str | None, str]], state: dict[str, Any]
    ) -> dict[str, Any]:
        try:
            return dict(original(events, state))
        except m.APIError as exc:
            if "before message_stop" in str(exc):
                return dict(state["message"])
            raise

    m.accumulate = accumulate


def retry_after_reset() -> None:
    original = m.call

    def call(request: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
        try:
            return dict(original(request, state))
        except httpx.TransportError:
            return dict(original(request, {}))

    m.call = call


def short_read_timeout() -> None:
    m.TIMEOUT = httpx.Timeout(0.5)


def empty_on_json() -> None:
    original = m.call

    def call(request: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
        try:
            return dict(original(request, state))
        except m.APIError as exc:
            if "expected an event stream" not in str(exc):
                raise
            return {
                "message": {
                    "type": "message",
                    "role": "assistant",
                    "content": [],
                    "stop_reason": None,
                    "usage": {},
                }
            }

    m.call = call


def x_api_key_always() -> None:
    original = m.headers_for
    m.headers_for = lambda auth, key, retry, call: original("x-api-key", key, retry, call)


def bearer_always() -> None:
    original = m.headers_for
    m.headers_for = lambda auth, key, retry, call: original("bearer", key, retry, call)


def minimal_body() -> None:
    original = m.encode
    kept = ("model", "max_tokens", "messages", "stream")
    m.encode = lambda body: original({k: v for k, v in body.items() if k in kept})


def retry_count_stuck() -> None:
    original = m.headers_for
    m.headers_for = lambda auth, key, retry, call: original(auth, key, 0, call)


def fresh_idempotency_key() -> None:
    original = m.headers_for
    m.headers_for = lambda auth, key, retry, call: original(auth, key, retry, f"{call}-{retry}")


VARIANTS: dict[str, Patch] = {
    name: func for name, func in list(globals().items())
    if callable(func) and not name.startswith("_") and func.__module__ == __name__
    and name not in ("main", "AllNames")
}  # fmt: skip


def main() -> int:
    VARIANTS[sys.argv[1]]()
    return int(m.main())


if __name__ == "__main__":
    sys.exit(main())
