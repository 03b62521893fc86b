"""A minimal Messages API client on raw httpx, written as a msgconform clients adapter.

Copy this file to judge your own client: keep `main()` (the adapter protocol) and replace the
client part with calls into your library. The protocol:
- environment: MSGCONFORM_BASE_URL (the client's base URL: append /v1/messages), MSGCONFORM_API_KEY,
  MSGCONFORM_AUTH (`x-api-key` or `bearer`: the one scheme to send the key in), MSGCONFORM_SCENARIO;
- stdin: the request body as JSON (with `"stream": true` when the caller wants a stream);
- stdout: one JSON line, `{"message": {...}}` (the Message the client built) or
  `{"error": {"type", "status", "message"}}`, optionally with `"partial": {...}` (the message so
  far, where the client exposes it), `"events": [...]` and `"client": {"name", "version"}`.
  Error types: the API's `error.type` for API errors; `connection_error`, `timeout` or
  `client_error` for the client's own. Exit 0 in both cases; a crash is reported as ERROR.

Its policy (suites/clients/policies/httpx-example.yaml): 2 retries on 408, 409, 429 and 5xx unless
`x-should-retry` says otherwise, `retry-after-ms` / `retry-after` up to 60 s, else exponential
backoff from 0.5 s with jitter; never retried once a stream has started.
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx

VERSION = "2023-06-01"
MAX_RETRIES = 2
RETRY_STATUSES = frozenset({408, 409, 429})
RETRY_AFTER_CAP_S = 60.0
TIMEOUT = httpx.Timeout(600.0, connect=5.0)


class APIError(Exception):
    def __init__(self, kind: str, status: int | None, message: str) -> None:
        super().__init__(message)
        self.kind, self.status = kind, status


# ---- sending -------------------------------------------------------------------------------


def headers_for(auth: str, key: str, retry: int, call_id: str) -> dict[str, str]:
    scheme = {"Authorization": f"Bearer {key}"} if auth == "bearer" else {"x-api-key": key}
    return {
        **scheme,
        "anthropic-version": VERSION,
        "content-type": "application/json",
        "x-stainless-retry-count": str(retry),
        "idempotency-key": call_id,
    }


def encode(body: dict[str, Any]) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode()


def should_retry(response: httpx.Response) -> bool:
    hint = str(response.headers.get("x-should-retry", ""))
    if hint in ("true", "false"):
        return hint == "true"
    status = int(response.status_code)
    return bool(status in RETRY_STATUSES or status >= 500)


def retry_wait(response: httpx.Response, retries_taken: int) -> float:
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        try:
            value = float(response.headers[name]) * scale
        except (KeyError, ValueError):
            continue
        if 0 < value <= RETRY_AFTER_CAP_S:
            return value
        break
    return float(min(0.5 * 2**retries_taken, 8.0) * (1 - 0.25 * random.random()))


def open_response(
    client: httpx.Client, url: str, body: dict[str, Any], auth: str, key: str
) -> httpx.Response:
    """Send with retries; the response is open (its body unread) when it is a 2xx."""
    call_id = f"msgconform-example-{uuid.uuid4()}"
    for retry in range(MAX_RETRIES + 1):
        request = client.build_request(
            "POST", url, content=encode(body), headers=headers_for(auth, key, retry, call_id)
        )
        response = client.send(request, stream=True)
        if response.status_code < 400:
            return response
        response.read()
        if retry < MAX_RETRIES and should_retry(response):
            response.close()
            time.sleep(retry_wait(response, retry))
            continue
        raise error_from_response(response)
    raise AssertionError("unreachable")


def error_from_response(response: httpx.Response) -> APIError:
    try:
        kind = response.json()["error"]["type"]
    except (ValueError, KeyError, TypeError):
        kind = None
    return APIError(kind or "api_error", response.status_code, response.text[:200])


# ---- reading a stream ----------------------------------------------------------------------


def iter_events(chunks: Iterator[bytes]) -> Iterator[tuple[str | None, str]]:
    """SSE events as (name, data): split on blank lines in bytes, so a cut inside a multi-byte
    character or a CRLF pair never matters; comment lines and unknown fields are skipped."""
    buffer = b""
    for chunk in chunks:
        buffer += chunk
        while (end := frame_end(buffer)) is not None:
            block, buffer = buffer[: end[0]], buffer[end[1] :]
            if (event := parse_block(block.decode("utf-8"))) is not None:
                yield event


def frame_end(buffer: bytes) -> tuple[int, int] | None:
    found = [(buffer.find(sep), len(sep)) for sep in (b"\r\n\r\n", b"\n\n", b"\r\r")]
    hits = [(at, at + size) for at, size in found if at >= 0]
    return min(hits) if hits else None


def parse_block(block: str) -> tuple[str | None, str] | None:
    name, data = None, []
    for line in block.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if not line or line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "event":
            name = value
        elif field == "data":
            data.append(value)
    return (name, "\n".join(data)) if data else None


def accumulate(events: Iterator[tuple[str | None, str]], state: dict[str, Any]) -> dict[str, Any]:
    """The Message built from the events; `state["message"]` holds it so far, for the caller."""
    buffers: dict[int, str] = {}
    seen: list[str] = state.setdefault("events", [])
    for name, data in events:
        if name not in KNOWN_EVENTS:
            continue  # pings, and event types added after this client was written
        event = json.loads(data)
        seen.append(event["type"])
        message = state.get("message")
        if event["type"] == "error":
            error = event.get("error") or {}
            raise APIError(error.get("type", "api_error"), None, error.get("message", ""))
        if event["type"] == "message_start":
            state["message"] = event["message"]
        elif message is None:
            raise APIError("client_error", None, f"{event['type']} before message_start")
        elif event["type"] == "message_stop":
            return dict(message)
        else:
            apply_event(message, event, buffers)
    raise APIError("client_error", None, "the stream ended before message_stop")


KNOWN_EVENTS = frozenset(
    {"message_start", "content_block_start", "content_block_delta", "content_block_stop",
     "message_delta", "message_stop", "error"}
)  # fmt: skip


def apply_event(message: dict[str, Any], event: dict[str, Any], buffers: dict[int, str]) -> None:
    kind = event["type"]
    if kind == "content_block_start":
        message["content"].append(dict(event["content_block"]))
    elif kind == "content_block_delta":
        apply_delta(message["content"][event["index"]], event["delta"], buffers, event["index"])
    elif kind == "content_block_stop":
        block = message["content"][event["index"]]
        if block.get("type") == "tool_use":
            text = buffers.pop(event["index"], "")
            block["input"] = json.loads(text) if text else {}
    elif kind == "message_delta":
        message.update(
            {k: v for k, v in event["delta"].items() if k in ("stop_reason", "stop_sequence")}
        )
        for name, value in (event.get("usage") or {}).items():
            if value is not None:
                message["usage"][name] = value


def apply_delta(
    block: dict[str, Any], delta: dict[str, Any], buffers: dict[int, str], index: int
) -> None:
    kind = delta.get("type")
    if kind == "text_delta":
        block["text"] = block.get("text", "") + delta["text"]
    elif kind == "thinking_delta":
        block["thinking"] = block.get("thinking", "") + delta["thinking"]
    elif kind == "signature_delta":
        block["signature"] = delta["signature"]
    elif kind == "input_json_delta":
        buffers[index] = buffers.get(index, "") + delta["partial_json"]
    # other delta types are newer than this client: skipped


# ---- the adapter protocol ------------------------------------------------------------------


def call(request: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
    base = os.environ["MSGCONFORM_BASE_URL"].rstrip("/")
    key, auth = os.environ["MSGCONFORM_API_KEY"], os.environ.get("MSGCONFORM_AUTH", "x-api-key")
    with httpx.Client(timeout=TIMEOUT) as client:
        response = open_response(client, f"{base}/v1/messages", request, auth, key)
        try:
            if not request.get("stream"):
                return {"message": json.loads(response.read())}
            if "text/event-stream" not in response.headers.get("content-type", ""):
                raise APIError("client_error", response.status_code, "expected an event stream")
            message = accumulate(iter_events(response.iter_bytes()), state)
            return {"message": message, "events": state.get("events", [])}
        finally:
            response.close()


def outcome(request: dict[str, Any]) -> dict[str, Any]:
    state: dict[str, Any] = {}
    try:
        return call(request, state)
    except APIError as exc:
        error = {"type": exc.kind, "status": exc.status, "message": str(exc)}
    except httpx.TimeoutException as exc:
        error = {"type": "timeout", "status": None, "message": repr(exc)}
    except httpx.TransportError as exc:
        error = {"type": "connection_error", "status": None, "message": repr(exc)}
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        error = {"type": "client_error", "status": None, "message": repr(exc)}
    return {"error": error, "partial": state.get("message"), "events": state.get("events", [])}


def once(request: dict[str, Any]) -> dict[str, Any]:
    result = outcome(request)
    result["client"] = {"name": "msgconform-httpx-example", "version": httpx.__version__}
    return result


def main() -> int:
    """One request from stdin. Optional lines mode (MSGCONFORM_PROTOCOL=lines, used when the
    battery is told the adapter speaks it): print `{"ready": true}` once loaded, then read one
    `{"env": {...}, "request": {...}}` per line and print one result line each, so the runtime
    starts once."""
    if os.environ.get("MSGCONFORM_PROTOCOL") != "lines":
        print(json.dumps(once(json.loads(sys.stdin.read())), ensure_ascii=False))
        return 0
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        item = json.loads(line)
        os.environ.update(item["env"])
        print(json.dumps(once(item["request"]), ensure_ascii=False), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
