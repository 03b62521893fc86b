"""The clean mock: the text rules, the contract's shapes in both modes, usage parity."""

from __future__ import annotations

import json
from typing import Any

import httpx
import jsonschema
import pytest

from msgconform.contract.document import Contract
from msgconform.mock.generate import DEFAULT_REPLY

TOOL = {
    "name": "get_weather",
    "input_schema": {
        "type": "object",
        "properties": {
            "city": {"type": "string", "minLength": 12},
            "unit": {"enum": ["celsius", "fahrenheit"]},
            "days": {"type": "integer", "minimum": 1, "maximum": 7},
            "when": {"type": "string", "format": "date"},
            "where": {
                "type": "object",
                "properties": {"lat": {"type": "number"}},
                "required": ["lat"],
            },
            "tags": {"type": "array", "items": {"type": "string"}, "minItems": 2},
        },
        "required": ["city", "unit", "where"],
        "additionalProperties": False,
    },
}


def ask(client: httpx.Client, text: str = "hello", **fields: Any) -> dict[str, Any]:
    body = {
        "model": "mock-sonnet",
        "max_tokens": 200,
        "messages": [{"role": "user", "content": text}],
    }
    response = client.post("/v1/messages", json={**body, **fields})
    assert response.status_code == 200, response.text
    return dict(response.json())


def events(client: httpx.Client, **fields: Any) -> list[tuple[str, dict[str, Any]]]:
    body = {"model": "mock-sonnet", "max_tokens": 200, "stream": True,
            "messages": [{"role": "user", "content": "hello"}], **fields}  # fmt: skip
    response = client.post("/v1/messages", json=body)
    assert response.headers["content-type"].startswith("text/event-stream")
    frames = [f for f in response.text.split("\n\n") if f]
    return [(f.split("\n")[0][7:], json.loads(f.split("\n")[1][6:])) for f in frames]


def text_of(message: dict[str, Any]) -> str:
    return "".join(b["text"] for b in message["content"] if b["type"] == "text")


def test_repeat_after_me_and_natural_end(mock_client: httpx.Client) -> None:
    message = ask(mock_client, "Please. Repeat after me: alpha beta gamma")
    assert text_of(message) == "alpha beta gamma"
    assert message["stop_reason"] == "end_turn"
    assert message["usage"]["output_tokens"] == 3


def test_default_reply_is_long_and_max_tokens_cuts_it(mock_client: httpx.Client) -> None:
    assert len(DEFAULT_REPLY.split()) >= 40
    message = ask(mock_client, max_tokens=5)
    assert text_of(message) == " ".join(DEFAULT_REPLY.split()[:5])
    assert (message["stop_reason"], message["usage"]["output_tokens"]) == ("max_tokens", 5)


def test_stop_sequence_cuts_before_the_match(mock_client: httpx.Client) -> None:
    message = ask(mock_client, stop_sequences=["nothing", "reference"])
    assert message["stop_reason"] == "stop_sequence"
    assert message["stop_sequence"] == "reference"
    assert "reference" not in text_of(message)


@pytest.mark.parametrize(
    "system", ["Use CANARY and ZEBRA now", [{"type": "text", "text": "CANARY ZEBRA"}]]
)
def test_system_canaries_lead_the_reply(mock_client: httpx.Client, system: Any) -> None:
    assert text_of(ask(mock_client, system=system)).startswith("CANARY ZEBRA ")


def test_prefill_is_continued(mock_client: httpx.Client) -> None:
    messages = [{"role": "user", "content": "Repeat after me: one two three"},
                {"role": "assistant", "content": "one two"}]  # fmt: skip
    assert text_of(ask(mock_client, messages=messages)) == " three"


@pytest.mark.parametrize("choice", [{"type": "any"}, {"type": "tool", "name": "get_weather"}])
def test_forced_tool_input_validates(mock_client: httpx.Client, choice: dict[str, Any]) -> None:
    message = ask(mock_client, tools=[TOOL], tool_choice=choice)
    assert message["stop_reason"] == "tool_use"
    (block,) = message["content"]
    assert block["id"].startswith("toolu_")
    assert block["name"] == "get_weather"
    jsonschema.validate(block["input"], TOOL["input_schema"])


def test_auto_calls_a_named_tool_and_none_answers_text(mock_client: httpx.Client) -> None:
    auto = ask(mock_client, "use get_weather please", tools=[TOOL], tool_choice={"type": "auto"})
    assert [b["type"] for b in auto["content"]] == ["text", "tool_use"]
    none = ask(mock_client, "use get_weather please", tools=[TOOL], tool_choice={"type": "none"})
    assert [b["type"] for b in none["content"]] == ["text"]


def test_tool_result_round_trip(mock_client: httpx.Client) -> None:
    call = ask(mock_client, tools=[TOOL], tool_choice={"type": "any"})["content"][0]
    for content in ("sunny", [{"type": "text", "text": "sunny"}]):
        result = {
            "type": "tool_result",
            "tool_use_id": call["id"],
            "content": content,
            "is_error": False,
        }
        messages = [
            {"role": "user", "content": "weather?"},
            {"role": "assistant", "content": [call]},
                    {"role": "user", "content": [result]}]  # fmt: skip
        assert ask(mock_client, messages=messages, tools=[TOOL])["stop_reason"] == "end_turn"


def test_thinking_block_has_a_signature(mock_client: httpx.Client) -> None:
    message = ask(mock_client, max_tokens=2048, thinking={"type": "enabled", "budget_tokens": 1024})
    assert message["content"][0]["type"] == "thinking"
    assert message["content"][0]["signature"]


@pytest.mark.parametrize("version", ["2023-06-01", "2026-10-21"])
def test_replies_validate_in_both_modes(mock_client: httpx.Client, version: str) -> None:
    contract = Contract.load(version)
    mock_client.headers["anthropic-version"] = version
    fields = {
        "tools": [TOOL],
        "tool_choice": {"type": "auto"},
        "thinking": {"type": "enabled", "budget_tokens": 1024},
    }
    message = ask(mock_client, "call get_weather", max_tokens=2048, **fields)
    assert contract.message_issues(message) == []
    for _, data in events(mock_client, max_tokens=2048, **fields):
        assert contract.event_issues(data) == []


def test_stream_grammar_and_usage(mock_client: httpx.Client) -> None:
    got = events(mock_client, tools=[TOOL], tool_choice={"type": "auto"},
                 messages=[{"role": "user", "content": "get_weather"}])  # fmt: skip
    names = [name for name, _ in got]
    assert names[:2] == ["message_start", "ping"]
    assert names[-1] == "message_stop"
    assert all(name == data["type"] for name, data in got)
    starts = [d["index"] for n, d in got if n == "content_block_start"]
    assert starts == [0, 1]
    pieces = [
        d["delta"]["partial_json"]
        for n, d in got
        if d.get("delta", {}).get("type") == "input_json_delta"
    ]
    assert pieces[0] == ""
    assert len(pieces) > 2
    jsonschema.validate(json.loads("".join(pieces)), TOOL["input_schema"])
    final = got[-2][1]["usage"]["output_tokens"]
    assert final >= got[0][1]["message"]["usage"]["output_tokens"]


def test_input_tokens_agree_across_endpoints(mock_client: httpx.Client) -> None:
    plain = ask(mock_client, system="Be brief")["usage"]["input_tokens"]
    streamed = events(mock_client, system="Be brief")[0][1]["message"]["usage"]["input_tokens"]
    counted = mock_client.post(
        "/v1/messages/count_tokens",
        json={
            "model": "mock-sonnet",
            "system": "Be brief",
            "messages": [{"role": "user", "content": "hello"}],
        },
    )
    assert plain == streamed == counted.json()["input_tokens"] > 0


def test_models_page_and_model(mock_client: httpx.Client) -> None:
    contract = Contract.load()
    page = mock_client.get("/v1/models").json()
    assert contract.models_page_issues(page) == []
    one = mock_client.get(f"/v1/models/{page['data'][0]['id']}").json()
    assert contract.model_info_issues(one) == []
    assert mock_client.get("/v1/models/nope").status_code == 404
