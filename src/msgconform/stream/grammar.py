"""The Messages stream grammar as a state machine fed one frame at a time.

    stream := message_start (ping | block)* message_delta+ message_stop     (or an error anywhere)
    block  := content_block_start content_block_delta* content_block_stop  (index i)

It works on a partial transcript (a stream cut by a deadline is judged up to where it stopped) and
accumulates the final message the way the official SDK does, for the stream/JSON parity check.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from msgconform.stream.accumulate import (
    DELTA_BLOCKS,
    JSON_BLOCKS,
    Block,
    accumulate_delta,
    apply_delta,
    flush_text,
    parse_object,
)
from msgconform.stream.frames import check_event_name, check_frame, payload_of
from msgconform.stream.sse import DONE, Frame
from msgconform.stream.violations import Violation

NO_START = "Stream completed without receiving message_start event"
NOT_FOUND = "Content block not found"
MISMATCH = "Mismatched content block type"

INPUT_COUNTS = ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")
EventIssues = Callable[[Any], Iterable[object]]


@dataclass
class StreamGrammar:
    """Feed frames in order, then call finish(); read `violations` and `message`."""

    stop_reasons: Collection[str] | None = None
    named_events: bool = True
    done_sentinel: bool = False
    event_issues: EventIssues | None = None
    violations: list[Violation] = field(default_factory=list)
    frames: list[Frame] = field(default_factory=list)
    message: dict[str, Any] | None = None
    terminal: str | None = None  # "message_stop", "error" or "[DONE]"
    error_event: dict[str, Any] | None = None
    blocks: dict[int, Block] = field(default_factory=dict)
    schema_checked: bool = True
    _open: int | None = None
    _deltas: int = 0
    _start_tokens: int | None = None
    _last_tokens: int | None = None
    _start_missing_told: bool = False

    def violate(
        self, clause: str, index: int | None, expected: str, actual: str, symptom: str | None = None
    ) -> None:
        self.violations.append(Violation(clause, index, expected, actual, symptom))

    def feed(self, frame: Frame) -> None:
        self.frames.append(frame)
        i = frame.index
        if not check_frame(self, frame):
            return
        if frame.data == DONE:
            self._done(i)
            return
        payload = payload_of(self, frame)
        if payload is None:
            return
        kind = payload.get("type")
        check_event_name(self, frame, kind)
        if self.terminal is not None:
            self.violate("STREAM-012", i, f"nothing after {self.terminal}", f"a {kind} event")
            return
        self._check_schema(i, payload)
        if self.message is None and kind not in ("message_start", "error"):
            self._missing_start(i, str(kind))
        handler = HANDLERS.get(kind) if isinstance(kind, str) else None
        if handler is not None:
            handler(self, i, payload)

    def _check_schema(self, i: int, payload: dict[str, Any]) -> None:
        if self.event_issues is None or not self.schema_checked:
            return
        try:
            issues = list(self.event_issues(payload))
        except NotImplementedError:  # contract not available: STREAM-015 reports "not checked"
            self.schema_checked = False
            return
        if issues:
            shown = "; ".join(str(x) for x in issues[:3])
            self.violate(
                "STREAM-015", i, f"a {payload.get('type')} event valid for its schema", shown
            )

    def _missing_start(self, i: int, kind: str) -> None:
        if not self._start_missing_told:
            self._start_missing_told = True
            self.violate(
                "STREAM-005", i, "message_start as the first event", f"{kind} first", NO_START
            )

    def _done(self, i: int) -> None:
        if not self.done_sentinel:
            self.violate("STREAM-003", i, "no data: [DONE] (removed in 2023-06-01)", "data: [DONE]")
        elif self.terminal == "message_stop":
            self.terminal = DONE
        else:
            after = self.terminal or "message_stop missing"
            self.violate(
                "STREAM-012",
                i,
                "[DONE] only right after message_stop",
                f"[DONE] with terminal {after}",
            )

    def finish(self) -> StreamGrammar:
        if self.terminal is None:
            last = self.frames[-1].index if self.frames else None
            if self.message is None and not self._start_missing_told:
                self._missing_start(0, "nothing")
            seen = f"ended after event {last}" if last is not None else "no events at all"
            self.violate("STREAM-012", last, "message_stop as the last event", seen)
            self.violate(
                "ERR-005",
                last,
                "message_stop, or an event: error frame",
                f"{seen}: a silent truncation",
            )
        for block in self.blocks.values():
            flush_text(block)
            if not block.closed and block.type in JSON_BLOCKS:
                block.content["input"] = parse_object("".join(block.json_parts))
        return self

    def on_message_start(self, i: int, payload: dict[str, Any]) -> None:
        if self.message is not None:
            self.violate("STREAM-005", i, "exactly one message_start", "a second message_start")
            return
        message = payload.get("message")
        problems = message_start_problems(message)
        if problems:
            self.violate(
                "STREAM-005",
                i,
                "message_start with " + ", ".join(problems),
                json.dumps(message)[:200],
            )
        self.message = dict(message) if isinstance(message, dict) else {}
        self.message["content"] = []
        usage = self.message.get("usage")
        self.message["usage"] = dict(usage) if isinstance(usage, dict) else {}
        tokens = self.message["usage"].get("output_tokens")
        self._start_tokens = tokens if isinstance(tokens, int) else None
        self._start_usage = dict(self.message["usage"])

    def on_block_start(self, i: int, payload: dict[str, Any]) -> None:
        index, content = payload.get("index"), payload.get("content_block")
        if self._deltas:
            self.violate(
                "STREAM-011",
                i,
                "no content block after message_delta",
                f"content_block_start {index}",
            )
        if not isinstance(index, int) or not isinstance(content, dict):
            self.violate(
                "STREAM-006", i, "an integer index and a content_block", str(payload)[:120]
            )
            return
        if index in self.blocks:
            self.violate("STREAM-006", i, f"block {index} started once", "a second start")
            return
        if index != len(self.blocks):
            self.violate(
                "STREAM-006", i, f"index {len(self.blocks)} (contiguous from 0)", f"index {index}"
            )
        if self._open is not None:
            self.violate(
                "STREAM-006",
                i,
                f"block {self._open} stopped before {index} starts",
                "overlapping blocks",
            )
        kind = str(content.get("type"))
        if kind in JSON_BLOCKS and content.get("input") != {}:
            self.violate(
                "STREAM-009",
                i,
                f"{kind} starting with input {{}}",
                f"input {json.dumps(content.get('input'))[:80]}",
            )
        block = Block(kind, dict(content))
        self.blocks[index] = block
        self._open = index
        if self.message is not None:
            self.message["content"].append(block.content)

    def _block(self, i: int, payload: dict[str, Any], what: str) -> Block | None:
        index = payload.get("index")
        block = self.blocks.get(index) if isinstance(index, int) else None
        if block is None or block.closed:
            state = "never started" if block is None else "already stopped"
            self.violate(
                "STREAM-007",
                i,
                f"{what} only for a started, open block",
                f"{what} for index {index} ({state})",
                NOT_FOUND,
            )
            return None
        return block

    def on_block_delta(self, i: int, payload: dict[str, Any]) -> None:
        block = self._block(i, payload, "content_block_delta")
        delta = payload.get("delta")
        if block is None or not isinstance(delta, dict):
            return
        kind = delta.get("type")
        allowed = DELTA_BLOCKS.get(kind) if isinstance(kind, str) else None
        if allowed is None:
            return
        if block.type not in allowed:
            self.violate(
                "STREAM-008",
                i,
                f"{kind} only in a {' or '.join(allowed)} block",
                f"{kind} in a {block.type} block",
                MISMATCH,
            )
            return
        apply_delta(self, i, block, str(kind), delta)

    def on_block_stop(self, i: int, payload: dict[str, Any]) -> None:
        block = self._block(i, payload, "content_block_stop")
        if block is None:
            return
        block.closed, block.stopped_at = True, i
        self._open = None
        flush_text(block)
        if block.type in JSON_BLOCKS:
            text = "".join(block.json_parts)
            parsed = parse_object(text)
            if parsed is None:
                self.violate(
                    "STREAM-009", i, "partial_json pieces that form a JSON object", repr(text[:120])
                )
            else:
                block.content["input"] = parsed
        if block.type == "thinking" and not block.signed:
            self.violate(
                "STREAM-010",
                i,
                "a signature_delta before the thinking block stops",
                "content_block_stop with no signature",
            )

    def on_message_delta(self, i: int, payload: dict[str, Any]) -> None:
        if self._open is not None:
            self.violate(
                "STREAM-006",
                i,
                f"block {self._open} stopped before message_delta",
                "message_delta with a block open",
            )
        self._deltas += 1
        delta = payload.get("delta")
        delta = delta if isinstance(delta, dict) else {}
        reason = delta.get("stop_reason")
        if self.stop_reasons is not None and reason not in self.stop_reasons:
            self.violate(
                "STREAM-011",
                i,
                "stop_reason in " + ", ".join(self.stop_reasons),
                f"stop_reason {reason!r}",
            )
        self._check_stop_sequence(i, reason, delta.get("stop_sequence"))
        usage = payload.get("usage")
        usage = usage if isinstance(usage, dict) else {}
        self._check_tokens(i, usage.get("output_tokens"))
        self._check_input_counts(i, usage)
        if self.message is not None:
            accumulate_delta(self.message, delta, usage)

    def _check_stop_sequence(self, i: int, reason: Any, sequence: Any) -> None:
        """A matched sequence named beside another stop_reason (llama.cpp b11434: end_turn): the
        client's stop_reason branch and its stop_sequence disagree on why the reply stopped."""
        if sequence is not None and reason != "stop_sequence":
            self.violate(
                "STOP-003",
                i,
                "stop_sequence null unless stop_reason is stop_sequence",
                f"stop_reason {reason!r} with stop_sequence {sequence!r}",
            )

    def _check_tokens(self, i: int, tokens: Any) -> None:
        if not isinstance(tokens, int) or isinstance(tokens, bool):
            self.violate("STREAM-011", i, "usage.output_tokens, an integer", f"{tokens!r}")
            return
        floor = self._last_tokens if self._last_tokens is not None else self._start_tokens
        if floor is not None and tokens < floor:
            where = (
                "the previous message_delta" if self._last_tokens is not None else "message_start"
            )
            self.violate(
                "USAGE-003",
                i,
                f"output_tokens >= {floor} (cumulative, from {where})",
                f"output_tokens {tokens}",
            )
        self._last_tokens = tokens

    def _check_input_counts(self, i: int, usage: dict[str, Any]) -> None:
        """Input and cache counts a message_delta repeats must not fall below message_start's."""
        start = getattr(self, "_start_usage", {})
        for name in INPUT_COUNTS:
            before, after = start.get(name), usage.get(name)
            if isinstance(before, int) and isinstance(after, int) and after < before:
                self.violate("USAGE-005", i, f"{name} >= {before} (message_start)", str(after))

    def on_message_stop(self, i: int, payload: dict[str, Any]) -> None:
        if self._open is not None:
            self.violate(
                "STREAM-006",
                i,
                f"block {self._open} stopped before message_stop",
                "message_stop with a block open",
            )
        if not self._deltas:
            self.violate("STREAM-011", i, "a message_delta before message_stop", "none")
        self.terminal = "message_stop"

    def on_error(self, i: int, payload: dict[str, Any]) -> None:
        self.terminal = "error"
        self.error_event = payload
        error = payload.get("error")
        if not (
            isinstance(error, dict)
            and isinstance(error.get("type"), str)
            and isinstance(error.get("message"), str)
        ):
            self.violate("ERR-005", i, "error: {type, message}", json.dumps(payload)[:160])


def message_start_problems(message: Any) -> list[str]:
    if not isinstance(message, dict):
        return ["a message object"]
    wanted = {
        "id": isinstance(message.get("id"), str),
        "type message": message.get("type") == "message",
        "role assistant": message.get("role") == "assistant",
        "empty content": message.get("content") == [],
        "model": isinstance(message.get("model"), str),
        "stop_reason null": "stop_reason" in message and message["stop_reason"] is None,
        "usage.input_tokens": isinstance((message.get("usage") or {}).get("input_tokens"), int),
    }
    return [name for name, ok in wanted.items() if not ok]


HANDLERS: dict[str, Callable[[StreamGrammar, int, dict[str, Any]], None]] = {
    "message_start": StreamGrammar.on_message_start,
    "content_block_start": StreamGrammar.on_block_start,
    "content_block_delta": StreamGrammar.on_block_delta,
    "content_block_stop": StreamGrammar.on_block_stop,
    "message_delta": StreamGrammar.on_message_delta,
    "message_stop": StreamGrammar.on_message_stop,
    "error": StreamGrammar.on_error,
}


def run(frames: Iterable[Frame], **rules: Any) -> StreamGrammar:
    grammar = StreamGrammar(**rules)
    for frame in frames:
        grammar.feed(frame)
    return grammar.finish()
