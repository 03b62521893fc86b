"""An incremental SSE frame reader that keeps the raw framing a conformance verdict needs.

Handwritten on purpose: httpx-sse drops `:` comment lines and silently discards a last frame that
has no blank line after it (tooling-notes §3), and it hides which line endings were used. All three
are things a stream check has to see. Frames are cut on bytes (line ends are ASCII, so a multi-byte
character split across reads stays whole) and decoded once per frame.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from msgconform.core.exchange import Chunk

# A blank line: two line ends in a row. `\r(?!\n)` keeps the CRLF pair from counting as two ends.
_FRAME_END = re.compile(rb"(?:\r\n|\r(?!\n)|\n)(?:\r\n|\r(?!\n)|\n)")
_LINE_END = re.compile(r"\r\n|\r|\n")
_CRLF_OR_CR = re.compile(r"\r\n?")
DONE = "[DONE]"
TERMINAL_EVENTS = frozenset({"message_stop", "error"})


@dataclass(slots=True)
class Frame:
    """One SSE frame (a block of lines ended by a blank line), as it arrived."""

    index: int
    event: str | None  # None when the frame has no `event:` line
    data: str | None  # `data:` lines joined with "\n"; None when there is none
    raw: bytes
    line_ending: str  # "LF", "CRLF", "CR" or "mixed"
    comments: list[str] = field(default_factory=list)
    at_s: float | None = None
    complete: bool = True  # False: the stream ended before the blank line
    utf8_error: str | None = None
    other_fields: list[str] = field(default_factory=list)  # id:, retry:, unknown names

    def text(self, limit: int = 300) -> str:
        shown = self.raw.decode("utf-8", errors="replace")
        return shown if len(shown) <= limit else shown[:limit] + "…"


class SSEParser:
    """Feed bytes as they arrive; get the frames each read completed."""

    def __init__(self) -> None:
        self._buf = b""
        self._count = 0
        self._comments: list[str] = []  # from comment-only blocks, handed to the next frame
        self.trailing_comments: list[str] = []

    def feed(self, data: bytes, at_s: float | None = None) -> list[Frame]:
        buf = self._buf + data if self._buf else data
        frames: list[Frame] = []
        start = 0
        if b"\r" not in buf:  # the common case: LF only, no regex needed
            while (end := buf.find(b"\n\n", start)) >= 0:
                self._emit(buf[start : end + 2], at_s, True, frames)
                start = end + 2
        else:
            for match in _FRAME_END.finditer(buf):
                if match.end() == len(buf) and buf.endswith(b"\r"):
                    break  # the CR may be the first half of a CRLF still in flight
                self._emit(buf[start : match.end()], at_s, True, frames)
                start = match.end()
        self._buf = buf[start:]
        return frames

    def finish(self, at_s: float | None = None) -> list[Frame]:
        """End of stream: a frame still in the buffer is reported as incomplete, not dropped."""
        frames: list[Frame] = []
        rest, self._buf = self._buf, b""
        if rest.strip(b"\r\n"):
            if rest.endswith((b"\n\n", b"\r\r", b"\r\n\r\n", b"\n\r\n", b"\r\n\n")):
                self._emit(rest, at_s, True, frames)
            else:
                self._emit(rest, at_s, False, frames)
        self.trailing_comments, self._comments = self._comments, []
        return frames

    def _emit(self, raw: bytes, at_s: float | None, complete: bool, out: list[Frame]) -> None:
        frame = self._parse(raw, at_s, complete)
        if frame is not None:
            out.append(frame)

    def _parse(self, raw: bytes, at_s: float | None, complete: bool) -> Frame | None:
        utf8_error = None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            utf8_error = f"invalid UTF-8 at byte {exc.start}: {raw[exc.start : exc.end]!r}"
            text = raw.decode("utf-8", errors="replace")
        crlf = "\r" in text
        lines = _LINE_END.split(text) if crlf else text.split("\n")
        if (  # the usual two-line frame, without the per-line loop (half the parse time)
            not crlf
            and len(lines) == 4
            and not self._comments
            and lines[0][:7] == "event: "
            and lines[1][:6] == "data: "
            and not lines[2]
            and not lines[3]
        ):
            self._count += 1
            return Frame(
                self._count - 1,
                lines[0][7:],
                lines[1][6:],
                raw,
                "LF",
                [],
                at_s,
                complete,
                utf8_error,
            )
        event: str | None = None
        data: list[str] = []
        comments: list[str] = []
        other: list[str] = []
        for line in lines:
            if not line:
                continue
            if line[0] == ":":
                comments.append(line[1:].lstrip(" "))
                continue
            name, _, value = line.partition(":")
            if value[:1] == " ":
                value = value[1:]
            if name == "data":
                data.append(value)
            elif name == "event":
                event = value
            else:
                other.append(line)
        if event is None and not data and not other:
            self._comments.extend(comments)  # a keep-alive: not an event
            return None
        if self._comments:
            comments = self._comments + comments
            self._comments = []
        frame = Frame(
            self._count,
            event,
            "\n".join(data) if data else None,
            raw,
            line_ending_of(text) if crlf else "LF",
            comments,
            at_s,
            complete,
            utf8_error,
            other,
        )
        self._count += 1
        return frame


def line_ending_of(text: str) -> str:
    kinds = {"CRLF" if m.group() == "\r\n" else "CR" for m in _CRLF_OR_CR.finditer(text)}
    if "\n" in _CRLF_OR_CR.sub("", text):
        kinds.add("LF")
    return kinds.pop() if len(kinds) == 1 else "mixed"


def parse_chunks(chunks: Iterable[Chunk]) -> list[Frame]:
    parser = SSEParser()
    frames: list[Frame] = []
    last_at: float | None = None
    for chunk in chunks:
        frames += parser.feed(chunk.data, chunk.at_s)
        last_at = chunk.at_s
    return frames + parser.finish(last_at)


def parse_bytes(data: bytes) -> list[Frame]:
    return parse_chunks([Chunk(0.0, data)])


def is_terminal(frame: Frame) -> bool:
    """message_stop or error, named or (for data-only streams) by data.type; or [DONE]."""
    if frame.event is not None:
        return frame.event in TERMINAL_EVENTS
    if frame.data == DONE:
        return True
    try:
        payload = json.loads(frame.data or "")
    except ValueError:
        return False
    return isinstance(payload, dict) and payload.get("type") in TERMINAL_EVENTS


class TerminalWatch:
    """The client's callback: told every chunk, says once the stream's terminal event has arrived.

    Then the client waits only `close_after_stop` seconds for the server to close."""

    def __init__(self) -> None:
        self._parser = SSEParser()
        self.terminal_seen = False

    def feed(self, data: bytes) -> None:
        if self.terminal_seen:
            return
        self.terminal_seen = any(is_terminal(f) for f in self._parser.feed(data))


def callback() -> TerminalWatch:
    return TerminalWatch()
