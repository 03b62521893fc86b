"""The feature map in `msgconform compare` (and on its own page) for the mock, Baseten against the
mock and Cortecs against the mock: structure here, and what Chromium shows."""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pytest

from msgconform.cli import main
from msgconform.core.cases import load_all
from msgconform.report.features import feature_rows
from msgconform.report.record import Run, load_run

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PROVIDERS = [("mock", []), ("baseten", ["--against-mock"]), ("cortecs", ["--against-mock"])]
CELL = re.compile(r"^[SIRBN][!+]?$")
FEATURE_CASES = [c for c in load_all() if c.area == "features"]


class FeatureMap(HTMLParser):
    """The cells of table#feature-map by row label, the links, and the order of the tables."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, list[tuple[str, str]]] = {}
        self.links: list[str] = []
        self.tables: list[str] = []
        self._in_map = False
        self._row: list[str] | None = None
        self._cell: str | None = None
        self._class = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "table":
            self.tables.append(found.get("id") or "")
            self._in_map = found.get("id") == "feature-map"
        elif self._in_map and tag == "tr":
            self._row = []
        elif self._in_map and tag == "td":
            self._cell, self._class = "", found.get("data-class") or ""
        elif self._in_map and tag == "a":
            self.links.append(found.get("href") or "")

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None and self._row is not None:
            self._row.append(f"{self._class}\t{self._cell.strip()}")
            self._cell = None
        elif tag == "tr" and self._row:
            label, *cells = self._row
            self.rows[label.split("\t")[1]] = [tuple(c.split("\t")) for c in cells]  # type: ignore[misc]
            self._row = None
        elif tag == "table":
            self._in_map = False


def parse(text: str) -> FeatureMap:
    page = FeatureMap()
    page.feed(text)
    return page


@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("features-compare")
    for provider, flags in PROVIDERS:
        assert main(["features", "--provider", provider, *flags, "--out", str(out), "-q"]) == 0
    runs = [str(out / provider / "latest") for provider, _ in PROVIDERS]
    argv = ["compare", *runs, "--out", str(out / "compare.html"), "--markdown", str(out / "c.md")]
    assert main(argv) == 0
    return out


def test_the_map_has_every_feature_for_every_provider(compared: Path) -> None:
    page = parse((compared / "compare.html").read_text())
    assert len(page.rows) == len(FEATURE_CASES)
    for label, cells in page.rows.items():
        assert len(cells) == len(PROVIDERS), label
        assert all(CELL.match(text) for _, text in cells), (label, cells)


def test_the_map_sits_above_the_case_grid(compared: Path) -> None:
    assert parse((compared / "compare.html").read_text()).tables[:2] == ["feature-map", "matrix"]
    markdown = (compared / "c.md").read_text()
    assert markdown.index("## Feature map") < markdown.index("| area | clause | case |")


def test_each_cell_links_to_a_case_row_in_that_runs_report(compared: Path) -> None:
    page = parse((compared / "compare.html").read_text())
    assert len(page.links) == len(FEATURE_CASES) * len(PROVIDERS)
    for link in page.links:
        path, _, fragment = unquote(link).partition("#")
        report = (compared / path).read_text()
        assert f'id="{fragment}"' in report, link


@pytest.mark.browser
def test_browser_shows_what_each_provider_documents(compared: Path, tmp_path: Path) -> None:
    page = parse(chromium(tmp_path, (compared / "compare.html").as_uri(), "--dump-dom"))
    texts = {label: [text for _, text in cells] for label, cells in page.rows.items()}
    assert texts["top-k"] == ["S", "S", "R"]  # Cortecs documents top_k as unsupported
    assert texts["auth-x-api-key"] == ["S", "R", "R"]  # Baseten refuses x-api-key
    assert texts["thinking (stream)"] == ["S", "R", "R"]
    assert texts["request-id"] == ["S", "S+", "S+"]  # works, though the profiles do not say so
    classes = {c for cells in page.rows.values() for c, _ in cells}
    assert classes == {"supported", "rejected"}


@pytest.mark.browser
@pytest.mark.parametrize("single", [False, True], ids=["compare", "one-run"])
def test_browser_screenshot_renders(compared: Path, tmp_path: Path, single: bool) -> None:
    shot = tmp_path / "map.png"
    run_dir = load_run(compared / "mock" / "latest").run_dir
    url = (run_dir / "features.html" if single else compared / "compare.html").as_uri()
    chromium(tmp_path, url, f"--screenshot={shot}", "--window-size=1280,1600")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# Loads the compare page in a frame, then each run's report.html it links to, and writes what
# Chromium found into #out: every outcome or feature cell, those without a link, and the links
# whose target element exists there and is rendered (a hidden or missing row is not landed on).
LANDING_PROBE = r"""<!doctype html><pre id="out">waiting</pre>
<iframe id="cmp" src="COMPARE"></iframe>
<script>
const frame = (url) => new Promise((done) => {
  const f = document.createElement("iframe");
  f.onload = () => done(f.contentDocument);
  f.src = url;
  document.body.appendChild(f);
});
window.addEventListener("load", async () => {
  const page = document.getElementById("cmp").contentDocument;
  const cells = [...page.querySelectorAll("td.outcome, td.feature")];
  const targets = {};
  for (const a of page.querySelectorAll("td.outcome a[href], td.feature a[href]")) {
    const url = new URL(a.getAttribute("href"), page.baseURI);
    (targets[url.href.split("#")[0]] ||= []).push(decodeURIComponent(url.hash.slice(1)));
  }
  let landed = 0;
  const missed = [];
  for (const [report, ids] of Object.entries(targets)) {
    const doc = await frame(report);
    for (const id of ids) {
      const row = doc.getElementById(id);
      if (row && row.getClientRects().length > 0) landed++; else missed.push(id);
    }
  }
  const unlinked = cells.filter((c) => !c.querySelector("a[href]")).length;
  document.getElementById("out").textContent =
    `cells ${cells.length} unlinked ${unlinked} landed ${landed}\n` + missed.join("\n");
});
</script>"""


@pytest.mark.browser
def test_browser_every_cell_lands_on_its_case_row(compared: Path, tmp_path: Path) -> None:
    """Chromium follows every cell of the feature map and of the case grid to a case row that
    exists in that run's report.html and is shown."""
    probe = tmp_path / "landing.html"
    probe.write_text(LANDING_PROBE.replace("COMPARE", (compared / "compare.html").as_uri()))
    flags = ["--allow-file-access-from-files", "--virtual-time-budget=60000", "--dump-dom"]
    dom = chromium(tmp_path, probe.as_uri(), *flags)
    found = re.search(r'<pre id="out">(.*?)</pre>', dom, re.S)
    assert found is not None
    cells = 2 * len(FEATURE_CASES) * len(PROVIDERS)  # each feature case: a map cell, a grid cell
    assert found.group(1).strip() == f"cells {cells} unlinked 0 landed {cells}"


def chromium(tmp_path: Path, url: str, *extra: str) -> str:
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run",
             f"--user-data-dir={tmp_path / 'profile'}"]  # fmt: skip
    done = subprocess.run(
        [CHROMIUM, *flags, *extra, url], capture_output=True, text=True, timeout=120, check=True
    )
    return done.stdout


def synthetic_case(feature: dict[str, object] | None, outcome: str = "PASS") -> dict[str, object]:
    case: dict[str, object] = {"id": "features/REQ-001/top-k", "area": "features",
                               "outcome": outcome, "reason": "budget spent"}  # fmt: skip
    if feature is not None:
        case["feature"] = {"id": "top-k", "mode": "json", "why": "w", "declared_why": "d",
                           "information": False, **feature}  # fmt: skip
    return case


@pytest.mark.parametrize(
    ("feature", "outcome", "text"),
    [
        ({"class": "broken", "declared": True}, "FAIL", "B!"),
        ({"class": "ignored", "declared": True}, "FAIL", "I!"),
        ({"class": "rejected", "declared": False}, "PASS", "R"),
        ({"class": "supported", "declared": None, "information": True}, "PASS", "S+"),
        (None, "ERROR", "N"),
    ],
)
def test_a_cell_reads_without_colour(
    feature: dict[str, object] | None, outcome: str, text: str
) -> None:
    (row,) = feature_rows([Run({"provider": "p"}, [synthetic_case(feature, outcome)], None)])
    assert row.cells[0].text == text
