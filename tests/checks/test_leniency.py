"""One grading rule for leniency: a request the contract rejects, served with a correct 200, is
NON-STRICT unless its clause is a stated MUST; the error checks judge error responses only; a
case that grades one symptom twice is refused by `msgconform validate`."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from typing import Any

import pytest

from msgconform.checks.base import REGISTRY, CaseContext, ConformanceFailure, to_failure
from msgconform.commands.validate import double_grading_problems
from msgconform.contract.document import Contract
from msgconform.core.cases import load_all
from msgconform.core.exchange import Chunk, Exchange
from msgconform.core.grading import served_level
from msgconform.core.profiles import load as load_profile

VALID = {"model": "m", "max_tokens": 16, "messages": [{"role": "user", "content": "Hi"}]}
MESSAGE = {
    "id": "msg_1", "type": "message", "role": "assistant", "model": "m",
    "content": [{"type": "text", "text": "Hi"}], "stop_reason": "end_turn",
    "stop_sequence": None, "usage": {"input_tokens": 3, "output_tokens": 1},
}  # fmt: skip
ROUND = [
    {"role": "user", "content": "Weather?"},
    {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "w", "input": {}}]},
    {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t9", "content": "18"}]},
]
TOOLS = [{"name": "w", "input_schema": {"type": "object"}}]
UNANSWERED = {**VALID, "tools": TOOLS, "messages": ROUND}
NO_MAX_TOKENS = {k: v for k, v in VALID.items() if k != "max_tokens"}


def served(request: Any, body: Any = MESSAGE, status: int = 200) -> CaseContext:
    exchange = Exchange("main", "POST", "http://t/v1/messages", {}, request_body=request)
    exchange.status = status
    exchange.response_headers = {"content-type": "application/json", "request-id": "req_1"}
    exchange.chunks = [Chunk(0.0, json.dumps(body).encode())]
    ctx = CaseContext(load_profile("mock"), Contract.load(), request)
    ctx.exchanges = {"main": exchange}
    return ctx


def graded(name: str, ctx: CaseContext, **params: Any) -> str | None:
    """The level the engine grades the check's failure at (None: it passed)."""
    try:
        REGISTRY[name].func(ctx, **params)
    except ConformanceFailure as exc:
        return to_failure(name, exc).level
    return None


@pytest.mark.parametrize(
    ("level", "basis", "grade"),
    [("MUST", "stated", "MUST"), ("MUST", "inferred", "SHOULD"), ("SHOULD", "stated", "SHOULD"),
     ("SHOULD", "inferred", "SHOULD")],
)  # fmt: skip
def test_served_is_a_fail_only_for_a_stated_must(level: str, basis: str, grade: str) -> None:
    assert served_level(level, basis) == grade


def test_an_inferred_must_served_correctly_is_non_strict() -> None:
    assert graded("rejected_with", served(UNANSWERED), clause="REQ-034", status="4xx") == "SHOULD"


def test_a_stated_must_served_is_a_fail() -> None:
    assert graded("rejected_with", served(NO_MAX_TOKENS), clause="REQ-015") == "MUST"


def test_a_broken_200_is_not_leniency() -> None:
    broken = {**MESSAGE, "role": "user"}
    assert graded("rejected_with", served(UNANSWERED, broken), clause="REQ-034") == "MUST"


def test_a_valid_request_served_keeps_the_clause_level() -> None:
    # e.g. an unknown path served: the contract does not reject the body, so this is no leniency.
    assert graded("rejected_with", served(VALID), clause="ERR-006", status=404) == "MUST"


def test_a_5xx_stays_a_fail() -> None:
    error = {"type": "error", "error": {"type": "api_error", "message": "boom"}}
    assert graded("rejected_with", served(UNANSWERED, error, 500), clause="REQ-034") == "MUST"


@pytest.mark.parametrize("name", ["error_envelope", "error_status_matches_type",
                                  "rate_limit_retry_after"])  # fmt: skip
def test_error_checks_add_no_failure_to_a_200(name: str) -> None:
    assert graded(name, served(UNANSWERED)) is None


def test_error_checks_still_judge_an_error_body() -> None:
    openai = {"error": {"message": "x", "code": 400}}
    assert graded("error_envelope", served(UNANSWERED, openai, 400)) == "MUST"


def test_the_suite_grades_no_symptom_twice() -> None:
    assert list(double_grading_problems(load_all())) == []


def test_validate_refuses_a_case_grading_served_twice() -> None:
    case = next(c for c in load_all() if c.id == "rule-tool-result-unanswered")
    twice = (*case.checks, ("auth_refused", {}))
    problems = list(double_grading_problems([replace(case, checks=twice)]))
    assert len(problems) == 1, problems
    assert "served" in problems[0]


def test_checks_on_different_exchanges_do_not_overlap() -> None:
    case = next(c for c in load_all() if c.id == "rule-tool-result-unanswered")
    checks = (("rejected_with", {"label": "a"}), ("rejected_with", {"label": "b"}))
    assert list(double_grading_problems([replace(case, checks=checks)])) == []


def test_a_valid_request_is_unchanged_by_the_lenient_variant() -> None:
    from msgconform.mock.faults.lenient import tolerate

    answer = {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1"}]}
    body = copy.deepcopy({**VALID, "tools": TOOLS, "messages": [*ROUND[:2], answer], "top_k": 0,
                          "stop_sequences": ["END"]})  # fmt: skip
    assert tolerate(body, None) == body  # type: ignore[arg-type]


def test_a_generated_negative_served_is_graded_by_the_same_rule() -> None:
    from msgconform.checks.fuzz import negative_problem

    def level(request: Any, body: Any = MESSAGE) -> str | None:
        ctx = served(request, body)
        problem = negative_problem(ctx.main, ctx.contract, ctx.profile)
        return problem.level if problem else None

    assert level(UNANSWERED) == "SHOULD"  # REQ-034, an inferred MUST
    assert level(NO_MAX_TOKENS) == "MUST"  # REQ-015, stated
    assert level(UNANSWERED, {**MESSAGE, "role": "user"}) == "MUST"  # a wrong answer
