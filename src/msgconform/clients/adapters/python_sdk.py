"""Adapter for the official Python SDK (`anthropic`), any major: 2.x from this environment, or the
previous major when PYTHONPATH puts it first (`--adapter python-sdk-1`). Protocol: httpx_example.py.

It calls the SDK the way its documentation shows: `messages.create(...)` for a message, and
`messages.stream(...)` + `get_final_message()` for a stream, with default retries and timeouts."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import anthropic


def make_client(base_url: str, key: str, auth: str) -> Any:
    major = int(anthropic.__version__.split(".")[0])
    if auth == "bearer":
        # 2.x sends an api_key as Bearer; earlier majors need auth_token for that.
        options: dict[str, Any] = {"api_key": key} if major >= 2 else {"auth_token": key}
    elif major >= 2:
        # The documented way to keep x-api-key on 2.x (Baseten's docs show the reverse override).
        options = {"api_key": None, "default_headers": {"x-api-key": key}}
    else:
        options = {"api_key": key}
    return anthropic.Anthropic(base_url=base_url, **options)


def dump(message: Any) -> Any:
    try:
        return message.model_dump(mode="json", warnings=False)
    except Exception:  # an SDK without pydantic's dump options
        return json.loads(message.to_json())


def error_of(exc: BaseException) -> dict[str, Any]:
    text = f"{type(exc).__module__}.{type(exc).__name__}: {exc}"[:400]
    if isinstance(exc, anthropic.APIStatusError):
        body = exc.body if isinstance(exc.body, dict) else {}
        kind = getattr(exc, "type", None) or (body.get("error") or {}).get("type")
        return {"type": kind, "status": exc.status_code, "message": text}
    if isinstance(exc, anthropic.APITimeoutError):
        return {"type": "timeout", "status": None, "message": text}
    if isinstance(exc, anthropic.APIConnectionError):
        return {"type": "connection_error", "status": None, "message": text}
    return {"type": "client_error", "status": None, "message": text}


def stream(client: Any, params: dict[str, Any]) -> dict[str, Any]:
    events: list[str] = []
    holder: dict[str, Any] = {}
    try:
        with client.messages.stream(**params) as running:
            holder["stream"] = running
            events.extend(event.type for event in running)
            return {"message": dump(running.get_final_message()), "events": events}
    except Exception as exc:
        return {"error": error_of(exc), "partial": snapshot(holder.get("stream")), "events": events}


def snapshot(running: Any) -> Any:
    """The documented text-so-far: MessageStream.current_message_snapshot."""
    try:
        return dump(running.current_message_snapshot) if running is not None else None
    except Exception:  # no message_start arrived, so there is no snapshot
        return None


def once(request: dict[str, Any]) -> dict[str, Any]:
    client = make_client(
        os.environ["MSGCONFORM_BASE_URL"], os.environ["MSGCONFORM_API_KEY"],
        os.environ.get("MSGCONFORM_AUTH", "x-api-key"),
    )  # fmt: skip
    params = {k: v for k, v in request.items() if k != "stream"}
    if request.get("stream"):
        result = stream(client, params)
    else:
        try:
            result = {"message": dump(client.messages.create(**params))}
        except Exception as exc:
            result = {"error": error_of(exc)}
    result["client"] = {"name": "anthropic-python", "version": anthropic.__version__}
    return result


def main() -> int:
    """One request from stdin; or, in lines mode, one `{"env", "request"}` per line."""
    if os.environ.get("MSGCONFORM_PROTOCOL") != "lines":
        print(json.dumps(once(json.loads(sys.stdin.read())), ensure_ascii=False, default=str))
        return 0
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        item = json.loads(line)
        os.environ.update(item["env"])
        print(json.dumps(once(item["request"]), ensure_ascii=False, default=str), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
