"""The feature map as a provider × feature grid: above the case grid in `msgconform compare`,
and on its own for one run (`msgconform features`). Each cell has a colour AND a letter (S I R B
? N), a mark for declared-but-not-working (!) and for working-but-undeclared (+), and links to the
case's evidence in that run's report.html."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from msgconform.report.html import anchor, e, page
from msgconform.report.record import Run

AREA = "features"
NOT_PROBED = "not probed"
# class: (letter, text colour, background)
CLASSES: dict[str, tuple[str, str, str]] = {
    "supported": ("S", "#1a7f37", "#dafbe1"),
    "ignored": ("I", "#9a5b00", "#fff0c2"),
    "rejected": ("R", "#57606a", "#eef0f2"),
    "broken": ("B", "#b3261e", "#ffe1de"),
    "not judged": ("?", "#57606a", "#f6f8fa"),
    NOT_PROBED: ("N", "#57606a", "#ffffff"),
}
MARKS = {
    "!": "declared by the profile but not supported (a FAIL)",
    "+": "supported though the profile does not declare it (information: the docs undersell it)",
}
CSS = (
    "".join(
        f".f-{name.replace(' ', '-')} {{ color: {fg}; background: {bg}; }}"
        for name, (_, fg, bg) in CLASSES.items()
    )
    + " td.feature { text-align: center; font-weight: 600; font-family: monospace; }"
)

Link = Callable[[Run, str], str]


@dataclass(frozen=True)
class Cell:
    klass: str
    mark: str = ""
    case_id: str | None = None
    title: str = ""

    @property
    def text(self) -> str:
        return CLASSES[self.klass][0] + self.mark


@dataclass(frozen=True)
class FeatureRow:
    key: str
    cells: tuple[Cell, ...]


def cell_of(case: dict[str, Any] | None) -> Cell:
    found = case.get("feature") if case else None
    if case is None or not isinstance(found, dict):
        why = f"{case['outcome']}: {case.get('reason') or ''}" if case else "not in this run"
        return Cell(NOT_PROBED, "", case["id"] if case else None, why.strip())
    klass = str(found["class"])
    mark = "!" if found["declared"] is True and klass not in ("supported", "not judged") else ""
    mark = "+" if found["information"] else mark
    declared = {True: "declared", False: "not declared", None: "profile silent"}[found["declared"]]
    title = f"{klass}: {found['why']} · {declared} ({found['declared_why']})"
    return Cell(klass, mark, str(case["id"]), title)


def row_key(case: dict[str, Any]) -> str:
    found = case.get("feature")
    if isinstance(found, dict):
        streamed = str(case["id"]).endswith("-stream")
        return f"{found['id']} (stream)" if streamed else str(found["id"])
    return str(case["id"]).split("/", 2)[2]


def feature_rows(runs: list[Run]) -> list[FeatureRow]:
    keyed: list[dict[str, dict[str, Any]]] = []
    order: list[str] = []
    for run in runs:
        cases = {row_key(c): c for c in run.cases if c.get("area") == AREA}
        keyed.append(cases)
        order += [k for k in cases if k not in order]
    return [FeatureRow(key, tuple(cell_of(found.get(key)) for found in keyed)) for key in order]


def has_features(runs: list[Run]) -> bool:
    return any(c.get("area") == AREA for run in runs for c in run.cases)


def legend_html() -> str:
    classes = " ".join(
        f'<span class="feature f-{k.replace(" ", "-")}">{letter} {e(k)}</span>'
        for k, (letter, _, _) in CLASSES.items()
    )
    marks = "; ".join(f"<b>{e(m)}</b> {e(text)}" for m, text in MARKS.items())
    return f'<p class="legend">{classes}</p><p class="note">{marks}</p>'


def html_cell(run: Run, cell: Cell, link: Link) -> str:
    css = "f-" + cell.klass.replace(" ", "-")
    attrs = f'class="feature {css}" data-class="{e(cell.klass)}" title="{e(cell.title)}"'
    if cell.case_id is None:
        return f"<td {attrs}>{e(cell.text)}</td>"
    return (
        f'<td {attrs}><a class="cell" href="{e(link(run, cell.case_id))}">{e(cell.text)}</a></td>'
    )


def html_row(runs: list[Run], row: FeatureRow, link: Link) -> str:
    cells = "".join(html_cell(run, c, link) for run, c in zip(runs, row.cells, strict=True))
    return f"<tr><td>{e(row.key)}</td>{cells}</tr>"


def features_html(runs: list[Run], names: list[str], link: Link) -> str:
    """The grid, or nothing when no run probed features."""
    if not has_features(runs):
        return ""
    head = "".join(f"<th>{e(n)}</th>" for n in names)
    body = "".join(html_row(runs, row, link) for row in feature_rows(runs))
    return (
        f"<style>{CSS}</style><h2>Feature map</h2>{legend_html()}"
        f'<table id="feature-map"><tr><th>feature</th>{head}</tr>{body}</table>'
    )


def features_markdown(runs: list[Run], names: list[str], link: Link) -> list[str]:
    if not has_features(runs):
        return []
    lines = [
        "## Feature map",
        "",
        "| feature | " + " | ".join(n.replace("|", "\\|") for n in names) + " |",
        "|---|" + "---|" * len(runs),
    ]
    for row in feature_rows(runs):
        cells = [
            f"[{c.text}]({link(r, c.case_id)})" if c.case_id else c.text
            for r, c in zip(runs, row.cells, strict=True)
        ]
        lines.append(f"| {row.key} | " + " | ".join(cells) + " |")
    letters = ", ".join(f"{letter} {k}" for k, (letter, _, _) in CLASSES.items())
    marks = "; ".join(f"{m} {text}" for m, text in MARKS.items())
    return [*lines, "", f"_{letters}; {marks}._", ""]


def local_link(run: Run, case_id: str) -> str:
    """From a page beside the run's report.html."""
    return "report.html#" + quote(anchor(case_id), safe="/")


def render_feature_page(run: Run) -> str:
    title = f"msgconform feature map: {run.provider}"
    body = f"<h1>{e(title)}</h1>" + features_html([run], [run.provider], local_link)
    return page(title, body, "")


def render_feature_markdown(run: Run) -> str:
    return "\n".join(features_markdown([run], [run.provider], local_link))
