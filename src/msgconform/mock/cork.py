"""One socket write per event-loop turn: what a response writes without waiting in between (its
headers and body, or every frame of a stream that has no pause) leaves in one write() call.

The bytes are unchanged: each ASGI send is still its own HTTP chunk, in order. Only the number of
syscalls changes: a 12-event stream cost 14 write() calls, the largest share of the mock's time
under load (`make bench`). Node's http server corks its sockets the same way until the next tick.
A stream that pauses (a scenario's or a fault's delay) still goes out before each pause, because
the pause lets the loop run the pending flush first."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from msgconform.mock.hooks import Connection

# The scope extension that carries a request's Connection to the app (ASGI has no way to close a
# connection without answering, which a fault that drops a kept-alive connection needs).
CONNECTION_EXTENSION = "msgconform.connection"


class CorkedTransport(asyncio.Transport):
    """Stands in for the connection's transport: writes wait in a list until the loop's next turn;
    close flushes first, so nothing written before a close (or a reset) is lost."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self._transport, self._loop = transport, loop
        self._pending: list[bytes] = []

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not self._pending:
            self._loop.call_soon(self.flush)
        self._pending.append(bytes(data))

    def flush(self) -> None:
        pending, self._pending = self._pending, []
        if pending and not self._transport.is_closing():
            self._transport.write(pending[0] if len(pending) == 1 else b"".join(pending))

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def abort(self) -> None:
        self._pending = []
        self._transport.abort()

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def can_write_eof(self) -> bool:
        return self._transport.can_write_eof()

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._transport.get_extra_info(name, default)

    def pause_reading(self) -> None:
        self._transport.pause_reading()

    def resume_reading(self) -> None:
        self._transport.resume_reading()

    def is_reading(self) -> bool:
        return self._transport.is_reading()

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self._transport.set_protocol(protocol)

    def get_protocol(self) -> asyncio.BaseProtocol:
        return self._transport.get_protocol()

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + sum(map(len, self._pending))

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        self._transport.set_write_buffer_limits(high, low)


class CorkedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol writing through a CorkedTransport (Config(http=...)); each
    request's scope names its connection (CONNECTION_EXTENSION)."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        corked = CorkedTransport(transport, self.loop)
        self.msgconform_connection = Connection(close=corked.close)
        super().connection_made(corked)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        extensions = dict(self.scope.get("extensions") or {})
        extensions[CONNECTION_EXTENSION] = {"connection": self.msgconform_connection}
        self.scope["extensions"] = extensions


def connection_of(scope: Mapping[str, Any]) -> Connection | None:
    """The request's connection, where the server is this protocol (None in-process)."""
    found = (scope.get("extensions") or {}).get(CONNECTION_EXTENSION, {}).get("connection")
    return found if isinstance(found, Connection) else None
