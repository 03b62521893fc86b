"""Strictness, errors, auth per profile and scenarios: right status, the envelope, and the server
keeps serving afterwards."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from tests.conftest import MOCK_KEY

from msgconform.mock.server import MockServer

GOOD = {"model": "mock-sonnet", "max_tokens": 8, "messages": [{"role": "user", "content": "hi"}]}
HEADERS = {"x-api-key": MOCK_KEY, "anthropic-version": "2023-06-01"}


def assert_envelope(response: httpx.Response, status: int, etype: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["type"] == "error"
    assert body["error"]["type"] == etype
    assert body["request_id"] == response.headers["request-id"]
    return dict(body["error"])


@pytest.mark.parametrize(
    ("method", "path", "content", "content_type", "status", "etype"),
    [
        ("POST", "/v1/messages", b'{"model": ', "application/json", 400, "invalid_request_error"),
        ("POST", "/v1/messages", b"{}", "text/plain", 400, "invalid_request_error"),
        ("POST", "/v1/nothing", b"{}", "application/json", 404, "not_found_error"),
        ("GET", "/v1/messages", b"", "application/json", 405, "invalid_request_error"),
        (
            "POST",
            "/v1/messages",
            b" " * (40 * 1024 * 1024),
            "application/json",
            413,
            "request_too_large",
        ),
    ],
    ids=["malformed-json", "wrong-content-type", "unknown-path", "wrong-method", "40MB-body"],
)
def test_bad_input_gets_status_and_envelope(
    mock_server: MockServer,
    method: str,
    path: str,
    content: bytes,
    content_type: str,
    status: int,
    etype: str,
) -> None:
    headers = {**HEADERS, "content-type": content_type}
    with httpx.Client(base_url=mock_server.url, timeout=30) as client:
        assert_envelope(
            client.request(method, path, content=content, headers=headers), status, etype
        )
        assert client.post("/v1/messages", json=GOOD, headers=HEADERS).status_code == 200


def test_chunked_body_over_the_cap_is_refused(mock_server: MockServer) -> None:
    chunks = (b" " * (1024 * 1024) for _ in range(40))
    with httpx.Client(base_url=mock_server.url, timeout=30) as client:
        response = client.post(
            "/v1/messages", content=chunks, headers={**HEADERS, "content-type": "application/json"}
        )
        assert_envelope(response, 413, "request_too_large")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {
                "messages": [
                    {
                        "role": "user",
                        "content": [
                            {
                                "type": "image",
                                "source": {
                                    "type": "base64",
                                    "media_type": "image/bmp",
                                    "data": "AA==",
                                },
                            }
                        ],
                    }
                ]
            },
            "messages.0.content.0.source.media_type: must be one of "
            "image/jpeg, image/png, image/gif, image/webp",
        ),
        (
            {"messages": [{"role": "user", "content": [{"type": "text", "text": ""}]}]},
            "messages.0.content.0.text: ",
        ),
        ({"max_tokens": None}, "max_tokens: "),
    ],
    ids=["media-type", "empty-text", "null-max-tokens"],
)
def test_validation_message_names_path_and_rule(
    mock_client: httpx.Client, change: dict[str, Any], message: str
) -> None:
    error = assert_envelope(
        mock_client.post("/v1/messages", json={**GOOD, **change}), 400, "invalid_request_error"
    )
    assert error["message"].startswith(message)


def test_new_version_refuses_sampling_fields(mock_client: httpx.Client) -> None:
    response = mock_client.post(
        "/v1/messages",
        json={**GOOD, "temperature": 0.5},
        headers={"anthropic-version": "2026-10-21"},
    )
    assert "temperature" in assert_envelope(response, 400, "invalid_request_error")["message"]
    assert mock_client.post("/v1/messages", json={**GOOD, "temperature": 0.5}).status_code == 200


def test_missing_version_is_refused_upstream(mock_server: MockServer) -> None:
    response = httpx.post(
        mock_server.url + "/v1/messages", json=GOOD, headers={"x-api-key": MOCK_KEY}
    )
    assert "anthropic-version" in assert_envelope(response, 400, "invalid_request_error")["message"]


# Baseten's documented error body {"error": "<message>"} (contract.error_body: message_only).
MESSAGE_ONLY = "message only"


@pytest.mark.parametrize(
    ("provider", "headers", "status", "etype"),
    [
        ("mock", {"authorization": f"Bearer {MOCK_KEY}"}, 200, None),
        ("mock", {"authorization": f"Api-Key {MOCK_KEY}"}, 401, "authentication_error"),
        ("mock", {"x-api-key": "wrong"}, 401, "authentication_error"),
        ("baseten", {"authorization": f"Api-Key {MOCK_KEY}"}, 200, None),
        ("baseten", {"x-api-key": MOCK_KEY}, 401, MESSAGE_ONLY),
        ("cortecs", {}, 400, "invalid_request_error"),
        ("cortecs", {"authorization": f"Bearer {MOCK_KEY}"}, 200, None),
    ],
)
def test_auth_follows_the_profile(
    provider_mock: Callable[[str], MockServer],
    provider: str,
    headers: dict[str, str],
    status: int,
    etype: str | None,
) -> None:
    url = provider_mock(provider).url
    response = httpx.post(
        url + "/v1/messages", json=GOOD, headers={"anthropic-version": "2023-06-01", **headers}
    )
    if etype is None:
        assert response.status_code == status
    elif etype == MESSAGE_ONLY:
        assert response.status_code == status
        assert isinstance(response.json()["error"], str)
    else:
        assert_envelope(response, status, etype)


def test_missing_field_is_422_where_documented(provider_mock: Callable[[str], MockServer]) -> None:
    headers = {"authorization": f"Bearer {MOCK_KEY}", "anthropic-version": "2023-06-01"}
    response = httpx.post(
        provider_mock("cortecs").url + "/v1/messages", json={"model": "latest"}, headers=headers
    )
    assert_envelope(response, 422, "invalid_request_error")
    assert (
        httpx.post(
            provider_mock("cortecs").url + "/v1/messages",
            json={"messages": GOOD["messages"]},
            headers=headers,
        ).status_code
        == 200
    )


def test_missing_endpoints_are_404(provider_mock: Callable[[str], MockServer]) -> None:
    headers = {"authorization": f"Bearer {MOCK_KEY}"}
    url = provider_mock("cortecs").url
    assert_envelope(httpx.get(url + "/v1/models", headers=headers), 404, "not_found_error")
    assert_envelope(
        httpx.post(url + "/v1/messages/count_tokens", json=GOOD, headers=headers),
        404,
        "not_found_error",
    )


def test_data_only_stream_where_the_profile_says(
    provider_mock: Callable[[str], MockServer],
) -> None:
    headers = {"authorization": f"Bearer {MOCK_KEY}"}
    response = httpx.post(
        provider_mock("cortecs").url + "/v1/messages",
        json={**GOOD, "stream": True},
        headers=headers,
    )
    assert "event:" not in response.text
    assert response.text.endswith("data: [DONE]\n\n")


def test_rate_limited_then_served(mock_client: httpx.Client) -> None:
    headers = {"x-msgconform-scenario": "rate_limited:1:then-served"}
    first = mock_client.post("/v1/messages", json=GOOD, headers=headers)
    assert_envelope(first, 429, "rate_limit_error")
    assert first.headers["retry-after"] == "1"
    assert mock_client.post("/v1/messages", json=GOOD, headers=headers).status_code == 200


def test_overloaded_and_stream_error(mock_client: httpx.Client) -> None:
    response = mock_client.post(
        "/v1/messages", json=GOOD, headers={"x-msgconform-scenario": "overloaded"}
    )
    assert_envelope(response, 529, "overloaded_error")
    stream = mock_client.post(
        "/v1/messages",
        json={**GOOD, "stream": True},
        headers={"x-msgconform-scenario": "stream_error"},
    )
    assert stream.text.rstrip().split("\n\n")[-1].startswith("event: error\ndata: ")
    assert "message_stop" not in stream.text


def test_long_stream_has_pings(mock_client: httpx.Client) -> None:
    body = {**GOOD, "stream": True, "max_tokens": 500}
    stream = mock_client.post(
        "/v1/messages", json=body, headers={"x-msgconform-scenario": "long_stream:300"}
    )
    assert stream.text.count("event: ping") > 5
    assert '"output_tokens":300' in stream.text
