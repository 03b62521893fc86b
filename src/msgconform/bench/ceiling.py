"""The ceiling: a minimal ASGI app on the mock's uvicorn stack that answers every request with a
fixed body, or the same 12 events as the mock, one ASGI send per event as the mock sends them.

Raw ASGI rather than Starlette (not installed here): one layer less, so a slightly higher ceiling.
Run as `python -m msgconform.bench.ceiling --port N --json FILE --sse FILE`.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

import uvicorn

from msgconform.mock.server import uvicorn_config

Message = MutableMapping[str, Any]


def split_frames(sse: bytes) -> list[bytes]:
    return [part + b"\n\n" for part in sse.split(b"\n\n") if part]


def build(json_body: bytes, sse_body: bytes) -> Callable[..., Awaitable[None]]:
    frames = split_frames(sse_body)
    json_headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(json_body)).encode()),
    ]
    sse_headers = [
        (b"content-type", b"text/event-stream; charset=utf-8"),
        (b"cache-control", b"no-cache"),
    ]

    async def app(
        scope: Message,
        receive: Callable[[], Awaitable[Message]],
        send: Callable[[Message], Awaitable[None]],
    ) -> None:
        if scope["type"] != "http":
            return
        data = b""
        while True:  # read the body as a real app must, and peek at "stream"
            message = await receive()
            data += message.get("body", b"")
            if not message.get("more_body"):
                break
        if b'"stream": true' in data or b'"stream":true' in data:
            await send({"type": "http.response.start", "status": 200, "headers": sse_headers})
            for chunk in frames:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
            return
        await send({"type": "http.response.start", "status": 200, "headers": json_headers})
        await send({"type": "http.response.body", "body": json_body})

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--json", required=True, help="file holding the fixed JSON body")
    parser.add_argument("--sse", required=True, help="file holding the fixed event stream")
    args = parser.parse_args()
    app = build(Path(args.json).read_bytes(), Path(args.sse).read_bytes())
    # The mock's own server settings (mock/server.py: uvloop, corked writes), on our port.
    config = uvicorn_config(app)
    config.host, config.port = "127.0.0.1", args.port
    print(json.dumps({"ceiling": f"http://127.0.0.1:{args.port}"}), flush=True)
    uvicorn.Server(config).run()


if __name__ == "__main__":
    main()
