"""Probes: how a case gathers its exchanges. Checks then judge them; probes never judge."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from msgconform.checks import REGISTRY, CaseContext, ConformanceFailure
from msgconform.checks.base import ProbeResult
from msgconform.checks.common import text_of
from msgconform.checks.stop import draw_stop_sequence
from msgconform.core.cases import Case
from msgconform.core.endpoints import COUNT_TOKENS, MESSAGES, MODELS
from msgconform.core.exchange import Exchange
from msgconform.features import feature_probe
from msgconform.fuzz.probe import fuzz as generate_and_send
from msgconform.transport.session import WRONG_KEY, Session

Exchanges = dict[str, Exchange]
# A probe sends a case's requests and returns what came back (and, for the fuzz probe, its notes).
Probe = Callable[[Session, Case, dict[str, Any]], ProbeResult]
PROBES: dict[str, Probe] = {}


def probe(name: str) -> Callable[[Probe], Probe]:
    def register(func: Probe) -> Probe:
        PROBES[name] = func
        return func

    return register


def minimal_request(session: Session) -> dict[str, Any]:
    return {
        "model": session.profile.model("small"),
        "max_tokens": 4,
        "messages": [{"role": "user", "content": "Repeat after me: OK"}],
    }


def padded_body(body: Mapping[str, Any], size: int) -> bytes:
    """A valid JSON request of exactly `size` bytes: the padding goes into metadata.user_id."""
    padded = {**body, "metadata": {"user_id": ""}}
    base = len(json.dumps(padded).encode())
    padded["metadata"] = {"user_id": "x" * max(size - base, 0)}
    return json.dumps(padded).encode()


@probe("send")
def send(session: Session, case: Case, body: dict[str, Any]) -> ProbeResult:
    params = case.probe_params
    path = params.get("path", MESSAGES)
    if query := params.get("query"):
        path = f"{path}?{query}"
    key = WRONG_KEY if params.get("key") == "wrong" else None
    headers = session.headers(
        scheme=params.get("scheme"),
        key=key,
        version=params.get("version"),
        extra=params.get("headers"),
    )
    if content_type := params.get("content_type"):
        headers["content-type"] = content_type
    raw: bytes | None = None
    if "raw_body" in params:
        raw = str(params["raw_body"]).encode("utf-8")
    elif size := params.get("body_bytes"):
        raw = padded_body(body, int(size))
    method = params.get("method", "POST")
    payload = body if method in ("POST", "PUT", "PATCH") and raw is None else None
    exchange = session.send(
        "main",
        path,
        payload,
        method=method,
        headers=headers,
        raw_body=raw,
        stream=bool(body.get("stream")),
        retry=bool(params.get("retry", True)),
    )
    return ProbeResult({"main": exchange})


@probe("stream_and_json")
def stream_and_json(session: Session, case: Case, body: dict[str, Any]) -> ProbeResult:
    streamed = session.send("stream", MESSAGES, {**body, "stream": True}, stream=True)
    plain = {k: v for k, v in body.items() if k != "stream"}
    return ProbeResult({"stream": streamed, "json": session.send("json", MESSAGES, plain)})


@probe("auth")
def auth(session: Session, case: Case, body: dict[str, Any]) -> ProbeResult:
    return ProbeResult(auth_exchanges(session, case.probe_params.get("mode", "accepted"), body))


def auth_exchanges(session: Session, mode: str, body: dict[str, Any]) -> Exchanges:
    profile = session.profile
    if mode == "accepted":
        return _by_label(
            _auth_send(session, body, f"accepted:{s}", s) for s in profile.accepted_schemes
        )
    if mode == "rejected":
        return _by_label(
            _auth_send(session, body, f"rejected:{s}", s) for s in profile.rejected_schemes
        )
    if mode == "missing":
        return _by_label([_auth_send(session, body, "missing", "none")])
    if mode == "wrong":
        return _by_label([_auth_send(session, body, "wrong", profile.preferred_scheme, WRONG_KEY)])
    if mode == "endpoints":
        return auth_endpoints(session, body)
    if mode == "conflict":
        return {
            label: _conflict_send(session, body, label) for label in ("conflict-1", "conflict-2")
        }
    raise ValueError(f"unknown auth probe mode {mode!r}")


def _by_label(exchanges: Iterable[Exchange]) -> Exchanges:
    return {e.label: e for e in exchanges}


def _auth_send(
    session: Session, body: Any, label: str, scheme: str, key: str | None = None
) -> Exchange:
    headers = session.headers(scheme=scheme, key=key)
    return session.send(label, MESSAGES, body, headers=headers, retry=False)


def _conflict_send(session: Session, body: Any, label: str) -> Exchange:
    headers = session.headers(scheme="x-api-key")
    headers["authorization"] = f"Bearer {WRONG_KEY}"
    return session.send(label, MESSAGES, body, headers=headers, retry=False)


def auth_endpoints(session: Session, body: dict[str, Any]) -> Exchanges:
    headers = session.headers(scheme="none")
    found = {
        "endpoint:messages": session.send(
            "endpoint:messages", MESSAGES, body, headers=headers, retry=False
        )
    }
    if session.profile.has("count_tokens"):
        counted = {k: v for k, v in body.items() if k != "max_tokens"}
        found["endpoint:count_tokens"] = session.send(
            "endpoint:count_tokens", COUNT_TOKENS, counted, headers=headers, retry=False
        )
    if session.profile.has("models_endpoint"):
        found["endpoint:models"] = session.send(
            "endpoint:models", MODELS, method="GET", headers=headers, retry=False
        )
    return found


@probe("tool_round_trip")
def tool_round_trip(session: Session, case: Case, body: dict[str, Any]) -> ProbeResult:
    call = session.send("call", MESSAGES, body)
    reply = call.json()
    blocks = reply.get("content") if isinstance(reply, dict) else None
    uses = [b for b in blocks or [] if isinstance(b, dict) and b.get("type") == "tool_use"]
    if not uses:
        return ProbeResult({"call": call})
    follow = copy.deepcopy(body)
    follow.pop("tool_choice", None)
    form = case.probe_params.get("result_form", "string")
    follow["messages"] = [
        *body["messages"],
        {"role": "assistant", "content": blocks},
        {"role": "user", "content": [tool_result(u["id"], form) for u in uses]},
    ]
    return ProbeResult({"call": call, "result": session.send("result", MESSAGES, follow)})


def tool_result(tool_use_id: str, form: str) -> dict[str, Any]:
    result: dict[str, Any] = {"type": "tool_result", "tool_use_id": tool_use_id}
    if form == "string":
        result["content"] = "15 degrees, sunny"
    elif form == "blocks":
        result["content"] = [{"type": "text", "text": "15 degrees, sunny"}]
    elif form == "mixed":
        result["content"] = [
            {"type": "text", "text": "15 degrees"},
            {"type": "text", "text": "sunny"},
        ]
    elif form == "error":
        result.update(content="weather service unavailable", is_error=True)
    return result


@probe("stop_sequence_replay")
def stop_sequence_replay(session: Session, case: Case, body: dict[str, Any]) -> ProbeResult:
    """A first reply, then the same request again with a stop sequence drawn from that reply's
    own text (temperature 0 where the profile's contract allows it, so the replay can repeat)."""
    steady = {**body, "temperature": 0}
    if session.contract(None).request_issues(steady):
        steady = dict(body)
    first = session.send("first", MESSAGES, steady)
    reply = first.json() if first.status == 200 else None
    drawn = draw_stop_sequence(text_of(reply)) if isinstance(reply, dict) else None
    if drawn is None:
        return ProbeResult({"first": first})
    replay = session.send("replay", MESSAGES, {**steady, "stop_sequences": [drawn]})
    return ProbeResult({"first": first, "replay": replay})


@probe("usage_consistency")
def usage_consistency(session: Session, case: Case, body: dict[str, Any]) -> ProbeResult:
    found = {"json": session.send("json", MESSAGES, body)}
    if session.profile.has("streaming"):
        found["stream"] = session.send("stream", MESSAGES, {**body, "stream": True}, stream=True)
    if session.profile.has("count_tokens"):
        counted = {k: v for k, v in body.items() if k not in ("max_tokens", "stream")}
        found["count"] = session.send("count", COUNT_TOKENS, counted)
    return ProbeResult(found)


@probe("models")
def models(session: Session, case: Case, body: dict[str, Any]) -> ProbeResult:
    listing = session.send("list", MODELS, method="GET")
    found = {"list": listing}
    page = listing.json()
    data = page.get("data") if isinstance(page, dict) else None
    if isinstance(data, list) and data and isinstance(data[0], dict) and "id" in data[0]:
        found["one"] = session.send("one", f"{MODELS}/{data[0]['id']}", method="GET")
    found["unknown"] = session.send(
        "unknown", f"{MODELS}/msgconform-no-such-model", method="GET", retry=False
    )
    return ProbeResult(found)


PROBES["feature"] = feature_probe  # the feature map (suites/features/features.yaml)


@probe("tries")
def tries(session: Session, case: Case, body: dict[str, Any]) -> ProbeResult:
    """Up to `tries` sends of one request, stopping at the first answer that is not a 200 or that
    satisfies the case's own checks (a model-behaviour check then passes if any try passes)."""
    count = int(case.probe_params.get("tries", 3))
    found: Exchanges = {}
    for i in range(1, count + 1):
        label = "main" if i == 1 else f"try:{i}"
        exchange = session.send(label, MESSAGES, body, stream=bool(body.get("stream")))
        found[label] = exchange
        if exchange.status != 200 or satisfies_checks(session, case, body, label, exchange):
            break
    return ProbeResult(found)


def satisfies_checks(
    session: Session, case: Case, body: dict[str, Any], label: str, exchange: Exchange
) -> bool:
    """Whether this one answer passes every check of the case (the probe only decides whether to
    try again; the engine judges all tries afterwards)."""
    ctx = CaseContext(session.profile, session.contract(None), body, {label: exchange})
    try:
        for name, params in case.checks:
            REGISTRY[name].func(ctx, **params)
    except ConformanceFailure:
        return False
    return True


@probe("fuzz")
def fuzz(session: Session, case: Case, body: dict[str, Any]) -> ProbeResult:
    """Generated requests drawn from the profile's contract (fuzz/)."""
    return generate_and_send(session, case, body)
