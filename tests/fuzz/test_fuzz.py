"""The fuzz area: the clean mock passes hundreds of generated requests and 20 explored seeds;
faults make the checks bite with graded verdicts; runs without a seed send the same requests;
stored examples go first; generation stays inside the profile; shrinking re-checks."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from tests.conftest import fuzz_notes

import msgconform.fuzz.probe as fuzz
from msgconform.contract.document import Contract
from msgconform.contract.rules import request_breaks, rule_issues
from msgconform.core import profiles
from msgconform.core.cases import Case, load_area
from msgconform.core.errors import ConfigError
from msgconform.core.paths import SUITES
from msgconform.core.profiles import Profile
from msgconform.core.profiles import load as load_profile
from msgconform.core.settings import RunSettings
from msgconform.fuzz import regressions
from msgconform.fuzz.examples import Shape, negative, positive
from msgconform.fuzz.shrink import shrink
from msgconform.mock.server import MockServer
from msgconform.report.diff import diff
from msgconform.report.record import Run
from msgconform.runner.engine import CaseResult, Engine
from msgconform.transport.session import Session

KEY = "sk-fuzz-test-0123456789abcdef"
CASES = {case.id: case for case in load_area(SUITES / "fuzz" / "cases.yaml")}


@pytest.fixture(scope="module")
def profile() -> Profile:
    return load_profile("mock")


@pytest.fixture(scope="module")
def url(profile: Profile) -> Iterator[str]:
    with MockServer(profile, KEY) as server:
        yield server.url


def run(
    profile: Profile, url: str, case_id: str, fault: str | None = None, **params: Any
) -> CaseResult:
    case: Case = replace(CASES[case_id], probe_params={**CASES[case_id].probe_params, **params})
    headers = {"x-msgconform-fault": fault} if fault else None
    session = Session(profile, KEY, url, extra_headers=headers)
    try:
        return Engine(profile, session).run_case(case)
    finally:
        session.close()


@pytest.fixture(scope="module")
def clean(profile: Profile, url: str) -> dict[str, CaseResult]:
    sizes = {"positive-messages": 100, "negative-messages": 100}
    return {
        case_id: run(profile, url, case_id, seed=11, examples=sizes.get(case_id, 25))
        for case_id in CASES
    }


@pytest.mark.parametrize("case_id", sorted(CASES))
def test_clean_mock_passes(clean: dict[str, CaseResult], case_id: str) -> None:
    result = clean[case_id]
    assert result.outcome == "PASS", [f.text() for f in result.failures]
    assert fuzz_notes(result).seed == 11
    assert fuzz_notes(result).sent >= 15


def test_hundreds_of_examples_in_total(clean: dict[str, CaseResult]) -> None:
    assert sum(fuzz_notes(r).sent for r in clean.values()) >= 200


def test_key_never_in_a_generated_body(clean: dict[str, CaseResult]) -> None:
    bodies = [e.raw_request_body or b"" for r in clean.values() for e in r.exchanges.values()]
    assert bodies
    assert not [b for b in bodies if KEY.encode() in b]


def test_twenty_explored_seeds_give_no_fail(profile: Profile, url: str) -> None:
    """The mock checks the rules with its own code: no explored seed finds it wrong."""
    seeds = random.Random(2026).sample(range(2**32), 20)
    outcomes = {
        (case_id, seed): run(profile, url, case_id, seed=seed, examples=15).outcome
        for seed in seeds
        for case_id in ("positive-messages", "negative-messages")
    }
    assert set(outcomes.values()) == {"PASS"}, {k: v for k, v in outcomes.items() if v != "PASS"}


# ------------------------------------------------------------------ graded verdicts


@pytest.mark.parametrize(
    ("fault", "case_id", "outcome", "clause", "status"),
    [
        # A proper 400 to a valid request: the provider is stricter than the contract.
        ("reject_valid_request", "positive-messages", "NON-STRICT", "REQ-001", 400),
        # A 5xx is a broken server whatever was sent.
        ("client_error_as_500", "negative-messages", "FAIL", "ERR-003", 500),
        # Lenient about an inferred rule: NON-STRICT.
        ("accept_duplicate_tool_names", "negative-messages", "NON-STRICT", "REQ-031", 200),
        # Lenient about a missing required field (REQ-015 is a stated MUST): FAIL.
        ("accept_missing_max_tokens", "negative-messages", "FAIL", "REQ-015", 200),
    ],
)
def test_fault_grades(
    profile: Profile, url: str, fault: str, case_id: str, outcome: str, clause: str, status: int
) -> None:
    result = run(profile, url, case_id, fault, seed=5, examples=120, shrink_requests=10)
    assert result.outcome == outcome, [f.text() for f in result.failures]
    assert clause in {f.clause for f in result.failures}
    shown = next(f for f in result.failures if f.clause == clause)
    assert shown.exchange == "fuzz:minimal"
    assert result.exchanges["fuzz:minimal"].status == status
    assert "seed 5" in shown.actual
    assert "curl " in shown.actual
    assert "keep it (suites/fuzz/regressions.yaml): {" in shown.actual
    assert KEY not in shown.actual


def test_strict_makes_a_stricter_provider_fail(profile: Profile, url: str) -> None:
    headers = {"x-msgconform-fault": "reject_valid_request"}
    session = Session(profile, KEY, url, extra_headers=headers, settings=RunSettings(strict=True))
    try:
        case = replace(CASES["positive-messages"], probe_params={"seed": 5, "examples": 40})
        assert Engine(profile, session).run_case(case).outcome == "FAIL"
    finally:
        session.close()


def test_shrinking_keeps_the_failure_and_what_is_broken(profile: Profile, url: str) -> None:
    result = run(
        profile, url, "negative-messages", "accept_duplicate_tool_names", seed=5, examples=120
    )
    minimal = result.exchanges["fuzz:minimal"]
    minimal_of = fuzz_notes(result).minimal_of
    assert minimal_of is not None
    origin = result.exchanges[minimal_of]
    assert len(minimal.raw_request_body or b"") <= len(origin.raw_request_body or b"")
    contract = Contract.load()
    assert request_breaks(contract, minimal.request_body)[0].what == "rule:tool-names-unique"


def test_shrinking_never_turns_a_negative_example_valid() -> None:
    contract = Contract.load()
    body = {
        "model": "m",
        "max_tokens": 16,
        "messages": [{"role": "user", "content": "Hi"}],
        "stop_sequences": ["ok", " "],
    }
    what = request_breaks(contract, body)[0].what

    def keep(candidate: Any) -> bool:
        now = request_breaks(contract, candidate)
        return bool(now) and now[0].what == what

    smallest = shrink(body, keep, 200)
    assert smallest["stop_sequences"] == [" "]
    assert request_breaks(contract, smallest)[0].what == what


# ------------------------------------------------------------------ reproducible runs


def test_same_seed_same_requests(profile: Profile, url: str) -> None:
    def bodies() -> list[bytes | None]:
        result = run(profile, url, "negative-messages", seed=99, examples=30)
        return [e.raw_request_body for e in result.exchanges.values()]

    first = bodies()
    assert len(first) >= 10
    assert bodies() == first


def test_no_seed_means_the_same_requests_twice(profile: Profile, url: str) -> None:
    def sent() -> tuple[Any, list[bytes | None]]:
        result = run(profile, url, "positive-messages", examples=20)
        return fuzz_notes(result).seed_from, [e.raw_request_body for e in result.exchanges.values()]

    first = sent()
    assert first[0] == "derived"
    assert sent() == first


def test_explore_draws_a_fresh_seed() -> None:
    contract, exploring = Contract.load(), RunSettings(explore=True)
    seeds = {fuzz.run_seed(CASES["positive-messages"], contract, exploring) for _ in range(3)}
    assert {source for _, source in seeds} == {"explore"}
    assert len(seeds) == 3


def test_derived_seed_follows_the_contract() -> None:
    case, plain = CASES["positive-messages"], RunSettings()
    upstream = fuzz.run_seed(case, Contract.load(), plain)
    assert upstream == fuzz.run_seed(case, Contract.load(), plain)
    assert upstream != fuzz.run_seed(case, Contract.load("2023-06-01", "cortecs"), plain)


def test_seed_comes_from_the_run_settings() -> None:
    case = CASES["positive-messages"]
    assert fuzz.run_seed(case, Contract.load(), RunSettings(seed=1234)) == (1234, "given")
    # --explore with --seed keeps the given seed; without one the run draws one (see run.py).
    assert fuzz.run_seed(case, Contract.load(), RunSettings(seed=7, explore=True)) == (7, "given")
    bad = replace(case, probe_params={**case.probe_params, "seed": "soon"})
    with pytest.raises(ConfigError):
        fuzz.run_seed(bad, Contract.load(), RunSettings())


def test_explore_reaches_the_fuzz_probe_through_the_session(profile: Profile, url: str) -> None:
    session = Session(profile, KEY, url, settings=RunSettings(explore=True))
    try:
        case = replace(CASES["positive-messages"], probe_params={"examples": 3})
        result = Engine(profile, session).run_case(case)
    finally:
        session.close()
    assert fuzz_notes(result).seed_from == "explore"


def test_stored_examples_go_first(clean: dict[str, CaseResult]) -> None:
    labels = list(clean["negative-messages"].exchanges)
    stored = regressions.for_case("negative", "messages", False)
    assert len(stored) >= 5
    assert labels[: len(stored)] == [f"fuzz:stored:{i:02d}" for i in range(1, len(stored) + 1)]
    assert fuzz_notes(clean["negative-messages"]).replayed == len(stored)


def test_stored_negative_examples_break_what_they_say() -> None:
    contract = Contract.load()
    for entry in regressions.stored():
        broken = request_breaks(contract, {**entry.body, "model": "m"}, entry.endpoint)
        if entry.mode == "positive":
            assert not broken, entry.id
        else:
            assert broken, entry.id
            assert broken[0].what == entry.breaks, (entry.id, broken)


# ------------------------------------------------------------------ scoped to the profile


def kinds(body: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(body, dict):
        if isinstance(body.get("type"), str):
            found.add(body["type"])
        for value in body.values():
            found |= kinds(value)
    elif isinstance(body, list):
        for item in body:
            found |= kinds(item)
    return found


def test_generation_stays_inside_the_profile() -> None:
    mock = load_profile("mock")
    features = {**mock.raw["features"], "images": False, "tools": False, "thinking": False}
    narrow = profiles.from_data({**mock.raw, "features": features}, {})
    shape = Shape(Contract.load(), narrow, "messages", False)
    rng = random.Random(7)
    bodies = [b for b in (positive(rng, shape) for _ in range(300)) if b is not None]
    assert len(bodies) >= 200
    seen = set().union(*(kinds(b) for b in bodies))
    assert not seen & {"image", "tool_use", "tool_result", "enabled", "bash_20250124"}
    assert not [b for b in bodies if "tools" in b or "tool_choice" in b]
    assert all(b["model"] == narrow.model("small") for b in bodies)


def test_no_server_tools_and_integers_stay_integers() -> None:
    shape = Shape(Contract.load(), load_profile("mock"), "messages", False)
    rng = random.Random(3)
    bodies = [b for b in (positive(rng, shape) for _ in range(300)) if b is not None]
    tools = [t for b in bodies for t in b.get("tools", [])]
    assert tools
    assert all("input_schema" in t for t in tools)
    assert all(isinstance(b["max_tokens"], int) for b in bodies)


def test_negative_examples_break_exactly_one_thing() -> None:
    contract = Contract.load()
    shape = Shape(contract, load_profile("mock"), "messages", False)
    rng = random.Random(5)
    made = [m for m in (negative(rng, shape) for _ in range(200)) if m is not None]
    assert len(made) >= 150
    whats = {m.brk.what for m in made}
    assert {w for w in whats if w.startswith("rule:")}, "rule counter-examples are drawn"
    assert {m.path for m in made if "." in m.path}, "nested fields are broken"
    for made_one in made:
        assert [b.what for b in request_breaks(contract, made_one.body)] == [made_one.brk.what]
        assert (
            len(contract.request_issues(made_one.body)) + len(rule_issues(contract, made_one.body))
            == 1
        )


# ------------------------------------------------------------------ diff by verdict


def fuzz_run(outcome: str, clause: str | None, example: str) -> Run:
    failures = [{"clause": clause, "actual": example}] if clause else []
    case = {"id": "fuzz/REQ-001/negative", "area": "fuzz", "outcome": outcome, "failures": failures}
    return Run({"provider": "mock"}, [case], None)


def test_diff_judges_generated_cases_by_verdict_not_example() -> None:
    same = diff(fuzz_run("NON-STRICT", "REQ-031", "a"), fuzz_run("NON-STRICT", "REQ-031", "b"))
    assert not same.regressed
    assert not same.changed
    other = diff(fuzz_run("NON-STRICT", "REQ-031", "a"), fuzz_run("NON-STRICT", "REQ-032", "a"))
    assert not other.regressed
    assert [c.new for c in other.changed] == ["NON-STRICT (REQ-032)"]
    worse = diff(fuzz_run("PASS", None, ""), fuzz_run("FAIL", "ERR-003", "x"))
    assert worse.has_regression
