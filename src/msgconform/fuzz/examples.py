"""Positive examples (valid by the contract and every x-rule) and negative ones (each breaking
exactly one named rule or schema keyword), shaped for the profile (its model, its max_tokens cap).

Repairs here are the generator's own way of satisfying the rules; whether an example is valid is
decided by the contract and contract.rules, never by the repairs.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from msgconform.contract.document import REQUEST_SCHEMAS
from msgconform.contract.rules import Break, request_breaks, rule_issues, rules
from msgconform.fuzz import nested
from msgconform.fuzz.generate import draw
from msgconform.fuzz.ranges import Bound, beyond, bound_of
from msgconform.fuzz.shape import Shape

__all__ = ["Negative", "Shape", "negative", "one_break", "positive", "shaped"]

UNKNOWN_FIELD = "msgconform_unknown_field"
WRONG_TYPES: tuple[Any, ...] = ("16", 1.5, [], {"x": 1}, True, None)


# ------------------------------------------------------------------ positive


def shaped(body: dict[str, Any], shape: Shape) -> dict[str, Any]:
    """The profile's model and max_tokens cap; stream only on the stream case."""
    body = {**body, "model": shape.profile.model("small")}
    cap = shape.profile.limits.max_tokens_cap
    tokens = body.get("max_tokens")
    if isinstance(tokens, (int, float)) and not isinstance(tokens, bool) and tokens > cap:
        body["max_tokens"] = cap
    body.pop("stream", None)
    if shape.stream:
        body["stream"] = True
    return body


def repair(body: dict[str, Any], shape: Shape) -> dict[str, Any]:
    """Make a drawn body satisfy the cross-field rules the schema walk cannot know."""
    tools = body.get("tools")
    if isinstance(tools, list):
        for i, tool in enumerate(tools):
            if isinstance(tool, dict) and "name" in tool:
                tool["name"] = f"{str(tool['name'])[:50]}_{i}"
    names = [t["name"] for t in tools or [] if isinstance(t, dict) and "name" in t]
    choice = body.get("tool_choice")
    if isinstance(choice, dict) and choice.get("type") == "tool":
        if names:
            choice["name"] = names[0]
        else:
            body.pop("tool_choice")
    if isinstance(body.get("stop_sequences"), list):
        body["stop_sequences"] = [s if str(s).strip() else "END" for s in body["stop_sequences"]]
    _repair_turns(body)
    thinking = body.get("thinking")
    if isinstance(thinking, dict) and thinking.get("type") == "enabled":
        body["thinking"] = {"type": "disabled"}  # a budget >= 1024 never fits the token cap
    messages = body.get("messages")
    prefill = shape.profile.has("prefill") and shape.profile.contract.allows_prefill
    turns: list[Any] = messages if isinstance(messages, list) else []
    if (
        not prefill
        and turns
        and isinstance(turns[-1], dict)
        and turns[-1].get("role") == "assistant"
    ):
        turns.append({"role": "user", "content": "Hello"})
    return body


def _repair_turns(body: dict[str, Any]) -> None:
    """Unique tool_use ids, and each tool_result answering a tool_use of the turn before."""
    messages = body.get("messages")
    if not isinstance(messages, list):
        return
    asked: list[str] = []
    for i, message in enumerate(messages):
        content = message.get("content") if isinstance(message, dict) else None
        if not isinstance(content, list):
            asked = []
            continue
        for j, block in enumerate(content):
            if not isinstance(block, dict):
                continue
            if block.get("type") == "tool_result":
                if asked:
                    block["tool_use_id"] = asked[j % len(asked)]
                else:
                    content[j] = {"type": "text", "text": "a result"}
        asked = []
        for j, block in enumerate(content):
            if isinstance(block, dict) and block.get("type") == "tool_use":
                block["id"] = f"toolu_{i:02d}{j:02d}"
                asked.append(block["id"])


def valid(body: Any, shape: Shape) -> bool:
    return not request_breaks(shape.contract, body, shape.endpoint)


def positive(rng: random.Random, shape: Shape) -> dict[str, Any] | None:
    """A valid example, or None when this draw cannot be made one (counted as dropped)."""
    body = draw(shape.contract, shape.features, shape.endpoint, rng)
    if not isinstance(body, dict):
        return None
    body = shaped(repair(body, shape), shape)
    return body if valid(body, shape) else None


# ------------------------------------------------------------------ negative

Mutation = Callable[[dict[str, Any], random.Random, Shape], dict[str, Any] | None]


def _drop_required(body: dict[str, Any], rng: random.Random, shape: Shape) -> dict[str, Any]:
    root = shape.contract.openapi["components"]["schemas"]
    required = root[REQUEST_SCHEMAS[shape.endpoint]].get("required", [])
    name = rng.choice(required)
    return {k: v for k, v in body.items() if k != name}


def _wrong_type(body: dict[str, Any], rng: random.Random, shape: Shape) -> dict[str, Any]:
    name = rng.choice(sorted(body))
    return {**body, name: rng.choice(WRONG_TYPES)}


def _out_of_range(body: dict[str, Any], rng: random.Random, shape: Shape) -> dict[str, Any] | None:
    bounded = list(numeric_bounds(shape).items())
    if not bounded:
        return None
    name, (low, high) = rng.choice(bounded)
    sides = [(side, b) for side, b in (("below", low), ("above", high)) if b is not None]
    side, found = rng.choice(sides)
    edge = found.edge
    step = rng.choice((1, 0.5)) if isinstance(edge, float) or edge != int(edge) else 1
    return {**body, name: beyond(found, side, step)}


def numeric_bounds(shape: Shape) -> dict[str, tuple[Bound | None, Bound | None]]:
    """Top-level numbers with a documented bound (below, above), inclusive or exclusive, from
    the profile's contract; read as fuzz/ranges.py reads them for the fixed range cases."""
    schema = shape.contract.openapi["components"]["schemas"][REQUEST_SCHEMAS[shape.endpoint]]
    found = {}
    for name, sub in schema.get("properties", {}).items():
        low, high = bound_of(sub, "below"), bound_of(sub, "above")
        if low is not None or high is not None:
            found[name] = (low, high)
    return found


def _unknown_field(body: dict[str, Any], rng: random.Random, shape: Shape) -> dict[str, Any]:
    return {**body, UNKNOWN_FIELD: rng.choice((1, "x", None))}


def _empty_messages(body: dict[str, Any], rng: random.Random, shape: Shape) -> dict[str, Any]:
    return {**body, "messages": []}


def _bad_role(body: dict[str, Any], rng: random.Random, shape: Shape) -> dict[str, Any]:
    messages = [dict(m) if isinstance(m, dict) else m for m in body.get("messages", [])]
    if messages and isinstance(messages[0], dict):
        messages[0]["role"] = rng.choice(("robot", "", "System"))
    return {**body, "messages": messages}


def _break_rule(body: dict[str, Any], rng: random.Random, shape: Shape) -> dict[str, Any] | None:
    chosen = [r for r in rules(shape.contract, shape.endpoint) if r.counter_examples]
    if not chosen:
        return None
    rule = rng.choice(chosen)
    patch = rng.choice(rule.counter_examples)
    if "tools" in patch and not shape.profile.has("tools"):
        return None
    kept = {k: v for k, v in body.items() if k not in ("tools", "tool_choice", "messages")}
    return {**kept, "messages": body.get("messages"), **patch}


def _break_nested(body: dict[str, Any], rng: random.Random, shape: Shape) -> dict[str, Any] | None:
    """One nested field broken (fuzz/nested.py), kept only where the contract finds it broken
    there and nowhere else."""
    made = rng.choice(nested.BREAKERS)(body, rng, shape)
    if made is None:
        return None
    broken, path = made
    found = one_break(shape, broken)
    return broken if found is not None and found[1] == path else None


MUTATIONS: tuple[Mutation, ...] = (
    _drop_required,
    _wrong_type,
    _out_of_range,
    _unknown_field,
    _empty_messages,
    _bad_role,
    _break_rule,
    _break_rule,
    _break_nested,
    _break_nested,
)


@dataclass(frozen=True)
class Negative:
    """A request that breaks exactly one thing: what (the Break its verdict cites), where (the
    path of the one issue the contract finds) and which mutation made it."""

    body: dict[str, Any]
    brk: Break
    path: str
    mutation: str

    @property
    def clause(self) -> str:
        return self.brk.clause


def one_break(shape: Shape, body: Any) -> tuple[Break, str] | None:
    """The one thing a body breaks and the path of its one issue; None when it breaks nothing
    or more than one thing (a schema issue beside a broken rule counts as two)."""
    contract, endpoint = shape.contract, shape.endpoint
    broken = request_breaks(contract, body, endpoint)
    if len(broken) != 1:
        return None
    found = rule_issues(contract, body, endpoint)
    if broken[0].what.startswith("rule:"):
        return broken[0], found[0].path
    if found:
        return None
    explained = contract.request_issues(body, endpoint)
    if len(explained) != 1:
        return None
    return broken[0], explained[0].path


def negative(rng: random.Random, shape: Shape) -> Negative | None:
    """An example that breaks exactly what its Break says, or None (counted as dropped)."""
    base = positive(rng, Shape(shape.contract, shape.profile, shape.endpoint, False))
    if base is None:
        return None
    mutation = rng.choice(MUTATIONS)
    body = mutation(base, rng, shape)
    if body is None:
        return None
    if "model" in body and isinstance(body["model"], str):
        body["model"] = shape.profile.model("small")
    found = one_break(shape, body)
    if found is None:
        return None
    return Negative(body, found[0], found[1], mutation.__name__.lstrip("_"))
