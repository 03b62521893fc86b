"""`msgconform compare`, `msgconform diff` and `msgconform report`: views of run records."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from msgconform.core.datafiles import display
from msgconform.report import compare as compare_mod
from msgconform.report import diff as diff_mod
from msgconform.report.record import load_run
from msgconform.report.write import render_all


def register(sub: Any) -> None:
    cmp = sub.add_parser(
        "compare",
        help="matrix of outcomes across runs (providers or nights)",
        description="Rows area → clause → case, one column per run. "
        "RUN is a run directory, its results.jsonl, or reports/<provider>/latest.",
    )
    cmp.add_argument("runs", nargs="+", type=Path, metavar="RUN")
    cmp.add_argument("--out", type=Path, default=Path("compare.html"), metavar="FILE.html")
    cmp.add_argument("--markdown", type=Path, metavar="FILE.md")
    cmp.add_argument(
        "--allow-mixed",
        action="store_true",
        help="compare runs made with different suites or contract documents",
    )
    cmp.set_defaults(func=run_compare)

    dif = sub.add_parser(
        "diff",
        help="what regressed, was fixed, is new between two runs (exit 1 on a regression)",
    )
    dif.add_argument("old", type=Path, metavar="OLD")
    dif.add_argument("new", type=Path, metavar="NEW")
    dif.add_argument("--json", action="store_true", help="print the changes as JSON")
    dif.set_defaults(func=run_diff)

    rep = sub.add_parser(
        "report", help="re-render junit.xml, report.html and badge.svg from a run record"
    )
    rep.add_argument("run", type=Path, metavar="RUN")
    rep.add_argument("--out-dir", type=Path, help="write there instead of beside the record")
    rep.set_defaults(func=run_report)


def run_compare(args: argparse.Namespace) -> int:
    runs = [load_run(p) for p in args.runs]
    written = compare_mod.compare(runs, args.out, args.markdown, args.allow_mixed)
    for path in written:
        print(display(path))
    return 0


def run_diff(args: argparse.Namespace) -> int:
    old, new = load_run(args.old), load_run(args.new)
    result = diff_mod.diff(old, new)
    print(diff_mod.as_json(result, old, new) if args.json else diff_mod.as_text(result, old, new))
    return 1 if result.has_regression else 0


def run_report(args: argparse.Namespace) -> int:
    run = load_run(args.run)
    if args.out_dir is not None:
        args.out_dir.mkdir(parents=True, exist_ok=True)
    for path in render_all(run, args.out_dir):
        print(display(path))
    return 0
