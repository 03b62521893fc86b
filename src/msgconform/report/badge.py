"""A shields-style SVG badge: "msgconform | 93% provider", coloured by pass rate."""

from __future__ import annotations

from html import escape

from msgconform.report.record import Run, percent

# Widths are estimated (Verdana 11px averages about 7 px a character): no font metrics offline.
CHAR_PX = 7
PAD_PX = 10


def colour(rate: float | None) -> str:
    if rate is None:
        return "#9f9f9f"
    if rate >= 0.99:
        return "#4c1"
    if rate >= 0.9:
        return "#a4a61d"
    if rate >= 0.75:
        return "#dfb317"
    if rate >= 0.5:
        return "#fe7d37"
    return "#e05d44"


def svg(label: str, message: str, fill: str) -> str:
    left = len(label) * CHAR_PX + PAD_PX
    right = len(message) * CHAR_PX + PAD_PX
    total = left + right
    label_e, message_e = escape(label), escape(message)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="20" role="img" '
        f'aria-label="{label_e}: {message_e}">'
        f"<title>{label_e}: {message_e}</title>"
        f'<rect width="{left}" height="20" fill="#555"/>'
        f'<rect x="{left}" width="{right}" height="20" fill="{fill}"/>'
        '<g fill="#fff" text-anchor="middle" font-family="Verdana,DejaVu Sans,sans-serif" '
        'font-size="11">'
        f'<text x="{left / 2}" y="14">{label_e}</text>'
        f'<text x="{left + right / 2}" y="14">{message_e}</text>'
        "</g></svg>\n"
    )


def render(run: Run) -> str:
    rate = run.pass_rate()
    return svg("msgconform", f"{percent(rate)} {run.provider}", colour(rate))
