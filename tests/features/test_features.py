"""The feature map: each class comes out of a mock fault that produces it, the clean mock shows
every feature it implements as supported, and the command works against a server with no profile.
Runs the engine in-process against the real mock server on loopback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.conftest import run_cases

from msgconform.checks import invariants
from msgconform.checks.base import FeatureNote
from msgconform.cli import main
from msgconform.core import clauses
from msgconform.core.cases import Case, load_all
from msgconform.core.exchange import Chunk, Exchange
from msgconform.core.profiles import Profile
from msgconform.core.profiles import load as load_profile
from msgconform.features.check import FEATURE_CLAUSES
from msgconform.features.classify import refused_or_broken
from msgconform.features.signals import SIGNALS
from msgconform.mock.server import MockServer
from msgconform.runner.engine import CaseResult
from msgconform.runner.plan import estimate

KEY = "sk-features-test-0123456789abcdef"
FEATURES = [c for c in load_all() if c.area == "features"]


@pytest.fixture(scope="module")
def profile() -> Profile:
    return load_profile("mock")


@pytest.fixture(scope="module")
def server_url(profile: Profile) -> Iterator[str]:
    with MockServer(profile, KEY) as server:
        yield server.url


def run(profile: Profile, url: str, fault: str | None, cases: list[Case]) -> list[CaseResult]:
    return run_cases(profile, KEY, url, fault, cases)


def found(result: CaseResult) -> FeatureNote:
    assert result.context is not None, f"{result.case.test_id}: {result.outcome} {result.reason}"
    assert result.context.feature is not None, f"{result.case.test_id}: no feature verdict"
    return result.context.feature


def test_at_least_25_features_each_citing_a_known_clause() -> None:
    ids = {c.probe_params["feature"] for c in FEATURES}
    assert len(ids) >= 25
    for case in FEATURES:
        assert case.clauses[0] in clauses.registry()
        assert case.clauses[0] in FEATURE_CLAUSES
        assert case.probe_params["honoured"]["signal"] in SIGNALS
    assert {c.probe_params["mode"] for c in FEATURES} == {"json", "stream"}


def test_clean_mock_shows_every_feature_it_implements_as_supported(
    profile: Profile, server_url: str
) -> None:
    results = run(profile, server_url, None, FEATURES)
    assert all(r.outcome == "PASS" for r in results), [(r.case.id, r.reason) for r in results]
    for result in results:
        note = found(result)
        if note.declared is True:
            assert note.klass == "supported", (result.case.id, note)
    # The one thing the mock's profile refuses on purpose is refused properly.
    refused = {r.case.id: found(r).klass for r in results if found(r).declared is False}
    assert refused == {"auth-api-key": "rejected"}


BITES = [
    ("ignore_stop_sequences", "stop-sequences", "ignored"),
    ("ignore_stop_sequences", "stop-sequences-stream", "ignored"),
    ("ignore_tool_choice", "tool-choice-any", "ignored"),
    ("ignore_system", "system-string", "ignored"),
    ("no_thinking_block", "thinking", "ignored"),
    ("stream_answered_json", "streaming", "ignored"),
    ("reject_top_k", "top-k", "rejected"),
    ("reject_images", "image-base64", "rejected"),
    ("top_p_500", "top-p", "broken"),
    ("thinking_stream_cut", "thinking-stream", "broken"),
    ("reject_top_k", "top-p", "supported"),  # a one-change fault leaves the rest alone
    ("hang_mid_stream", "stop-sequences-stream", "broken"),
    ("html_body", "auth-api-key", "broken"),  # a 4xx without the error envelope
]


@pytest.mark.parametrize(("fault", "case_id", "klass"), BITES)
def test_a_fault_gives_the_class_it_should(
    profile: Profile,
    server_url: str,
    fault: str,
    case_id: str,
    klass: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The feature check's own verdict: an invariant's breach on the same exchange (a stream
    # answered as JSON, an error without its envelope) is reported beside it, or in its stead.
    monkeypatch.setattr(invariants, "explained", lambda *_: False)
    (case,) = [c for c in FEATURES if c.id == case_id]
    (result,) = run(profile, server_url, fault, [case])
    note = found(result)
    assert note.klass == klass, note
    if klass != "supported" and note.declared is True:
        assert result.outcome == "FAIL"
        own = [f for f in result.failures if not f.check.startswith("invariant:")]
        assert [f.clause for f in own] == [case.clauses[0]]
        assert klass in own[0].actual


def test_every_class_has_a_fault_that_produces_it() -> None:
    assert {k for _, _, k in BITES} == {"supported", "ignored", "rejected", "broken"}


def test_an_undeclared_feature_that_works_is_information_not_a_failure(
    server_url: str,
) -> None:
    generic = load_profile(
        "generic", {"base_url": server_url, "features": "streaming", "model": "mock-sonnet"}
    )
    (case,) = [c for c in FEATURES if c.id == "tool-choice-any"]
    (result,) = run(generic, server_url, None, [case])
    note = found(result)
    # --features streaming does not name tools: undeclared (None), not declared absent.
    assert (result.outcome, note.klass, note.declared) == ("PASS", "supported", None)
    assert note.information is True


def test_signals_say_cannot_tell_rather_than_ignored_on_model_wording() -> None:
    answer = {"stop_reason": "end_turn", "content": [{"type": "text", "text": "apple banana"}]}
    assert SIGNALS["stop_sequence"](answer, {}, {}, {"sequence": "cherry"})[0] is None
    cut = {"stop_reason": "max_tokens", "content": [], "usage": {"output_tokens": 1}}
    assert SIGNALS["tool_use"](cut, {}, {}, {})[0] is None
    assert SIGNALS["block_type"](cut, {}, {}, {"type": "thinking"})[0] is None
    ended = {"stop_reason": "end_turn", "usage": {"output_tokens": 1}}
    assert SIGNALS["max_tokens_cut"](ended, {"max_tokens": 1}, {}, {})[0] is None
    at_end = {"stop_reason": "end_turn", "content": [{"type": "text", "text": "a b cherry"}]}
    assert SIGNALS["stop_sequence"](at_end, {}, {}, {"sequence": "cherry"})[0] is None
    over = {"stop_reason": "end_turn", "usage": {"output_tokens": 9}}
    assert SIGNALS["max_tokens_cut"](over, {"max_tokens": 1}, {}, {})[0] is False


def test_dry_run_counts_one_or_two_requests_per_feature(capsys: pytest.CaptureFixture[str]) -> None:
    plan = estimate(load_profile("baseten"), FEATURES)
    with_baseline = sum(1 for c in FEATURES if c.probe_params.get("baseline"))
    assert plan.cases == len(FEATURES)
    assert plan.requests - 2 == len(FEATURES) + with_baseline  # two smoke requests first
    assert main(["features", "--provider", "baseten", "--dry-run"]) == 0
    assert f"about {plan.requests} requests" in capsys.readouterr().out


def read_features(out: Path, provider: str) -> dict[str, dict[str, object]]:
    lines = (out / provider / "latest" / "results.jsonl").read_text().splitlines()
    cases = [json.loads(line) for line in lines]
    return {c["id"]: c["feature"] for c in cases if c.get("feature")}


def test_generic_provider_against_a_server_with_no_profile(
    server_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FEATURES_TEST_KEY", KEY)
    argv = ["features", "--provider", "generic", "--base-url", server_url, "--auth", "x-api-key",
            "--key-env", "FEATURES_TEST_KEY", "--model", "mock-sonnet",
            "--features", "streaming,tools", "--out", str(tmp_path), "-q"]  # fmt: skip
    # The generic profile paces itself at 2 requests a second: a few features keep this quick.
    for name in ("tool-choice-any", "thinking", "auth-bearer"):
        argv += ["--feature", name]
    assert main(argv) == 0
    mapped = read_features(tmp_path, "generic")
    assert {f["id"] for f in mapped.values()} == {"tool-choice-any", "thinking", "auth-bearer"}
    assert mapped["features/STOP-006/tool-choice-any-stream"]["declared"] is True
    assert mapped["features/REQ-010/thinking"]["information"] is True  # works, undeclared
    assert mapped["features/AUTH-001/auth-bearer"]["declared"] is None  # the profile is silent
    assert (tmp_path / "generic" / "latest" / "features.html").is_file()


def test_a_declared_feature_that_breaks_fails_the_command(tmp_path: Path) -> None:
    argv = ["features", "--provider", "mock", "--mock-fault", "reject_top_k",
            "--out", str(tmp_path), "-q"]  # fmt: skip
    assert main(argv) == 1
    assert read_features(tmp_path, "mock")["features/REQ-001/top-k"]["class"] == "rejected"


def test_a_key_echoed_in_an_error_is_scrubbed_before_it_is_cut_short() -> None:
    key = "sk-echoed-" + "k" * 40
    body = json.dumps({"type": "error", "error": {"type": "authentication_error",
                       "message": "x" * 140 + f" bad key {key}"}})  # fmt: skip
    exchange = Exchange("feature", "POST", "http://127.0.0.1/v1/messages",
                        {"authorization": f"Bearer {key}"}, status=401,
                        chunks=[Chunk(0.0, body.encode())])  # fmt: skip
    verdict = refused_or_broken(exchange, load_profile("mock"))
    assert verdict is not None
    assert verdict.klass == "rejected"
    assert key[:12] not in verdict.why


def test_the_anthropic_profile_passes_its_features_against_its_emulation(tmp_path: Path) -> None:
    argv = ["features", "--provider", "anthropic", "--against-mock", "--out", str(tmp_path), "-q"]
    assert main(argv) == 0


def test_a_feature_its_answer_cannot_show_is_not_judged_never_supported(
    profile: Profile, server_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # stop_sequence_end_turn: the mock stops at "cherry" but says end_turn (llama.cpp b11434), so
    # no stop_sequence evidence came back; the map must not call stop sequences supported.
    monkeypatch.setattr(invariants, "explained", lambda *_: False)
    (case,) = [c for c in FEATURES if c.id == "stop-sequences"]
    (result,) = run(profile, server_url, "stop_sequence_end_turn", [case])
    note = found(result)
    assert note.klass == "not judged", note
    own = [f for f in result.failures if not f.check.startswith("invariant:")]
    assert own == []  # cannot tell is not a FAIL of the feature map
    ended = {"stop_reason": "end_turn", "content": [{"type": "text", "text": "apple banana "}]}
    assert SIGNALS["stop_sequence"](ended, {}, {}, {"sequence": "cherry"})[0] is None
