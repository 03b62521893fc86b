"""Cross-field rules a JSON Schema cannot say, kept as data in the contract (`x-rules`).

Each rule has an id, the clause it enforces, its level (stated: the document says so; inferred:
we read it from the document), a `check` of one of a few kinds, and `examples` /
`counter_examples`: top-level patches that satisfy / break it (the fixed cases and the generator's
negative examples use them). The evaluator here is the suite's; the mock has its own
(mock/rules.py) so the requests the suite generates are not judged by the code that made them.

Paths are dotted; `*` walks every item of an array and `*[type=x]` only items whose `type` is x.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from msgconform.contract.document import REQUEST_SCHEMAS, Contract
from msgconform.core.datafiles import TOP_LEVEL, json_path
from msgconform.core.errors import ConfigError

KINDS = frozenset(
    {"member", "unique", "non_blank", "less_than", "answers_previous", "json_integer"}
)
LEVELS = frozenset({"stated", "inferred"})
RANGE_WORDS = ("must be <", "must be >", "than the minimum", "than the maximum", "than or equal")

Located = tuple[list[Any], Any]


@dataclass(frozen=True)
class Rule:
    id: str
    clause: str
    level: str
    kind: str
    params: Mapping[str, Any]
    examples: tuple[Mapping[str, Any], ...]
    counter_examples: tuple[Mapping[str, Any], ...]


@dataclass(frozen=True)
class RuleIssue:
    rule: str
    clause: str
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message} (rule {self.rule})"


@cache
def rules(contract: Contract, endpoint: str = "messages") -> tuple[Rule, ...]:
    """The rules of one request schema, parsed once per contract and endpoint."""
    schema = contract.openapi["components"]["schemas"][REQUEST_SCHEMAS[endpoint]]
    return tuple(parse(entry, i) for i, entry in enumerate(schema.get("x-rules", [])))


def parse(entry: Mapping[str, Any], index: int) -> Rule:
    where = f"x-rules.{index}"
    check = dict(entry.get("check") or {})
    kind = check.pop("kind", None)
    if kind not in KINDS:
        raise ConfigError(where, f"unknown rule kind {kind!r}", ", ".join(sorted(KINDS)))
    if entry.get("level") not in LEVELS:
        raise ConfigError(where, f"level {entry.get('level')!r}", "stated or inferred")
    return Rule(
        id=str(entry["id"]),
        clause=str(entry["clause"]),
        level=str(entry["level"]),
        kind=kind,
        params=check,
        examples=tuple(entry.get("examples", [])),
        counter_examples=tuple(entry.get("counter_examples", [])),
    )


# ------------------------------------------------------------------ paths


def locate(node: Any, path: str) -> Iterator[Located]:
    """Every (location, value) the path reaches; absent parts reach nothing."""
    yield from _walk(node, path.split(".") if path else [], [])


def _walk(node: Any, parts: list[str], where: list[Any]) -> Iterator[Located]:
    if not parts:
        yield where, node
        return
    head, rest = parts[0], parts[1:]
    if head.startswith("*"):
        if not isinstance(node, list):
            return
        wanted = _filter(head)
        for i, item in enumerate(node):
            if wanted is None or (isinstance(item, dict) and item.get(wanted[0]) == wanted[1]):
                yield from _walk(item, rest, [*where, i])
    elif isinstance(node, dict) and head in node:
        yield from _walk(node[head], rest, [*where, head])


def _filter(part: str) -> tuple[str, str] | None:
    if not part.startswith("*[") or not part.endswith("]"):
        return None
    key, _, value = part[2:-1].partition("=")
    return key, value


# ------------------------------------------------------------------ the kinds


def _member(body: Any, p: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    allowed = [v for _, v in locate(body, p["among"])]
    for where, value in locate(body, p["path"]):
        if value not in allowed:
            yield json_path(where), f"{value!r} is not one of {p['among']} ({allowed!r})"


def _unique(body: Any, p: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    seen: list[Any] = []
    for where, value in locate(body, p["path"]):
        if value in seen:
            yield json_path(where), f"{value!r} is not unique"
        seen.append(value)


def _non_blank(body: Any, p: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    for where, value in locate(body, p["path"]):
        if isinstance(value, str) and not value.strip():
            yield json_path(where), "must contain non-whitespace"


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _less_than(body: Any, p: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    bounds = [v for _, v in locate(body, p["than"]) if _number(v)]
    for where, value in locate(body, p["path"]):
        if _number(value) and bounds and value >= bounds[0]:
            yield json_path(where), f"{value} must be less than {p['than']} ({bounds[0]})"


def _answers_previous(body: Any, p: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    turns = body.get(p["turns"]) if isinstance(body, dict) else None
    if not isinstance(turns, list):
        return
    for i, turn in enumerate(turns):
        asked = [v for _, v in locate(turns[i - 1], p["asked"])] if i else []
        for where, value in locate(turn, p["answer"]):
            if value not in asked:
                place = json_path([p["turns"], i, *where])
                yield place, f"{value!r} answers no {p['asked']} of the previous turn"


def _json_integer(body: Any, p: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    for path in p["paths"]:
        for where, value in locate(body, path):
            if isinstance(value, float):
                yield json_path(where), f"{value!r} must be a JSON integer"


EVALUATORS = {
    "member": _member,
    "unique": _unique,
    "non_blank": _non_blank,
    "less_than": _less_than,
    "answers_previous": _answers_previous,
    "json_integer": _json_integer,
}


def broken(rule: Rule, body: Any) -> list[RuleIssue]:
    if not isinstance(body, dict):
        return []
    found = EVALUATORS[rule.kind](body, rule.params)
    return [RuleIssue(rule.id, rule.clause, path, message) for path, message in found]


def rule_issues(contract: Contract, body: Any, endpoint: str = "messages") -> list[RuleIssue]:
    """Every rule the body breaks, in the order of the list."""
    return [issue for rule in rules(contract, endpoint) for issue in broken(rule, body)]


@dataclass(frozen=True)
class Break:
    """One thing a request breaks: a schema keyword at a path, or a rule; and the clause."""

    what: str  # "rule:<id>" or "schema:<path>"
    clause: str
    detail: str


def schema_clause(message: str, path: str) -> str:
    """A missing top-level field is REQ-015, a number out of range REQ-038, the rest REQ-014.

    REQ-015 states the top-level required list (model, messages, max_tokens); a field missing
    deeper (a message's content, a tool's input_schema) is a schema break like any other, so a
    server that serves it is lenient, not broken. The message must be the validator's own words:
    a union's error quotes its instance, which may hold a `required` key of an input_schema."""
    if path == TOP_LEVEL and message.endswith("is a required property"):
        return "REQ-015"
    if "." not in path and any(word in message for word in RANGE_WORDS):
        return "REQ-038"
    return "REQ-014"


def request_breaks(contract: Contract, body: Any, endpoint: str = "messages") -> list[Break]:
    """What a request breaks: its schema issues, else the rules it breaks (empty: valid)."""
    issues = contract.request_issues_fast(body, endpoint)
    if issues:
        return [Break(f"schema:{i.path}", schema_clause(i.message, i.path), str(i)) for i in issues]
    return [
        Break(f"rule:{i.rule}", i.clause, str(i)) for i in rule_issues(contract, body, endpoint)
    ]
