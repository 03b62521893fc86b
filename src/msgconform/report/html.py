"""report.html: one self-contained page rendered from the run record with the standard library."""

from __future__ import annotations

import json
from collections.abc import Iterable
from html import escape
from typing import Any

from msgconform.core.grading import MODEL_LEVEL
from msgconform.report import findings
from msgconform.report.bounded import clip, request_shown, response_shown
from msgconform.report.record import OUTCOMES, PASS_RATE_RULE, Run, pass_rate, percent
from msgconform.report.style import CSS, PROBLEMS, filter_js, outcome_css


def e(value: object) -> str:
    return escape("" if value is None else str(value))


def anchor(case_id: str) -> str:
    """The element id of a case's row; compare links to report.html#<anchor>."""
    return f"case-{case_id}"


def clause_of(case: dict[str, Any]) -> str:
    return str(case["id"]).split("/")[1]


def ok_attr(outcomes: Iterable[str]) -> str:
    return "no" if any(o in PROBLEMS for o in outcomes) else "yes"


def outcome_cell(outcome: str, tag: str = "td") -> str:
    return f'<{tag} class="outcome o-{e(outcome)}">{e(outcome)}</{tag}>'


def page(title: str, body: str, script: str) -> str:
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{e(title)}</title><style>{CSS}{outcome_css()}</style></head>\n"
        f"<body>\n{body}\n<script>{script}</script>\n</body></html>\n"
    )


# ---- summary -------------------------------------------------------------------------------


def meta_line(run: Run) -> str:
    header = run.header
    rev = header.get("git_revision") or "unknown"
    seed = "derived (suite + contract)" if header.get("seed") is None else header["seed"]
    ended = (run.footer or {}).get("ended_at", "not recorded (the run did not finish)")
    return (
        f'<p class="meta">model <code id="model">{e(header.get("model"))}</code> · '
        f"msgconform {e(header['msgconform_version'])} (git <code>{e(rev[:12])}</code>) · "
        f"strict {'on' if header['strict'] else 'off'} · seed {e(seed)} · "
        f"started {e(header['started_at'])} · ended {e(ended)}<br>"
        f"suite <code>{e(header['suite_hash'][:12])}</code> · "
        f"schemas <code>{e(header['schema_hash'][:12])}</code> · "
        f"clauses <code>{e(header['clauses_hash'][:12])}</code>{limits_text(header)}</p>"
    )


def limits_text(header: dict[str, Any]) -> str:
    """The run's effective limits, so a slow or capped run explains itself (older runs: none)."""
    limits = header.get("limits")
    if not limits:
        return ""
    rate = f"{limits['rate']:g} requests/s" if limits["rate"] else "no rate limit"
    return (
        f'<br><span id="limits">limits: {e(rate)} ({e(limits["rate_reason"])}) · '
        f"{limits['concurrency']} connections · at most {limits['max_requests']} requests · "
        f"deadlines ×{limits['timeout_scale']:g}</span>"
    )


def banner(run: Run) -> str:
    if run.footer is None:
        return '<p class="banner" id="aborted">The record has no footer: the run was cut short.</p>'
    if run.footer["aborted"]:
        reason = run.footer.get("abort_reason") or "no reason recorded"
        return f'<p class="banner" id="aborted">The run aborted: {e(reason)}</p>'
    return ""


def counts_table(run: Run) -> str:
    counts = run.counts()
    head = "".join(outcome_cell(o, "th") for o in OUTCOMES)
    cells = "".join(f'<td class="num" id="count-{o}">{counts[o]}</td>' for o in OUTCOMES)
    return (
        f"<table><tr>{head}<th>total</th><th>pass rate</th></tr>"
        f'<tr>{cells}<td class="num" id="count-total">{len(run.cases)}</td>'
        f'<td class="num" id="pass-rate">{percent(run.pass_rate())}</td></tr></table>'
    )


def area_rates(run: Run) -> str:
    rows = []
    for area, cases in sorted(run.areas().items()):
        counts = {o: sum(1 for c in cases if c["outcome"] == o) for o in OUTCOMES}
        rows.append(
            f'<tr><td><a href="#area-{e(area)}">{e(area)}</a></td>'
            f'<td class="num">{len(cases)}</td>'
            + "".join(f'<td class="num">{counts[o] or ""}</td>' for o in OUTCOMES)
            + f'<td class="num" id="rate-{e(area)}">{percent(pass_rate(counts))}</td></tr>'
        )
    head = "".join(f"<th>{e(o)}</th>" for o in OUTCOMES)
    return (
        f"<table><tr><th>area</th><th>cases</th>{head}<th>pass rate</th></tr>"
        + "".join(rows)
        + f'</table><p class="note">{e(PASS_RATE_RULE)}.</p>'
    )


def client_line(run: Run) -> str:
    """Client runs (msgconform clients) name the client library they judged."""
    client = run.header.get("client")
    if run.header.get("run_kind") != "client" or not isinstance(client, dict):
        return ""
    return (
        f'<p class="meta" id="run-kind" data-kind="client">client battery: '
        f"<code>{e(client.get('name'))} {e(client.get('version'))}</code> through adapter "
        f"<code>{e(client.get('adapter'))}</code>, "
        f"judged by policy <code>{e(client.get('policy'))}</code>"
        f", against the mock emulating <code>{e(run.header['profile'].get('name'))}</code></p>"
    )


def summary(run: Run) -> str:
    kind = "client battery" if run.header.get("run_kind") == "client" else "msgconform"
    return (
        f'<h1>{kind}: <span id="provider">{e(run.provider)}</span></h1>'
        + client_line(run)
        + meta_line(run)
        + banner(run)
        + findings.render_html(findings.collect(run.cases), anchor)
        + "<h2>Outcomes</h2>"
        + counts_table(run)
        + "<h2>By area</h2>"
        + area_rates(run)
    )


# ---- cases ---------------------------------------------------------------------------------


def failure_block(failure: dict[str, Any], kind: str = "failure") -> str:
    rows = [
        ("requirement", f"{failure['clause']} ({failure['level']}): {failure['requirement']}"),
        ("source", failure["source"]),
        ("check", failure["check"]),
        ("expected", failure["expected"]),
        ("actual", failure["actual"]),
    ]
    if failure.get("event_index") is not None:
        rows.append(("event", f"#{failure['event_index']}"))
    if failure.get("symptom"):
        rows.append(("client symptom", failure["symptom"]))
    items = "".join(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in rows)
    return f'<div class="{e(kind)} {e(failure["level"])}"><dl>{items}</dl></div>'


def headers_text(headers: dict[str, str]) -> str:
    return "\n".join(f"{k}: {v}" for k, v in headers.items())


def body_text(body: Any) -> str:
    if body is None:
        return ""
    if isinstance(body, str):
        return body
    return json.dumps(body, indent=2, ensure_ascii=False)


def evidence_block(item: dict[str, Any]) -> str:
    request, response = item["request"], item["response"]
    kind, received = response_shown(response)
    sent = f"{request['method']} {request['url']}\n{headers_text(request['headers'])}"
    got = f"HTTP {response.get('status')} (ended: {response.get('ended')})"
    if response.get("error"):
        got += f" error: {response['error']}"
    if item.get("reconnected"):
        got += f" · resent: {item['reconnected']}"
    return (
        f"<details><summary>Evidence: {e(item['label'])} · {e(got)} · "
        f"request-id {e(item.get('request_id') or 'none')}</summary>"
        f"<p>Request</p><pre>{e(sent)}\n\n{e(request_shown(request))}</pre>"
        f"<p>Response</p><pre>{e(headers_text(response.get('headers') or {}))}</pre>"
        f"<p>Response {kind}</p><pre>{e(received)}</pre>"
        f"<p>Reproduce</p><pre>{e(clip(item['curl']))}</pre></details>"
    )


def same_symptom(note: dict[str, Any]) -> str:
    first = str(note["first"])
    return (
        f'<p class="same-symptom">Same symptom as <a href="#{e(anchor(first))}">{e(first)}</a> '
        f"({e(note['symptom'])}, full transcript there): sent once with a "
        f"{note['deadline_s']:g}s deadline after several {e(note['kind'])} cases in a row "
        "ended so.</p>"
    )


def detail_row(case: dict[str, Any], ok: str) -> str:
    parts = []
    if case.get("reason"):
        parts.append(f"<p>Reason: {e(case['reason'])}</p>")
    parts += [same_symptom(case["same_symptom"])] if case.get("same_symptom") else []
    parts += [failure_block(f) for f in case["failures"]]
    # Notices grade nothing (a PASS may carry one), so they show as notes, not failures.
    parts += [failure_block(f, "notice") for f in case.get("notices") or []]
    parts += [evidence_block(item) for item in case["evidence"]]
    if case.get("client_result") is not None:
        shown = body_text(case["client_result"])
        parts.append(
            f"<details><summary>What the client returned</summary><pre>{e(shown)}</pre></details>"
        )
    if not parts:
        return ""
    return f'<tr class="detail" data-ok="{ok}"><td colspan="5">{"".join(parts)}</td></tr>'


def case_rows(case: dict[str, Any]) -> str:
    ok = ok_attr([case["outcome"]])
    case_id = str(case["id"])
    return (
        f'<tr class="case" id="{e(anchor(case_id))}" data-outcome="{e(case["outcome"])}" '
        f'data-ok="{ok}"><td><a href="#{e(anchor(case_id))}">{e(case_id.split("/")[-1])}</a></td>'
        f"<td>{e(case['description'])}</td><td>{e(', '.join(case['clauses']))}</td>"
        + outcome_cell(case["outcome"])
        + f'<td class="num">{case["duration_s"]:.2f}s</td></tr>'
        + detail_row(case, ok)
    )


def area_rows(area: str, cases: list[dict[str, Any]]) -> str:
    ok = ok_attr(c["outcome"] for c in cases)
    rows = [
        f'<tr class="area" id="area-{e(area)}" data-ok="{ok}"><th colspan="5">{e(area)}</th></tr>'
    ]
    by_clause: dict[str, list[dict[str, Any]]] = {}
    for case in cases:
        by_clause.setdefault(clause_of(case), []).append(case)
    for clause, group in sorted(by_clause.items()):
        clause_ok = ok_attr(c["outcome"] for c in group)
        rows.append(
            f'<tr class="clause" data-ok="{clause_ok}"><td colspan="5">{e(clause)}</td></tr>'
        )
        rows += [case_rows(c) for c in group]
    return "".join(rows)


def cases_table(run: Run) -> str:
    body = "".join(area_rows(a, cs) for a, cs in sorted(run.areas().items()))
    return (
        '<p class="filter"><label><input type="checkbox" id="failures-only"> '
        "Failures only (FAIL, XPASS, ERROR, NON-STRICT)</label></p>"
        '<table id="cases"><tr><th>case</th><th>description</th><th>clauses</th>'
        f"<th>outcome</th><th>time</th></tr>{body}</table>"
    )


def model_section(run: Run) -> str:
    """Checks that judge what a model says (not the wire format), apart from protocol verdicts."""
    rows = [
        f'<tr><td><a href="#{e(anchor(str(c["id"])))}">{e(c["id"])}</a></td>'
        f"<td>{e(f['clause'])}</td><td>{e(f['expected'])}</td><td>{e(f['actual'])}</td></tr>"
        for c in run.cases
        for f in c["failures"]
        if f["level"] == MODEL_LEVEL
    ]
    if not rows:
        return ""
    return (
        '<h2 id="model-behaviour">Model behaviour</h2><p class="note">What the model said, '
        "not what the protocol requires: NON-STRICT, passing when any of its tries passes.</p>"
        "<table><tr><th>case</th><th>clause</th><th>expected</th><th>seen</th></tr>"
        + "".join(rows)
        + "</table>"
    )


def render(run: Run) -> str:
    body = summary(run) + model_section(run) + "<h2>Cases</h2>" + cases_table(run)
    return page(f"msgconform {run.provider} {run.stamp}", body, filter_js("failures-only"))
