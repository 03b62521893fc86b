"""What a client sent under a scenario, as the mock logged it, turned into the Exchanges a provider
probe yields, so the one evidence writer (report/evidence.py) records both kinds of trial."""

from __future__ import annotations

import json
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from msgconform.core.exchange import Chunk, Exchange
from msgconform.mock.scenarios_clients import Logged

MOCK_URL = "http://127.0.0.1:8080"  # where `msgconform mock --port 8080` serves a reproduction


@dataclass
class ClientAttempt(Exchange):
    """One request of a client; its curl replays the scenario's answer from a local mock, since
    the battery's own mock (and its per-run key) is gone when someone reads the record."""

    scenario_id: str = ""
    number: int = 0

    def curl(self) -> str:
        tag = f"client:{self.scenario_id}:replay{self.number}"
        body = (self.raw_request_body or b"").decode("utf-8", errors="replace")
        return " ".join(
            [
                "curl -sN",
                shlex.quote(f"{MOCK_URL}/v1/messages"),
                "-H",
                shlex.quote(f"x-msgconform-scenario: {tag}"),
                "-H 'content-type: application/json' -H 'anthropic-version: 2023-06-01'",
                '-H "x-api-key: $MSGCONFORM_MOCK_KEY"',
                "-d",
                shlex.quote(body),
            ]
        )


def attempts(scenario_id: str, log: Sequence[Logged], started: float) -> list[ClientAttempt]:
    """The logged requests in arrival order, labelled by their number and time since the start."""
    return [attempt(scenario_id, number, entry, started) for number, entry in enumerate(log, 1)]


def attempt(scenario_id: str, number: int, entry: Logged, started: float) -> ClientAttempt:
    raw = bytes(entry.body)
    answer = bytes(entry.response)
    first_byte = (entry.responded or entry.arrived) - entry.arrived
    return ClientAttempt(
        label=f"attempt {number} at +{entry.arrived - started:.2f}s",
        method=entry.method,
        url=entry.path,
        request_headers=dict(entry.headers),
        request_body=parsed(raw),
        raw_request_body=raw,
        status=entry.status,
        chunks=[Chunk(first_byte, answer)] if answer else [],
        ended=ending(entry),
        elapsed_s=entry.finished - entry.arrived,
        scenario_id=scenario_id,
        number=number,
    )


def parsed(raw: bytes) -> Any:
    """The body as JSON; None (the evidence then keeps the text) when it is not JSON."""
    try:
        return json.loads(raw.decode("utf-8", errors="replace"))
    except json.JSONDecodeError:
        return None


def ending(entry: Logged) -> str:
    """How the answer ended as the mock saw it: sent in full, cut after it began, or never sent."""
    if entry.ended is not None:
        return "eof"
    return "reset" if entry.responded else "none"
