"""Many models in one run: which models (`--model` repeated, `--models all`), and what the runs of
one process share (the budget and its request rate), one run record per model."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from msgconform.core.endpoints import MODELS
from msgconform.core.errors import ConfigError
from msgconform.core.profiles import Profile
from msgconform.runner.target import open_target
from msgconform.transport.client import Budget
from msgconform.transport.session import Session

SHARED_KEY = pytest.StashKey["SharedRun"]()
MAX_PAGES = 10


@dataclass
class SharedRun:
    """A pytest plugin object handed to each model's run: the first run's budget is everyone's,
    and one seed (None: derived from the suite, as for one model), so every model gets the same
    generated requests."""

    seed: int | None = None
    budget: Budget | None = None
    run_dirs: list[Path] = field(default_factory=list)

    @classmethod
    def for_args(cls, args: Any) -> SharedRun:
        """`--seed N` for every model; `--explore` draws one fresh seed that all of them use."""
        seed = getattr(args, "seed", None)
        if seed is None and getattr(args, "explore", False):
            seed = random.randrange(2**32)
        return cls(seed=seed)

    def pytest_configure(self, config: pytest.Config) -> None:
        config.stash[SHARED_KEY] = self

    def adopt(self, session: Session) -> None:
        """Make the session spend the shared budget (requests, tokens, requests per second)."""
        if self.budget is None:
            self.budget = session.budget
        session.budget = self.budget
        client: Any = session.client
        if hasattr(client, "budget"):
            client.budget = self.budget

    def spent(self) -> str | None:
        budget = self.budget
        if budget is None:
            return None
        if budget.requests >= budget.max_requests:
            return f"request budget of {budget.max_requests} spent"
        if budget.output_tokens >= budget.max_output_tokens:
            return f"output-token budget of {budget.max_output_tokens} spent"
        return None


def profile_list(profile: Profile) -> list[str]:
    """The profile's `model_list`, or its default model alone."""
    return list(profile.model_list) or [profile.model()]


def resolve(profile: Profile, models: list[str], every: bool, **target: Any) -> list[str]:
    """The models a run covers, in order, each once."""
    if not every:
        return list(dict.fromkeys(models)) or [profile.model()]
    if profile.model_list:
        found = profile_list(profile)
    elif profile.has("models_endpoint"):
        found = discover(profile, **target)
    else:
        raise ConfigError(
            "--models all",
            f"profile {profile.name} lists no models (model_list) and has no /v1/models",
            "name them with --model M (repeatable)",
        )
    return list(dict.fromkeys([*found, *models]))


def planned_count(profile: Profile, models: list[str], every: bool) -> int:
    """How many models a run will cover, without asking the provider (a dry run sends nothing);
    /v1/models discovery counts as one."""
    if every:
        return len(dict.fromkeys([*profile_list(profile), *models]))
    return max(len(dict.fromkeys(models)), 1)


def discover(
    profile: Profile, mock_fault: str | None = None, against_mock: bool = False
) -> list[str]:
    """Every model id GET /v1/models lists (following has_more)."""
    found: list[str] = []
    with open_target(profile, mock_fault, against_mock) as target:
        session = Session(profile, target.key, target.base_url)
        try:
            after = None
            for _ in range(MAX_PAGES):
                query = "?limit=1000" + (f"&after_id={after}" if after else "")
                page = session.send("models", MODELS + query, method="GET").json()
                data = page.get("data") if isinstance(page, dict) else None
                ids = [
                    m["id"]
                    for m in data or []
                    if isinstance(m, dict) and isinstance(m.get("id"), str)
                ]
                found += ids
                if not (isinstance(page, dict) and page.get("has_more") and ids):
                    break
                after = ids[-1]
        finally:
            session.close()
    if not found:
        raise ConfigError("--models all", f"GET {MODELS} at {profile.name} listed no models")
    return found


def requested(args: Any) -> list[str]:
    """The models a command line names: `--model` repeated (a list), or once (another command's
    single-valued option), or not at all."""
    value = getattr(args, "model", None)
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def wants_all(args: Any) -> bool:
    return getattr(args, "models", None) == "all"


def run_or_skip(shared: SharedRun, provider: str, model: str, run: Callable[[str], int]) -> int:
    """Run one model unless the shared budget is already spent (then one line says so)."""
    if why := shared.spent():
        print(f"msgconform: {provider} {model}: not run: {why}")
        return 1
    return run(model)


def one_model_flags(flags: list[str], model: str | None, seed: int | None) -> list[str]:
    """A run's flags for the pytest plugin, which runs one model: that model (and the seed)."""
    kept: list[str] = []
    skip = False
    for flag in flags:
        if skip:
            skip = False
        elif flag in ("--model", "--models") or (seed is not None and flag == "--seed"):
            skip = True
        else:
            kept.append(flag)
    kept += ["--model", model] if model else []
    return kept + (["--seed", str(seed)] if seed is not None else [])


def run_dirs(out_root: Path, provider: str) -> set[Path]:
    """The run directories holding a record under reports/<provider>/."""
    # Resolved, so `latest` (a link, or a text file) never counts as a run of its own.
    return {p.parent.resolve() for p in (out_root / provider).glob("*/results.jsonl")}
