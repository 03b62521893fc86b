"""A run's connection to one target: the profile, the key, the client, and how to authenticate."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from typing import Any, Protocol

from msgconform.contract.document import Contract
from msgconform.core.exchange import Exchange
from msgconform.core.profiles import Profile
from msgconform.core.settings import RunSettings
from msgconform.transport.cassette import ExchangeSender
from msgconform.transport.client import Budget, Deadlines, HttpClient, StreamWatch

WRONG_KEY = "sk-msgconform-wrong-key-0000000000000000"


def auth_header(scheme: str, key: str) -> dict[str, str]:
    if scheme == "x-api-key":
        return {"x-api-key": key}
    if scheme == "bearer":
        return {"authorization": f"Bearer {key}"}
    if scheme == "api-key":
        return {"authorization": f"Api-Key {key}"}
    return {}


def make_watch() -> StreamWatch:
    from msgconform.stream.sse import TerminalWatch  # (the stream parser loads on first use)

    return TerminalWatch()


class DeadlinePolicy(Protocol):
    """Chooses a request's deadlines (None: the client's own) and hears what was sent."""

    def deadlines_for(self, stream: bool) -> Deadlines | None: ...

    def sent(self, exchange: Exchange | None, stream: bool, short: bool) -> None: ...


class Session:
    def __init__(
        self,
        profile: Profile,
        key: str,
        base_url: str,
        *,
        extra_headers: Mapping[str, str] | None = None,
        deadlines: Deadlines | None = None,
        client: ExchangeSender | None = None,
        settings: RunSettings | None = None,
    ) -> None:
        self.profile = profile
        self.key = key
        # The run's settings, for the engine and every probe (which all take the session).
        self.settings = settings or RunSettings()
        limits = profile.limits
        self.budget = Budget(
            max_requests=limits.max_requests,
            max_output_tokens=limits.max_output_tokens,
            requests_per_second=limits.requests_per_second,
        )
        self.client: ExchangeSender = client or HttpClient(
            base_url,
            deadlines or Deadlines.from_limits(profile.timeouts),
            max_body_bytes=limits.max_body_bytes,
            budget=self.budget,
            retries=limits.retries,
            retry_after_cap=float(limits.retry_after_cap),
            extra_headers=extra_headers,
            concurrency=limits.concurrency,
        )
        self.deadline_policy: DeadlinePolicy | None = None

    def close(self) -> None:
        self.client.close()

    @cache  # noqa: B019  (one Session per run; the cache lives as long as the run)
    def contract(self, version: str | None = None) -> Contract:
        overlay = self.profile.contract.overlay
        return Contract.load(version or self.profile.anthropic_version, overlay)

    def headers(
        self,
        *,
        scheme: str | None = None,
        key: str | None = None,
        version: str | None = None,
        extra: Mapping[str, str] | None = None,
    ) -> dict[str, str]:
        chosen = scheme or self.profile.preferred_scheme
        headers = auth_header(chosen, key or self.key) if chosen != "none" else {}
        if version != "none":
            headers["anthropic-version"] = version or self.profile.anthropic_version
        headers.update(extra or {})
        return headers

    def send(
        self,
        label: str,
        path: str,
        body: Any = None,
        *,
        method: str = "POST",
        headers: Mapping[str, str] | None = None,
        raw_body: bytes | None = None,
        stream: bool = False,
        retry: bool = True,
    ) -> Exchange:
        watch: Callable[[], StreamWatch] | None = make_watch if stream else None
        policy = self.deadline_policy
        short = policy.deadlines_for(stream) if policy is not None else None
        try:
            exchange = self.client.send(
                label,
                method,
                path,
                headers=headers if headers is not None else self.headers(),
                json_body=body,
                raw_body=raw_body,
                watch=watch,
                retry=retry,
                deadlines=short,
            )
        except BaseException:
            if policy is not None:
                policy.sent(None, stream, short is not None)
            raise
        if policy is not None:
            policy.sent(exchange, stream, short is not None)
        self.budget.add_output_tokens(output_tokens_of(exchange))
        return exchange


def output_tokens_of(exchange: Exchange) -> int:
    """Best effort: what the provider billed, for the budget (JSON usage, or the last SSE usage)."""
    data = exchange.json()
    if isinstance(data, dict) and isinstance(data.get("usage"), dict):
        value = data["usage"].get("output_tokens")
        return value if isinstance(value, int) else 0
    if exchange.is_sse:
        marker = b'"output_tokens":'
        body = exchange.body
        at = body.rfind(marker)
        if at >= 0:
            digits = body[at + len(marker) : at + len(marker) + 12].lstrip().split(b",")[0]
            digits = digits.split(b"}")[0].strip()
            return int(digits) if digits.isdigit() else 0
    return 0
