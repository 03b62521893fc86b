"""What several parts share: the request, its headers, and a mock in this process."""

from __future__ import annotations

import json
import socket
import time

import httpx

KEY = "sk-bench-0123456789abcdef0123"
# "Hi" with max_tokens 16 streams as exactly 12 events from the mock (the unit).
REQUEST = {
    "model": "mock-sonnet",
    "max_tokens": 16,
    "messages": [{"role": "user", "content": "Hi"}],
}
HEADERS = {
    "x-api-key": KEY,
    "anthropic-version": "2023-06-01",
    "content-type": "application/json",
}


def body(stream: bool) -> bytes:
    return json.dumps({**REQUEST, "stream": True} if stream else REQUEST).encode()


def raw_loop_seconds(url: str, count: int) -> float:
    """`count` plain sequential keep-alive httpx requests (non-streaming) to `url`."""
    content = body(False)
    with httpx.Client(base_url=url, timeout=30) as client:
        client.post("/v1/messages", content=content, headers=HEADERS).raise_for_status()
        started = time.perf_counter()
        for _ in range(count):
            client.post("/v1/messages", content=content, headers=HEADERS).raise_for_status()
        return time.perf_counter() - started


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_port(port: int, timeout_s: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False
