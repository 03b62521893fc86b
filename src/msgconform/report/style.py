"""The inline CSS and JS the HTML views share (one self-contained file: nothing is fetched)."""

from __future__ import annotations

# Colours carry meaning twice over: every cell also prints its outcome as text.
OUTCOME_COLOURS = {
    "PASS": ("#1a7f37", "#dafbe1"),
    "FAIL": ("#b3261e", "#ffe1de"),
    "NON-STRICT": ("#9a5b00", "#fff0c2"),
    "XFAIL": ("#3d5a80", "#e0e9f5"),
    "XPASS": ("#7b2cbf", "#f0e1ff"),
    "SKIP": ("#57606a", "#eef0f2"),
    "ERROR": ("#6e3b00", "#ffd8a8"),
    "MISSING": ("#57606a", "#ffffff"),
}
# Outcomes the "failures only" filter keeps.
PROBLEMS = frozenset({"FAIL", "XPASS", "ERROR", "NON-STRICT"})


def outcome_css() -> str:
    return "\n".join(
        f".o-{name} {{ color: {fg}; background: {bg}; }}"
        for name, (fg, bg) in OUTCOME_COLOURS.items()
    )


CSS = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 1.5rem;
       color: #1f2328; }
h1 { font-size: 1.4rem; margin: 0 0 .25rem; }
h2 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; }
.meta { color: #57606a; margin: 0 0 1rem; }
.meta code { font-size: 12px; }
table { border-collapse: collapse; }
th, td { border: 1px solid #d0d7de; padding: .25rem .5rem; text-align: left;
         vertical-align: top; }
th { background: #f6f8fa; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.outcome { font-weight: 600; white-space: nowrap; }
tr.area th { background: #eaeef2; font-size: 1rem; }
tr.clause td { background: #f6f8fa; font-weight: 600; }
.detail td { background: #fbfbfc; }
.failure { border-left: 4px solid #b3261e; padding: .25rem .75rem; margin: .25rem 0 .5rem; }
.failure.SHOULD { border-color: #9a5b00; }
.notice { border-left: 4px dashed #9a5b00; padding: .25rem .75rem; margin: .25rem 0 .5rem; }
.failure dl, .notice dl {
  display: grid; grid-template-columns: 8rem 1fr; gap: .1rem .75rem; margin: .25rem 0;
}
.failure dt, .notice dt { color: #57606a; }
.failure dd, .notice dd { margin: 0; }
pre { background: #f6f8fa; border: 1px solid #d0d7de; padding: .5rem; overflow-x: auto;
      max-height: 24rem; white-space: pre-wrap; word-break: break-all; font-size: 12px; }
details summary { cursor: pointer; color: #0969da; }
.banner { background: #ffd8a8; border: 1px solid #6e3b00; padding: .5rem .75rem; }
.note { color: #57606a; font-size: 12px; }
.filter { margin: 1rem 0; }
a.cell { display: block; text-decoration: none; color: inherit; }
"""


def filter_js(box_id: str) -> str:
    """Hide rows marked data-ok="yes" while the checkbox is ticked (or ?<box_id> is in the URL)."""
    return FILTER_TEMPLATE.replace("BOX_ID", box_id)


FILTER_TEMPLATE = """
(function () {
  var box = document.getElementById('BOX_ID');
  function apply() {
    document.querySelectorAll('[data-ok]').forEach(function (row) {
      row.hidden = box.checked && row.getAttribute('data-ok') === 'yes';
    });
  }
  if (/[?&]BOX_ID\\b/.test(location.search)) { box.checked = true; }
  box.addEventListener('change', apply);
  apply();
})();
"""
