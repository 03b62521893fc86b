"""Faults of the cross-field rules (x-rules) and the documented ranges and types (REQ-030 on): the
mock lets one rule or range through, or refuses the rules' valid examples. Each is caught by a
fixed case in suites/request/cases-ranges.yaml (so is `errors.unknown_field_as_500`)."""

from __future__ import annotations

from typing import Any

from msgconform.contract.document import SchemaIssue
from msgconform.mock.hooks import Ctx, Fault, Faults
from msgconform.mock.rules import MOCK_RULES

RANGED = ("temperature", "top_p", "top_k", "max_tokens")
RANGE_WORDS = ("must be <", "must be >")
INTEGER_FIELDS = ("max_tokens", "top_k")


def _accept_rule(rule_id: str) -> Any:
    """Drop the issue the mock's own check of one rule raised, so the request is served."""

    def hook(issues: list[SchemaIssue], ctx: Ctx) -> list[SchemaIssue]:
        if not isinstance(ctx.body, dict):
            return issues
        own = MOCK_RULES[rule_id](ctx.body)
        return [i for i in issues if i != own]

    return hook


FAULTS = Faults()
# Each lets one of the mock's own rules (mock/rules.py) through.
FAULTS += [
    Fault(
        "accept_tool_choice_unknown_tool",
        "a tool_choice naming a tool not in tools is served",
        ("REQ-030",),
        issues=_accept_rule("tool-choice-names-a-tool"),
    ),
    Fault(
        "accept_duplicate_tool_names",
        "two tools of the same name are served",
        ("REQ-031",),
        issues=_accept_rule("tool-names-unique"),
    ),
    Fault(
        "accept_blank_stop_sequence",
        "an empty or whitespace-only stop sequence is served",
        ("REQ-032",),
        issues=_accept_rule("stop-sequences-not-blank"),
    ),
    Fault(
        "accept_blank_tool_use_id",
        "a tool_use with an empty id is served",
        ("REQ-033",),
        issues=_accept_rule("tool-use-ids-not-blank"),
    ),
    Fault(
        "accept_duplicate_tool_use_ids",
        "two tool_use blocks with the same id are served",
        ("REQ-033",),
        issues=_accept_rule("tool-use-ids-unique"),
    ),
    Fault(
        "accept_unanswered_tool_result",
        "a tool_result answering no tool_use of the previous turn is served",
        ("REQ-034",),
        issues=_accept_rule("tool-result-answers-previous-turn"),
    ),
    Fault(
        "accept_thinking_budget_over_max",
        "thinking.budget_tokens at or above max_tokens is served",
        ("REQ-035",),
        issues=_accept_rule("thinking-budget-below-max-tokens"),
    ),
]


@FAULTS.hook("issues", "REQ-038")
def _accept_out_of_range(issues: list[SchemaIssue], ctx: Ctx) -> list[SchemaIssue]:
    """temperature, top_p, top_k and max_tokens outside their range are served"""
    return [
        i for i in issues if not (i.path in RANGED and any(w in i.message for w in RANGE_WORDS))
    ]


@FAULTS.hook("issues", "REQ-036")
def _accept_unknown_server_tool(issues: list[SchemaIssue], ctx: Ctx) -> list[SchemaIssue]:
    """a tool of an undocumented server-tool type (and no input_schema) is served"""
    return [i for i in issues if not i.path.startswith("tools.")]


def _lax_integer(value: Any) -> Any:
    """What a lax (coercing) server makes of "16", 1.5 and 16.0."""
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    if isinstance(value, float) and value == value and abs(value) < 2**53:
        return int(value)
    return value


@FAULTS.hook("request", "REQ-037")
def _coerce_integers(body: Any, ctx: Ctx) -> Any:
    """max_tokens and top_k given as "16", 1.5 or 16.0 are coerced and served"""
    if not isinstance(body, dict):
        return body
    return {k: _lax_integer(v) if k in INTEGER_FIELDS else v for k, v in body.items()}


@FAULTS.hook("issues", "REQ-001")
def _top_k_zero_refused(issues: list[SchemaIssue], ctx: Ctx) -> list[SchemaIssue]:
    """top_k 0 gets 400: an inclusive minimum read as exclusive

    Seed 004's "x > 0" read literally: top_k 0, a legal value, refused."""
    if issues or not isinstance(ctx.body, dict) or ctx.body.get("top_k") != 0:
        return issues
    return [SchemaIssue("top_k", "must be > 0")]


def _touches_a_rule(body: dict[str, Any]) -> bool:
    return any(key in body for key in ("tools", "tool_choice", "stop_sequences", "thinking"))


@FAULTS.hook("issues", "REQ-001")
def _reject_rule_examples(issues: list[SchemaIssue], ctx: Ctx) -> list[SchemaIssue]:
    """valid requests with tools, tool_choice, stop_sequences or thinking get 400"""
    if issues or not isinstance(ctx.body, dict) or not _touches_a_rule(ctx.body):
        return issues
    return [SchemaIssue("tools", "cross-field rules misread: refused")]
