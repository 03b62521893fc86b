"""The mock as a raw ASGI app: routing, auth, version, body limits, then the endpoints."""

from __future__ import annotations

import itertools
import json
import logging
import secrets
from collections import Counter
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from msgconform.core.profiles import Profile
from msgconform.mock import batches, betas, faults, scenarios, scenarios_clients
from msgconform.mock.cork import connection_of
from msgconform.mock.gate import auth_verdict, version_verdict
from msgconform.mock.generate import build_reply, count_input_tokens, digest
from msgconform.mock.hooks import (
    NO_FAULT,
    AuthCheck,
    Ctx,
    ErrorOut,
    Fault,
    ModelsAnswer,
    VersionCheck,
)
from msgconform.mock.httpio import (
    MAX_BODY,
    close_unanswered,
    credentials,
    drain,
    model_info,
    models_page,
    parse_json,
    read_capped,
)
from msgconform.mock.memo import Encoded, Memo, controlled
from msgconform.mock.reply import JSON_TYPE, SSE_TYPE, Reply, ResetStream, error
from msgconform.mock.validate import Validator, contract_validator, request_issues
from msgconform.mock.wire import (
    DONE_FRAME,
    Step,
    dumps,
    frame,
    message_object,
    stream_events,
)

logger = logging.getLogger("msgconform.mock")
Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

METHODS = {"/v1/messages": "POST", "/v1/messages/count_tokens": "POST", "/v1/models": "GET"}
FEATURE_OF = {"/v1/messages/count_tokens": "count_tokens", "/v1/models": "models_endpoint"}
SSE_HEADERS = {"cache-control": "no-cache"}


class MockApp:
    """Emulates one profile: its auth schemes and statuses, versions, features and SSE framing."""

    def __init__(self, profile: Profile, key: str, fault: str | None = None) -> None:
        self.profile, self.key = profile, key
        self.fault = faults.get(fault)
        self.overlay = profile.contract.overlay
        self.version_enforced = profile.contract.version_header == "enforced"
        versions = {*profile.versions, profile.anthropic_version}
        self.validators = {v: contract_validator(v, self.overlay) for v in versions}
        self.named = profile.contract.named_sse_events
        self.done = profile.contract.done_sentinel
        self.ids = itertools.count(1)
        self.tally: Counter[str] = Counter()  # kept for faults that remember (hooks.Ctx.tally)
        self.prefix = secrets.token_hex(4)
        self.scenarios = scenarios.Counter()
        self.memo = Memo()
        self.client_log = scenarios_clients.ClientLog()
        self.batches = batches.BatchStore()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        scope, receive, send = scenarios_clients.enter(self.client_log, scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        headers = betas.joined(scope["headers"], headers)
        ctx = Ctx(
            scope["method"],
            scope["path"],
            headers,
            self.key,
            f"req_{self.prefix}{next(self.ids):012d}",
            receive=receive,
            query=scope.get("query_string", b"").decode("latin-1"),
            tally=self.tally,
        )
        ctx.connection = connection_of(scope)
        fault_name = headers.get("x-msgconform-fault")
        fault = faults.FAULTS.get(fault_name, self.fault) if fault_name else self.fault
        reply = Reply(send, ctx, fault, self.profile.contract.message_only_errors)
        if fault_name and fault_name not in faults.FAULTS:
            await reply.error(error(400, f"x-msgconform-fault: unknown fault {fault_name!r}"))
            return
        if fault.serve is not None and ctx.connection and not fault.serve(ctx.connection, ctx):
            await close_unanswered(ctx.connection, receive)
            return
        try:
            await self.route(ctx, fault, receive, reply)
        except ResetStream:
            raise
        except Exception:
            # A mock bug must still answer in the envelope; the traceback goes to the server log.
            logger.exception("mock error on %s %s", ctx.method, ctx.path)
            if not reply.started:
                await reply.error(error(500, "mock internal error"))

    async def route(self, ctx: Ctx, fault: Fault, receive: Receive, reply: Reply) -> None:
        path = ctx.path.rstrip("/") or "/"
        if batches.owns(path) and self.profile.has("message_batches"):
            ctx.route = path
            await self.batches.serve(self, ctx, fault, path, ctx.query, reply)
            return
        expected = METHODS.get(path) or ("GET" if path.startswith("/v1/models/") else None)
        feature = FEATURE_OF.get("/v1/models" if path.startswith("/v1/models/") else path)
        if expected is None or (feature and not self.profile.has(feature)):
            await reply.error(error(404, f"{ctx.method} {ctx.path}: not found"))
            return
        ctx.route = path
        if ctx.method != expected:
            await reply.error(
                error(405, f"{ctx.method} {ctx.path}: method not allowed", allow=expected)
            )
            return
        problem = self.gate(ctx, fault, ctx.query, path)
        if problem is not None:
            await reply.error(problem)
            return
        if path.startswith("/v1/models"):
            await self.models(ctx, fault, path, reply)
            return
        read = await self.read_json(ctx, receive, reply, fault)
        if read is None:
            return
        raw, body = read
        if path == "/v1/messages":
            await self.messages(ctx, fault, body, reply, raw)
        else:
            await self.count_tokens(ctx, fault, body, reply)

    def gate(self, ctx: Ctx, fault: Fault, query: str, path: str) -> ErrorOut | None:
        """Auth, version, beta and scenario refusals that come before the body is read (`query`
        is ctx.query; mock/batches.py calls this too)."""
        if (problem := self.auth(ctx, fault)) is not None:
            return problem
        if (problem := self.version(ctx, fault)) is not None:
            return problem
        if (problem := betas.refusal(ctx.headers, self.profile)) is not None:
            return problem
        return scenarios.refusal(ctx.headers.get(scenarios.HEADER), self.scenarios, path)

    def auth(self, ctx: Ctx, fault: Fault) -> ErrorOut | None:
        check = AuthCheck(
            tuple(credentials(ctx.headers)),
            tuple(self.profile.accepted_schemes),
            tuple(self.profile.rejected_schemes),
            self.key,
            self.profile.auth.missing_key_status,
            self.profile.auth.invalid_key_status,
        )
        return fault.auth(check, ctx) if fault.auth is not None else auth_verdict(check)

    def version(self, ctx: Ctx, fault: Fault) -> ErrorOut | None:
        """Refuses a missing or unknown anthropic-version where the profile enforces it; otherwise
        the request goes on under the version it is served with (its own, or the default)."""
        value = ctx.headers.get("anthropic-version")
        check = VersionCheck(
            value, tuple(self.profile.versions), self.profile.anthropic_version,
            self.version_enforced,
        )  # fmt: skip
        served = fault.version(check, ctx) if fault.version is not None else version_verdict(check)
        if isinstance(served, ErrorOut):
            return served
        if served != value:
            ctx.headers = {**ctx.headers, "anthropic-version": served}
        return None

    async def read_json(
        self, ctx: Ctx, receive: Receive, reply: Reply, fault: Fault
    ) -> tuple[bytes, Any] | None:
        """The body's bytes and its JSON value, or None once an error has been answered."""
        length = ctx.headers.get("content-length", "")
        data = None if length.isdigit() and int(length) > MAX_BODY else await read_capped(receive)
        if data is None:
            await reply.error(error(413, f"request body exceeds {MAX_BODY} bytes"))
            await drain(receive)
            return None
        content_type = ctx.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            await reply.error(
                error(
                    400, f"content-type: must be application/json, got {content_type or 'none'!r}"
                )
            )
            return None
        try:
            return data, parse_json(data)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            await reply.error(error(400, f"(body): invalid JSON: {exc}"))
            return None

    def request_validator(self, ctx: Ctx, fault: Fault) -> tuple[str, Validator]:
        """The version a request is judged by and its validator (with the betas it names)."""
        version = ctx.headers["anthropic-version"]
        named = betas.selected(ctx.headers, self.profile)
        known = None if named else self.validators.get(version)
        return version, known or contract_validator(version, self.overlay, named)

    def issues_error(self, ctx: Ctx, fault: Fault, body: Any, endpoint: str) -> ErrorOut | None:
        version, validator = self.request_validator(ctx, fault)
        issues = request_issues(body, endpoint, version, self.profile, validator)
        if fault.issues is not None:
            issues = fault.issues(issues, ctx)
        if not issues:
            return None
        missing = "required" in issues[0].message.lower()
        status = 422 if missing and 422 in self.profile.contract.client_error_statuses else 400
        return error(status, str(issues[0]))

    async def messages(
        self, ctx: Ctx, fault: Fault, body: Any, reply: Reply, raw: bytes = b""
    ) -> None:
        if fault.request is not None:
            body = fault.request(body, ctx)
        ctx.body = body
        if (problem := self.issues_error(ctx, fault, body, "messages")) is not None:
            await reply.error(problem)
            return
        scenario = scenarios.parse(ctx.headers.get(scenarios.HEADER))
        ctx.stream = body.get("stream") is True
        if scenario.name == scenarios_clients.NAME:
            await scenarios_clients.serve(scenario.raw, ctx, reply, self.client_log)
            return
        if await scenarios.first_byte_delay(scenario, ctx, fault):
            return
        if scenario.name == "stream_error" and not ctx.stream:
            await reply.error(error(500, "Internal server error"))
            return
        # A clean request's answer is a function of its bytes alone: sent again from the memo.
        clean = fault is NO_FAULT and bool(raw) and not controlled(ctx.headers)
        if clean and (known := self.memo.get(raw)) is not None:
            await self.send_encoded(known, reply)
            return
        text = scenarios.long_text(scenario)
        seed = digest(body)
        made = build_reply(body, thinking=self.profile.has("thinking"), text=text, seed=seed)
        model = str(body.get("model") or self.profile.model())
        message = message_object(made, "msg_01" + seed[:22], model)
        if fault.message is not None:
            message = fault.message(message, ctx)
        as_sse = ctx.stream if fault.sse is None else fault.sse(ctx.stream, ctx)
        if clean:
            encoded = self.memo.put(
                raw, self.encode_frames(fault, message, ctx) if as_sse else dumps(message)
            )
            await self.send_encoded(encoded, reply)
        elif as_sse:
            await self.stream(ctx, fault, message, reply, scenario)
        else:
            await self.json_message(ctx, fault, message, reply)

    async def send_encoded(self, encoded: Encoded, reply: Reply) -> None:
        if isinstance(encoded, bytes):
            await reply.whole(200, JSON_TYPE, encoded)
            return
        await reply.start(200, SSE_TYPE, SSE_HEADERS)
        await reply.frames(encoded)

    async def json_message(
        self, ctx: Ctx, fault: Fault, message: dict[str, Any], reply: Reply
    ) -> None:
        if fault.body is not None:
            message = fault.body(message, ctx)
        data = dumps(message)
        if fault.raw is not None:
            data = fault.raw(data, ctx)
        await reply.whole(200, JSON_TYPE, data)

    def encode_frames(self, fault: Fault, message: dict[str, Any], ctx: Ctx) -> list[bytes]:
        events = stream_events(message)
        if fault.events is not None:
            events = fault.events(events, ctx)
        frames = [frame(name, data, self.named) for name, data in events]
        if fault.frame is not None:
            frames = [
                fault.frame(name, data, raw)
                for (name, data), raw in zip(events, frames, strict=True)
            ]
        if self.done:
            frames.append(DONE_FRAME)
        return frames

    async def stream(
        self,
        ctx: Ctx,
        fault: Fault,
        message: dict[str, Any],
        reply: Reply,
        scenario: scenarios.Scenario,
    ) -> None:
        frames = self.encode_frames(fault, message, ctx)
        if scenario is scenarios.NONE and fault.steps is None:
            await reply.start(200, SSE_TYPE, SSE_HEADERS)
            await reply.frames(frames)
            return
        steps = scenarios.stream_steps(
            scenario, [Step(f) for f in frames], self.named, ctx.request_id
        )
        if fault.steps is not None:
            steps = fault.steps(steps, ctx)
        await reply.start(200, SSE_TYPE, SSE_HEADERS)
        await reply.steps(steps)

    async def count_tokens(self, ctx: Ctx, fault: Fault, body: Any, reply: Reply) -> None:
        ctx.body = body
        if (problem := self.issues_error(ctx, fault, body, "count_tokens")) is not None:
            await reply.error(problem)
            return
        count = count_input_tokens(body)
        if fault.tokens is not None:
            count = fault.tokens(count, ctx)
        await reply.whole(200, JSON_TYPE, dumps({"input_tokens": count}))

    async def models(self, ctx: Ctx, fault: Fault, path: str, reply: Reply) -> None:
        infos = [model_info(m) for m in dict.fromkeys(self.profile.models.values())]
        wanted = None if path == "/v1/models" else path.removeprefix("/v1/models/")
        if wanted is None:
            body: dict[str, Any] | None = models_page(infos, ctx.query)
        else:
            body = next((i for i in infos if i["id"] == wanted), None)
        answer = ModelsAnswer(infos, wanted, body)
        if fault.models is not None:
            answer = fault.models(answer, ctx)
        if answer.body is None:
            await reply.error(error(404, f"model: {wanted} not found"))
            return
        await reply.whole(200, JSON_TYPE, dumps(answer.body))


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def build_app(profile: Profile, key: str, fault: str | None = None) -> MockApp:
    return MockApp(profile, key, fault)
