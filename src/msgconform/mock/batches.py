"""Message Batches on the mock, strictly: create (every request's params judged as /v1/messages
judges a body, custom_id rules), retrieve, list (before_id / after_id / limit), cancel, delete
(ended batches only) and results (JSONL), shaped as the pinned SDK's types/messages/ batch types.

A batch is `in_progress` when created and `ended` once `delay_s` has passed (0 by default: the
first read after create sees it ended; MSGCONFORM_MOCK_BATCH_SECONDS or the store's `delay_s`
slow it down so a client's polling loop can be seen). Answers are computed at create time with the
mock's own reply builder, so results are deterministic for the same params."""

from __future__ import annotations

import itertools
import os
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from msgconform.contract.explain import SchemaIssue
from msgconform.core.datafiles import TOP_LEVEL
from msgconform.core.profiles import Profile
from msgconform.mock.generate import build_reply, digest
from msgconform.mock.hooks import Ctx, ErrorOut, Fault
from msgconform.mock.reply import JSON_TYPE, Reply, error
from msgconform.mock.validate import Validator, request_issues
from msgconform.mock.wire import dumps, message_object

PREFIX = "/v1/messages/batches"
DELAY_ENV = "MSGCONFORM_MOCK_BATCH_SECONDS"
# Upstream's batch limits and custom_id rule (docs: Create a Message Batch).
MAX_REQUESTS = 100_000
CUSTOM_ID = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
EXPIRES_S = 24 * 3600
LIMIT_RANGE = (1, 1000)
# The results endpoint's content type (anthropic-sdk-ruby#208, anthropic-sdk-php#30: the API sends
# application/x-jsonl with an attachment disposition).
JSONL_TYPE = b"application/x-jsonl"


class Host(Protocol):
    """What the batches need of the mock app (kept as a protocol: the app imports this module)."""

    profile: Profile

    def gate(self, ctx: Ctx, fault: Fault, query: str, path: str) -> ErrorOut | None: ...

    async def read_json(
        self, ctx: Ctx, receive: Any, reply: Reply, fault: Fault
    ) -> tuple[bytes, Any] | None: ...

    def request_validator(self, ctx: Ctx, fault: Fault) -> tuple[str, Validator]: ...


@dataclass
class Batch:
    id: str
    seq: int
    created: float
    ends: float
    base_url: str
    results: list[tuple[str, dict[str, Any]]]  # (custom_id, the Message)
    cancel_initiated: float | None = None

    def ended(self, now: float) -> bool:
        return now >= self.ends

    def outcome(self) -> str:
        return "canceled" if self.cancel_initiated is not None else "succeeded"


def owns(path: str) -> bool:
    return path == PREFIX or path.startswith(PREFIX + "/")


def _stamp(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return (
        datetime.fromtimestamp(epoch, UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
    )


def view(batch: Batch, now: float, pending: bool = False) -> dict[str, Any]:
    """The MessageBatch object as of `now` (`pending`: the answer to create or cancel itself)."""
    ended = batch.ended(now) and not pending
    size = len(batch.results)
    counts = {"canceled": 0, "errored": 0, "expired": 0, "processing": 0, "succeeded": 0}
    if ended:
        counts[batch.outcome()] = size
        status = "ended"
    else:
        counts["processing"] = size
        status = "in_progress" if batch.cancel_initiated is None else "canceling"
    return {
        "id": batch.id,
        "type": "message_batch",
        "processing_status": status,
        "request_counts": counts,
        "created_at": _stamp(batch.created),
        "expires_at": _stamp(batch.created + EXPIRES_S),
        "ended_at": _stamp(batch.ends) if ended else None,
        "archived_at": None,
        "cancel_initiated_at": _stamp(batch.cancel_initiated),
        "results_url": f"{batch.base_url}{PREFIX}/{batch.id}/results" if ended else None,
    }


def result_lines(batch: Batch) -> bytes:
    lines = []
    for custom_id, message in batch.results:
        result: dict[str, Any] = {"type": batch.outcome()}
        if batch.outcome() == "succeeded":
            result["message"] = message
        lines.append(dumps({"custom_id": custom_id, "result": result}))
    return b"\n".join(lines) + b"\n"


def _prefixed(issue: SchemaIssue, prefix: str) -> str:
    path = prefix if issue.path == TOP_LEVEL else f"{prefix}.{issue.path}"
    return f"{path}: {issue.message}"


def create_problem(body: Any, judge: Any) -> str | None:
    """The first thing wrong with a create body, as "path: rule"; `judge(params)` -> issues."""
    if not isinstance(body, dict):
        return "(top level): must be of type object"
    if stray := sorted(set(body) - {"requests"}):
        return f"(top level): unexpected field {stray[0]!r}"
    requests = body.get("requests")
    if requests is None:
        return "requests: Field required"
    if not isinstance(requests, list) or not requests:
        return "requests: must be a non-empty array"
    if len(requests) > MAX_REQUESTS:
        return f"requests: at most {MAX_REQUESTS} requests in a batch"
    seen: set[str] = set()
    for i, item in enumerate(requests):
        if (problem := _item_problem(item, f"requests.{i}", seen, judge)) is not None:
            return problem
    return None


def _item_problem(item: Any, where: str, seen: set[str], judge: Any) -> str | None:
    if not isinstance(item, dict):
        return f"{where}: must be of type object"
    if stray := sorted(set(item) - {"custom_id", "params"}):
        return f"{where}: unexpected field {stray[0]!r}"
    for key in ("custom_id", "params"):
        if key not in item:
            return f"{where}.{key}: Field required"
    custom_id = item["custom_id"]
    if not isinstance(custom_id, str) or not CUSTOM_ID.match(custom_id):
        return f"{where}.custom_id: must match ^[a-zA-Z0-9_-]{{1,64}}$"
    if custom_id in seen:
        return f"{where}.custom_id: {custom_id!r} is used twice; each must be unique in the batch"
    seen.add(custom_id)
    issues: list[SchemaIssue] = judge(item["params"])
    return _prefixed(issues[0], f"{where}.params") if issues else None


def page(batches: list[Batch], query: str) -> dict[str, Any] | str:
    """One page of the list, newest first, or the problem with the query."""
    params = dict(p.partition("=")[::2] for p in query.split("&") if p)
    raw_limit = params.get("limit", "20")
    low, high = LIMIT_RANGE
    if not raw_limit.isdigit() or not low <= int(raw_limit) <= high:
        return f"limit: must be an integer from {low} to {high}"
    limit = int(raw_limit)
    ids = [b.id for b in batches]
    if params.get("before_id") in ids:
        end = ids.index(params["before_id"])
        chosen, more = batches[max(0, end - limit) : end], end - limit > 0
    else:
        start = ids.index(params["after_id"]) + 1 if params.get("after_id") in ids else 0
        chosen = batches[start : start + limit]
        more = start + len(chosen) < len(batches)
    now = time.time()
    return {
        "data": [view(b, now) for b in chosen],
        "has_more": more,
        "first_id": chosen[0].id if chosen else None,
        "last_id": chosen[-1].id if chosen else None,
    }


class BatchStore:
    """The mock's batches, in memory, for the life of the app."""

    def __init__(self, delay_s: float | None = None) -> None:
        self.delay_s = float(os.environ.get(DELAY_ENV, "0")) if delay_s is None else delay_s
        self.batches: dict[str, Batch] = {}
        self.seq = itertools.count()

    def newest_first(self) -> list[Batch]:
        return sorted(self.batches.values(), key=lambda b: b.seq, reverse=True)

    async def serve(
        self, host: Host, ctx: Ctx, fault: Fault, path: str, query: str, reply: Reply
    ) -> None:
        rest = path.removeprefix(PREFIX).strip("/")
        batch_id, _, action = rest.partition("/")
        allowed = allowed_methods(batch_id, action)
        if allowed is None:
            await reply.error(error(404, f"{ctx.method} {ctx.path}: not found"))
            return
        if ctx.method not in allowed:
            listed = ", ".join(allowed)
            await reply.error(
                error(405, f"{ctx.method} {ctx.path}: method not allowed", allow=listed)
            )
            return
        if (problem := host.gate(ctx, fault, query, path)) is not None:
            await reply.error(problem)
            return
        if not batch_id:
            if ctx.method == "POST":
                await self.create(host, ctx, fault, reply)
            else:
                await self.list(query, reply)
            return
        batch = self.batches.get(batch_id)
        if batch is None:
            await reply.error(error(404, f"message_batch_id: {batch_id!r} not found"))
            return
        await self.act(batch, ctx.method, action, reply)

    async def create(self, host: Host, ctx: Ctx, fault: Fault, reply: Reply) -> None:
        read = await host.read_json(ctx, ctx.receive, reply, fault)
        if read is None:
            return
        body = read[1]
        version, validator = host.request_validator(ctx, fault)

        def judge(params: Any) -> list[SchemaIssue]:
            return request_issues(params, "messages", version, host.profile, validator)

        if (problem := create_problem(body, judge)) is not None:
            await reply.error(error(400, problem))
            return
        now = time.time()
        batch = Batch(
            id="msgbatch_01" + secrets.token_hex(11),
            seq=next(self.seq),
            created=now,
            ends=now + self.delay_s,
            base_url=_base_url(ctx.headers),
            results=[
                (r["custom_id"], _answer(r["params"], host.profile)) for r in body["requests"]
            ],
        )
        self.batches[batch.id] = batch
        await _json(reply, view(batch, now, pending=True))

    async def list(self, query: str, reply: Reply) -> None:
        found = page(self.newest_first(), query)
        if isinstance(found, str):
            await reply.error(error(400, found))
            return
        await _json(reply, found)

    async def act(self, batch: Batch, method: str, action: str, reply: Reply) -> None:
        now = time.time()
        if action == "cancel":
            if batch.ended(now):
                await _json(reply, view(batch, now))
                return
            batch.cancel_initiated = now
            batch.ends = min(batch.ends, now + self.delay_s)
            await _json(reply, view(batch, now, pending=True))
        elif action == "results":
            if not batch.ended(now):
                await reply.error(
                    error(400, f"{batch.id}: results are available once it has ended")
                )
                return
            disposition = f"attachment; filename*=utf-8''{batch.id}_results.jsonl"
            await reply.whole(
                200, JSONL_TYPE, result_lines(batch), {"content-disposition": disposition}
            )
        elif method == "DELETE":
            if not batch.ended(now):
                message = f"{batch.id}: a batch can be deleted once it has ended; cancel it first"
                await reply.error(error(400, message))
                return
            del self.batches[batch.id]
            await _json(reply, {"id": batch.id, "type": "message_batch_deleted"})
        else:
            await _json(reply, view(batch, now))


def allowed_methods(batch_id: str, action: str) -> tuple[str, ...] | None:
    """The methods a batches path takes, or None when it is no such path."""
    if not batch_id:
        return ("GET", "POST")
    if not action:
        return ("GET", "DELETE")
    return {"cancel": ("POST",), "results": ("GET",)}.get(action)


def _answer(params: Mapping[str, Any], profile: Profile) -> dict[str, Any]:
    seed = digest(params)
    made = build_reply(params, thinking=profile.has("thinking"), seed=seed)
    model = str(params.get("model") or profile.model())
    return message_object(made, "msg_01" + seed[:22], model)


def _base_url(headers: Mapping[str, str]) -> str:
    return f"http://{headers.get('host', '127.0.0.1')}"


async def _json(reply: Reply, value: Any) -> None:
    await reply.whole(200, JSON_TYPE, dumps(value))
