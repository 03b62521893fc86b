"""An ASGI app on a loopback socket: uvicorn in a daemon thread (the mock and the proxy)."""

from __future__ import annotations

import socket
import threading
import time
from typing import Self

import uvicorn

START_TIMEOUT_S = 10.0


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:
        # Signal handlers can only be installed in the main thread; and the owner (a test, or a
        # command that first writes its reports) decides when to stop us.
        pass


class LoopbackServer:
    """Serves the app of `config()` on `url` from `start()` to `stop()`; `with` does both. A
    subclass says what it serves (`config`) and what it is called (`name`, in the thread's name
    and the error when it does not start)."""

    name = "server"

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host, self.port = host, port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def config(self) -> uvicorn.Config:
        raise NotImplementedError

    def start(self) -> Self:
        # Binding the socket here means the port is known at once and no other process can race us.
        # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY on accepted sockets only when the
        # listening socket says TCP; with proto 0 every response waited ~40 ms for a delayed ACK.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError:
            sock.close()
            raise
        self.port = sock.getsockname()[1]
        server = _Server(self.config())
        thread = threading.Thread(
            target=server.run,
            kwargs={"sockets": [sock]},
            name=f"msgconform-{self.name}",
            daemon=True,
        )
        self._server, self._thread, self._sock = server, thread, sock
        thread.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the {self.name} did not start on {self.url}")
            time.sleep(0.002)
        return self

    def wait(self, timeout_s: float | None = None) -> None:
        """Block until the server thread ends (a command serves until interrupted)."""
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

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
