"""Request plumbing for the mock: credentials, the body cap, and the models listing."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any

import orjson

from msgconform.mock.hooks import Connection

Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]

MAX_BODY = 32 * 1024 * 1024  # upstream's Messages limit
DRAIN_LIMIT = 256 * 1024 * 1024
# 19 digits in a row may be an integer orjson cannot hold (it would read it as a float).
_LONG_DIGITS = re.compile(rb"[0-9]{19}")
SCHEME_LABELS = {
    "x-api-key": "x-api-key",
    "bearer": "Authorization: Bearer",
    "api-key": "Authorization: Api-Key",
}


def credentials(headers: Mapping[str, str]) -> list[tuple[str, str]]:
    """The (scheme, key) pairs a request presents."""
    found: list[tuple[str, str]] = []
    if "x-api-key" in headers:
        found.append(("x-api-key", headers["x-api-key"]))
    scheme, _, value = headers.get("authorization", "").partition(" ")
    if scheme.lower() in ("bearer", "api-key"):
        found.append((scheme.lower(), value.strip()))
    return found


def model_info(model_id: str) -> dict[str, Any]:
    return {
        "type": "model", "id": model_id, "display_name": model_id.replace("-", " ").title(),
        "created_at": "2026-01-01T00:00:00Z", "max_input_tokens": 200000, "max_tokens": 64000,
        "capabilities": None,
    }  # fmt: skip


def models_page(infos: list[dict[str, Any]], query: str) -> dict[str, Any]:
    params = dict(p.partition("=")[::2] for p in query.split("&") if p)
    ids = [i["id"] for i in infos]
    start = ids.index(params["after_id"]) + 1 if params.get("after_id") in ids else 0
    limit = int(params["limit"]) if params.get("limit", "").isdigit() else 20
    page = infos[start : start + max(1, limit)]
    return {
        "data": page, "has_more": start + len(page) < len(infos),
        "first_id": page[0]["id"] if page else None, "last_id": page[-1]["id"] if page else None,
    }  # fmt: skip


async def read_capped(receive: Receive) -> bytes | None:
    """The request body, or None once it passes MAX_BODY (reading stops there)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b""
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


async def drain(receive: Receive) -> None:
    """Discard the rest of a refused body so the client can read the answer (bounded)."""
    size = 0
    while size < DRAIN_LIMIT:
        message = await receive()
        size += len(message.get("body", b""))
        if message["type"] == "http.disconnect" or not message.get("more_body"):
            return


async def close_unanswered(connection: Connection, receive: Receive) -> None:
    """Close the request's connection without a byte of an answer, then wait until the server
    has seen it go (an app that returns before that gets a 500 written for it)."""
    connection.close()
    while (await receive())["type"] != "http.disconnect":
        pass


def parse_json(data: bytes) -> Any:
    """The stdlib's value for `data`, the quick way when it gives the same one: orjson refuses what
    the stdlib alone accepts (NaN, lone surrogates, a BOM, other encodings) and parses the rest
    alike but for integers beyond 64 bits; those bodies, and any error, go to the stdlib, whose
    message the answer quotes."""
    if not _LONG_DIGITS.search(data):
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            pass
    return json.loads(data)
