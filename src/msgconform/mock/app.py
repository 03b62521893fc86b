"""The mock as a raw ASGI app: routing, auth, version, body limits, then the endpoints."""

from __future__ import annotations

import itertools
import json
import logging
import secrets
from collections.abc import Awaitable, Callable, Mapping, MutableMapping
from typing import Any

from msgconform.core.profiles import Profile
from msgconform.mock import batches, betas, faults, scenarios, scenarios_clients
from msgconform.mock.generate import build_reply, count_input_tokens, digest
from msgconform.mock.hooks import NO_FAULT, Ctx, ErrorOut, Fault
from msgconform.mock.httpio import (
    MAX_BODY,
    SCHEME_LABELS,
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
NEW_VERSION = "2026-10-21"
SSE_HEADERS = {"cache-control": "no-cache"}


class MockApp:
    """Emulates one profile: its auth schemes and statuses, versions, features and SSE framing."""

    def __init__(self, profile: Profile, key: str, fault: str | None = None) -> None:
        self.profile, self.key = profile, key
        self.fault = faults.get(fault)
        self.overlay = profile.contract.get("overlay")
        self.version_enforced = profile.contract["version_header"] == "enforced"
        versions = {*profile.versions, profile.anthropic_version}
        self.validators = {v: contract_validator(v, self.overlay) for v in versions}
        self.named = bool(profile.contract.get("named_sse_events", True))
        self.done = bool(profile.contract.get("done_sentinel", False))
        self.ids = itertools.count(1)
        self.flips = itertools.count()
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
        )
        ctx.receive = receive
        fault_name = headers.get("x-msgconform-fault")
        fault = faults.FAULTS.get(fault_name, self.fault) if fault_name else self.fault
        reply = Reply(send, ctx, fault)
        if fault_name and fault_name not in faults.FAULTS:
            await reply.error(error(400, f"x-msgconform-fault: unknown fault {fault_name!r}"))
            return
        query = scope.get("query_string", b"").decode("latin-1")
        try:
            await self.route(ctx, fault, query, receive, reply)
        except ResetStream:
            raise
        except Exception:
            # A mock bug must still answer in the envelope; the traceback goes to the server log.
            logger.exception("mock error on %s %s", ctx.method, ctx.path)
            if not reply.started:
                await reply.error(error(500, "mock internal error"))

    async def route(
        self, ctx: Ctx, fault: Fault, query: str, receive: Receive, reply: Reply
    ) -> None:
        path = ctx.path.rstrip("/") or "/"
        if batches.owns(path) and self.profile.has("message_batches"):
            await self.batches.serve(self, ctx, fault, path, query, reply)
            return
        expected = METHODS.get(path) or ("GET" if path.startswith("/v1/models/") else None)
        feature = FEATURE_OF.get("/v1/models" if path.startswith("/v1/models/") else path)
        if expected is None or (feature and not self.profile.has(feature)):
            status = 400 if fault.has("unknown_path_not_404") else 404
            await reply.error(error(status, f"{ctx.method} {ctx.path}: not found"))
            return
        if ctx.method != expected:
            await reply.error(
                error(405, f"{ctx.method} {ctx.path}: method not allowed", allow=expected)
            )
            return
        problem = self.gate(ctx, fault, query, path)
        if problem is not None:
            await reply.error(problem)
            return
        if path.startswith("/v1/models"):
            await self.models(ctx, fault, path, query, reply)
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
        """Auth, version, beta and scenario refusals that come before the body is read."""
        skip_auth = fault.has("auth_only_on_messages") and path != "/v1/messages"
        if not skip_auth and (problem := self.auth(ctx.headers, fault)) is not None:
            return problem
        if (problem := self.version(ctx, fault)) is not None:
            return problem
        if fault.has("reject_beta_query") and "beta=" in query:
            return error(400, "beta: unknown query parameter")
        if fault.has("unknown_beta_500") and "anthropic-beta" in ctx.headers:
            return error(500, "Internal server error")
        if (problem := betas.refusal(ctx.headers, self.profile)) is not None:
            return problem
        return scenarios.refusal(ctx.headers.get(scenarios.HEADER), self.scenarios, path)

    def auth(self, headers: Mapping[str, str], fault: Fault) -> ErrorOut | None:
        accepted = list(self.profile.accepted_schemes)
        if fault.has("accept_rejected_scheme"):
            accepted += self.profile.rejected_schemes
        if fault.has("reject_accepted_scheme"):
            accepted = accepted[:-1]
        creds = credentials(headers)
        if fault.has("conflicting_auth_alternates") and len(creds) > 1 and next(self.flips) % 2:
            return error(int(self.profile.auth["invalid_key_status"]), "invalid API key")
        usable = [value for scheme, value in creds if scheme in accepted]
        if any(secrets.compare_digest(v, self.key) for v in usable) or (
            usable and fault.has("accept_wrong_key")
        ):
            return None
        status = int(self.profile.auth["invalid_key_status" if usable else "missing_key_status"])
        if usable:
            return error(status, "invalid API key")
        if not creds and fault.has("accept_missing_api_key"):
            return None
        schemes = ", ".join(SCHEME_LABELS[s] for s in accepted)
        seen = ", ".join(SCHEME_LABELS[s] for s, _ in creds)
        return error(
            status,
            f"{seen} is not accepted; use {schemes}"
            if creds
            else f"missing API key; use {schemes}",
        )

    def version(self, ctx: Ctx, fault: Fault) -> ErrorOut | None:
        value = ctx.headers.get("anthropic-version")
        known = value in self.profile.versions and not (
            fault.has("reject_new_version") and value == NEW_VERSION
        )
        if known or not self.version_enforced:
            chosen = value if known and value else self.profile.anthropic_version
            if chosen != value:
                ctx.headers = {**ctx.headers, "anthropic-version": chosen}
            return None
        if value is None:
            if fault.has("missing_version_accepted"):
                ctx.headers = {**ctx.headers, "anthropic-version": self.profile.anthropic_version}
                return None
            return error(400, "anthropic-version: header is required")
        listed = ", ".join(self.profile.versions)
        return error(400, f"anthropic-version: unsupported version {value!r}; use one of {listed}")

    async def read_json(
        self, ctx: Ctx, receive: Receive, reply: Reply, fault: Fault
    ) -> tuple[bytes, Any] | None:
        """The body's bytes and its JSON value, or None once an error has been answered."""
        length = ctx.headers.get("content-length", "")
        data = None if length.isdigit() and int(length) > MAX_BODY else await read_capped(receive)
        if data is None:
            status = 400 if fault.has("no_413") else 413
            await reply.error(error(status, f"request body exceeds {MAX_BODY} bytes"))
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
        if fault.has("accept_sampling_on_new_version"):
            version = self.profile.anthropic_version if version == NEW_VERSION else version
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
        status = (
            422
            if missing and 422 in self.profile.contract.get("client_error_statuses", [])
            else 400
        )
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
        as_sse = (ctx.stream and not fault.has("stream_answered_json")) or (
            not ctx.stream and fault.has("json_answered_sse")
        )
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
        content_type = (
            b"text/plain; charset=utf-8" if fault.has("wrong_content_type") else JSON_TYPE
        )
        await reply.whole(200, content_type, data)

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
        if (
            fault.has("count_tokens_needs_max_tokens")
            and isinstance(body, dict)
            and "max_tokens" not in body
        ):
            await reply.error(error(400, "max_tokens: Field required"))
            return
        if (problem := self.issues_error(ctx, fault, body, "count_tokens")) is not None:
            await reply.error(problem)
            return
        count = count_input_tokens(body) + (3 if fault.has("count_tokens_mismatch") else 0)
        await reply.whole(200, JSON_TYPE, dumps({"input_tokens": count}))

    async def models(self, ctx: Ctx, fault: Fault, path: str, query: str, reply: Reply) -> None:
        infos = [model_info(m) for m in dict.fromkeys(self.profile.models.values())]
        if path != "/v1/models":
            wanted = path.removeprefix("/v1/models/")
            found = [i for i in infos if i["id"] == wanted]
            if not found and not fault.has("unknown_model_200"):
                await reply.error(error(404, f"model: {wanted} not found"))
                return
            if found and fault.has("model_info_wrong_id"):
                found = [i for i in infos if i["id"] != wanted] or [model_info(wanted + "-other")]
            await reply.whole(200, JSON_TYPE, dumps(found[0] if found else model_info(wanted)))
            return
        if fault.has("models_openai_shape"):
            data = [
                {"id": i["id"], "object": "model", "created": 0, "owned_by": "mock"} for i in infos
            ]
            await reply.whole(200, JSON_TYPE, dumps({"object": "list", "data": data}))
            return
        await reply.whole(200, JSON_TYPE, dumps(models_page(infos, query)))


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
