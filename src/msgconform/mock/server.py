"""The mock on a real loopback socket (core/loopback.py), for tests, the runner and the CLI."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import uvicorn

from msgconform.core.loopback import LoopbackServer
from msgconform.core.profiles import Profile
from msgconform.mock.app import Receive, Scope, Send, build_app
from msgconform.mock.cork import CorkedHttpToolsProtocol


def uvicorn_config(app: Any, log_level: str = "critical") -> uvicorn.Config:
    """The mock's server settings, shared with the bench's fixed-body ceiling. uvloop where it is
    installed (loop="auto"), httptools with corked writes; no proxy-headers middleware (the mock
    never reads the client address) and no access log: each is a layer on every request."""
    return uvicorn.Config(
        app, log_level=log_level, lifespan="off", timeout_graceful_shutdown=1, access_log=False,
        ws="none", backlog=2048, http=CorkedHttpToolsProtocol, proxy_headers=False, loop="auto",
    )  # fmt: skip


class MockServer(LoopbackServer):
    """`with MockServer(profile, key) as server:` serves on `server.url` until the block ends."""

    name = "mock"

    def __init__(
        self,
        profile: Profile,
        key: str,
        fault: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        log_level: str = "critical",
    ) -> None:
        super().__init__(host, port)
        # Any ASGI app: a wrapper (the fixture's request recorder) may stand in before start().
        self.app: Callable[[Scope, Receive, Send], Awaitable[None]] = build_app(profile, key, fault)
        self.log_level = log_level

    def config(self) -> uvicorn.Config:
        return uvicorn_config(self.app, self.log_level)
