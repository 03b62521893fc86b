"""`msgconform clients`: run the client battery against one adapter and write the run record."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from msgconform.clients import adapter as adapter_mod
from msgconform.clients import expectations, policy, record, scenarios
from msgconform.clients.adapters import shipped
from msgconform.clients.battery import Battery, ScenarioResult
from msgconform.core import profiles
from msgconform.core.datafiles import display
from msgconform.core.grading import exit_status

DEFAULT_JOBS = 4


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "clients",
        help="judge a client library: the client battery against the mock",
        description="Runs every client scenario (suites/clients/*.yaml) through an adapter and "
        "judges the message or error the client returned, the requests it sent and its waits. "
        f"Shipped adapters: {', '.join(shipped())}; or any command that speaks the protocol "
        "(see src/msgconform/clients/adapters/httpx_example.py).",
    )
    parser.add_argument("--adapter", required=True, metavar="NAME|CMD")
    parser.add_argument(
        "--policy", metavar="NAME|FILE", help="the client's policy (default: the adapter's)"
    )
    parser.add_argument(
        "--lines",
        action="store_true",
        help="CMD speaks the protocol's lines mode: one process per worker, not per scenario",
    )
    parser.add_argument(
        "--provider", default="mock", help="the profile the mock emulates (default mock)"
    )
    parser.add_argument(
        "--auth",
        choices=["x-api-key", "bearer"],
        help="scheme to ask for (default: the profile's first)",
    )
    parser.add_argument(
        "--only", action="append", metavar="ID", help="a scenario id or a test-ID prefix"
    )
    parser.add_argument(
        "--jobs", type=int, default=DEFAULT_JOBS, help=f"scenarios at once (default {DEFAULT_JOBS})"
    )
    parser.add_argument("--strict", action="store_true", help="SHOULD failures count as FAIL")
    parser.add_argument("--label", help="the run's name in reports (default: adapter-version)")
    parser.add_argument("--out", type=Path, help="reports root (default reports/clients)")
    parser.add_argument("--no-report", action="store_true", help="print only; write no run record")
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")
    parser.set_defaults(func=run_clients)


def run_clients(args: argparse.Namespace) -> int:
    chosen = scenarios.select(args.only)
    if args.list:
        for scenario in chosen:
            print(f"{scenario.test_id:60} {scenario.description}")
        return 0
    adapter = adapter_mod.resolve(args.adapter, args.policy, args.lines)
    client_policy = policy.load(adapter.policy)
    battery = Battery(
        adapter, client_policy, profiles.load(args.provider, {}), args.auth, args.strict,
        args.jobs, expectations.load(client_policy.name),
    )  # fmt: skip
    started = time.monotonic()
    results = battery.run(chosen, progress=print_progress(len(chosen)))
    elapsed = time.monotonic() - started
    order = {s.id: n for n, s in enumerate(chosen)}
    results.sort(key=lambda r: order[r.scenario.id])
    print_summary(results, adapter.name, client_policy.name, elapsed)
    if not args.no_report:
        run_dir = record.write(battery, results, label=args.label, out=args.out, argv=sys.argv[1:])
        print(f"msgconform: report {display(run_dir)}/report.html")
    return exit_status(r.outcome for r in results)


def print_progress(total: int) -> Any:
    done: list[int] = []

    def show(result: ScenarioResult) -> None:
        done.append(1)
        print(
            f"[{len(done):>3}/{total}] {result.outcome:<10} {result.scenario.test_id}", flush=True
        )
        for failure in result.failures if result.outcome in ("FAIL", "NON-STRICT", "XPASS") else []:
            where = f"[{failure.clause} {failure.level}]"
            print(f"      {where} expected {failure.expected}; got {failure.actual}")
        if result.outcome == "ERROR" and result.reason:
            print(f"      {result.reason}")

    return show


def print_summary(
    results: list[ScenarioResult], adapter: str, policy_name: str, elapsed: float
) -> None:
    counts: dict[str, int] = {}
    for result in results:
        counts[result.outcome] = counts.get(result.outcome, 0) + 1
    shown = ", ".join(f"{n} {o}" for o, n in sorted(counts.items()))
    requests = sum(len(r.log) for r in results)
    print(f"msgconform: clients {adapter} (policy {policy_name}): {shown}")
    print(f"msgconform: {len(results)} scenarios, {requests} requests, {elapsed:.1f}s")
