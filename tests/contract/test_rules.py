"""Cross-field rules as data: the suite's evaluator and the mock's own check agree on every rule's
examples and counter-examples; each fixed case of cases-ranges.yaml fails under its fault and
passes on the clean mock; range values come from the profile's contract."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from msgconform.contract.document import Contract
from msgconform.contract.rules import request_breaks, rule_issues, rules
from msgconform.core import profiles
from msgconform.core.cases import Case, load_area
from msgconform.core.errors import ConfigError
from msgconform.core.paths import ROOT, SUITES
from msgconform.core.profiles import Profile
from msgconform.core.profiles import load as load_profile
from msgconform.fuzz.ranges import outside
from msgconform.mock.faults import FAULTS
from msgconform.mock.rules import MOCK_RULES, listed
from msgconform.mock.server import MockServer
from msgconform.runner.engine import CaseResult, Engine
from msgconform.transport.session import Session

KEY = "sk-rules-test-0123456789abcdef"
BASE = {"model": "m", "max_tokens": 16, "messages": [{"role": "user", "content": "Hi"}]}
CONTRACTS = [("2023-06-01", None), ("2023-06-01", "baseten"), ("2023-06-01", "cortecs")]
RANGE_CASES = {case.id: case for case in load_area(SUITES / "request" / "cases-ranges.yaml")}
# Each new fixed case and the fault it must catch (every case is listed: a test checks that).
CAUGHT_BY = {
    "temperature-above-range": "accept_out_of_range",
    "temperature-below-range": "accept_out_of_range",
    "top-p-above-range": "accept_out_of_range",
    "top-p-below-range": "accept_out_of_range",
    "top-k-zero": "top_k_zero_refused",
    "top-k-negative": "accept_out_of_range",
    "max-tokens-negative": "accept_out_of_range",
    "max-tokens-zero": "client_error_as_500",
    "max-tokens-numeric-string": "coerce_integers",
    "max-tokens-fraction": "coerce_integers",
    "max-tokens-float-integer": "coerce_integers",
    "unknown-top-level-field": "unknown_field_as_500",
    "rule-tool-choice-names-a-tool": "reject_rule_examples",
    "rule-tool-choice-names-no-tool": "accept_tool_choice_unknown_tool",
    "rule-tool-names-unique": "reject_rule_examples",
    "rule-tool-names-duplicate": "accept_duplicate_tool_names",
    "rule-stop-sequence-text": "reject_rule_examples",
    "rule-stop-sequence-blank": "accept_blank_stop_sequence",
    "rule-tool-round-trip-ids": "reject_rule_examples",
    "rule-tool-use-id-empty": "accept_blank_tool_use_id",
    "rule-tool-use-ids-duplicate": "accept_duplicate_tool_use_ids",
    "rule-tool-result-unanswered": "accept_unanswered_tool_result",
    "rule-thinking-budget-below-max": "reject_rule_examples",
    "rule-thinking-budget-at-max": "accept_thinking_budget_over_max",
    "rule-server-tool-unknown-type": "accept_unknown_server_tool",
}


def with_patch(patch: dict[str, Any]) -> dict[str, Any]:
    return {**BASE, **patch}


def every_example() -> Iterator[tuple[str, str, dict[str, Any], bool]]:
    """Upstream, every example; under an overlay, those its schema admits (Baseten has no
    thinking, so the thinking rule's examples are not requests there)."""
    for version, overlay in CONTRACTS:
        contract = Contract.load(version, overlay)
        for rule in rules(contract):
            for patch, ok in [(p, True) for p in rule.examples] + [
                (p, False) for p in rule.counter_examples
            ]:
                body = with_patch(dict(patch))
                if overlay is None or not contract.request_issues(body):
                    yield f"{overlay}", rule.id, body, ok


@pytest.mark.parametrize(("version", "overlay"), CONTRACTS)
def test_every_rule_has_a_clause_level_and_both_kinds_of_example(
    version: str, overlay: str | None
) -> None:
    from msgconform.core import clauses

    listed_rules = rules(Contract.load(version, overlay))
    assert len(listed_rules) >= 8
    for rule in listed_rules:
        assert clauses.get(rule.clause).id == rule.clause
        assert rule.level in ("stated", "inferred")
        assert rule.examples, rule.id
        assert rule.counter_examples, rule.id


@pytest.mark.parametrize(("overlay", "rule_id", "body", "ok"), list(every_example()))
def test_examples_satisfy_and_counter_examples_break_exactly_their_rule(
    overlay: str, rule_id: str, body: dict[str, Any], ok: bool
) -> None:
    contract = Contract.load("2023-06-01", None if overlay == "None" else overlay)
    assert not contract.request_issues(body), "every example is schema-valid"
    broken = {issue.rule for issue in rule_issues(contract, body)}
    assert broken == (set() if ok else {rule_id})


@pytest.mark.parametrize(("overlay", "rule_id", "body", "ok"), list(every_example()))
def test_the_mock_agrees_with_its_own_code(
    overlay: str, rule_id: str, body: dict[str, Any], ok: bool
) -> None:
    assert (MOCK_RULES[rule_id](body) is None) is ok


def test_the_mock_has_a_check_for_every_listed_rule() -> None:
    for version, overlay in CONTRACTS:
        contract = Contract.load(version, overlay)
        assert len(listed(contract, "messages")) == len(rules(contract))
        assert len(listed(contract, "count_tokens")) == len(rules(contract, "count_tokens"))


def test_the_mock_does_not_use_the_suites_evaluator() -> None:
    """The point of the mock's checker: generated cases are not judged by the code that made
    them. Its module imports neither contract.rules nor anything of the generator."""
    tree = ast.parse((ROOT / "src/msgconform/mock/rules.py").read_text(encoding="utf-8"))
    imported = {
        node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
    }
    assert not {m for m in imported if m.startswith(("msgconform.fuzz", "msgconform.contract.r"))}


def test_request_breaks_names_the_clause() -> None:
    contract = Contract.load()
    assert request_breaks(contract, BASE) == []
    missing = {k: v for k, v in BASE.items() if k != "max_tokens"}
    assert request_breaks(contract, missing)[0].clause == "REQ-015"
    assert request_breaks(contract, {**BASE, "temperature": 1.5})[0].clause == "REQ-038"
    assert request_breaks(contract, {**BASE, "messages": "hi"})[0].clause == "REQ-014"
    assert request_breaks(contract, {**BASE, "max_tokens": 16.0})[0].what == (
        "rule:integers-are-json-integers"
    )
    server = {"tools": [{"name": "0", "type": "__00000000"}]}
    assert request_breaks(contract, with_patch(server))[0].what.startswith("schema:tools")


# ------------------------------------------------------------------ ranges from the contract


def test_range_value_comes_from_the_profiles_contract() -> None:
    case = RANGE_CASES["temperature-above-range"]
    assert outside(Contract.load(), case) == 1.5
    assert outside(Contract.load("2023-06-01", "cortecs"), case) == 2.5
    below = RANGE_CASES["top-p-below-range"]
    assert outside(Contract.load(), below) == -0.5


def test_an_exclusive_bound_is_sent_as_it_is() -> None:
    # Baseten's S002 says top_p "exclusiveMinimum": 0: 0 itself is the nearest value outside.
    below = RANGE_CASES["top-p-below-range"]
    assert outside(Contract.load("2023-06-01", "baseten"), below) == 0


def test_inclusive_minimums_of_seed_004_are_legal_upstream() -> None:
    # Seed 004 shows max_tokens "x > 1" and top_k "x > 0"; both minimums are inclusive.
    contract = Contract.load()
    assert contract.request_issues({**BASE, "top_k": 0}) == []
    assert contract.request_issues({**BASE, "max_tokens": 1}) == []
    assert contract.request_issues({**BASE, "top_k": -1})


def test_range_probe_without_field_is_a_config_error() -> None:
    case = replace(RANGE_CASES["temperature-above-range"], probe_params={"mode": "range"})
    with pytest.raises(ConfigError):
        outside(Contract.load(), case)


# ------------------------------------------------------------------ bite: fixed cases


@pytest.fixture(scope="module")
def profile() -> Profile:
    mock = load_profile("mock")
    return profiles.from_data(mock.raw, {})


@pytest.fixture(scope="module")
def url(profile: Profile) -> Iterator[str]:
    with MockServer(profile, KEY) as server:
        yield server.url


def run_case(profile: Profile, url: str, case: Case, fault: str | None) -> CaseResult:
    headers = {"x-msgconform-fault": fault} if fault else None
    session = Session(profile, KEY, url, extra_headers=headers)
    try:
        return Engine(profile, session).run_case(case)
    finally:
        session.close()


def test_every_new_case_has_a_fault() -> None:
    assert set(CAUGHT_BY) == set(RANGE_CASES)
    assert {f for f in CAUGHT_BY.values()} <= set(FAULTS)


@pytest.mark.parametrize("case_id", sorted(RANGE_CASES))
def test_new_case_passes_on_the_clean_mock(profile: Profile, url: str, case_id: str) -> None:
    result = run_case(profile, url, RANGE_CASES[case_id], None)
    assert result.outcome == "PASS", [f.text() for f in result.failures]


@pytest.mark.parametrize("case_id", sorted(RANGE_CASES))
def test_new_case_fails_under_its_fault(profile: Profile, url: str, case_id: str) -> None:
    fault = CAUGHT_BY[case_id]
    result = run_case(profile, url, RANGE_CASES[case_id], fault)
    assert result.outcome in ("FAIL", "NON-STRICT"), f"{case_id} under {fault}: {result.outcome}"
    assert {f.clause for f in result.failures} & set(FAULTS[fault].clauses)


def test_only_a_missing_top_level_field_is_req_015() -> None:
    """REQ-015 states the top-level required list; deeper a missing field is a schema break
    (REQ-014, inferred), and a union's error that quotes an input_schema's `required` key is not
    a missing field at all."""
    contract = Contract.load()
    no_content = {**BASE, "messages": [{"role": "user"}]}
    assert [b.clause for b in request_breaks(contract, no_content)] == ["REQ-014"]
    quoting = {
        **BASE,
        "tools": [
            {"name": "t", "description": 5, "input_schema": {"type": "object", "required": ["x"]}}
        ],
    }
    assert [b.clause for b in request_breaks(contract, quoting)] == ["REQ-014"]
    baseten = Contract.load(overlay="baseten")
    no_schema = {**BASE, "tools": [{"name": "t"}]}
    assert [b.clause for b in request_breaks(baseten, no_schema)] == ["REQ-014"]
