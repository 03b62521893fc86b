"""The matrix: rows area → clause → case, one column per run (provider or night)."""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from msgconform.core.datafiles import display
from msgconform.core.errors import ConfigError
from msgconform.report.features import features_html, features_markdown
from msgconform.report.html import anchor, e, outcome_cell, page
from msgconform.report.record import OUTCOMES, PASS_RATE_RULE, Run, pass_rate, percent
from msgconform.report.style import filter_js

MISSING = "MISSING"
# Results judged by different cases or contract documents are not comparable cell by cell.
MUST_MATCH = {
    "suite_hash": "the cases differ (suites/ changed)",
    "schema_hash": "the contract documents differ (schemas/ changed)",
}


@dataclass(frozen=True)
class Row:
    area: str
    clause: str
    case_id: str
    outcomes: tuple[str, ...]

    @property
    def differs(self) -> bool:
        return len(set(self.outcomes)) > 1


def check_comparable(runs: list[Run]) -> None:
    first = runs[0]
    for key, why in MUST_MATCH.items():
        for run in runs[1:]:
            if run.header[key] != first.header[key]:
                raise ConfigError(
                    "compare",
                    f"{display(run.path)} has {key} {run.header[key][:12]} but "
                    f"{display(first.path)} has {first.header[key][:12]}: {why}; "
                    "pass --allow-mixed to compare anyway",
                )


def labels(runs: list[Run]) -> list[str]:
    """A column's name: the provider; with its model when it ran several; then the stamp."""
    seen = Counter(r.provider for r in runs)
    pairs = Counter((r.provider, r.header.get("model")) for r in runs)
    return [
        r.provider
        if seen[r.provider] == 1
        else f"{r.provider} · {r.header.get('model')}"
        if pairs[(r.provider, r.header.get("model"))] == 1
        else f"{r.provider}@{r.stamp}"
        for r in runs
    ]


def rows(runs: list[Run]) -> list[Row]:
    by_run = [{str(c["id"]): c for c in run.cases} for run in runs]
    ids = sorted({case_id for found in by_run for case_id in found})
    result = []
    for case_id in ids:
        area, clause, _ = case_id.split("/", 2)
        outcomes = tuple(
            str(found[case_id]["outcome"]) if case_id in found else MISSING for found in by_run
        )
        result.append(Row(area, clause, case_id, outcomes))
    return result


def column_rates(runs: list[Run]) -> list[str]:
    return [percent(pass_rate(run.counts())) for run in runs]


def evidence_link(run: Run, case_id: str, out_dir: Path) -> str:
    report = run.run_dir / "report.html"
    relative = Path(os.path.relpath(report.resolve(), out_dir.resolve())).as_posix()
    return f"{quote(relative)}#{quote(anchor(case_id), safe='/')}"


# ---- HTML ----------------------------------------------------------------------------------


def cell(run: Run, outcome: str, case_id: str, out_dir: Path) -> str:
    if outcome == MISSING:
        return '<td class="outcome o-MISSING">not run</td>'
    link = evidence_link(run, case_id, out_dir)
    return (
        f'<td class="outcome o-{e(outcome)}"><a class="cell" href="{e(link)}">{e(outcome)}</a></td>'
    )


def html_rows(runs: list[Run], table: list[Row], out_dir: Path) -> str:
    width = len(runs) + 1
    parts: list[str] = []
    area = clause = None
    for row in table:
        if row.area != area:
            area, clause = row.area, None
            ok = "no" if any(r.differs for r in table if r.area == area) else "yes"
            parts.append(
                f'<tr class="area" data-ok="{ok}"><th colspan="{width}">{e(area)}</th></tr>'
            )
        if row.clause != clause:
            clause = row.clause
            group = [r for r in table if r.area == area and r.clause == clause]
            ok = "no" if any(r.differs for r in group) else "yes"
            parts.append(
                f'<tr class="clause" data-ok="{ok}"><td colspan="{width}">{e(clause)}</td></tr>'
            )
        cells = "".join(
            cell(run, outcome, row.case_id, out_dir)
            for run, outcome in zip(runs, row.outcomes, strict=True)
        )
        ok = "no" if row.differs else "yes"
        parts.append(f'<tr data-ok="{ok}"><td>{e(row.case_id.split("/", 2)[2])}</td>{cells}</tr>')
    return "".join(parts)


def render_html(runs: list[Run], out_dir: Path) -> str:
    names = labels(runs)
    table = rows(runs)
    head = "".join(f'<th id="col-{i}">{e(n)}</th>' for i, n in enumerate(names))
    rates = "".join(
        f'<td class="num" id="rate-{i}">{r}</td>' for i, r in enumerate(column_rates(runs))
    )
    legend = " ".join(outcome_cell(o, "span") for o in OUTCOMES)
    legend += ' <span class="outcome o-MISSING">not run</span>'
    sources = "".join(
        f"<li>{e(n)}: {e(display(r.path))} (model {e(r.header.get('model'))}, "
        f"started {e(r.header['started_at'])})</li>"
        for n, r in zip(names, runs, strict=True)
    )
    body = (
        "<h1>msgconform: comparison</h1>"
        f'<ul class="meta">{sources}</ul>'
        + features_html(runs, names, lambda run, case_id: evidence_link(run, case_id, out_dir))
        + f"<h2>Cases</h2><p>{legend}</p>"
        '<p class="filter"><label><input type="checkbox" id="differs-only"> '
        f"Only cases whose outcomes differ ({sum(r.differs for r in table)})</label></p>"
        f'<table id="matrix"><tr><th>case</th>{head}</tr>'
        f"<tr><th>pass rate</th>{rates}</tr>{html_rows(runs, table, out_dir)}</table>"
        f'<p class="note">{e(PASS_RATE_RULE)}. Cells link to the evidence in each run\'s '
        "report.html.</p>"
    )
    return page("msgconform comparison", body, filter_js("differs-only"))


# ---- Markdown ------------------------------------------------------------------------------


def md(text: str) -> str:
    return text.replace("|", "\\|")


def render_markdown(runs: list[Run], out_dir: Path) -> str:
    names = labels(runs)
    link = lambda run, case_id: evidence_link(run, case_id, out_dir)  # noqa: E731
    lines = [
        *features_markdown(runs, names, link),
        "| area | clause | case | " + " | ".join(md(n) for n in names) + " |",
        "|---|---|---|" + "---|" * len(runs),
        "| | | **pass rate** | " + " | ".join(column_rates(runs)) + " |",
    ]
    for row in rows(runs):
        cells = [
            "not run"
            if outcome == MISSING
            else f"[{outcome}]({evidence_link(run, row.case_id, out_dir)})"
            for run, outcome in zip(runs, row.outcomes, strict=True)
        ]
        mark = " ≠" if row.differs else ""
        lines.append(
            f"| {md(row.area)} | {md(row.clause)} | {md(row.case_id.split('/', 2)[2])}{mark} | "
            + " | ".join(cells)
            + " |"
        )
    lines.append("")
    lines.append(f"_{PASS_RATE_RULE}; ≠ marks cases whose outcomes differ._")
    return "\n".join(lines) + "\n"


def compare(
    runs: list[Run], out: Path | None, markdown: Path | None, allow_mixed: bool = False
) -> list[Path]:
    if not allow_mixed:
        check_comparable(runs)
    written = []
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(render_html(runs, out.parent), encoding="utf-8")
        written.append(out)
    if markdown is not None:
        markdown.parent.mkdir(parents=True, exist_ok=True)
        markdown.write_text(render_markdown(runs, markdown.parent), encoding="utf-8")
        written.append(markdown)
    return written
