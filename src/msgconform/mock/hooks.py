"""The shape of a fault: where it can change the mock's behaviour, and what each hook sees.

The correct server (mock/app.py) makes each decision itself and hands the result to the matching
hook of the request's fault, if it has one; no fault is named outside mock/faults/."""

from __future__ import annotations

import inspect
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar


@dataclass
class Connection:
    """The connection a request came on, as the mock's server protocol keeps it (mock/cork.py):
    what the last answer on it was, and how to close it."""

    close: Callable[[], None]
    last_type: bytes = b""  # the Content-Type of the last answer written on it (b"": none yet)


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
    query: str = ""
    route: str | None = None  # the endpoint's path once the request is routed (None: unknown)
    status: int = 0  # the status of the answer once its headers are being written
    # Per-server counts for a fault whose answer depends on what came before (they live as long
    # as the app, like the app's own state).
    tally: Counter[str] = field(default_factory=Counter)
    connection: Connection | None = None  # None where the server keeps no record (in-process)


@dataclass
class ErrorOut:
    """An error response before it is written; `raw` replaces the envelope when set."""

    status: int
    etype: str
    message: str
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None
    content_type: str = "application/json"


@dataclass(frozen=True)
class AuthCheck:
    """The credentials a request presents and what the profile makes of them; the correct
    verdict is `mock.gate.auth_verdict(check)`."""

    creds: tuple[tuple[str, str], ...]  # (scheme, key) pairs, as `httpio.credentials` reads them
    accepted: tuple[str, ...]
    rejected: tuple[str, ...]
    key: str
    missing_status: int
    invalid_status: int


@dataclass(frozen=True)
class VersionCheck:
    """A request's anthropic-version and the profile's versions; the correct verdict is
    `mock.gate.version_verdict(check)`: the version the request is served under, or a refusal."""

    value: str | None
    versions: tuple[str, ...]
    default: str
    enforced: bool


@dataclass
class ModelsAnswer:
    """What a models route answers: the catalogue, the id asked for (None for the listing) and the
    JSON to send (None: the id is unknown, answered 404)."""

    infos: list[dict[str, Any]]
    wanted: str | None
    body: dict[str, Any] | None


Hook = Callable[[Any, Ctx], Any]


@dataclass(frozen=True)
class Fault:
    """One named change to the mock. `clauses` are the IDs it breaks; legal variants list none.
    `invariant_only`: it breaks one kind of exchange only, so no case written for another purpose
    notices it; only the invariants, which judge every exchange, catch it.

    Hooks (each optional, each `(value, ctx) -> value`), in the order a request meets them:
    `serve` (the request's Connection -> whether it is answered at all; False closes the
    connection unanswered), `auth` (an AuthCheck -> the refusal or None), `version` (a
    VersionCheck -> the version served or a refusal), `first_byte` (the pause before the
    headers, s), `request` (the body before validation), `issues` (validation issues), `tokens`
    (count_tokens' input_tokens), `models` (a ModelsAnswer), `message` (the Message in both
    modes), `sse` (whether the Message goes as SSE), `body` (the non-streaming Message), `raw`
    (its encoded bytes), `events` (the SSE events), `frame` ((name, data, bytes) -> bytes),
    `steps` (the stream writes), `status` (an error's status; its type follows), `error` (an
    ErrorOut), `content_type` (the header of any answer), `headers` (all headers of any answer)."""

    name: str
    description: str
    clauses: tuple[str, ...] = ()
    legal: bool = False
    invariant_only: bool = False
    serve: Callable[[Connection, Ctx], bool] | None = None
    auth: Callable[[AuthCheck, Ctx], ErrorOut | None] | None = None
    version: Callable[[VersionCheck, Ctx], str | ErrorOut] | None = None
    first_byte: Callable[[float, Ctx], float] | None = None
    request: Hook | None = None
    issues: Hook | None = None
    tokens: Callable[[int, Ctx], int] | None = None
    models: Callable[[ModelsAnswer, Ctx], ModelsAnswer] | None = None
    message: Hook | None = None
    sse: Callable[[bool, Ctx], bool] | None = None
    body: Hook | None = None
    raw: Hook | None = None
    events: Hook | None = None
    frame: Callable[[str, dict[str, Any], bytes], bytes] | None = None
    steps: Hook | None = None
    status: Callable[[int, Ctx], int] | None = None
    error: Hook | None = None
    content_type: Hook | None = None  # (bytes, ctx) -> bytes: the Content-Type of any answer
    headers: Callable[[list[tuple[bytes, bytes]], Ctx], list[tuple[bytes, bytes]]] | None = None


NO_FAULT = Fault("none", "the clean mock")

# The hooks of a Fault, as `Faults.hook` names the one a function fills.
HookName = Literal[
    "serve", "auth", "version", "first_byte", "request", "issues", "tokens", "models", "message",
    "sse", "body", "raw", "events", "frame", "steps", "status", "error", "content_type", "headers",
]  # fmt: skip
HookFn = TypeVar("HookFn", bound=Callable[..., Any])


class Faults(list[Fault]):
    """A module's faults, as `mock/faults/` collects them (its `FAULTS`).

    A fault made of one hook function is declared on that function, `@FAULTS.hook("error",
    "ERR-001")`: its name is the function's without the leading `_`, its description the first
    line of the docstring (what it breaks, as `--list-faults` prints it; later lines say why or
    how). A fault of several hooks, or of a hook a helper builds, is a `Fault(...)` appended with
    its keywords."""

    def hook(
        self,
        at: HookName,
        *clauses: str,
        name: str | None = None,
        description: str | None = None,
        legal: bool = False,
        invariant_only: bool = False,
    ) -> Callable[[HookFn], HookFn]:
        """Declare the decorated function as the `at` hook of a new fault breaking `clauses`."""

        def declare(fn: HookFn) -> HookFn:
            slot: dict[str, Any] = {at: fn}  # its signature is checked where app.py calls it
            named = name or fn.__name__.removeprefix("_")
            self.append(
                Fault(named, description or _summary(fn), clauses, legal, invariant_only, **slot)
            )
            return fn

        return declare


def _summary(fn: Callable[..., Any]) -> str:
    doc = inspect.getdoc(fn)
    if not doc:
        raise TypeError(f"fault hook {fn.__name__} has no docstring to describe its fault")
    return doc.partition("\n")[0]
