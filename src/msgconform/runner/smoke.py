"""The smoke gate: one minimal message (and one stream) before the suite, so a wrong key, host or
base URL ends the run at once with one line instead of a wall of failures."""

from __future__ import annotations

from collections.abc import Sequence

from msgconform.core.cases import Case
from msgconform.core.endpoints import MESSAGES
from msgconform.core.exchange import Exchange
from msgconform.core.profiles import Profile
from msgconform.runner.probes import minimal_request
from msgconform.transport.session import Session


def smoke_gate(session: Session, profile: Profile, cases: Sequence[Case]) -> str | None:
    body = minimal_request(session)
    plain = session.send("smoke", MESSAGES, body)
    if problem := diagnose(plain, profile):
        return f"smoke gate: {problem}"
    if profile.has("streaming") and any(c.stream for c in cases):
        streamed = session.send("smoke-stream", MESSAGES, {**body, "stream": True}, stream=True)
        if streamed.status is None or streamed.status >= 300:
            return f"smoke gate: a minimal stream failed: {diagnose(streamed, profile)}"
    return None


def diagnose(exchange: Exchange, profile: Profile) -> str | None:
    url = exchange.url
    if exchange.status is None:
        return f"cannot reach {url}: {exchange.error}"
    if exchange.status in (401, 403):
        return (
            f"the key in {profile.key_env} was refused ({exchange.status} {error_type(exchange)}) "
            f"by {url} using the {profile.preferred_scheme} scheme: check the key and the scheme"
        )
    if exchange.status == 404:
        return f"{url} answered 404: check the base URL (--base-url)"
    if exchange.status in (429, 529):
        return f"{url} is rate limited or overloaded ({exchange.status}) even after retries"
    if exchange.status >= 300:
        return f"{url} refused a minimal request: {exchange.status} {exchange.body_text(200)}"
    if exchange.json() is None and not exchange.is_sse:
        return f"{url} answered 200 with a body that is not JSON: {exchange.body_text(120)!r}"
    return None


def error_type(exchange: Exchange) -> str:
    data = exchange.json()
    if isinstance(data, dict) and isinstance(data.get("error"), dict):
        return str(data["error"].get("type", ""))
    return exchange.body_text(80)
