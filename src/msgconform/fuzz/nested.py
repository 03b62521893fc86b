"""Negative examples that break one nested field of a valid request: a message's content or one
of its blocks, `metadata.user_id`, `service_tier`, a tool's `input_schema`.

Each breaker returns the broken body and the path it broke (as the contract's explaining
validator names it); fuzz/examples.py keeps the example only when the contract finds exactly one
issue, at that path, and the body before the break was valid. A breaker never repairs what it
does not break: it returns None when the body has nothing it can break (no tools for a profile
without them).
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from msgconform.contract.document import Contract
from msgconform.contract.rules import request_breaks
from msgconform.fuzz.scope import scoped_schemas
from msgconform.fuzz.shape import Shape

Body = dict[str, Any]
Broken = tuple[Body, str]
Breaker = Callable[[Body, random.Random, Shape], "Broken | None"]

UNKNOWN_BLOCK = "msgconform_unknown_block"
NOT_CONTENT: tuple[Any, ...] = (5, True, None, {"text": "hi"})
NOT_A_BLOCK: tuple[Any, ...] = ("hi", 5, None, ["text"])
NOT_A_USER_ID: tuple[Any, ...] = (42, True, ["user"], {"id": 1}, "u" * 257)
NOT_A_TIER = ("priority", "standard", "AUTO", "", "flex")
TOOL_NAME = "msgconform_tool"


def _turns(body: Body) -> list[Any]:
    messages = body.get("messages")
    return messages if isinstance(messages, list) else []


def _with_blocks(body: Body, i: int) -> Body:
    """A copy whose message i has its content as a list of blocks (a string becomes one text
    block, which says the same thing)."""
    body = copy.deepcopy(body)
    message = body["messages"][i]
    if isinstance(message.get("content"), str):
        message["content"] = [{"type": "text", "text": message["content"]}]
    return body


def _some_turn(body: Body, rng: random.Random) -> int | None:
    turns = [i for i, m in enumerate(_turns(body)) if isinstance(m, dict) and "content" in m]
    return rng.choice(turns) if turns else None


# ------------------------------------------------------------------ messages.*.content


def content_wrong_type(body: Body, rng: random.Random, shape: Shape) -> Broken | None:
    """A message's content, or one of its blocks, of a type the contract does not take."""
    i = _some_turn(body, rng)
    if i is None:
        return None
    body = _with_blocks(body, i) if rng.random() < 0.5 else copy.deepcopy(body)
    content = body["messages"][i]["content"]
    if isinstance(content, list) and content:
        j = rng.randrange(len(content))
        content[j] = rng.choice(NOT_A_BLOCK)
        return body, f"messages.{i}.content.{j}"
    body["messages"][i]["content"] = rng.choice(NOT_CONTENT)
    return body, f"messages.{i}.content"


def unknown_block(body: Body, rng: random.Random, shape: Shape) -> Broken | None:
    """A block whose type is no block type of the contract (it is shaped like a text block)."""
    i = _some_turn(body, rng)
    if i is None:
        return None
    body = _with_blocks(body, i)
    content = body["messages"][i]["content"]
    j = rng.randrange(len(content) + 1)
    content.insert(j, {"type": UNKNOWN_BLOCK, "text": "hi"})
    return body, f"messages.{i}.content.{j}.type"


def block_fields(shape: Shape) -> Mapping[str, tuple[str, ...]]:
    """Each block type the profile may send, with the fields it requires besides `type`."""
    return _block_fields(shape.contract, shape.features, shape.endpoint)


@cache
def _block_fields(
    contract: Contract, features: frozenset[str], endpoint: str
) -> Mapping[str, tuple[str, ...]]:
    schemas = scoped_schemas(contract, features, endpoint)
    found: dict[str, tuple[str, ...]] = {}
    for branch in schemas.get("InputContentBlock", {}).get("oneOf", []):
        ref = branch.get("$ref", "") if isinstance(branch, dict) else ""
        block = schemas.get(ref.rsplit("/", 1)[-1], {})
        kind = block.get("properties", {}).get("type", {}).get("const")
        required = tuple(f for f in block.get("required", []) if f != "type")
        if isinstance(kind, str) and required:
            found[kind] = required
    return found


def block_missing_field(body: Body, rng: random.Random, shape: Shape) -> Broken | None:
    """A block without one of the fields its type requires (a text block without text, a
    tool_use without input, …)."""
    fields = block_fields(shape)
    places = [
        (i, j)
        for i, m in enumerate(_turns(body))
        if isinstance(m, dict) and isinstance(m.get("content"), list)
        for j, block in enumerate(m["content"])
        if isinstance(block, dict) and block.get("type") in fields
    ]
    if not places or rng.random() < 0.3:
        i = _some_turn(body, rng)
        if i is None:
            return None
        body = _with_blocks(body, i)
        places = [
            (i, j) for j, b in enumerate(body["messages"][i]["content"]) if b.get("type") in fields
        ]
        if not places:
            return None
    else:
        body = copy.deepcopy(body)
    i, j = rng.choice(places)
    block = body["messages"][i]["content"][j]
    name = rng.choice(fields[block["type"]])
    block.pop(name, None)
    return body, f"messages.{i}.content.{j}.{name}"


# ------------------------------------------------------------------ metadata, service_tier


def metadata_user_id(body: Body, rng: random.Random, shape: Shape) -> Broken | None:
    """`metadata.user_id` of a wrong type, or longer than the contract's 256 characters."""
    return {**body, "metadata": {"user_id": rng.choice(NOT_A_USER_ID)}}, "metadata.user_id"


def service_tier(body: Body, rng: random.Random, shape: Shape) -> Broken | None:
    """A `service_tier` that is a string but none of the contract's tiers."""
    return {**body, "service_tier": rng.choice(NOT_A_TIER)}, "service_tier"


# ------------------------------------------------------------------ tools.*.input_schema


def _custom_tools(body: Body) -> list[int]:
    tools = body.get("tools")
    if not isinstance(tools, list):
        return []
    return [k for k, t in enumerate(tools) if isinstance(t, dict) and "input_schema" in t]


def _schema_breaks(schema: dict[str, Any]) -> list[tuple[Any, str]]:
    """Ways to break one input_schema, each with the path under it that breaks."""
    return [
        ({**schema, "type": "string"}, ".type"),
        ({k: v for k, v in schema.items() if k != "type"}, ".type"),
        ("object", ""),
        ({**schema, "properties": "city"}, ".properties"),
        ({**schema, "required": "city"}, ".required"),
    ]


def input_schema(body: Body, rng: random.Random, shape: Shape) -> Broken | None:
    """A tool's `input_schema` that is not an object schema (a tool is added when the body has
    none and the profile has tools; the body with it, unbroken, must still be valid)."""
    body = copy.deepcopy(body)
    custom = _custom_tools(body)
    if not custom:
        if not shape.profile.has("tools"):
            return None
        body["tools"] = [
            *body.get("tools", []),
            {"name": TOOL_NAME, "input_schema": {"type": "object"}},
        ]
        custom = _custom_tools(body)
        if request_breaks(shape.contract, body, shape.endpoint):
            return None
    k = rng.choice(custom)
    tool = body["tools"][k]
    schema = tool["input_schema"] if isinstance(tool["input_schema"], dict) else {}
    broken, under = rng.choice(_schema_breaks(schema))
    tool["input_schema"] = broken
    return body, f"tools.{k}.input_schema{under}"


BREAKERS: tuple[Breaker, ...] = (
    content_wrong_type,
    unknown_block,
    block_missing_field,
    metadata_user_id,
    service_tier,
    input_schema,
)
