"""One grading for every trial: failures and expectations to an outcome, outcomes to an exit status.
The engine (provider cases) and the client battery both call core/grading.py; clients/ keeps no
rule of its own."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import msgconform.clients
from msgconform.checks.base import ConformanceFailure, to_failure
from msgconform.core.expectations import Expectation
from msgconform.core.grading import GATING, MODEL_LEVEL, Failure, exit_status, grade

TEST_ID = "area/CLAUSE-1/case"


def failure(level: str) -> Failure:
    return Failure("check", "CLAUSE-1", level, "title", "source", "expected", "actual")


def listed(*outcomes: str, key: str = TEST_ID) -> dict[str, Expectation]:
    return {key: Expectation(key, outcomes, "a known deviation", None)}


@pytest.mark.parametrize(
    ("levels", "error", "strict", "known", "outcome"),
    [
        ((), None, False, {}, "PASS"),
        (("MUST",), None, False, {}, "FAIL"),
        (("SHOULD",), None, False, {}, "NON-STRICT"),
        (("SHOULD",), None, True, {}, "FAIL"),
        ((MODEL_LEVEL,), None, True, {}, "NON-STRICT"),
        ((), "connection reset", False, {}, "ERROR"),
        (("MUST",), None, False, listed("FAIL"), "XFAIL"),
        (("MUST",), None, False, listed("FAIL", key="area/CLAUSE-1"), "XFAIL"),
        ((), None, False, listed("FAIL"), "XPASS"),
        ((), None, False, listed("PASS", "FAIL"), "PASS"),
        (("SHOULD",), None, False, listed("FAIL"), "NON-STRICT"),
    ],
)
def test_grade(
    levels: tuple[str, ...],
    error: str | None,
    strict: bool,
    known: dict[str, Expectation],
    outcome: str,
) -> None:
    failures = [failure(level) for level in levels]
    got, _ = grade(TEST_ID, failures, error, strict=strict, expectations=known)
    assert got == outcome


def test_exit_status_gates_on_fail_and_xpass_or_an_abort() -> None:
    assert {"FAIL", "XPASS"} == GATING
    assert exit_status(["PASS", "XFAIL", "NON-STRICT", "SKIP", "ERROR"]) == 0
    assert exit_status(["PASS", "FAIL"]) == 1
    assert exit_status(["XPASS"]) == 1
    assert exit_status([], aborted=True) == 1


def test_to_failure_fills_the_clause() -> None:
    made = to_failure("client_result", ConformanceFailure("CLIENT-012", "an error", "a message"))
    assert (made.check, made.clause, made.level) == ("client_result", "CLIENT-012", "SHOULD")
    assert made.requirement
    assert " § " in made.source
    assert made.exchange is None


def test_clients_define_no_grading_of_their_own() -> None:
    """Names a clients module defines itself (an imported function keeps its own __module__)."""
    own = {"GATING", "exit_status", "raw_outcome", "grade", "to_failure", "failure"}
    for info in pkgutil.walk_packages(msgconform.clients.__path__, "msgconform.clients."):
        module = importlib.import_module(info.name)
        defined = {
            name
            for name, value in vars(module).items()
            if getattr(value, "__module__", info.name) == info.name
        }
        assert defined & own == set(), info.name
