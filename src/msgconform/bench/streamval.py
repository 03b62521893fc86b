"""Part 3: events/s through the SSE parser + grammar + per-event schema validation, against only
parsing the same bytes into JSON (one json.loads per data line)."""

from __future__ import annotations

import itertools
import json
import time
from typing import Any

from msgconform.bench.stats import Figure, Sample
from msgconform.checks.streaming import stream_rules
from msgconform.contract.document import Contract
from msgconform.core.profiles import Profile
from msgconform.core.profiles import load as load_profile
from msgconform.mock.wire import Event, block_events, frame, stream_events
from msgconform.stream import grammar, sse

WORDS = [
    "the",
    "quick",
    "brown",
    "fox",
    "jumps",
    "over",
    "a",
    "lazy",
    "dog",
    "while",
    "naïve",
    "café",
    "owners",
    "in",
    "Zürich",
    "count",
    "日本語",
    "tokens,",
    "commas;",
    "and",
    "{braces}",
    '"quotes"',
    "plus",
    "emoji",
    "🙂",
    "for",
    "good",
    "measure",
]
PING_EVERY_BLOCKS = 4


def words(count: int, offset: int) -> str:
    cycle = itertools.islice(itertools.cycle(WORDS), offset, offset + count)
    return " ".join(cycle)


def block(index: int) -> dict[str, Any]:
    """Thinking, text and tool_use blocks in turn, sized like a real agentic answer."""
    kind = index % 3
    if kind == 0:
        return {"type": "thinking", "thinking": words(60, index), "signature": "EqQBCkYIBx" * 8}
    if kind == 1:
        return {"type": "text", "text": words(90, index), "citations": None}
    tool_input = {"city": "Zürich", "units": "metric", "days": index % 7, "tags": WORDS[:6]}
    return {
        "type": "tool_use",
        "id": f"toolu_{index:020d}",
        "name": "get_weather",
        "input": tool_input,
    }


def synthetic_events(target: int) -> list[Event]:
    """A valid stream of about `target` events: the mock's own framing of a long message."""
    head = stream_events(message([]))
    events: list[Event] = head[:2]  # message_start, ping
    index = 0
    while len(events) < target - 2:
        events.extend(block_events(index, block(index)))
        index += 1
        if index % PING_EVERY_BLOCKS == 0:
            events.append(("ping", {"type": "ping"}))
    tail = stream_events(message([block(i) for i in range(index)]))
    return events + tail[-2:]  # message_delta, message_stop


def message(blocks: list[dict[str, Any]]) -> dict[str, Any]:
    usage = {"input_tokens": 42, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}
    return {
        "id": "msg_01bench000000000000000000",
        "type": "message",
        "role": "assistant",
        "model": "mock-sonnet",
        "content": blocks,
        "stop_reason": "tool_use",
        "stop_sequence": None,
        "usage": {**usage, "output_tokens": max(1, 30 * len(blocks))},
    }


def synthetic_stream(target: int) -> tuple[bytes, int]:
    events = synthetic_events(target)
    return b"".join(frame(name, data, named=True) for name, data in events), len(events)


def bare_parse(data: bytes) -> int:
    count = 0
    for line in data.split(b"\n"):
        if line.startswith(b"data:"):
            json.loads(line[5:])
            count += 1
    return count


def validate(data: bytes, rules: dict[str, Any]) -> grammar.StreamGrammar:
    return grammar.run(sse.parse_bytes(data), **rules)


def timed_rate(events: int, work: Any) -> float:
    started = time.perf_counter()
    work()
    return events / (time.perf_counter() - started)


def measure(repeat: int, quick: bool, log: Any = print) -> list[Figure]:
    profile: Profile = load_profile("mock")
    contract = Contract.load(profile.anthropic_version, None)
    rules = stream_rules(profile, contract)
    data, count = synthetic_stream(5_000 if quick else 100_000)
    log(f"stream validation: {count} events, {len(data) / 1e6:.1f} MB")
    checked = validate(data, rules)  # also warms the compiled validators
    problems = [f"{v.clause} at #{v.event_index}: {v.actual}" for v in checked.violations[:3]]
    stages = {
        "full": lambda: validate(data, rules),
        "bare": lambda: bare_parse(data),
        "parse": lambda: sse.parse_bytes(data),
        "grammar": lambda: validate(data, {**rules, "event_issues": None}),
    }
    samples = {name: Sample() for name in stages}
    for _ in range(repeat):
        for name, work in stages.items():  # interleaved, so noise hits every stage alike
            samples[name].values.append(timed_rate(count, work))
    return figures(samples, count, problems)


def figures(samples: dict[str, Sample], count: int, problems: list[str]) -> list[Figure]:
    note = f"{count} events; " + (
        "valid stream" if not problems else "VIOLATIONS: " + "; ".join(problems)
    )
    full = Figure(
        "stream-validation", "parser+grammar+schema", "events/s", samples["full"],
        "json.loads per data line", samples["bare"], "baseline/value", note=note,
    )  # fmt: skip
    full.judge(
        lambda f: f.value.median >= 100_000 and (f.ratio or 99) <= 3.0,
        ">= 100000 events/s and <= 3x bare JSON parsing",
    )
    parts = [
        Figure("stream-validation", "SSE parser only", "events/s", samples["parse"],
               "json.loads per data line", samples["bare"], "baseline/value"),
        Figure("stream-validation", "parser+grammar, no schema", "events/s", samples["grammar"],
               "json.loads per data line", samples["bare"], "baseline/value"),
    ]  # fmt: skip
    return [full, *parts]
