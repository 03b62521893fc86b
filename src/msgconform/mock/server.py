"""The mock on a real loopback socket: uvicorn in a thread, for tests, the runner and the CLI."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any

import uvicorn

from msgconform.core.profiles import Profile
from msgconform.mock.app import Receive, Scope, Send, build_app
from msgconform.mock.cork import CorkedHttpToolsProtocol

START_TIMEOUT_S = 10.0


def uvicorn_config(app: Any, log_level: str = "critical") -> uvicorn.Config:
    """The mock's server settings, shared with the bench's fixed-body ceiling. uvloop where it is
    installed (loop="auto"), httptools with corked writes; no proxy-headers middleware (the mock
    never reads the client address) and no access log: each is a layer on every request."""
    return uvicorn.Config(
        app, log_level=log_level, lifespan="off", timeout_graceful_shutdown=1, access_log=False,
        ws="none", backlog=2048, http=CorkedHttpToolsProtocol, proxy_headers=False, loop="auto",
    )  # fmt: skip


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:
        # Signal handlers can only be installed in the main thread; the owner stops us instead.
        pass


class MockServer:
    """`with MockServer(profile, key) as server:` serves on `server.url` until the block ends."""

    def __init__(
        self,
        profile: Profile,
        key: str,
        fault: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        log_level: str = "critical",
    ) -> None:
        # Any ASGI app: a wrapper (the fixture's request recorder) may stand in before start().
        self.app: Callable[[Scope, Receive, Send], Awaitable[None]] = build_app(profile, key, fault)
        self.host, self.port = host, port
        self.log_level = log_level
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> MockServer:
        # Binding the socket here means the port is known at once and no other process can race us.
        # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY on accepted sockets only when the
        # listening socket says TCP; with proto 0 every response waited ~40 ms for a delayed ACK.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        self._server, self._sock = _Server(uvicorn_config(self.app, self.log_level)), sock
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name="msgconform-mock", daemon=True
        )
        self._thread.start()
        self._wait_started()
        return self

    def _wait_started(self) -> None:
        server, thread = self._server, self._thread
        deadline = time.monotonic() + START_TIMEOUT_S
        while server is not None and thread is not None and not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the mock did not start on {self.url}")
            time.sleep(0.002)

    def wait(self, timeout_s: float | None = None) -> None:
        """Block until the server thread ends (the CLI serves until interrupted)."""
        if self._thread is not None:
            self._thread.join(timeout_s)

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(5)
        if self._sock is not None:
            self._sock.close()
        self._server = self._thread = self._sock = None

    def __enter__(self) -> MockServer:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
