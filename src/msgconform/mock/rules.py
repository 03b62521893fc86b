"""The mock's own check of the contract's cross-field rules (x-rules in messages.openapi.yaml).

Written by hand from the rules list, one function per rule id, and deliberately NOT through
msgconform.contract.rules: the suite generates and judges requests with that evaluator, so a
mock using it too would agree with the generator by construction and hide its mistakes.
tests/contract/test_rules.py checks that every listed rule has a function here and that both
agree on every rule's examples and counter-examples.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from msgconform.contract.document import REQUEST_SCHEMAS, Contract, SchemaIssue

Body = Mapping[str, Any]
MockRule = Callable[[Body], "SchemaIssue | None"]


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _blocks(message: Any, kind: str) -> list[dict[str, Any]]:
    content = message.get("content") if isinstance(message, dict) else None
    return [b for b in _list(content) if isinstance(b, dict) and b.get("type") == kind]


def _tool_names(body: Body) -> list[Any]:
    return [t.get("name") for t in _list(body.get("tools")) if isinstance(t, dict) and "name" in t]


def tool_choice_names_a_tool(body: Body) -> SchemaIssue | None:
    choice = body.get("tool_choice")
    if not isinstance(choice, dict) or "name" not in choice:
        return None
    if choice["name"] in _tool_names(body):
        return None
    return SchemaIssue("tool_choice.name", f"no tool named {choice['name']!r} in tools")


def tool_names_unique(body: Body) -> SchemaIssue | None:
    names = _tool_names(body)
    for i, name in enumerate(names):
        if name in names[:i]:
            return SchemaIssue(f"tools.{i}.name", f"tool names must be unique: {name!r}")
    return None


def stop_sequences_not_blank(body: Body) -> SchemaIssue | None:
    for i, sequence in enumerate(_list(body.get("stop_sequences"))):
        if isinstance(sequence, str) and sequence.strip() == "":
            return SchemaIssue(
                f"stop_sequences.{i}", "each stop sequence must contain non-whitespace"
            )
    return None


def _tool_use_ids(body: Body) -> list[tuple[str, Any]]:
    return [
        (f"messages.{i}.content.{j}.id", block.get("id"))
        for i, message in enumerate(_list(body.get("messages")))
        for j, block in enumerate(_list(message.get("content") if isinstance(message, dict) else 0))
        if isinstance(block, dict) and block.get("type") == "tool_use" and "id" in block
    ]


def tool_use_ids_not_blank(body: Body) -> SchemaIssue | None:
    for path, value in _tool_use_ids(body):
        if isinstance(value, str) and value.strip() == "":
            return SchemaIssue(path, "tool_use ids must not be empty")
    return None


def tool_use_ids_unique(body: Body) -> SchemaIssue | None:
    seen: set[Any] = set()
    for path, value in _tool_use_ids(body):
        if value in seen:
            return SchemaIssue(path, f"tool_use ids must be unique: {value!r}")
        if isinstance(value, str):
            seen.add(value)
    return None


def tool_result_answers_previous_turn(body: Body) -> SchemaIssue | None:
    messages = _list(body.get("messages"))
    for i, message in enumerate(messages):
        asked = {b.get("id") for b in _blocks(messages[i - 1], "tool_use")} if i else set()
        for block in _blocks(message, "tool_result"):
            if block.get("tool_use_id") not in asked:
                answered = block.get("tool_use_id")
                return SchemaIssue(
                    f"messages.{i}.content",
                    f"tool_result {answered!r} has no tool_use in the previous turn",
                )
    return None


def thinking_budget_below_max_tokens(body: Body) -> SchemaIssue | None:
    thinking = body.get("thinking")
    budget = thinking.get("budget_tokens") if isinstance(thinking, dict) else None
    tokens = body.get("max_tokens")
    if isinstance(budget, (int, float)) and isinstance(tokens, (int, float)) and budget >= tokens:
        return SchemaIssue("thinking.budget_tokens", "must be less than max_tokens")
    return None


def integers_are_json_integers(body: Body) -> SchemaIssue | None:
    thinking = body.get("thinking")
    values = {
        "max_tokens": body.get("max_tokens"),
        "top_k": body.get("top_k"),
        "thinking.budget_tokens": thinking.get("budget_tokens")
        if isinstance(thinking, dict)
        else None,
    }
    for path, value in values.items():
        if isinstance(value, float):
            return SchemaIssue(path, "must be an integer, not a float")
    return None


MOCK_RULES: dict[str, MockRule] = {
    "tool-choice-names-a-tool": tool_choice_names_a_tool,
    "tool-names-unique": tool_names_unique,
    "stop-sequences-not-blank": stop_sequences_not_blank,
    "tool-use-ids-not-blank": tool_use_ids_not_blank,
    "tool-use-ids-unique": tool_use_ids_unique,
    "tool-result-answers-previous-turn": tool_result_answers_previous_turn,
    "thinking-budget-below-max-tokens": thinking_budget_below_max_tokens,
    "integers-are-json-integers": integers_are_json_integers,
}


@cache
def listed(contract: Contract, endpoint: str) -> tuple[MockRule, ...]:
    """The mock's functions for the rules the contract lists; an unknown id is a mock bug."""
    entries = contract.openapi["components"]["schemas"][REQUEST_SCHEMAS[endpoint]].get(
        "x-rules", []
    )
    missing = [e["id"] for e in entries if e["id"] not in MOCK_RULES]
    if missing:
        raise KeyError(f"the mock has no check for rule(s) {missing}")
    return tuple(MOCK_RULES[e["id"]] for e in entries)


def rule_issues(contract: Contract, body: Any, endpoint: str) -> list[SchemaIssue]:
    if not isinstance(body, dict):
        return []
    for rule in listed(contract, endpoint):
        if (issue := rule(body)) is not None:
            return [issue]
    return []
