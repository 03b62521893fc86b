"""report.html: static structure here, and the counts as a real browser shows them."""

from __future__ import annotations

import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from msgconform.report import html
from msgconform.report.record import OUTCOMES, Run, load_run, percent
from msgconform.report.write import render_all

RUNS = Path(__file__).parents[1] / "fixtures" / "runs"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


class Page(HTMLParser):
    """Text by element id, and which rows the filter hid."""

    def __init__(self) -> None:
        super().__init__()
        self.text: dict[str, str] = {}
        self.rows: list[dict[str, str | None]] = []
        self.refs: list[str] = []
        self._open: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.refs += [v or "" for k, v in attrs if k in ("src", "href")]
        if tag == "tr" and "data-ok" in found:
            self.rows.append(found)
        if tag in ("td", "th", "span", "code", "p"):
            self._open.append(found.get("id"))
            if found.get("id"):
                self.text[str(found["id"])] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th", "span", "code", "p") and self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        for ident in self._open:
            if ident:
                self.text[ident] += data


def parse(text: str) -> Page:
    page = Page()
    page.feed(text)
    return page


@pytest.fixture(scope="module")
def run() -> Run:
    return load_run(RUNS / "mock-fault" / "20260101T010000Z")


def test_summary_counts_have_stable_ids(run: Run) -> None:
    page = parse(html.render(run))
    assert {o: int(page.text[f"count-{o}"]) for o in OUTCOMES} == run.counts()
    assert page.text["pass-rate"] == "40%"
    assert page.text["rate-stop_reason"] == "0%"
    assert page.text["provider"] == "mock-fault"


def test_every_case_has_an_anchor_row(run: Run) -> None:
    page = parse(html.render(run))
    anchors = {r.get("id") for r in page.rows}
    assert {html.anchor(c["id"]) for c in run.cases} <= anchors


def test_page_is_self_contained(run: Run) -> None:
    text = html.render(run)
    page = parse(text)
    assert all(ref.startswith("#") for ref in page.refs)
    assert "<link" not in text
    assert "@import" not in text


def test_record_text_is_escaped(run: Run) -> None:
    case = dict(run.cases[0], description="<script>alert(1)</script>")
    text = html.render(Run(run.header, [case], run.footer, run.path))
    assert "<script>alert" not in text
    assert "&lt;script&gt;alert(1)" in text


def test_page_says_how_the_pass_rate_is_computed(run: Run) -> None:
    assert "SKIP, XFAIL, ERROR excluded" in html.render(run)


def test_a_run_without_footer_is_flagged(run: Run) -> None:
    page = parse(html.render(Run(run.header, run.cases, None, run.path)))
    assert "cut short" in page.text["aborted"]


def chromium(tmp_path: Path, url: str, *extra: str) -> str:
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    done = subprocess.run(
        [CHROMIUM, *flags, *extra, url], capture_output=True, text=True, timeout=120, check=True
    )
    return done.stdout


@pytest.fixture
def rendered(run: Run, tmp_path: Path) -> Path:
    render_all(run, tmp_path)
    return tmp_path / "report.html"


@pytest.mark.browser
def test_browser_shows_the_record_counts(run: Run, rendered: Path, tmp_path: Path) -> None:
    page = parse(chromium(tmp_path, rendered.as_uri(), "--dump-dom"))
    assert {o: int(page.text[f"count-{o}"]) for o in OUTCOMES} == run.counts()
    assert page.text["count-total"] == str(len(run.cases))
    assert page.text["pass-rate"] == percent(run.pass_rate())
    assert not any("hidden" in row for row in page.rows)


@pytest.mark.browser
def test_browser_filter_hides_passing_rows(run: Run, rendered: Path, tmp_path: Path) -> None:
    page = parse(chromium(tmp_path, rendered.as_uri() + "?failures-only", "--dump-dom"))
    shown = {r["data-outcome"] for r in page.rows if "hidden" not in r and r.get("data-outcome")}
    assert shown == {"FAIL", "XPASS", "ERROR", "NON-STRICT"}


@pytest.mark.browser
def test_browser_screenshot_renders(rendered: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    chromium(tmp_path, rendered.as_uri(), f"--screenshot={shot}", "--window-size=1280,1600")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
