"""The official Python SDK (anthropic 2.x) works against the mock unmodified: only base_url and the
key are set (plus default_headers for Baseten's Bearer recipe)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import anthropic
import pytest
from tests.conftest import MOCK_KEY

from msgconform.mock.server import MockServer

MODEL = "mock-sonnet"
HELLO = [{"role": "user", "content": "Repeat after me: hello there"}]
TOOL: dict[str, Any] = {
    "name": "get_weather",
    "description": "Weather for a city",
    "input_schema": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
}


@pytest.fixture
def client(
    mock_server: MockServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[anthropic.Anthropic]:
    for name in ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    with anthropic.Anthropic(api_key=MOCK_KEY, base_url=mock_server.url, max_retries=0) as sdk:
        yield sdk


def test_create(client: anthropic.Anthropic) -> None:
    message = client.messages.create(model=MODEL, max_tokens=16, messages=HELLO)
    assert message.content[0].type == "text"
    assert message.content[0].text == "hello there"
    assert message.stop_reason == "end_turn"
    assert message._request_id


def test_stream_helper_final_message(client: anthropic.Anthropic) -> None:
    with client.messages.stream(
        model=MODEL, max_tokens=6, messages=[{"role": "user", "content": "hi"}]
    ) as stream:
        pieces = list(stream.text_stream)
        final = stream.get_final_message()
    assert len(pieces) > 1
    assert final.stop_reason == "max_tokens"
    assert final.usage.output_tokens == 6
    assert "".join(pieces) == final.content[0].text


def test_tool_round_trip(client: anthropic.Anthropic) -> None:
    first = client.messages.create(
        model=MODEL, max_tokens=64, messages=HELLO, tools=[TOOL], tool_choice={"type": "any"}
    )
    call = first.content[0]
    assert first.stop_reason == "tool_use"
    assert call.type == "tool_use"
    assert "city" in call.input
    result = {"type": "tool_result", "tool_use_id": call.id, "content": "sunny", "is_error": False}
    messages = [
        *HELLO,
        {"role": "assistant", "content": first.content},
        {"role": "user", "content": [result]},
    ]
    second = client.messages.create(model=MODEL, max_tokens=64, messages=messages, tools=[TOOL])
    assert second.stop_reason == "end_turn"


def test_count_tokens_matches_create(client: anthropic.Anthropic) -> None:
    counted = client.messages.count_tokens(model=MODEL, messages=HELLO)
    assert (
        counted.input_tokens
        == client.messages.create(model=MODEL, max_tokens=4, messages=HELLO).usage.input_tokens
    )


@pytest.mark.parametrize(
    ("call", "exception"),
    [
        (
            lambda c: c.messages.create(
                model=MODEL,
                max_tokens=4,
                messages=[{"role": "user", "content": [{"type": "text", "text": ""}]}],
            ),
            anthropic.BadRequestError,
        ),
        (
            lambda c: c.with_options(api_key="sk-wrong").messages.create(
                model=MODEL, max_tokens=4, messages=HELLO
            ),
            anthropic.AuthenticationError,
        ),
        (lambda c: c.models.retrieve("no-such-model"), anthropic.NotFoundError),
        (
            lambda c: c.messages.create(
                model=MODEL,
                max_tokens=4,
                messages=HELLO,
                extra_headers={"x-msgconform-scenario": "rate_limited"},
            ),
            anthropic.RateLimitError,
        ),
        (
            lambda c: c.messages.create(
                model=MODEL,
                max_tokens=4,
                messages=HELLO,
                extra_headers={"x-msgconform-scenario": "overloaded"},
            ),
            anthropic.OverloadedError,
        ),
    ],
    ids=["400", "401", "404", "429", "529"],
)
def test_typed_exceptions(
    client: anthropic.Anthropic,
    call: Callable[[anthropic.Anthropic], Any],
    exception: type[Exception],
) -> None:
    with pytest.raises(exception) as caught:
        call(client)
    assert caught.value.request_id  # type: ignore[attr-defined]


def test_mid_stream_error_is_raised(client: anthropic.Anthropic) -> None:
    headers = {"x-msgconform-scenario": "stream_error"}
    with (
        pytest.raises(anthropic.APIStatusError),
        client.messages.stream(
            model=MODEL, max_tokens=16, messages=HELLO, extra_headers=headers
        ) as stream,
    ):
        stream.get_final_message()


@pytest.mark.parametrize("scenario", ["rate_limited", "overloaded"])
def test_retry_honours_retry_after(
    client: anthropic.Anthropic, scenario: str, request: pytest.FixtureRequest
) -> None:
    headers = {"x-msgconform-scenario": f"{scenario}:1:{request.node.name}"}
    response = client.with_options(max_retries=1).messages.with_raw_response.create(
        model=MODEL, max_tokens=4, messages=HELLO, extra_headers=headers
    )
    assert response.retries_taken == 1
    assert response.parse().stop_reason == "end_turn"


def test_baseten_recipe(
    provider_mock: Callable[[str], MockServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    url = provider_mock("baseten").url
    headers = {"Authorization": f"Bearer {MOCK_KEY}"}
    with anthropic.Anthropic(
        api_key="unused", base_url=url, default_headers=headers, max_retries=0
    ) as sdk:
        message = sdk.messages.create(model="zai-org/GLM-4.7", max_tokens=16, messages=HELLO)
        assert message.content[0].text == "hello there"
        with sdk.messages.stream(model="zai-org/GLM-4.7", max_tokens=16, messages=HELLO) as stream:
            assert stream.get_final_message().stop_reason == "end_turn"
