"""`msgconform run` and `msgconform list`: the suite as a command (a pytest run underneath)."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from msgconform.core import limits as limits_mod
from msgconform.core import profiles
from msgconform.core.cases import load_all, select
from msgconform.core.errors import ConfigError
from msgconform.core.paths import REPORTS, ROOT, SUITES
from msgconform.report.compare import compare
from msgconform.report.record import load_run
from msgconform.runner import models, options
from msgconform.runner.engine import skip_reason
from msgconform.runner.plan import estimate


def register(sub: Any) -> None:
    run = sub.add_parser(
        "run",
        help="run the conformance suite against a provider",
        description="Run the conformance suite. Exit 0: no unexpected FAIL or XPASS; "
        "1: there is one (or the run aborted); 2: usage or configuration error.",
    )
    options.add_arguments(run)
    run.set_defaults(func=cmd_run)


def cmd_run(args: argparse.Namespace) -> int:
    # A profile path goes wherever a provider name goes: profiles.load() tells them apart.
    providers = [*args.provider, *args.profile] or ["mock"]
    for name in providers:  # fail fast, one line, before any request
        profile = profiles.load(name, overrides_of(args))
        if not (args.list or args.dry_run or args.against_mock or args.replay):
            profile.resolve_key()
    if args.list:
        return list_cases(providers[0], args)
    if args.dry_run:
        return print_plan(providers, args)
    if len(providers) == 1:
        return run_models(providers[0], args)
    return run_many(providers, args)


def overrides_of(args: argparse.Namespace) -> dict[str, Any]:
    found = {k: getattr(args, k) for k in ("base_url", "auth", "key_env", "features")}
    chosen = models.requested(args)
    return {**found, "model": chosen[0] if chosen else None}


def pytest_args(
    provider: str,
    args: argparse.Namespace,
    model: str | None = None,
    shared: models.SharedRun | None = None,
) -> list[str]:
    argv = [
        str(SUITES),
        "-p",
        "msgconform.runner.plugin",
        "--rootdir",
        str(ROOT),
        "--provider",
        provider,
        "-p",
        "no:cacheprovider",
    ]
    argv += ["-q", "--no-header"] if args.quiet else ["-q"]
    flags = options.as_flags(args, "plugin")
    if model is not None or shared is not None:
        # The plugin runs one model: drop the run's model list, pass this one (and a shared seed).
        flags = models.one_model_flags(flags, model, shared.seed if shared else None)
    return argv + flags


def run_models(provider: str, args: argparse.Namespace) -> int:
    """One run (one record) per model, in this process, sharing the budget; then one comparison."""
    named, every = models.requested(args), models.wants_all(args)
    if not named and not every:
        return run_one(provider, args)  # the profile's own models (default, small, thinking)
    profile = profiles.load(provider, overrides_of(args))
    target = {"mock_fault": args.mock_fault, "against_mock": args.against_mock}
    chosen = models.resolve(profile, named, every, **target)
    if len(chosen) == 1:
        return run_one(provider, args, chosen[0])
    if args.record or args.replay:
        raise ConfigError("--record/--replay", "one cassette holds one model's run")
    shared = models.SharedRun.for_args(args)
    statuses = [
        models.run_or_skip(shared, provider, m, lambda m: run_one(provider, args, m, shared))
        for m in chosen
    ]
    compare_runs(shared.run_dirs, Path(args.out) if args.out else REPORTS)
    return max(statuses)


def run_one(
    provider: str,
    args: argparse.Namespace,
    model: str | None = None,
    shared: models.SharedRun | None = None,
) -> int:
    import pytest  # (only a real run needs pytest loaded)

    # Third-party pytest plugins (schemathesis, hypothesis, xdist…) are not needed by the suite and
    # cost a quarter of a small run's start-up; the suite's own plugin is loaded by -p.
    saved = os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    try:
        argv = pytest_args(provider, args, model, shared)
        status = int(pytest.main(argv, plugins=[shared] if shared else None))
    finally:
        if saved is None:
            del os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"]
        else:
            os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = saved
    if status == 5:  # pytest's "no tests collected"
        raise ConfigError("--only", "no case matches " + " ".join(args.only or ["(all)"]))
    return status if status in (0, 1) else 2 if status in (3, 4) else 1


def run_many(providers: list[str], args: argparse.Namespace) -> int:
    """Providers run concurrently, one process each (one run record each), then one comparison."""
    if args.record or args.replay:
        raise ConfigError("--record/--replay", "one cassette holds one provider's run")
    out_root = Path(args.out) if args.out else REPORTS
    names = [profiles.load(p, overrides_of(args)).name for p in providers]  # paths have names
    before = {name: models.run_dirs(out_root, name) for name in names}
    procs = []
    for name in providers:
        argv = [sys.executable, "-m", "msgconform", "run", "--provider", name, "-q"]
        argv += options.as_flags(args, "command")
        procs.append((name, subprocess.Popen(argv, env=os.environ.copy())))
    statuses = {name: proc.wait() for name, proc in procs}
    for name, status in statuses.items():
        print(f"msgconform: {name}: exit {status}")
    new = [d for name in names for d in sorted(models.run_dirs(out_root, name) - before[name])]
    compare_runs(new, out_root)
    return max(statuses.values())


def compare_runs(run_dirs: list[Path], out_root: Path) -> None:
    """One page across the runs just made (they must share suite and schema versions)."""
    runs = []
    for run_dir in run_dirs:
        try:
            runs.append(load_run(run_dir))
        except ConfigError as exc:
            print(f"msgconform: no comparison: {exc.line()}", file=sys.stderr)
            return
    if not runs:
        print("msgconform: no comparison: no run record was written", file=sys.stderr)
        return
    page, table = out_root / "compare.html", out_root / "compare.md"
    compare(runs, page, table)
    print(f"msgconform: comparison {page} and {table}")


def list_cases(provider: str, args: argparse.Namespace) -> int:
    profile = profiles.load(provider, overrides_of(args))
    for case in select(load_all(), args.only):
        skip = skip_reason(case, profile)
        status = f"  [SKIP: {skip}]" if skip else ""
        print(f"{case.test_id:60} {' '.join(case.clauses)}{status}")
    return 0


def print_plan(providers: list[str], args: argparse.Namespace) -> int:
    for name in providers:
        profile = profiles.load(name, overrides_of(args))
        chosen = limits_mod.effective(profile, vars(args), to_mock=args.against_mock)
        profile = limits_mod.apply(profile, chosen)
        print(f"{name}: {chosen.line()}")
        plan = estimate(
            profile, select(load_all(), args.only), deep=getattr(args, "explore", None) == "deep"
        )
        limits = profile.limits
        # Several models share one budget: the plan is per model, the total is what counts.
        count = models.planned_count(profile, models.requested(args), models.wants_all(args))
        each = f" for each of {count} models" if count > 1 else ""
        print(
            f"{name}: {plan.cases} cases ({plan.skipped} skipped), about {plan.requests} requests "
            f"and at most {plan.output_tokens} output tokens{each}; budget "
            f"{limits.max_requests} requests, {limits.max_output_tokens} tokens"
        )
        if plan.requests * count > limits.max_requests:
            print(f"{name}: the plan exceeds the request budget; the run will stop at the limit")
    return 0
