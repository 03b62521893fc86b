"""The replayed stop-sequence probe: a sequence drawn from the first reply's own text stops the
replay there. It passes on the clean mock, fails where stop sequences are ignored or reported as
end_turn, and a replay that differs before the sequence is not judged (MODEL), never a FAIL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from tests.conftest import run_cases

from msgconform.checks import REGISTRY, CaseContext, ConformanceFailure
from msgconform.checks.stop import REPLAY_DIFFERED, draw_stop_sequence
from msgconform.contract.document import Contract
from msgconform.core.cases import Case, load_all
from msgconform.core.exchange import Chunk, Exchange
from msgconform.core.profiles import Profile
from msgconform.core.profiles import load as load_profile
from msgconform.mock.server import MockServer

KEY = "sk-stop-replay-test-0123456789abcdef"
CASE_ID = "stop_reason/STOP-005/stop-sequence-replayed"
CHECK = "stop_sequence_replayed"
FIRST = "The sea is calm today. Waves roll in slowly and the gulls circle above the harbour."


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[Profile, str]]:
    profile = load_profile("mock")
    with MockServer(profile, KEY) as server:
        yield profile, server.url


def the_case() -> Case:
    (case,) = [c for c in load_all() if c.test_id == CASE_ID]
    return case


def test_the_clean_mock_stops_at_a_sequence_drawn_from_its_own_reply(
    served: tuple[Profile, str],
) -> None:
    profile, url = served
    (result,) = run_cases(profile, KEY, url, None, [the_case()])
    assert result.outcome == "PASS", result.failures
    assert result.context is not None
    first, replay = result.context.exchanges["first"], result.context.exchanges["replay"]
    drawn = replay.request_body["stop_sequences"][0]
    assert replay.request_body["temperature"] == 0  # the mock's contract allows it
    assert {k: v for k, v in replay.request_body.items() if k != "stop_sequences"} == (
        first.request_body
    )
    assert drawn in first.json()["content"][0]["text"]
    assert replay.json()["stop_sequence"] == drawn


@pytest.mark.parametrize("fault", ["ignore_stop_sequences", "stop_sequence_end_turn"])
def test_a_server_that_does_not_stop_or_says_end_turn_fails(
    served: tuple[Profile, str], fault: str
) -> None:
    profile, url = served
    (result,) = run_cases(profile, KEY, url, fault, [the_case()])
    assert result.outcome == "FAIL", result.failures
    own = [f for f in result.failures if f.check == CHECK]
    assert [(f.clause, f.level) for f in own] == [("STOP-005", "MUST")], result.failures


def test_a_sequence_is_a_word_after_the_start_of_the_text() -> None:
    drawn = draw_stop_sequence(FIRST)
    assert drawn is not None
    assert len(drawn) >= 3
    assert FIRST.find(drawn) > 0
    assert draw_stop_sequence("OK") is None
    assert draw_stop_sequence("") is None
    assert draw_stop_sequence("sea sea sea") is None  # every occurrence starts at the first one


def answer(label: str, text: str, reason: str, sequence: str | None = None) -> Exchange:
    message = {
        "id": "msg_01",
        "type": "message",
        "role": "assistant",
        "model": "m",
        "content": [{"type": "text", "text": text}],
        "stop_reason": reason,
        "stop_sequence": sequence,
        "usage": {"input_tokens": 5, "output_tokens": 5},
    }
    return Exchange(
        label, "POST", "http://127.0.0.1/v1/messages", {}, status=200,
        response_headers={"content-type": "application/json"},
        chunks=[Chunk(0.0, json.dumps(message).encode())],
    )  # fmt: skip


def judge(replay: Exchange | None) -> ConformanceFailure | None:
    exchanges = {"first": answer("first", FIRST, "end_turn")}
    if replay is not None:
        exchanges["replay"] = replay
    request: dict[str, Any] = {"model": "m", "max_tokens": 32, "messages": []}
    ctx = CaseContext(load_profile("mock"), Contract.load(), request, exchanges)
    try:
        REGISTRY[CHECK].func(ctx)
    except ConformanceFailure as exc:
        return exc
    return None


def level_of(replay: Exchange | None) -> str:
    """PASS, the clause's own level (MUST), or the lower grade the check gave."""
    failure = judge(replay)
    return "PASS" if failure is None else failure.level or "MUST"


def test_verdicts_on_hand_built_replays() -> None:
    drawn = draw_stop_sequence(FIRST)
    assert drawn is not None
    before = FIRST[: FIRST.find(drawn)]
    assert level_of(answer("replay", before, "stop_sequence", drawn)) == "PASS"
    # A different wording that still stops at the sequence is honoured too.
    assert level_of(answer("replay", "Another start ", "stop_sequence", drawn)) == "PASS"
    assert level_of(answer("replay", FIRST, "end_turn")) == "MUST"  # ran past it
    assert level_of(answer("replay", before, "end_turn", drawn)) == "MUST"  # llama.cpp b11434
    differed = answer("replay", "A wholly different reply.", "end_turn")
    assert level_of(differed) == "MODEL"
    failure = judge(differed)
    assert failure is not None
    assert REPLAY_DIFFERED in failure.actual
    assert level_of(None) == "MODEL"  # the first reply had no word to draw
