"""The stream grammar's frame layer: each SSE frame judged as a frame before its event is.

A frame must be ended, UTF-8, carry a data: line holding a JSON object, and name its event as the
data's type; `excerpt` shows the frames around a failure as its transcript.
"""

from __future__ import annotations

import json
from typing import Any

from msgconform.stream.sse import Frame
from msgconform.stream.violations import Reporter

FALLBACK = "Streaming fallback triggered"


def check_frame(grammar: Reporter, frame: Frame) -> bool:
    """The frame as a frame: ended, UTF-8, with a data: line (False: nothing more to judge)."""
    i = frame.index
    if not frame.complete:
        grammar.violate(
            "STREAM-012",
            i,
            "the last frame ended by a blank line",
            "the stream ends mid-frame (clients drop this frame)",
        )
    if frame.utf8_error:
        grammar.violate("STREAM-004", i, "valid UTF-8", frame.utf8_error)
    if frame.data is None:
        grammar.violate(
            "STREAM-004", i, "a data: line", f"a frame without data: {frame.text(80)!r}"
        )
        return False
    return True


def payload_of(grammar: Reporter, frame: Frame) -> dict[str, Any] | None:
    try:
        payload = json.loads(frame.data or "")
    except ValueError as exc:
        grammar.violate(
            "STREAM-004", frame.index, "data that is JSON", f"{exc}: {frame.text(120)!r}"
        )
        return None
    if not isinstance(payload, dict):
        grammar.violate("STREAM-004", frame.index, "a JSON object", frame.text(80))
        return None
    return payload


def check_event_name(grammar: Reporter, frame: Frame, kind: Any) -> None:
    if frame.event is None:
        if grammar.named_events:
            grammar.violate(
                "STREAM-002",
                frame.index,
                f"an event: {kind} line",
                "a data-only frame (the SDK skips it)",
                FALLBACK,
            )
    elif frame.event != kind:
        grammar.violate(
            "STREAM-002", frame.index, f"event: {kind} (the data.type)", f"event: {frame.event}"
        )


def excerpt(frames: list[Frame], index: int | None, around: int = 1, limit: int = 200) -> str:
    """The frames around `index`, one per line, line ends shown, as a failure's transcript."""
    if not frames:
        return "(empty stream)"
    at = len(frames) - 1 if index is None else min(max(index, 0), len(frames) - 1)
    lines = []
    for frame in frames[max(at - around, 0) : at + around + 1]:
        text = frame.raw.decode("utf-8", "replace").replace("\r", "\\r").replace("\n", "\\n")
        marker = ">" if frame.index == at else " "
        lines.append(
            f"{marker}[{frame.index}] " + (text if len(text) <= limit else text[:limit] + "…")
        )
    return "\n".join(lines)
