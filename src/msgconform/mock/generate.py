"""The mock's deterministic "model": the reply a request gets, as content blocks plus usage.

The text rules are documented in `msgconform.mock` (the package docstring)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

DEFAULT_REPLY = (
    "This is the msgconform reference mock speaking. It answers every request with the same "
    "deterministic sentence so that tests can predict each word, count tokens as words, and cut "
    "the reply short with a small max_tokens or a stop sequence. A naïve café word keeps "
    "multi-byte characters in the stream."
)
THINKING_TEXT = "The request is deterministic, so the answer follows the mock rules."
REPEAT_MARKER = "Repeat after me:"
_WORD_EDGE = re.compile(r"^\W+|\W+$")


@dataclass
class Reply:
    """What the mock answers to one valid request (before faults change anything)."""

    blocks: list[dict[str, Any]]
    stop_reason: str
    stop_sequence: str | None
    input_tokens: int
    output_tokens: int


def words(text: str) -> list[str]:
    return text.split()


# Built once; the bytes it writes fix every id the mock derives, so it stays the stdlib's.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=str).encode


def digest(*parts: Any) -> str:
    return hashlib.sha256(_CANONICAL(parts).encode()).hexdigest()


def count_input_tokens(body: Mapping[str, Any]) -> int:
    """Words in every string of system, messages and tools; the same for all three endpoints."""
    total = sum(_leaf_words(body.get(key)) for key in ("system", "messages", "tools"))
    return max(1, total)


def _leaf_words(value: Any) -> int:
    if isinstance(value, str):
        # Base64 payloads are one long "word"; count them by size so images cost something.
        return (
            len(value) // 1000 + 1 if len(value) > 1000 and " " not in value else len(value.split())
        )
    if isinstance(value, Mapping):
        return sum(_leaf_words(v) for k, v in value.items() if k != "type")
    if isinstance(value, list):
        return sum(_leaf_words(v) for v in value)
    return 0


def block_text(content: Any) -> str:
    """The text of a message's content: a string, or its text blocks (then tool results) joined."""
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return ""
    texts = [b.get("text", "") for b in content if isinstance(b, dict) and b.get("type") == "text"]
    if not texts:
        texts = [block_text(b.get("content")) for b in content if isinstance(b, dict)]
    return " ".join(t for t in texts if t)


def canaries(system: Any) -> list[str]:
    """UPPERCASE words of 4 letters or more in `system`, in order, once each."""
    text = system if isinstance(system, str) else block_text(system)
    found: list[str] = []
    for raw in words(text):
        word = _WORD_EDGE.sub("", raw)
        if word.isupper() and sum(c.isalpha() for c in word) >= 4 and word not in found:
            found.append(word)
    return found


def base_text(body: Mapping[str, Any]) -> str:
    messages = body.get("messages") or []
    users = [m for m in messages if isinstance(m, dict) and m.get("role") == "user"]
    last = block_text(users[-1].get("content")) if users else ""
    if REPEAT_MARKER in last:
        said = last.split(REPEAT_MARKER, 1)[1].strip()
        if said:
            return said
    return DEFAULT_REPLY


def prefill_of(body: Mapping[str, Any]) -> str | None:
    messages = body.get("messages") or []
    if messages and isinstance(messages[-1], dict) and messages[-1].get("role") == "assistant":
        return block_text(messages[-1].get("content")).rstrip()
    return None


def full_text(body: Mapping[str, Any], base: str | None = None) -> str:
    """The whole reply text, before max_tokens and stop sequences cut it."""
    text = " ".join([*canaries(body.get("system")), base or base_text(body)])
    prefill = prefill_of(body)
    if prefill is None:
        return text
    # The reply continues the prefill: what remains of the text if the prefill is a prefix of
    # it, else the whole text after a space.
    if prefill and text.startswith(prefill):
        return text[len(prefill) :]
    return " " + text if prefill else text


class Budget:
    """max_tokens as a word budget shared by thinking, text and tool_use blocks."""

    def __init__(self, max_tokens: int) -> None:
        self.left = max(0, max_tokens)
        self.used = 0
        self.exhausted = False

    def take_text(self, text: str) -> str:
        # At most left + 1 parts: the words that fit, then the rest in one piece.
        parts = text.split(maxsplit=self.left)
        if len(parts) <= self.left:  # the common case: the whole text fits
            self.left -= len(parts)
            self.used += len(parts)
            return text
        self.used += self.left
        self.left = 0
        self.exhausted = True
        return text[: len(text) - len(parts[-1])].rstrip()

    def take_one(self) -> bool:
        if self.left == 0:
            self.exhausted = True
            return False
        self.left -= 1
        self.used += 1
        return True


def cut_at_stop(text: str, stops: list[str]) -> tuple[str, str | None]:
    hits = [(text.find(s), i, s) for i, s in enumerate(stops) if s and s in text]
    if not hits:
        return text, None
    pos, _, seq = min(hits)
    return text[:pos], seq


def chosen_tool(body: Mapping[str, Any]) -> tuple[dict[str, Any] | None, bool]:
    """The tool the reply calls (if any) and whether the call was forced by tool_choice."""
    tools = [t for t in body.get("tools") or [] if isinstance(t, dict) and "input_schema" in t]
    if not tools:
        return None, False
    choice = body.get("tool_choice") or {"type": "auto"}
    kind = choice.get("type")
    if kind == "any":
        return tools[0], True
    if kind == "tool":
        named = [t for t in tools if t.get("name") == choice.get("name")]
        return (named[0] if named else tools[0]), True
    if kind == "auto":
        users = [m for m in body.get("messages") or [] if m.get("role") == "user"]
        last = block_text(users[-1].get("content")) if users else ""
        for tool in tools:
            if str(tool.get("name")) in last:
                return tool, False
    return None, False


def thinking_wanted(body: Mapping[str, Any]) -> bool:
    thinking = body.get("thinking")
    return isinstance(thinking, dict) and thinking.get("type") in ("enabled", "adaptive")


def build_reply(
    body: Mapping[str, Any], *, thinking: bool, text: str | None = None, seed: str | None = None
) -> Reply:
    """The reply; `text` replaces the rule-chosen base text (the long_stream scenario); `seed` is
    `digest(body)` when the caller already has it (it costs a sorted dump of the body)."""
    budget = Budget(int(body.get("max_tokens", 4096)))
    blocks: list[dict[str, Any]] = []
    seed = seed or digest(body)
    if thinking and thinking_wanted(body):
        shown = "" if body["thinking"].get("display") == "omitted" else THINKING_TEXT
        thought = budget.take_text(shown)
        blocks.append({"type": "thinking", "thinking": thought, "signature": "sig" + seed[:40]})
    tool, forced = chosen_tool(body)
    stop_seq: str | None = None
    if tool is None or not forced:
        base = f"Calling the {tool['name']} tool." if tool is not None else text
        said = budget.take_text(
            full_text(body, base)
            if tool is None
            else " ".join([*canaries(body.get("system")), base or ""])
        )
        said, stop_seq = cut_at_stop(said, list(body.get("stop_sequences") or []))
        if said:
            blocks.append({"type": "text", "text": said})
    stop = "stop_sequence" if stop_seq else "max_tokens" if budget.exhausted else "end_turn"
    if tool is not None and stop == "end_turn" and budget.take_one():
        blocks.append(tool_use_block(tool, seed))
        stop = "tool_use"
    elif tool is not None and stop == "end_turn":
        stop = "max_tokens"
    return Reply(blocks, stop, stop_seq, count_input_tokens(body), output_tokens(blocks))


def output_tokens(blocks: list[dict[str, Any]]) -> int:
    """Words of text and thinking, plus one per tool call."""
    return sum(
        len(words(b.get("text") or b.get("thinking") or "")) or (b["type"] == "tool_use")
        for b in blocks
    )


def tool_use_block(tool: Mapping[str, Any], seed: str) -> dict[str, Any]:
    schema = tool.get("input_schema") or {"type": "object"}
    value = example(schema, schema)
    return {
        "type": "tool_use",
        "id": "toolu_01" + seed[:22],
        "name": tool["name"],
        "input": value if isinstance(value, dict) else {},
    }


def example(schema: Any, root: Any, depth: int = 0) -> Any:
    """A value that validates against a JSON Schema (the common keywords), chosen the same way
    every time."""
    if not isinstance(schema, dict) or depth > 12:
        return {}
    if "$ref" in schema:
        return example(_resolve(root, schema["$ref"]), root, depth + 1)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("anyOf", "oneOf"):
        if schema.get(key):
            return example(schema[key][0], root, depth + 1)
    if schema.get("allOf"):
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            merged = _merge(merged, part)
        return example(merged, root, depth + 1)
    kind = schema.get("type", "object" if "properties" in schema else "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    return _EXAMPLES.get(kind, _string)(schema, root, depth)


def _merge(a: dict[str, Any], b: Any) -> dict[str, Any]:
    if not isinstance(b, dict):
        return a
    out = {**a, **b}
    out["properties"] = {**a.get("properties", {}), **b.get("properties", {})}
    out["required"] = [*a.get("required", []), *b.get("required", [])]
    return out


def _resolve(root: Any, ref: str) -> Any:
    node = root
    for part in ref.lstrip("#/").split("/"):
        if not part:
            continue
        node = (
            node.get(part.replace("~1", "/").replace("~0", "~"), {})
            if isinstance(node, dict)
            else {}
        )
    return node


def _object(schema: Mapping[str, Any], root: Any, depth: int) -> dict[str, Any]:
    props = schema.get("properties") or {}
    return {name: example(sub, root, depth + 1) for name, sub in props.items()}


def _array(schema: Mapping[str, Any], root: Any, depth: int) -> list[Any]:
    count = max(1, int(schema.get("minItems", 1)))
    if "maxItems" in schema:
        count = min(count, int(schema["maxItems"]))
    items = schema.get("items", {"type": "string"})
    if schema.get("uniqueItems") and count > 1:
        return [f"item-{i}" for i in range(count)]
    return [example(items, root, depth + 1) for _ in range(count)]


def _number(schema: Mapping[str, Any], root: Any, depth: int) -> float | int:
    low = schema.get("minimum", schema.get("exclusiveMinimum", 0))
    value = low + (1 if "exclusiveMinimum" in schema else 0)
    high = schema.get("maximum", schema.get("exclusiveMaximum"))
    if high is not None and value >= high:
        value = (low + high) / 2
    step = schema.get("multipleOf")
    if step:
        value = -(-value // step) * step
    return int(value) if schema.get("type") == "integer" else value


_FORMATS = {
    "date-time": "2026-01-01T00:00:00Z",
    "date": "2026-01-01",
    "time": "00:00:00Z",
    "email": "user@example.com",
    "uri": "https://example.com/",
    "url": "https://example.com/",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "ipv4": "192.0.2.1",
}


def _string(schema: Mapping[str, Any], root: Any, depth: int) -> str:
    value = _FORMATS.get(str(schema.get("format")), "example")
    low = int(schema.get("minLength", 0))
    if len(value) < low:
        value += "x" * (low - len(value))
    if "maxLength" in schema:
        value = value[: int(schema["maxLength"])]
    return value


_EXAMPLES: dict[str, Any] = {
    "object": _object,
    "array": _array,
    "integer": _number,
    "number": _number,
    "boolean": lambda schema, root, depth: True,
    "null": lambda schema, root, depth: None,
    "string": _string,
}


def split_points(text: str, sizes: tuple[int, ...] = (7, 3, 11, 5)) -> Iterator[str]:
    """Deterministic, irregular pieces of a string (for input_json_delta)."""
    pos, turn = 0, 0
    while pos < len(text):
        size = sizes[turn % len(sizes)]
        yield text[pos : pos + size]
        pos, turn = pos + size, turn + 1


def word_pieces(text: str, per_piece: int = 3) -> list[str]:
    """Text split into pieces of a few words, whitespace kept, so the pieces join to the text.
    Leading whitespace counts as one word of the first piece."""
    pattern = _PIECES.get(per_piece) or _PIECES.setdefault(
        per_piece, re.compile(rf"\s+(?:\S+\s*){{0,{per_piece - 1}}}|(?:\S+\s*){{1,{per_piece}}}")
    )
    return pattern.findall(text) or [text]


_PIECES: dict[int, re.Pattern[str]] = {}
