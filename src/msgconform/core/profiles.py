"""Provider profiles: what differs between providers, as validated data."""

from __future__ import annotations

import dataclasses
import os
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from msgconform.core import profile_files
from msgconform.core.datafiles import load_validated
from msgconform.core.errors import ConfigError

AUTH_SCHEMES = ("x-api-key", "bearer", "api-key")

# Features a profile may omit; the upstream contract's answer is the default.
FEATURE_DEFAULTS: dict[str, bool] = {
    "streaming": True,
    "tools": True,
    "images": False,
    "documents": False,
    "thinking": False,
    "count_tokens": False,
    "models_endpoint": False,
    "prefill": False,
    "system_blocks": True,
    "request_id": False,
    "stop_sequences": True,
    "scenarios": False,
    "message_batches": False,
}

CONTRACT_DEFAULTS: dict[str, Any] = {
    "overlay": None,
    "allows_prefill": True,
    "client_error_statuses": [400],
    "named_sse_events": True,
    "done_sentinel": False,
    "count_tokens_needs_max_tokens": False,
    "version_header": "enforced",
    "beta_header": "enforced",
}

LIMIT_DEFAULTS: dict[str, Any] = {
    "concurrency": 2,
    "requests_per_second": None,
    "max_requests": 300,
    "max_output_tokens": 20000,
    "max_tokens_cap": 32,
    "max_body_bytes": 10 * 1024 * 1024,
    "retries": 2,
    "retry_after_cap": 30,
    "error_abort_ratio": 0.3,
    "fuzz_examples": 20,
}


@dataclass(frozen=True)
class Profile:
    name: str
    title: str
    kind: str
    base_url: str | None
    auth: Mapping[str, Any]
    anthropic_version: str
    versions: tuple[str, ...]
    contract: Mapping[str, Any]
    models: Mapping[str, str]
    features: Mapping[str, bool | None]  # None: not declared (--features did not name it)
    limits: Mapping[str, Any]
    sources: tuple[str, ...]
    raw: Mapping[str, Any] = field(repr=False)
    # The directory the profile was read from: its expectations.yaml sits beside it.
    home: Path | None = field(default=None, compare=False)

    @property
    def key_env(self) -> str:
        return str(self.auth["key_env"])

    @property
    def accepted_schemes(self) -> tuple[str, ...]:
        return tuple(self.auth["accepted"])

    @property
    def rejected_schemes(self) -> tuple[str, ...]:
        return tuple(self.auth["rejected"])

    @property
    def preferred_scheme(self) -> str:
        return self.accepted_schemes[0]

    @property
    def timeouts(self) -> Mapping[str, float]:
        timeouts: Mapping[str, float] = self.limits["timeouts"]
        return timeouts

    @property
    def is_live(self) -> bool:
        return self.kind != "mock"

    def has(self, feature: str) -> bool:
        return bool(self.features.get(feature, False))

    def declares(self, feature: str) -> bool | None:
        """What the profile itself says of a feature: True, False (declared absent), or None
        where it says nothing (a default or a --features list that does not name it)."""
        said = (self.raw.get("features") or {}).get(feature)
        return said if isinstance(said, bool) else None

    def model(self, which: str = "default") -> str:
        return self.models.get(which) or self.models["default"]

    def resolve_key(self) -> str:
        """The key from the environment; the mock gets a random one so leaks are detectable."""
        value = os.environ.get(self.key_env, "")
        if value:
            return value
        if self.kind == "mock":
            return "sk-mock-" + secrets.token_hex(12)
        raise ConfigError(
            f"profile {self.name}",
            f"environment variable {self.key_env} is not set",
            f"export {self.key_env}=<your {self.title} API key>",
        )

    def redacted(self) -> dict[str, Any]:
        """The profile as a report may show it: it holds variable names, never key values."""
        return dict(self.raw)


def available() -> list[str]:
    return profile_files.names()


def load(name: str, overrides: Mapping[str, Any] | None = None) -> Profile:
    """A profile by name (MSGCONFORM_PROFILE_PATH, then the bundled ones) or by file path."""
    if profile_files.looks_like_path(name):
        return load_file(name, overrides)
    path = profile_files.find(name)
    if path is None:
        raise ConfigError(
            f"--provider {name}", "unknown provider", "one of " + ", ".join(available())
        )
    return load_path(path, overrides)


def load_file(token: str, overrides: Mapping[str, Any] | None = None) -> Profile:
    path = profile_files.profile_file(token)
    if not path.is_file():
        raise ConfigError(f"--profile {token}", "no such profile file", "a profile.yaml")
    return load_path(path, overrides)


def load_path(path: Path, overrides: Mapping[str, Any] | None) -> Profile:
    profile = from_data(load_validated(path, "profile"), overrides or {})
    return dataclasses.replace(profile, home=path.parent)


def from_data(data: Mapping[str, Any], overrides: Mapping[str, Any]) -> Profile:
    data = apply_overrides(dict(data), overrides)
    target = data["target"]
    base_url = os.environ.get(target.get("base_url_env", ""), "") or target.get("base_url")
    if target["kind"] != "mock" and not base_url:
        hint = target.get("base_url_env") or "--base-url"
        raise ConfigError(f"profile {data['name']}", "no base URL", f"--base-url URL or {hint}")
    return Profile(
        name=data["name"],
        title=data["title"],
        kind=target["kind"],
        base_url=base_url.rstrip("/") if base_url else None,
        auth=data["auth"],
        anthropic_version=data["anthropic_version"],
        versions=tuple(data.get("versions") or [data["anthropic_version"]]),
        contract={**CONTRACT_DEFAULTS, **data.get("contract", {})},
        models=data["models"],
        features={**FEATURE_DEFAULTS, **data["features"]},
        limits={**LIMIT_DEFAULTS, **data["limits"]},
        sources=tuple(data["sources"]),
        raw=data,
    )


def apply_overrides(data: dict[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Command-line values (--base-url, --auth, --key-env, --model, --features) win."""
    if base_url := overrides.get("base_url"):
        data["target"] = {**data["target"], "base_url": base_url}
    if scheme := overrides.get("auth"):
        if scheme not in AUTH_SCHEMES:
            raise ConfigError("--auth", f"unknown scheme {scheme!r}", " or ".join(AUTH_SCHEMES))
        rejected = [s for s in data["auth"]["rejected"] if s != scheme]
        data["auth"] = {**data["auth"], "accepted": [scheme], "rejected": rejected}
    if key_env := overrides.get("key_env"):
        data["auth"] = {**data["auth"], "key_env": key_env}
    if model := overrides.get("model"):
        data["models"] = {**data["models"], "default": model, "small": model}
    if features := overrides.get("features"):
        data["features"] = parse_features(features)
    return data


def parse_features(spec: str | Iterable[str]) -> dict[str, bool | None]:
    names = [n.strip() for n in (spec.split(",") if isinstance(spec, str) else spec) if n.strip()]
    unknown = sorted(set(names) - set(FEATURE_DEFAULTS))
    if unknown:
        raise ConfigError(
            "--features", f"unknown feature {', '.join(unknown)}", ", ".join(FEATURE_DEFAULTS)
        )
    # A feature the list does not name is undeclared (None), not declared absent: the cases that
    # need it are skipped, and it is probed and reported rather than asserted missing.
    return {name: True if name in names else None for name in FEATURE_DEFAULTS}
