"""Notices: what the wire showed about the connection rather than about the case's request.

They are findings of the run and grade no case: a server that closes its keep-alive connections
unannounced costs the client a resend (transport/client.py sends once more on a new connection),
not a wrong answer, so every case keeps the outcome its own checks give it."""

from __future__ import annotations

from collections.abc import Mapping

from msgconform.checks.base import ConformanceFailure, fail
from msgconform.core.exchange import Exchange

# The clauses only notices judge; `msgconform validate` counts them as covered.
NOTICE_CLAUSES = ("HDR-007",)
CLOSE_ANNOUNCED = "connection_close_announced"


def notices(exchanges: Mapping[str, Exchange]) -> list[ConformanceFailure]:
    """One per exchange that had to go again because the server closed a keep-alive connection.
    Clauses: HDR-007."""
    return [closed_unannounced(e) for e in exchanges.values() if e.reconnected]


def closed_unannounced(exchange: Exchange) -> ConformanceFailure:
    # The client reused the connection, so the answer before on it had no Connection: close:
    # httpx (h11) closes a connection whose response announces the close and never reuses it.
    return fail(
        "HDR-007",
        "Connection: close on the last answer before the server closes a connection",
        f"{exchange.reconnected}",
        exchange,
        symptom="the server closed a keep-alive connection",
        check=CLOSE_ANNOUNCED,
    )
