"""One run record in, its views out: junit.xml, report.html and badge.svg beside the record."""

from __future__ import annotations

from pathlib import Path

from msgconform.report import badge, html, junit
from msgconform.report.record import Run, load_run


def render_all(run: Run, out_dir: Path | None = None) -> list[Path]:
    """Write the three views into out_dir (default: beside the record); return their paths."""
    target = out_dir or run.run_dir
    views = {
        target / "junit.xml": junit.render,
        target / "report.html": html.render,
        target / "badge.svg": badge.render,
    }
    for path, render in views.items():
        path.write_text(render(run), encoding="utf-8")
    return list(views)


def publish(run_dir: Path) -> list[Path]:
    """The views of a finished (or aborted) run, read back from its record."""
    return render_all(load_run(run_dir))
