"""The shape of a fault: where it can change the mock's behaviour, and what each hook sees."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Ctx:
    """One request as a hook sees it."""

    method: str
    path: str
    headers: Mapping[str, str]
    key: str
    request_id: str
    body: Any = None
    stream: bool = False
    receive: Any = None  # the ASGI receive callable, to notice a client leaving during a pause


@dataclass
class ErrorOut:
    """An error response before it is written; `raw` replaces the envelope when set."""

    status: int
    etype: str
    message: str
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None
    content_type: str = "application/json"


Hook = Callable[[Any, Ctx], Any]


@dataclass(frozen=True)
class Fault:
    """One named change to the mock. `clauses` are the IDs it breaks; legal variants list none.

    Hooks (each optional, each `(value, ctx) -> value`): `request` (the body before validation),
    `issues` (validation issues), `message` (the Message in both modes), `body` (the non-streaming
    Message), `raw` (its encoded bytes), `events` (the SSE events), `frame`
    ((name, data, bytes) -> bytes),
    `steps` (the stream writes), `error` (an ErrorOut), `content_type` (the header of any answer).
    `flags` switch behaviours in the app."""

    name: str
    description: str
    clauses: tuple[str, ...] = ()
    legal: bool = False
    flags: frozenset[str] = frozenset()
    request: Hook | None = None
    issues: Hook | None = None
    message: Hook | None = None
    body: Hook | None = None
    raw: Hook | None = None
    events: Hook | None = None
    frame: Callable[[str, dict[str, Any], bytes], bytes] | None = None
    steps: Hook | None = None
    error: Hook | None = None
    content_type: Hook | None = None  # (bytes, ctx) -> bytes: the Content-Type of any answer

    def has(self, flag: str) -> bool:
        return flag in self.flags


NO_FAULT = Fault("none", "the clean mock")


def flag(name: str, description: str, *clauses: str) -> Fault:
    """A fault that only switches a behaviour the app implements under the same name."""
    return Fault(name, description, tuple(clauses), flags=frozenset({name}))
