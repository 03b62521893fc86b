"""The official Python SDK against the msgconform mock: what it sends is valid, what it gets back
it handles. Each test is a release gate for the client, in a few lines, with no network."""

from __future__ import annotations

import anthropic
import pytest

MESSAGES = [{"role": "user", "content": "Repeat after me: hello there"}]


@pytest.fixture
def client(msgconform_mock):
    return anthropic.Anthropic(
        base_url=msgconform_mock.url, api_key=msgconform_mock.key, max_retries=1
    )


def test_create_sends_a_valid_request(client, msgconform_mock):
    message = client.messages.create(model="mock-sonnet", max_tokens=16, messages=MESSAGES)

    assert message.content[0].text == "hello there"
    assert message.stop_reason == "end_turn"
    msgconform_mock.assert_requests_valid()
    assert msgconform_mock.requests[0].headers["authorization"] == "Bearer [REDACTED]"


def test_stream_assembles_the_message(client, msgconform_mock):
    with client.messages.stream(model="mock-sonnet", max_tokens=16, messages=MESSAGES) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()

    assert text == "hello there"
    assert final.usage.output_tokens == 2
    msgconform_mock.assert_requests_valid()


def test_retries_after_a_rate_limit(client, msgconform_mock):
    with msgconform_mock.scenario("rate_limited", 1):
        message = client.messages.create(model="mock-sonnet", max_tokens=16, messages=MESSAGES)

    assert message.content[0].text == "hello there"
    assert len(msgconform_mock.requests) == 2  # refused once, then retried
    msgconform_mock.assert_requests_valid()


def test_stream_error_raises(client, msgconform_mock):
    with (
        msgconform_mock.scenario("stream_error"),
        pytest.raises(anthropic.APIStatusError),
        client.messages.stream(model="mock-sonnet", max_tokens=16, messages=MESSAGES) as stream,
    ):
        stream.get_final_message()


def test_a_dropped_message_stop_still_ends_the_stream(client, msgconform_mock):
    with (
        msgconform_mock.fault("drop_message_stop"),
        client.messages.stream(model="mock-sonnet", max_tokens=16, messages=MESSAGES) as stream,
    ):
        final = stream.get_final_message()

    assert final.stop_reason == "end_turn"  # the SDK tolerates it: a finding, not a crash


def test_a_bad_request_is_caught_with_path_and_clause(client, msgconform_mock):
    with pytest.raises(anthropic.BadRequestError):
        client.messages.create(model="mock-sonnet", max_tokens=0, messages=MESSAGES)

    with pytest.raises(pytest.fail.Exception, match=r"max_tokens: .*\[REQ-014\]"):
        msgconform_mock.assert_requests_valid()
