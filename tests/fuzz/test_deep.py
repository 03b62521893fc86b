"""`--explore deep`: schemathesis' negative examples, each breaking exactly one thing, judged
like every generated example; the same seed draws the same ones; a default run never loads
schemathesis; the option reaches the probe from both the command and the pytest plugin."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace

import pytest
from tests.conftest import fuzz_notes

from msgconform.checks.fuzz import example_problem
from msgconform.contract.document import Contract
from msgconform.contract.rules import request_breaks, rule_issues
from msgconform.core.cases import Case, load_area
from msgconform.core.limits import RunLimits
from msgconform.core.paths import SUITES
from msgconform.core.profiles import Profile
from msgconform.core.profiles import load as load_profile
from msgconform.core.settings import RunSettings
from msgconform.fuzz.deep import deep_negatives
from msgconform.fuzz.shape import Shape
from msgconform.mock.server import MockServer
from msgconform.runner import options
from msgconform.runner.engine import CaseResult, Engine
from msgconform.runner.plan import estimate
from msgconform.transport.session import Session

KEY = "sk-deep-test-0123456789abcdef"
NEGATIVE = next(c for c in load_area(SUITES / "fuzz" / "cases.yaml") if c.id == "negative-messages")
# Seed 3 keeps 4 examples within 32 draws on the bundled contract (a few seconds).
SEED, EXAMPLES = 3, 4


@pytest.fixture(scope="module")
def profile() -> Profile:
    return load_profile("mock")


@pytest.fixture(scope="module")
def url(profile: Profile) -> Iterator[str]:
    with MockServer(profile, KEY) as server:
        yield server.url


def deep_run(profile: Profile, url: str, fault: str | None = None) -> CaseResult:
    case: Case = replace(NEGATIVE, probe_params={**NEGATIVE.probe_params, "examples": EXAMPLES})
    headers = {"x-msgconform-fault": fault} if fault else None
    settings = RunSettings(seed=SEED, explore=True, deep=True)
    session = Session(profile, KEY, url, extra_headers=headers, settings=settings)
    try:
        return Engine(profile, session).run_case(case)
    finally:
        session.close()


def deep_exchanges(result: CaseResult) -> list[str]:
    return [label for label in result.exchanges if label.startswith("fuzz:deep:")]


def test_same_seed_draws_the_same_examples_each_breaking_one_thing(profile: Profile) -> None:
    contract = Contract.load()
    shape = Shape(contract, profile, "messages", False)
    first, drawn = deep_negatives(shape, SEED, EXAMPLES)
    again, _ = deep_negatives(shape, SEED, EXAMPLES)
    assert [m.body for m in first] == [m.body for m in again]
    assert len(first) == EXAMPLES
    assert drawn >= EXAMPLES
    for made in first:
        assert made.mutation == "schemathesis"
        assert [b.what for b in request_breaks(contract, made.body)] == [made.brk.what]
        issues = contract.request_issues(made.body) + rule_issues(contract, made.body)
        assert len(issues) == 1, issues


def test_the_seed_draws_the_same_in_another_process(profile: Profile) -> None:
    """hypothesis mixes the literals of loaded local modules into its draws; fuzz/deep.py turns
    that off, or a pytest run (tests, conftest loaded) would draw other examples than this."""
    here, _ = deep_negatives(Shape(Contract.load(), profile, "messages", False), SEED, EXAMPLES)
    code = (
        "import json\n"
        "from msgconform.contract.document import Contract\n"
        "from msgconform.core.profiles import load\n"
        "from msgconform.fuzz.deep import deep_negatives\n"
        "from msgconform.fuzz.shape import Shape\n"
        "shape = Shape(Contract.load(), load('mock'), 'messages', False)\n"
        f"kept, _ = deep_negatives(shape, {SEED}, {EXAMPLES})\n"
        "print(json.dumps([m.body for m in kept], sort_keys=True))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300
    )
    assert json.loads(done.stdout) == json.loads(json.dumps([m.body for m in here]))


def test_clean_mock_refuses_every_deep_example(profile: Profile, url: str) -> None:
    result = deep_run(profile, url)
    assert result.outcome == "PASS", [f.text() for f in result.failures]
    sent = deep_exchanges(result)
    assert len(sent) == EXAMPLES
    assert fuzz_notes(result).deep_kept == EXAMPLES
    assert fuzz_notes(result).rerun == f"--seed {SEED} --explore deep"
    for label in sent:
        exchange = result.exchanges[label]
        assert exchange.status == 400
        assert example_problem(exchange, Contract.load(), profile) is None
        assert KEY.encode() not in (exchange.raw_request_body or b"")


def test_lenient_variant_has_no_fail(profile: Profile, url: str) -> None:
    result = deep_run(profile, url, "lenient_request_rules")
    assert result.outcome in ("PASS", "NON-STRICT"), [f.text() for f in result.failures]
    assert all(f.level == "SHOULD" for f in result.failures)
    assert deep_exchanges(result)


def test_a_wrong_answer_to_a_deep_example_is_a_fail(profile: Profile, url: str) -> None:
    result = deep_run(profile, url, "client_error_as_500")
    assert result.outcome == "FAIL"
    assert "ERR-003" in {f.clause for f in result.failures}
    # Each deep example is judged by itself, not only through the walk's examples.
    for label in deep_exchanges(result):
        problem = example_problem(result.exchanges[label], Contract.load(), profile)
        assert problem is not None
        assert problem.gating


def test_a_run_without_deep_sends_no_deep_example(profile: Profile, url: str) -> None:
    case = replace(NEGATIVE, probe_params={**NEGATIVE.probe_params, "examples": EXAMPLES})
    session = Session(profile, KEY, url, settings=RunSettings(seed=SEED))
    try:
        result = Engine(profile, session).run_case(case)
    finally:
        session.close()
    assert not deep_exchanges(result)
    assert fuzz_notes(result).deep_kept is None


@pytest.mark.parametrize(
    ("argv", "explore", "deep"),
    [
        ([], False, False),
        (["--explore"], True, False),
        (["--explore", "fresh"], True, False),
        (["--explore", "deep", "--seed", "9"], True, True),
    ],
)
def test_explore_levels_from_the_one_option_table(
    argv: list[str], explore: bool, deep: bool
) -> None:
    parser = argparse.ArgumentParser()
    options.add_arguments(parser)
    values = vars(parser.parse_args(argv))
    settings = RunSettings.from_options(values, RunLimits(None, "none", 1, 10, 1.0))
    assert (settings.explore, settings.deep) == (explore, deep)
    # The command hands the level on to the pytest plugin unchanged.
    flags = options.as_flags(argparse.Namespace(**values), "plugin")
    assert ("deep" in flags) == deep


def test_an_unknown_level_is_a_clear_usage_error() -> None:
    parser = argparse.ArgumentParser()
    options.add_arguments(parser)
    with pytest.raises(SystemExit):
        parser.parse_args(["--explore", "deeper"])


def test_a_default_run_never_imports_schemathesis(tmp_path: object) -> None:
    code = (
        "import sys\n"
        "from msgconform.cli import main\n"
        "status = main(['run', '--provider', 'mock', '--only', 'fuzz/REQ-014/negative-messages',"
        " '--no-report', '-q'])\n"
        "print('loaded' if 'schemathesis' in sys.modules else 'not loaded', status)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=300
    )
    assert done.stdout.strip().splitlines()[-1] == "not loaded 0", done.stdout[-2000:]


def test_the_dry_run_plan_counts_the_deep_examples(profile: Profile) -> None:
    fuzz_cases = load_area(SUITES / "fuzz" / "cases.yaml")
    plain, deep = estimate(profile, fuzz_cases), estimate(profile, fuzz_cases, deep=True)
    assert deep.requests - plain.requests == profile.limits.fuzz_examples  # the negative case's
