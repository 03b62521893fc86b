"""Judging one scenario: what the client returned, the requests it sent, and the waits between.

Every verdict is a ConformanceFailure citing a clause, made a Failure by the one `to_failure`
(checks/base.py) as a provider check's is, so it reads Requirement / Expected / Actual alike."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from msgconform.checks.base import ConformanceFailure, to_failure
from msgconform.clients.adapter import AdapterRun
from msgconform.clients.exchanges import ClientAttempt
from msgconform.clients.policy import Policy
from msgconform.clients.policy_outcome import Expected
from msgconform.clients.scenarios import ClientScenario
from msgconform.core.grading import Failure
from msgconform.mock.scenarios_clients import Logged

AUTH_CLAUSE = "CLIENT-021"
REQUEST_CLAUSE = "CLIENT-022"
RETRY_CLAUSE = "CLIENT-023"
SHOWN = 160


@dataclass(frozen=True)
class Seen:
    """Everything the judge looks at for one scenario."""

    scenario: ClientScenario
    expected: Expected
    policy: Policy
    served: dict[str, Any]  # the Message the mock streamed or sent
    request: dict[str, Any]  # what the adapter was asked to send
    run: AdapterRun
    log: Sequence[Logged]
    key: str
    auth: str
    versions: tuple[str, ...]
    sent: tuple[ClientAttempt, ...] = ()  # the log's entries as exchanges, for the record


def verdict(
    check: str,
    clause_id: str,
    expected: str,
    actual: str,
    symptom: str | None = None,
    exchange: ClientAttempt | None = None,
) -> ConformanceFailure:
    """A client check's failure, as a provider check raises it (the check's name kept with it)."""
    return ConformanceFailure(
        clause_id, expected, actual, exchange=exchange, symptom=symptom, check=check
    )


def short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= SHOWN else text[:SHOWN] + "…"


def judge(seen: Seen) -> list[Failure]:
    found = list(result_failures(seen))
    found += attempt_failures(seen)
    found += request_failures(seen)
    return [to_failure(exc.check, exc) for exc in found]


# ---- the result ----------------------------------------------------------------------------


def result_failures(seen: Seen) -> Iterator[ConformanceFailure]:
    clause, run, want = seen.scenario.clauses[0], seen.run, seen.expected
    if run.timed_out:
        yield verdict(
            "client_answers", clause, f"a result within {seen.scenario.within_s:g}s",
            f"no result after {run.elapsed_s:.1f}s; the adapter was stopped",
            "the call hangs",
        )  # fmt: skip
        return
    output = run.output or {}
    error, message = output.get("error"), message_of(output)
    if want.result == "message" and message is None:
        yield verdict("client_result", clause, "the message", f"an error: {short(error)}")
    elif want.result == "error" and error is None:
        yield verdict(
            "client_result", clause, f"an error {describe_error(want.error)}",
            f"a message: {short(summary(message))}", "the caller sees a complete answer",
        )  # fmt: skip
    if message is not None and want.result != "error":
        yield from message_failures(seen, message)
    if isinstance(error, dict) and want.result == "error":
        yield from error_failures(seen, error, output.get("partial"))


def message_of(output: dict[str, Any]) -> dict[str, Any] | None:
    if "error" in output:
        return None
    found = output.get("message", output if output.get("type") == "message" else None)
    return found if isinstance(found, dict) else None


def describe_error(error: dict[str, Any]) -> str:
    parts = [
        f"type {error['type']}" if "type" in error else "",
        f"status {error['status']}" if "status" in error else "",
    ]
    shown = ", ".join(p for p in parts if p)
    return f"({shown})" if shown else "(any type)"


def summary(message: dict[str, Any] | None) -> dict[str, Any]:
    message = message or {}
    return {"content": view(message.get("content")), "stop_reason": message.get("stop_reason")}


def view(content: Any, skip: Sequence[str] = ()) -> list[dict[str, Any]]:
    """The parts of each block a client must get right."""
    fields = {
        "text": ("text",),
        "thinking": ("thinking", "signature"),
        "tool_use": ("id", "name", "input"),
    }
    blocks = content if isinstance(content, list) else []
    return [
        {"type": b.get("type"), **{f: b.get(f) for f in fields.get(str(b.get("type")), ())}}
        for b in blocks
        if isinstance(b, dict) and b.get("type") not in skip
    ]


def message_failures(seen: Seen, message: dict[str, Any]) -> Iterator[ConformanceFailure]:
    clause = seen.scenario.clauses[0]
    skip = tuple(seen.scenario.expect.get("optional_blocks") or ())
    want, got = view(seen.served["content"], skip), view(message.get("content"), skip)
    if want != got:
        where = first_difference(want, got)
        yield verdict("client_message_content", clause, short(where[0]), short(where[1]))
    stop, wanted_stop = message.get("stop_reason"), seen.served["stop_reason"]
    if stop != wanted_stop:
        yield verdict(
            "client_message_stop_reason",
            clause,
            f"stop_reason {wanted_stop!r}",
            f"stop_reason {stop!r}",
        )
    found = message.get("usage")
    usage: dict[str, Any] = found if isinstance(found, dict) else {}
    for name in ("input_tokens", "output_tokens"):
        if usage.get(name) != seen.served["usage"][name]:
            yield verdict(
                "client_message_usage", clause,
                f"usage.{name} {seen.served['usage'][name]}", f"usage.{name} {usage.get(name)}",
            )  # fmt: skip


def first_difference(want: list[dict[str, Any]], got: list[dict[str, Any]]) -> tuple[Any, Any]:
    if len(want) != len(got):
        return (
            f"{len(want)} blocks {[b['type'] for b in want]}",
            f"{len(got)} blocks {[b['type'] for b in got]}",
        )
    for index, (a, b) in enumerate(zip(want, got, strict=True)):
        for name in a:
            if a[name] != b.get(name):
                return (
                    f"content[{index}].{name} = {short(a[name])}",
                    f"content[{index}].{name} = {short(b.get(name))}",
                )
    return want, got


def error_failures(seen: Seen, error: dict[str, Any], partial: Any) -> Iterator[ConformanceFailure]:
    clause, want = seen.scenario.clauses[0], seen.expected.error
    if "type" in want and error.get("type") != want["type"]:
        yield verdict(
            "client_error_type", clause, f"error type {want['type']}",
            f"error type {error.get('type')} ({short(error.get('message', ''))})",
        )  # fmt: skip
    if "status" in want and error.get("status") != want["status"]:
        yield verdict(
            "client_error_status",
            clause,
            f"status {want['status']}",
            f"status {error.get('status')}",
        )
    wanted_text = seen.scenario.expect.get("partial_text")
    if wanted_text is not None and seen.policy.partial_text_on_error:
        text = "".join(
            b.get("text", "") for b in view((partial or {}).get("content")) if b["type"] == "text"
        )
        if text != wanted_text:
            yield verdict(
                "client_partial_text", clause, f"the text so far: {short(wanted_text)}",
                f"{short(text)}" if partial else "no partial message",
            )  # fmt: skip


# ---- attempts and waits --------------------------------------------------------------------


def attempt_failures(seen: Seen) -> Iterator[ConformanceFailure]:
    clause, want, log = seen.scenario.clauses[0], seen.expected, seen.log
    why = f" ({want.derived})" if want.derived else ""
    if want.attempts is not None and len(log) != want.attempts:
        statuses = ", ".join(str(e.status) for e in log) or "none"
        yield verdict(
            "client_attempts", clause, f"{want.attempts} request(s){why}",
            f"{len(log)} request(s), answered {statuses}",
        )  # fmt: skip
    for number, (before, after) in enumerate(itertools.pairwise(log), 1):
        if number > len(want.waits):
            break
        wait, gap = want.waits[number - 1], after.arrived - before.finished
        if not wait.low_s <= gap <= wait.high_s:
            retry = seen.sent[number] if number < len(seen.sent) else None  # the early attempt
            yield verdict(
                "client_retry_wait", clause,
                f"retry {number} after {wait.low_s:.2f}-{wait.high_s:.2f}s ({wait.why})",
                f"after {gap:.2f}s", exchange=retry,
            )  # fmt: skip


# ---- what the client sent ------------------------------------------------------------------


def request_failures(seen: Seen) -> Iterator[ConformanceFailure]:
    scripted = [("error" in s) for s in seen.scenario.serve]
    for number, entry in enumerate(seen.log, 1):
        where = f"request {number} of {len(seen.log)}"
        problems = list(entry_problems(seen, entry, scripted[min(number - 1, len(scripted) - 1)]))
        sent = seen.sent[number - 1] if number <= len(seen.sent) else None
        for clause_id, check, expected, actual in problems:
            yield verdict(check, clause_id, expected, f"{where}: {actual}", exchange=sent)
        if problems:
            return  # one request shows it; the others usually repeat it
    yield from retry_header_failures(seen)


def entry_problems(
    seen: Seen, entry: Logged, scripted_error: bool
) -> Iterator[tuple[str, str, str, str]]:
    headers = entry.headers
    if (auth := auth_problem(headers, seen.auth, seen.key)) is not None:
        yield AUTH_CLAUSE, "client_auth_scheme", f"the key in {seen.auth} only", auth
    version = headers.get("anthropic-version")
    if version not in seen.versions:
        yield (
            REQUEST_CLAUSE,
            "client_version_header",
            f"anthropic-version in {list(seen.versions)}",
            f"{version!r}",
        )
    content_type = headers.get("content-type", "").split(";")[0].strip()
    if content_type != "application/json":
        yield (
            REQUEST_CLAUSE,
            "client_content_type",
            "content-type application/json",
            repr(content_type),
        )
    if (body := body_problem(entry.body, seen.request)) is not None:
        yield REQUEST_CLAUSE, "client_request_body", "the caller's request, as JSON", body
    rejected = (entry.status or 0) >= 400 and not scripted_error
    if rejected and auth is None:
        answer = bytes(entry.response).decode("utf-8", errors="replace")
        yield (
            REQUEST_CLAUSE,
            "client_request_accepted",
            "a request the mock accepts",
            f"{entry.status} {short(answer)}",
        )


def auth_problem(headers: dict[str, str], scheme: str, key: str) -> str | None:
    bearer, api_key = headers.get("authorization"), headers.get("x-api-key")
    if scheme == "bearer":
        if bearer != f"Bearer {key}":
            return "no Authorization: Bearer with the key" + (
                " (x-api-key sent)" if api_key else ""
            )
        return "x-api-key sent as well" if api_key is not None else None
    if api_key != key:
        return "no x-api-key with the key" + (" (Authorization sent)" if bearer else "")
    return "Authorization sent as well" if bearer is not None else None


def body_problem(raw: bytes | bytearray, request: dict[str, Any]) -> str | None:
    try:
        body = json.loads(bytes(raw))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return f"not JSON: {exc}"
    if not isinstance(body, dict):
        return f"not an object: {short(body)}"
    wanted = {k: v for k, v in request.items() if k != "stream"}
    for name, value in wanted.items():
        if body.get(name) != value:
            return f"{name} = {short(body.get(name))}, asked {short(value)}"
    extra = sorted(set(body) - set(wanted) - {"stream"})
    if extra:
        return f"fields the caller did not ask for: {', '.join(extra)}"
    if bool(body.get("stream")) != bool(request.get("stream")):
        return f"stream = {body.get('stream')!r}, asked {request.get('stream')!r}"
    return None


def retry_header_failures(seen: Seen) -> Iterator[ConformanceFailure]:
    if len(seen.log) < 2:
        return
    bodies = [bytes(e.body) for e in seen.log]
    parsed = [json.loads(b) if b else None for b in bodies]
    if any(p != parsed[0] for p in parsed[1:]):
        yield verdict(
            "client_retry_body",
            RETRY_CLAUSE,
            "the same body on every attempt",
            "the body changed between attempts",
        )
    if key_name := seen.policy.idempotency_header:
        keys = [e.headers.get(key_name) for e in seen.log]
        if keys[0] is None or len(set(keys)) != 1:
            yield verdict(
                "client_idempotency_key", RETRY_CLAUSE, f"one {key_name} on every attempt",
                f"{key_name}: {keys}",
            )  # fmt: skip
    name = seen.policy.retry_count_header
    if name:
        values = [e.headers.get(name) for e in seen.log]
        wanted = [str(i) for i in range(len(values))]
        if values != wanted:
            yield verdict(
                "client_retry_count",
                RETRY_CLAUSE,
                f"{name}: {', '.join(wanted)}",
                f"{name}: {values}",
            )
