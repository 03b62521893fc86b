"""A lenient legal variant: a correct server that is strict about the wire format and lenient
about request rules the documents do not state, as real servers are.

It serves what it tolerates instead of refusing it: each rule below finds one inferred-rule break
or SHOULD-level mistake and repairs the request the way a forgiving server would, and the mock
answers the repaired request correctly. The rules are this module's own, written from the
clauses (schemas/clauses.yaml), deliberately not through contract/rules.py (the suite's
evaluator) or mock/rules.py (the mock's): a suite that grades this server by the code that also
decides what it accepts would agree with it by construction. A stated rule (a missing required
field, a wrong type) is still refused. Against it the whole suite has no FAIL: what it tolerates
is NON-STRICT (tests/checks/test_checks_bite.py).

Every repair leaves a valid request unchanged.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from msgconform.mock.hooks import Ctx, Faults

Body = dict[str, Any]
# The top-level fields of the upstream request; anything else is ignored (REQ-014, inferred).
KNOWN_FIELDS = frozenset(
    {"model", "messages", "max_tokens", "system", "temperature", "top_p", "top_k",
     "stop_sequences", "stream", "tools", "tool_choice", "thinking", "metadata", "service_tier",
     "cache_control", "container", "inference_geo", "output_config"}
)  # fmt: skip
# The versioned server tools the documents list, by name prefix (REQ-036, inferred).
SERVER_TOOLS = ("bash_", "code_execution_", "memory_", "text_editor_", "web_search_",
                "web_fetch_", "tool_search_tool_")  # fmt: skip
# Inclusive ranges, clamped (REQ-038, inferred).
RANGES: dict[str, tuple[float, float | None]] = {
    "temperature": (0.0, 1.0), "top_p": (0.0, 1.0), "top_k": (0, None), "max_tokens": (1, None),
}  # fmt: skip
INTEGERS = ("max_tokens", "top_k")  # sent as "16", 16.0 or 1.5: read as integers (REQ-037)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _turns(body: Body) -> list[dict[str, Any]]:
    return [m for m in _list(body.get("messages")) if isinstance(m, dict)]


def _blocks(message: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    content = _list(message.get("content"))
    return [b for b in content if isinstance(b, dict) and b.get("type") == kind]


def ignore_unknown_fields(body: Body) -> None:
    for name in [k for k in body if k not in KNOWN_FIELDS]:
        del body[name]


def read_integers(body: Body) -> None:
    for name in INTEGERS:
        value: Any = body.get(name)
        numeric = isinstance(value, str) and value.strip().lstrip("-").isdigit()
        if numeric or (isinstance(value, float) and value == value and abs(value) < 2**53):
            body[name] = int(value)
    thinking = body.get("thinking")
    if isinstance(thinking, dict) and isinstance(thinking.get("budget_tokens"), float):
        thinking["budget_tokens"] = int(thinking["budget_tokens"])


def clamp_ranges(body: Body) -> None:
    for name, (low, high) in RANGES.items():
        value = body.get(name)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        if value < low:
            body[name] = low
        elif high is not None and value > high:
            body[name] = high


def drop_unknown_server_tools(body: Body) -> None:
    def known(tool: Any) -> bool:
        kind = tool.get("type") if isinstance(tool, dict) else None
        return kind in (None, "custom") or str(kind).startswith(SERVER_TOOLS)

    if isinstance(body.get("tools"), list):
        body["tools"] = [t for t in body["tools"] if known(t)]


def first_tool_of_each_name(body: Body) -> None:
    seen: set[Any] = set()
    kept = []
    for tool in _list(body.get("tools")):
        name = tool.get("name") if isinstance(tool, dict) else None
        if name is None or name not in seen:
            kept.append(tool)
        seen.add(name)
    if isinstance(body.get("tools"), list):
        body["tools"] = kept


def tool_choice_of_no_tool_is_auto(body: Body) -> None:
    choice = body.get("tool_choice")
    names = {t.get("name") for t in _list(body.get("tools")) if isinstance(t, dict)}
    if not isinstance(choice, dict) or choice.get("type") != "tool":
        return
    if choice.get("name") not in names:
        body["tool_choice"] = {"type": "auto"}


def drop_blank_stop_sequences(body: Body) -> None:
    if isinstance(body.get("stop_sequences"), list):
        body["stop_sequences"] = [
            s for s in body["stop_sequences"] if not (isinstance(s, str) and not s.strip())
        ]


def unique_tool_use_ids(body: Body) -> None:
    """A blank or repeated tool_use id gets a fresh one; the next turn's answers follow it."""
    seen: set[Any] = set()
    turns = _turns(body)
    for i, turn in enumerate(turns):
        for n, use in enumerate(_blocks(turn, "tool_use")):
            old = use.get("id")
            if isinstance(old, str) and old.strip() and old not in seen:
                seen.add(old)
                continue
            use["id"] = new = f"toolu_lenient_{i}_{n}"
            seen.add(new)
            answers = _blocks(turns[i + 1], "tool_result") if i + 1 < len(turns) else []
            for result in answers:
                if result.get("tool_use_id") == old:
                    result["tool_use_id"] = new
                    break


def unanswered_results_as_text(body: Body) -> None:
    """A tool_result that answers no tool_use of the previous turn is read as text."""
    turns = _turns(body)
    for i, turn in enumerate(turns):
        asked = {u.get("id") for u in _blocks(turns[i - 1], "tool_use")} if i else set()
        content = turn.get("content")
        if not isinstance(content, list):
            continue
        turn["content"] = [
            as_text(b)
            if isinstance(b, dict)
            and b.get("type") == "tool_result"
            and b.get("tool_use_id") not in asked
            else b
            for b in content
        ]


def as_text(result: dict[str, Any]) -> dict[str, Any]:
    content = result.get("content")
    text = content if isinstance(content, str) and content else "(a tool result)"
    return {"type": "text", "text": text}


def thinking_within_max_tokens(body: Body) -> None:
    """A thinking budget that leaves no room for an answer: thinking is left out."""
    thinking, tokens = body.get("thinking"), body.get("max_tokens")
    budget = thinking.get("budget_tokens") if isinstance(thinking, dict) else None
    if isinstance(budget, int) and isinstance(tokens, int) and budget >= tokens:
        del body["thinking"]


# Order matters where one repair feeds another: integers are read before ranges are clamped,
# ids are made unique before results are matched to them.
TOLERATED: tuple[Callable[[Body], None], ...] = (
    ignore_unknown_fields,           # REQ-014 (inferred)
    read_integers,                   # REQ-037 (SHOULD)
    clamp_ranges,                    # REQ-038 (inferred)
    drop_unknown_server_tools,       # REQ-036 (inferred)
    first_tool_of_each_name,         # REQ-031 (SHOULD)
    tool_choice_of_no_tool_is_auto,  # REQ-030 (inferred)
    drop_blank_stop_sequences,       # REQ-032 (SHOULD)
    unique_tool_use_ids,             # REQ-033 (SHOULD)
    unanswered_results_as_text,      # REQ-034 (inferred)
    thinking_within_max_tokens,      # REQ-035 (inferred)
)  # fmt: skip


FAULTS = Faults()


@FAULTS.hook("request", legal=True, name="lenient_request_rules")
def tolerate(body: Any, ctx: Ctx) -> Any:
    """serves what breaks only an inferred rule or a SHOULD (repaired the forgiving way)"""
    if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
        return body  # not a Messages request this server can read: refused as usual
    repaired = copy.deepcopy(body)
    for rule in TOLERATED:
        rule(repaired)
    return repaired
