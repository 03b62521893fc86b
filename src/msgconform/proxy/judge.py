"""Judging one forwarded exchange, off the forwarding path: the request by the contract (the
client's part, with the checks the `msgconform_mock` fixture uses) and the answer by every
invariant (the provider's part). Each exchange becomes one case of the run record."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

from msgconform.checks import invariants
from msgconform.checks.base import CaseContext, ConformanceFailure, to_failure
from msgconform.contract.document import Contract
from msgconform.core.exchange import Exchange
from msgconform.core.grading import Failure, raw_outcome
from msgconform.core.profiles import Profile
from msgconform.mock.httpio import credentials
from msgconform.mock.recorder import Judge, SentRequest, parse_body
from msgconform.proxy.wire import Seen, decoded

CLIENT_CHECK = "client:request_valid"
UPSTREAM_CHECK = "proxy:upstream_first_byte"
CLIENT_SYMPTOM = "the client's mistake, not the provider's: the request breaks the contract"
# The clause a case is filed under when nothing failed: what its kind of answer is judged by.
FILED_UNDER = {"stream": "STREAM-001", "json": "SHAPE-001", "error": "ERR-001"}
ENDPOINT_CLAUSE = {"count_tokens": "ENDP-001", "models": "ENDP-003"}


@dataclass(frozen=True)
class ExchangeCase:
    """A forwarded exchange as a case: the record's id, area, description and clauses."""

    test_id: str
    area: str
    description: str
    clauses: tuple[str, ...]


@dataclass
class Verdict:
    """What the record needs of one judged exchange (report.evidence.ResultLike)."""

    case: ExchangeCase
    outcome: str
    duration_s: float
    reason: str | None
    failures: list[Failure]
    exchanges: dict[str, Exchange] = field(default_factory=dict)
    requests: int = 1
    retries: int = 0
    notices: list[Failure] = field(default_factory=list)  # the proxy resends nothing


class ExchangeJudge:
    """Judges exchanges for one profile; contracts and request validators are built once."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self.requests = Judge(profile)
        self._contracts: dict[str, Contract] = {}

    def verdict(self, seen: Seen) -> Verdict:
        exchange, unreadable = judged_copy(seen.exchange)
        if unreadable:
            seen.undecodable = unreadable
        client = self.client_failures(exchange)
        error, provider = self.provider_failures(seen, exchange)
        failures = client + provider
        outcome, reason = raw_outcome(failures, error, strict=False)
        return Verdict(
            case=self.case_of(seen, exchange, failures, bool(client)),
            outcome=outcome,
            duration_s=seen.exchange.elapsed_s,
            reason=reason,
            failures=failures,
            exchanges={exchange.label: exchange},
        )

    # ---- the client's part ---------------------------------------------------------------

    def client_failures(self, exchange: Exchange) -> list[Failure]:
        sent = sent_request(exchange)
        found = []
        for path, rule, clause in self.requests.check(sent):
            actual = f"{path}: {rule}"
            failure = ConformanceFailure(
                clause, "a request the contract accepts", actual, exchange=exchange,
                symptom=CLIENT_SYMPTOM,
            )  # fmt: skip
            found.append(to_failure(CLIENT_CHECK, failure))
        return found

    # ---- the provider's part -------------------------------------------------------------

    def provider_failures(self, seen: Seen, exchange: Exchange) -> tuple[str | None, list[Failure]]:
        """(an ERROR reason, the failures): no answer at all is transport trouble, not a verdict,
        except an upstream that accepted the connection and then said nothing (STREAM-017)."""
        if seen.upstream_failure == "connect":
            return f"upstream unreachable: {exchange.error}", []
        if seen.upstream_failure == "not_http":
            return f"upstream answered, not in HTTP: {exchange.error}", []
        if seen.upstream_failure == "first_byte_timeout":
            failure = ConformanceFailure(
                "STREAM-017", "a first byte within the first-byte deadline",
                str(exchange.error), exchange=exchange,
                symptom="the client waits for an answer that never starts (the proxy sent 504)",
            )  # fmt: skip
            return None, [to_failure(UPSTREAM_CHECK, failure)]
        if seen.undecodable is not None:
            return f"not judged: {seen.undecodable}", []
        ctx = CaseContext(self.profile, self.contract_for(exchange), exchange.request_body or {})
        ctx.exchanges = {exchange.label: exchange}
        breaches = invariants.judge(ctx, {}, exchange.label)
        return None, [to_failure(b.failure.check, b.failure) for b in breaches]

    def contract_for(self, exchange: Exchange) -> Contract:
        """The contract of the version the client asked for, when the profile has it."""
        asked = exchange.request_headers.get("anthropic-version", "")
        version = asked if asked in self.profile.versions else self.profile.anthropic_version
        if version not in self._contracts:
            overlay = self.profile.contract.overlay
            self._contracts[version] = Contract.load(version, overlay)
        return self._contracts[version]

    # ---- the case ------------------------------------------------------------------------

    def case_of(
        self, seen: Seen, exchange: Exchange, failures: list[Failure], client_erred: bool
    ) -> ExchangeCase:
        kind = answer_kind(exchange)
        clause = failures[0].clause if failures else filed_under(exchange, kind)
        area = "client" if client_erred else "provider"
        path = urlsplit(exchange.url).path
        slug = re.sub(r"[^a-z0-9]+", "-", f"{exchange.method} {path} {kind}".lower()).strip("-")
        status = exchange.status if exchange.status is not None else exchange.ended
        who = "the client sent an invalid request" if client_erred else "forwarded"
        description = f"{who}: {exchange.method} {path} ({kind}) → {status}"
        clauses = tuple(dict.fromkeys(f.clause for f in failures)) or (clause,)
        return ExchangeCase(f"{area}/{clause}/{seen.seq:05d}-{slug}", area, description, clauses)


def judged_copy(exchange: Exchange) -> tuple[Exchange, str | None]:
    """The exchange with its JSON request parsed and its answer decompressed for reading, and
    why the answer cannot be read (an encoding judging does not know), if so."""
    body: Any = parse_body(exchange.raw_request_body or b"")
    encoding = exchange.response_headers.get("content-encoding", "")
    chunks = decoded(exchange.chunks, encoding) if encoding else exchange.chunks
    copy = replace(
        exchange,
        request_body=body if isinstance(body, dict | list) else None,
        chunks=list(chunks) if chunks is not None else exchange.chunks,
        _json=None,
        _json_done=False,
    )
    return copy, None if chunks is not None else f"content-encoding {encoding!r} not readable"


def sent_request(exchange: Exchange) -> SentRequest:
    """The request as the fixture's judge reads it. Any key counts as the right one: whether a key
    is valid is the provider's to say (with a 401), not the proxy's."""
    split = urlsplit(exchange.url)
    headers = exchange.request_headers
    presented = tuple(scheme for scheme, _ in credentials(headers))
    return SentRequest(
        method=exchange.method,
        path=split.path,
        query=split.query,
        headers=headers,
        body=body_for_judging(exchange),
        schemes_with_key=presented,
    )


def body_for_judging(exchange: Exchange) -> Any:
    if exchange.request_body is not None:
        return exchange.request_body
    raw = exchange.raw_request_body or b""
    try:
        return json.loads(raw) if raw else None
    except (UnicodeDecodeError, json.JSONDecodeError):
        return raw.decode("utf-8", errors="replace")


def answer_kind(exchange: Exchange) -> str:
    if exchange.status is None:
        return "no-answer"
    if exchange.status >= 400:
        return "error"
    return "stream" if exchange.is_sse else "json"


def filed_under(exchange: Exchange, kind: str) -> str:
    endpoint = invariants.endpoint_of(exchange)
    path = urlsplit(exchange.url).path
    if endpoint is None and "/v1/models" in path:
        endpoint = "models"
    if kind in FILED_UNDER and (endpoint == "messages" or kind == "error"):
        return FILED_UNDER[kind]
    return ENDPOINT_CLAUSE.get(endpoint or "", "ENDP-002")


def secrets_of(headers: Mapping[str, str]) -> list[str]:
    """The keys a request presented, so every report can leave them out."""
    return [value for _, value in credentials(headers) if value]
