"""`python -m msgconform.bench`: measure, print a table, write reports/bench.json."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from msgconform.bench import fuzzbench, load, machine, proxybench, streamval, suite
from msgconform.bench.stats import Figure
from msgconform.core.errors import ConfigError
from msgconform.core.paths import REPORTS

Part = Callable[[int, bool, Any], list[Figure]]
PARTS: dict[str, Part] = {
    "suite": suite.measure,
    "mock-load": load.measure,
    "stream-validation": streamval.measure,
    "fuzz": fuzzbench.measure,
    "proxy": proxybench.measure,
}
EXPECTED_TROUBLE = (load.LoadUnavailable, OSError, RuntimeError)


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m msgconform.bench",
        description="Benchmark the suite, the mock and the validators against baselines "
        "measured in the same run; medians of --repeat repetitions with min and max.",
    )
    parser.add_argument("--repeat", type=int, default=5, help="repetitions (default 5)")
    parser.add_argument("--quick", action="store_true", help="1 repetition, small sizes")
    parser.add_argument(
        "--only", action="append", default=[], help=f"a part: {', '.join(PARTS)} (repeatable)"
    )
    parser.add_argument("--out", default=str(REPORTS / "bench.json"), help="the JSON report")
    args = parser.parse_args(argv)
    unknown = [p for p in args.only if p not in PARTS]
    if unknown:
        raise ConfigError("--only", f"unknown part {unknown[0]!r}", ", ".join(PARTS))
    if args.repeat < 1:
        raise ConfigError("--repeat", f"{args.repeat} is not a count", "1 or more")
    return args


def log(line: str) -> None:
    print(f"  . {line}", file=sys.stderr, flush=True)


def run_part(name: str, repeat: int, quick: bool) -> dict[str, Any]:
    started = time.monotonic()
    if name == "fuzz" and not fuzzbench.available():
        return {"part": name, "measured": False, "reason": "msgconform.fuzz.probe not present"}
    try:
        figures = PARTS[name](repeat, quick, log)
    except EXPECTED_TROUBLE as exc:
        return {"part": name, "measured": False, "reason": f"{type(exc).__name__}: {exc}"}
    seconds = round(time.monotonic() - started, 1)
    return {"part": name, "measured": True, "seconds": seconds, "figures": figures}


def main(argv: list[str] | None = None) -> int:
    try:
        args = parse(argv)
    except ConfigError as exc:
        print(f"msgconform bench: {exc.line()}", file=sys.stderr)
        return 2
    repeat = 1 if args.quick else args.repeat
    names = args.only or list(PARTS)
    before = {"busy_share_1s": machine.busy_share(), "loadavg": machine.loadavg()}
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    parts = []
    for name in names:
        log(f"part {name} ...")
        parts.append(run_part(name, repeat, args.quick))
    noise = {"before": before, "after": {"loadavg": machine.loadavg()}}
    report = build_report(parts, repeat, args.quick, started, noise)
    print(render_table(report))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nwritten: {out}")
    return 0


def build_report(
    parts: list[dict[str, Any]], repeat: int, quick: bool, started: str, noise: dict[str, Any]
) -> dict[str, Any]:
    return {
        "kind": "msgconform-bench",
        "version": 1,
        "started_at": started,
        "repeat": repeat,
        "quick": quick,
        "machine": machine.describe(),
        "noise": noise,
        "parts": [
            {**p, "figures": [f.as_dict() for f in p["figures"]]} if p["measured"] else p
            for p in parts
        ],
    }


def number(value: float | None) -> str:
    if value is None:
        return "-"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}"


def spread(sample: dict[str, Any] | None) -> str:
    if not sample or sample.get("median") is None:
        return "-"
    text = number(sample["median"])
    if sample["n"] > 1:
        text += f" [{number(sample['min'])}..{number(sample['max'])}]"
    return text


def render_table(report: dict[str, Any]) -> str:
    m = report["machine"]
    before = report["noise"]["before"]
    lines = [
        f"msgconform bench: {m['nproc']} x {m['cpu_model']}, Python {m['python']}, "
        f"median of {report['repeat']} [min..max]; busy before start: "
        f"{before['busy_share_1s']}, loadavg {before['loadavg']}",
        "",
    ]
    header = ("figure", "unit", "value", "baseline", "ratio", "target", "met")
    rows: list[tuple[str, ...]] = [header]
    for part in report["parts"]:
        if not part["measured"]:
            rows.append((f"{part['part']}: not measured", "", part["reason"][:70], "", "", "", ""))
            continue
        for f in part["figures"]:
            met = {True: "yes", False: "NO", None: ""}[f["met"]]
            ratio = "-" if f["ratio"] is None else f"{f['ratio']:.2f}"
            rows.append(
                (
                    f["name"],
                    f["unit"],
                    spread(f["value"]),
                    spread(f["baseline"]),
                    ratio,
                    f["target"] or "",
                    met,
                )
            )
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    lines.extend(
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )
    notes = [
        f"  {f['name']}: {f['note']}"
        for p in report["parts"]
        if p["measured"]
        for f in p["figures"]
        if f["note"]
    ]
    return "\n".join([*lines, "", "notes:", *notes])


if __name__ == "__main__":
    sys.exit(main())
