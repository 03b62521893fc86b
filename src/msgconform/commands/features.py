"""`msgconform features`: the features area as a run of its own, then the map it found.

A normal run (`msgconform run`) includes the same area; this command runs only it and prints the
provider's map: each feature's class beside what the profile declares."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from msgconform.commands.run import overrides_of, print_plan, run_one
from msgconform.core import profiles
from msgconform.core.paths import REPORTS
from msgconform.report.features import (
    AREA,
    feature_rows,
    render_feature_markdown,
    render_feature_page,
)
from msgconform.report.record import Run, load_run


def register(sub: Any) -> None:
    cmd = sub.add_parser(
        "features",
        help="map which optional features a provider supports, ignores, rejects or breaks on",
        description="Send the smallest request for each optional feature and class the answer "
        "(supported, ignored, rejected, broken) beside what the profile declares. Exit 1 when a "
        "declared feature does not work.",
    )
    cmd.add_argument("--provider", default="mock", help="profile name (default: mock)")
    cmd.add_argument("--model")
    cmd.add_argument("--base-url")
    cmd.add_argument("--auth", choices=profiles.AUTH_SCHEMES)
    cmd.add_argument("--key-env")
    cmd.add_argument("--features", help="generic profile: the features its documents declare")
    cmd.add_argument("--mock-fault", help="bundled mock only: serve with this named fault")
    cmd.add_argument("--against-mock", action="store_true", help="the profile against the mock")
    cmd.add_argument("--out", help="reports directory (default: reports/)")
    cmd.add_argument("--record", metavar="CASSETTE", help="write the exchanges (redacted)")
    cmd.add_argument("--replay", metavar="CASSETTE", help="re-run the checks offline on one")
    cmd.add_argument(
        "--feature", action="append", default=[], help="only this feature ID (repeatable)"
    )
    cmd.add_argument("--dry-run", action="store_true", help="print the plan and its cost")
    cmd.add_argument("-q", "--quiet", action="store_true")
    cmd.add_argument("--progress", action="store_true", help="one line per feature")
    cmd.set_defaults(func=cmd_features, only=[AREA])


def cmd_features(args: argparse.Namespace) -> int:
    profile = profiles.load(args.provider, overrides_of(args))
    if args.feature:  # both modes of each named feature, and nothing outside the area
        args.only = [f"{AREA}/*/{name}{tail}" for name in args.feature for tail in ("", "-stream")]
    if args.dry_run:
        return print_plan([args.provider], args)
    if not (args.against_mock or args.replay):
        profile.resolve_key()
    status = run_one(args.provider, args)
    run = load_run((Path(args.out) if args.out else REPORTS) / args.provider / "latest")
    for line in map_lines(run):
        print(line)
    for name, text in (("features.html", render_feature_page(run)),
                       ("features.md", render_feature_markdown(run))):  # fmt: skip
        (run.run_dir / name).write_text(text, encoding="utf-8")
    print(f"msgconform: feature map {run.run_dir / 'features.html'}")
    return status


def map_lines(run: Run) -> list[str]:
    """One line per feature: class, declaration, why; the docs-undersell notes after."""
    lines = []
    for row in feature_rows([run]):
        cell = row.cells[0]
        lines.append(f"  {cell.text:3} {row.key:34} {cell.title}")
    told = sum(c.mark == "+" for r in feature_rows([run]) for c in r.cells)
    failed = sum(c.mark == "!" for r in feature_rows([run]) for c in r.cells)
    lines.append(
        f"msgconform: {len(lines)} feature probes; {failed} declared but not working, "
        f"{told} working though not declared"
    )
    return lines
