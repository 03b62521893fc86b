"""Provider profiles: what differs between providers, as validated data."""

from __future__ import annotations

import copy
import dataclasses
import os
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from msgconform.core import profile_files
from msgconform.core.datafiles import load_validated, meta_schema
from msgconform.core.errors import ConfigError

AUTH_SCHEMES = ("x-api-key", "bearer", "api-key")
# contract.error_body: a provider's documented {"error": "<message>"} (Baseten's errors page).
MESSAGE_ONLY = "message_only"


def schema_defaults(*section: str) -> dict[str, Any]:
    """The `default`s the profile schema gives a section's keys: the one home of each default."""
    node: Mapping[str, Any] = meta_schema("profile")
    for name in section:
        node = node["properties"][name]
    return {
        key: copy.deepcopy(spec["default"])
        for key, spec in node["properties"].items()
        if "default" in spec
    }


# Features a profile may omit; the upstream contract's answer is the default.
FEATURE_DEFAULTS: dict[str, bool] = schema_defaults("features")


@dataclass(frozen=True)
class Auth:
    key_env: str
    accepted: tuple[str, ...]
    rejected: tuple[str, ...]
    missing_key_status: int
    invalid_key_status: int
    extra_secret_headers: tuple[str, ...]

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Auth:
        d = {**schema_defaults("auth"), **data}
        return cls(
            key_env=str(d["key_env"]),
            accepted=tuple(str(s) for s in d["accepted"]),
            rejected=tuple(str(s) for s in d["rejected"]),
            missing_key_status=int(d["missing_key_status"]),
            invalid_key_status=int(d["invalid_key_status"]),
            extra_secret_headers=tuple(str(h) for h in d["extra_secret_headers"]),
        )


@dataclass(frozen=True)
class Contract:
    """What the profile says of the provider's contract (the document itself is
    contract.document.Contract, narrowed by `overlay`)."""

    overlay: str | None
    allows_prefill: bool
    client_error_statuses: tuple[int, ...]
    named_sse_events: bool
    done_sentinel: bool
    count_tokens_needs_max_tokens: bool
    version_header: str  # "enforced" or "ignored"
    beta_header: str  # "enforced" or "ignored"
    error_body: str  # "anthropic" (the upstream envelope) or "message_only" ({"error": message})

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Contract:
        d = {**schema_defaults("contract"), **data}
        return cls(
            overlay=str(d["overlay"]) if d["overlay"] is not None else None,
            allows_prefill=bool(d["allows_prefill"]),
            client_error_statuses=tuple(int(s) for s in d["client_error_statuses"]),
            named_sse_events=bool(d["named_sse_events"]),
            done_sentinel=bool(d["done_sentinel"]),
            count_tokens_needs_max_tokens=bool(d["count_tokens_needs_max_tokens"]),
            version_header=str(d["version_header"]),
            beta_header=str(d["beta_header"]),
            error_body=str(d["error_body"]),
        )

    @property
    def message_only_errors(self) -> bool:
        """The provider documents its errors as {"error": "<message>"}, without a type."""
        return self.error_body == MESSAGE_ONLY


@dataclass(frozen=True)
class Timeouts:
    """Deadlines in seconds: connect, first byte, idle gap between events, whole response,
    close after message_stop; `run` is documented in the profiles and read by nothing yet."""

    connect: float
    first_byte: float
    idle: float
    total: float
    close_after_stop: float
    run: float | None

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Timeouts:
        # Numbers are kept as written (2, not 2.0): messages quote them.
        d = {**schema_defaults("limits", "timeouts"), **data}
        run = d.get("run")
        return cls(
            connect=d["connect"],
            first_byte=d["first_byte"],
            idle=d["idle"],
            total=d["total"],
            close_after_stop=d["close_after_stop"],
            run=run,
        )

    def scaled(self, scale: float) -> Timeouts:
        run = float(self.run) * scale if self.run is not None else None
        return Timeouts(
            connect=float(self.connect) * scale,
            first_byte=float(self.first_byte) * scale,
            idle=float(self.idle) * scale,
            total=float(self.total) * scale,
            close_after_stop=float(self.close_after_stop) * scale,
            run=run,
        )


@dataclass(frozen=True)
class Limits:
    timeouts: Timeouts
    concurrency: int
    requests_per_second: float | None
    max_requests: int
    max_output_tokens: int
    max_tokens_cap: int
    max_body_bytes: int
    retries: int
    retry_after_cap: float
    error_abort_ratio: float
    fuzz_examples: int
    fuzz_shrink_requests: int

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Limits:
        d = {**schema_defaults("limits"), **data}
        rate = d["requests_per_second"]
        return cls(
            timeouts=Timeouts.from_data(d["timeouts"]),
            concurrency=int(d["concurrency"]),
            requests_per_second=rate,
            max_requests=int(d["max_requests"]),
            max_output_tokens=int(d["max_output_tokens"]),
            max_tokens_cap=int(d["max_tokens_cap"]),
            max_body_bytes=int(d["max_body_bytes"]),
            retries=int(d["retries"]),
            retry_after_cap=d["retry_after_cap"],
            error_abort_ratio=d["error_abort_ratio"],
            fuzz_examples=int(d["fuzz_examples"]),
            fuzz_shrink_requests=int(d["fuzz_shrink_requests"]),
        )


@dataclass(frozen=True)
class Profile:
    name: str
    title: str
    kind: str
    base_url: str | None
    auth: Auth
    anthropic_version: str
    versions: tuple[str, ...]
    contract: Contract
    models: Mapping[str, str]
    # The models `--models all` covers; empty: the default model alone.
    model_list: tuple[str, ...]
    features: Mapping[str, bool | None]  # None: not declared (--features did not name it)
    # What the profile file (or --features) itself says, before the defaults fill the rest.
    declared: Mapping[str, bool]
    limits: Limits
    sources: tuple[str, ...]
    raw: Mapping[str, Any] = field(repr=False)
    # The directory the profile was read from: its expectations.yaml sits beside it.
    home: Path | None = field(default=None, compare=False)

    @property
    def key_env(self) -> str:
        return self.auth.key_env

    @property
    def accepted_schemes(self) -> tuple[str, ...]:
        return self.auth.accepted

    @property
    def rejected_schemes(self) -> tuple[str, ...]:
        return self.auth.rejected

    @property
    def preferred_scheme(self) -> str:
        return self.accepted_schemes[0]

    @property
    def timeouts(self) -> Timeouts:
        return self.limits.timeouts

    @property
    def is_live(self) -> bool:
        return self.kind != "mock"

    def has(self, feature: str) -> bool:
        return bool(self.features.get(feature, False))

    def declares(self, feature: str) -> bool | None:
        """What the profile itself says of a feature: True, False (declared absent), or None
        where it says nothing (a default or a --features list that does not name it)."""
        return self.declared.get(feature)

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
        auth=Auth.from_data(data["auth"]),
        anthropic_version=data["anthropic_version"],
        versions=tuple(data.get("versions") or [data["anthropic_version"]]),
        contract=Contract.from_data(data.get("contract", {})),
        models={str(k): str(v) for k, v in data["models"].items()},
        model_list=tuple(str(m) for m in data.get("model_list") or []),
        features={**FEATURE_DEFAULTS, **data["features"]},
        declared={k: v for k, v in data["features"].items() if isinstance(v, bool)},
        limits=Limits.from_data(data["limits"]),
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
