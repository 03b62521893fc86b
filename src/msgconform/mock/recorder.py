"""What a client sent the mock, kept and judged: the strict half of a client-library release gate.

`Recorder` wraps the mock's ASGI app. It keeps every request (key redacted) before the app sees
it, and can add `x-msgconform-fault` / `x-msgconform-scenario` to requests that carry none, so a
test switches the mock's behaviour without touching the client under test. `request_problems`
judges one kept request against the contract and the emulated profile, naming the JSON path and
the clause it breaks.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from msgconform.contract.explain import SchemaIssue
from msgconform.core.profiles import Profile
from msgconform.core.redact import Redactor
from msgconform.mock import batches, betas
from msgconform.mock.app import METHODS, Receive, Scope, Send
from msgconform.mock.httpio import MAX_BODY, credentials
from msgconform.mock.validate import Validator, contract_validator, request_issues

ENDPOINTS = {"/v1/messages": "messages", "/v1/messages/count_tokens": "count_tokens"}
FEATURE_OF = {"/v1/messages/count_tokens": "count_tokens", "/v1/models": "models_endpoint"}


@dataclass(frozen=True)
class SentRequest:
    """One request as the client sent it; the key never appears (headers or body)."""

    method: str
    path: str
    query: str
    headers: Mapping[str, str]
    body: Any  # the parsed JSON, else the text, else None
    # What judging needs but a test must not print: which schemes carried the right key.
    schemes_with_key: tuple[str, ...] = ()
    schemes_with_other_key: tuple[str, ...] = ()


@dataclass(frozen=True)
class Problem:
    index: int
    request: str
    path: str
    rule: str
    clause: str

    def __str__(self) -> str:
        return f"request {self.index} ({self.request}): {self.path}: {self.rule} [{self.clause}]"


class Recorder:
    def __init__(self, app: Any, key: str) -> None:
        self.app, self.key = app, key
        self.sent: list[SentRequest] = []
        self.extra_headers: dict[str, str] = {}
        self._redactor = Redactor([key])
        self._lock = threading.Lock()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body, more = await read_body(receive)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        headers = betas.joined(scope["headers"], headers)
        with self._lock:
            self.sent.append(self.keep(scope, headers, body))
            added = {k: v for k, v in self.extra_headers.items() if k not in headers}
        if added:
            extra = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in added.items()]
            scope = {**scope, "headers": [*scope["headers"], *extra]}
        await self.app(scope, replay(body, more, receive), send)

    def keep(self, scope: Scope, headers: Mapping[str, str], body: bytes) -> SentRequest:
        presented = credentials(headers)
        return SentRequest(
            method=scope["method"],
            path=scope["path"],
            query=scope.get("query_string", b"").decode("latin-1"),
            headers=self._redactor.headers(headers),
            body=self._redactor.value(parse_body(body)),
            schemes_with_key=tuple(s for s, v in presented if v == self.key),
            schemes_with_other_key=tuple(s for s, v in presented if v != self.key),
        )


async def read_body(receive: Receive) -> tuple[bytes, bool]:
    """The body (up to MAX_BODY), and whether more is still to come from `receive`."""
    chunks: list[bytes] = []
    size = 0
    while size <= MAX_BODY:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), False
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if not message.get("more_body"):
            return b"".join(chunks), False
    return b"".join(chunks), True


def replay(body: bytes, more: bool, receive: Receive) -> Receive:
    """The body once, as the app would have read it, then the real channel (disconnects)."""
    pending = [{"type": "http.request", "body": body, "more_body": more}]

    async def next_message() -> Any:
        return pending.pop() if pending else await receive()

    return next_message


def parse_body(body: bytes) -> Any:
    if not body:
        return None
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return body.decode("utf-8", errors="replace")


class Judge:
    """Judges kept requests for one profile (validators built once, as the mock does)."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self._validators: dict[tuple[str, frozenset[str]], Validator] = {}

    def problems(self, index: int, sent: SentRequest) -> list[Problem]:
        label = f"{sent.method} {sent.path}"
        return [Problem(index, label, *found) for found in self.check(sent)]

    def check(self, sent: SentRequest) -> list[tuple[str, str, str]]:
        route = sent.path.rstrip("/")
        if batches.owns(route) and self.profile.has("message_batches"):
            return self.batch_problems(sent, route)
        expected = METHODS.get(route) or ("GET" if route.startswith("/v1/models/") else None)
        feature = FEATURE_OF.get("/v1/models" if route.startswith("/v1/models/") else route)
        if expected is None or (feature and not self.profile.has(feature)):
            return [("(path)", f"{route} is not an endpoint of {self.profile.name}", "ENDP-002")]
        if sent.method != expected:
            return [("(method)", f"{route} takes {expected}, not {sent.method}", "ENDP-002")]
        found = self.auth_problems(sent) + self.version_problems(sent) + self.beta_problems(sent)
        if route in ENDPOINTS:
            found += self.body_problems(sent, ENDPOINTS[route])
        return found

    def auth_problems(self, sent: SentRequest) -> list[tuple[str, str, str]]:
        accepted = set(self.profile.accepted_schemes)
        if accepted & set(sent.schemes_with_key):
            return []
        if accepted & set(sent.schemes_with_other_key):
            return [("(header) credentials", "the key is not the mock's key", "AUTH-004")]
        schemes = " or ".join(self.profile.accepted_schemes)
        if sent.schemes_with_key or sent.schemes_with_other_key:
            return [("(header) credentials", f"scheme not accepted; use {schemes}", "AUTH-002")]
        return [("(header) credentials", f"no API key; send it as {schemes}", "AUTH-003")]

    def version_problems(self, sent: SentRequest) -> list[tuple[str, str, str]]:
        if self.profile.contract.version_header != "enforced":
            return []
        value = sent.headers.get("anthropic-version")
        if value in self.profile.versions:
            return []
        listed = ", ".join(self.profile.versions)
        rule = "is required" if value is None else f"{value!r} is not one of {listed}"
        return [("(header) anthropic-version", rule, "HDR-003")]

    def beta_problems(self, sent: SentRequest) -> list[tuple[str, str, str]]:
        unknown = betas.unknown_names(sent.headers, self.profile)
        if not unknown:
            return []
        return [("(header) anthropic-beta", f"unknown beta name(s) {unknown}", "HDR-006")]

    def batch_problems(self, sent: SentRequest, route: str) -> list[tuple[str, str, str]]:
        rest = route.removeprefix(batches.PREFIX).strip("/")
        batch_id, _, action = rest.partition("/")
        allowed = batches.allowed_methods(batch_id, action)
        if allowed is None:
            return [("(path)", f"{route} is not an endpoint of {self.profile.name}", "ENDP-002")]
        if sent.method not in allowed:
            return [("(method)", f"{route} takes {' or '.join(allowed)}, not {sent.method}",
                     "ENDP-002")]  # fmt: skip
        found = self.auth_problems(sent) + self.version_problems(sent) + self.beta_problems(sent)
        if batch_id or sent.method != "POST":
            return found
        if (problem := self.content_problem(sent)) is not None:
            return [*found, problem]
        version, validator = self._validator(sent)

        def judge(params: Any) -> list[SchemaIssue]:
            return request_issues(params, "messages", version, self.profile, validator)

        rule = batches.create_problem(sent.body, judge)
        if rule is None:
            return found
        path, _, message = rule.partition(": ")
        return [*found, (path, message, clause_of(SchemaIssue(path, message)))]

    def content_problem(self, sent: SentRequest) -> tuple[str, str, str] | None:
        content_type = sent.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            return ("(header) content-type", f"must be application/json, got {content_type!r}",
                    "REQ-014")  # fmt: skip
        if not isinstance(sent.body, dict | list):
            return ("(body)", "is not a JSON object", "REQ-014")
        return None

    def body_problems(self, sent: SentRequest, endpoint: str) -> list[tuple[str, str, str]]:
        if (problem := self.content_problem(sent)) is not None:
            return [problem]
        version, validator = self._validator(sent)
        issues = request_issues(sent.body, endpoint, version, self.profile, validator)
        return [(issue.path, issue.message, clause_of(issue)) for issue in issues]

    def _validator(self, sent: SentRequest) -> tuple[str, Validator]:
        """The version a kept request is judged by, and its validator (with its betas)."""
        version = sent.headers.get("anthropic-version") or self.profile.anthropic_version
        if version not in self.profile.versions:
            version = self.profile.anthropic_version
        key = (version, betas.selected(sent.headers, self.profile))
        if key not in self._validators:
            overlay = self.profile.contract.overlay
            self._validators[key] = contract_validator(version, overlay, key[1])
        return version, self._validators[key]


def clause_of(issue: SchemaIssue) -> str:
    """A missing required field breaks REQ-015; any other schema break REQ-014."""
    return "REQ-015" if "required" in issue.message.lower() else "REQ-014"
