"""The beta surface and Message Batches on the real mock (loopback), through the official Python SDK
unmodified: beta fields need their anthropic-beta name, an unknown name gets the API's 400, and
client.messages.batches works end to end; the msgconform_mock recorder agrees with the mock."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anthropic
import httpx
import pytest
from tests.conftest import MOCK_KEY

from msgconform.core.profiles import Profile
from msgconform.mock.batches import BatchStore
from msgconform.mock.server import MockServer
from msgconform.runner.fixture import MockHandle, start_session

MODEL = "mock-sonnet"
HI: list[Any] = [{"role": "user", "content": "Repeat after me: beta"}]
HELLO: list[Any] = [{"role": "user", "content": "hi"}]  # the long default answer
BETA_FIELDS: dict[str, tuple[str, Any]] = {
    "context_management": (
        "context-management-2025-06-27",
        {
            "edits": [
                {"type": "clear_tool_uses_20250919", "keep": {"type": "tool_uses", "value": 2}}
            ]
        },
    ),
    "mcp_servers": (
        "mcp-client-2025-11-20",
        [{"type": "url", "name": "docs", "url": "https://mcp.example.invalid/sse"}],
    ),
    "container": ("skills-2025-10-02", {"skills": [{"skill_id": "pptx", "type": "anthropic"}]}),
    "speed": ("fast-mode-2026-02-01", "fast"),
}
UNKNOWN = (
    "Unexpected value(s) `msgconform-nope-2099-01-01` for the `anthropic-beta` header. Please "
    "consult our documentation at docs.claude.com or try again without the header."
)


def sdk(url: str) -> anthropic.Anthropic:
    return anthropic.Anthropic(api_key=MOCK_KEY, base_url=url, max_retries=0)


@pytest.fixture
def client(
    mock_server: MockServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[anthropic.Anthropic]:
    for name in ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    with sdk(mock_server.url) as made:
        yield made


@pytest.fixture(scope="module")
def batch_mock(mock_profile: Profile) -> Iterator[MockServer]:
    """A mock of its own: listing pages over this module's batches only."""
    with MockServer(mock_profile, MOCK_KEY) as server:
        yield server


def store(server: MockServer) -> BatchStore:
    found: BatchStore = server.app.batches  # type: ignore[attr-defined]
    return found


def batch_request(custom_id: str, **extra: Any) -> Any:
    return {
        "custom_id": custom_id,
        "params": {"model": MODEL, "max_tokens": 8, "messages": HI, **extra},
    }


# ------------------------------------------------------------------ the beta surface


def test_beta_fields_with_their_betas_get_a_message(client: anthropic.Anthropic) -> None:
    names = [name for name, _ in BETA_FIELDS.values()]
    fields = {field: value for field, (_, value) in BETA_FIELDS.items()}
    message = client.beta.messages.create(
        model=MODEL, max_tokens=16, messages=HI, betas=names, **fields
    )
    assert message.stop_reason == "end_turn"
    assert message.content[0].type == "text"
    assert message.content[0].text == "beta"


@pytest.mark.parametrize("field", sorted(BETA_FIELDS))
def test_each_beta_field_needs_its_own_beta(client: anthropic.Anthropic, field: str) -> None:
    name, value = BETA_FIELDS[field]
    ok = client.beta.messages.create(
        model=MODEL, max_tokens=8, messages=HI, betas=[name], extra_body={field: value}
    )
    assert ok.stop_reason == "end_turn"
    other = {"betas": ["message-batches-2024-09-24"]}  # a known beta that introduces no field
    for betas in ({}, other):
        with pytest.raises(anthropic.BadRequestError) as refused:
            client.beta.messages.create(
                model=MODEL, max_tokens=8, messages=HI, extra_body={field: value}, **betas
            )
        assert refused.value.body["error"]["type"] == "invalid_request_error"
        assert field in refused.value.body["error"]["message"]


@pytest.mark.parametrize(
    ("name", "field", "value", "path"),
    [
        ("fast-mode-2026-02-01", "speed", "warp", "speed: must be one of standard, fast"),
        ("mcp-client-2025-11-20", "mcp_servers", [{"type": "url", "name": "x"}],
         "mcp_servers.0.url"),
        ("task-budgets-2026-03-13", "output_config", {"task_budget": {"type": "tokens"}},
         "output_config.task_budget.total"),
        ("skills-2025-10-02", "container", {"skills": [{"skill_id": "s"}]}, "container"),
        ("context-management-2025-06-27", "context_management", {"edits": [{"type": "x"}]},
         "context_management.edits.0"),
    ],
)  # fmt: skip
def test_bad_beta_values_get_400_with_a_path(
    client: anthropic.Anthropic, name: str, field: str, value: Any, path: str
) -> None:
    with pytest.raises(anthropic.BadRequestError) as refused:
        client.beta.messages.create(
            model=MODEL, max_tokens=8, messages=HI, betas=[name], extra_body={field: value}
        )
    assert refused.value.body["error"]["message"].startswith(path)


def test_task_budget_with_its_beta_is_served(client: anthropic.Anthropic) -> None:
    message = client.beta.messages.create(
        model=MODEL,
        max_tokens=8,
        messages=HI,
        betas=["task-budgets-2026-03-13"],
        output_config={"task_budget": {"type": "tokens", "total": 2000}},
    )
    assert message.stop_reason == "end_turn"


def test_an_unknown_beta_name_gets_the_apis_400(client: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.BadRequestError) as refused:
        client.beta.messages.create(
            model=MODEL, max_tokens=8, messages=HI, betas=["msgconform-nope-2099-01-01"]
        )
    assert refused.value.body["error"] == {"type": "invalid_request_error", "message": UNKNOWN}
    with pytest.raises(anthropic.BadRequestError, match="Unexpected value"):
        client.beta.messages.create(model=MODEL, max_tokens=8, messages=HI, betas=[])  # sends ""
    with pytest.raises(anthropic.BadRequestError):
        client.beta.messages.count_tokens(
            model=MODEL, messages=HI, betas=["fast-mode-2026-02-01", "msgconform-nope-2099-01-01"]
        )


def test_a_repeated_beta_header_counts_every_line(mock_server: MockServer) -> None:
    body = {"model": MODEL, "max_tokens": 8, "messages": HI, "speed": "fast",
            "mcp_servers": BETA_FIELDS["mcp_servers"][1]}  # fmt: skip
    headers = [("x-api-key", MOCK_KEY), ("anthropic-version", "2023-06-01"),
               ("anthropic-beta", "fast-mode-2026-02-01"),
               ("anthropic-beta", "mcp-client-2025-11-20")]  # fmt: skip
    answer = httpx.post(f"{mock_server.url}/v1/messages", json=body, headers=headers, timeout=10)
    assert answer.status_code == 200, answer.text
    one = httpx.post(f"{mock_server.url}/v1/messages", json=body, headers=headers[:3], timeout=10)
    assert one.status_code == 400
    assert "mcp_servers" in one.json()["error"]["message"]


def test_count_tokens_takes_a_beta_field(client: anthropic.Anthropic) -> None:
    counted = client.beta.messages.count_tokens(
        model=MODEL, messages=HI, betas=["fast-mode-2026-02-01"], speed="fast"
    )
    assert counted.input_tokens > 0
    with pytest.raises(anthropic.BadRequestError):
        client.messages.count_tokens(model=MODEL, messages=HI, extra_body={"speed": "fast"})


# ------------------------------------------------------------------ Message Batches


def test_batches_create_retrieve_results_delete(batch_mock: MockServer) -> None:
    client = sdk(batch_mock.url)
    created = client.messages.batches.create(
        requests=[batch_request("first"), batch_request("second", max_tokens=2, messages=HELLO)]
    )
    assert created.processing_status == "in_progress"
    assert created.request_counts.processing == 2
    assert created.results_url is None
    assert created.expires_at > created.created_at
    done = client.messages.batches.retrieve(created.id)
    assert done.processing_status == "ended"
    assert done.request_counts.succeeded == 2
    assert done.ended_at is not None
    results = {r.custom_id: r.result for r in client.messages.batches.results(created.id)}
    assert sorted(results) == ["first", "second"]
    first, second = results["first"], results["second"]
    assert first.type == second.type == "succeeded"
    assert first.message.content[0].text == "beta"  # type: ignore[union-attr]
    assert second.message.stop_reason == "max_tokens"  # type: ignore[union-attr]
    deleted = client.messages.batches.delete(created.id)
    assert (deleted.id, deleted.type) == (created.id, "message_batch_deleted")
    with pytest.raises(anthropic.NotFoundError):
        client.messages.batches.retrieve(created.id)


def test_batches_list_pages_newest_first(batch_mock: MockServer) -> None:
    client = sdk(batch_mock.url)
    made = [client.messages.batches.create(requests=[batch_request(f"r{i}")]).id for i in range(3)]
    newest = list(reversed(made))
    page = client.messages.batches.list(limit=2)
    assert [b.id for b in page.data] == newest[:2]
    assert (page.has_more, page.first_id, page.last_id) == (True, newest[0], newest[1])
    following = client.messages.batches.list(limit=2, after_id=newest[1])
    assert following.data[0].id == newest[2]
    before = client.messages.batches.list(limit=5, before_id=newest[1])
    assert [b.id for b in before.data] == [newest[0]]
    every = [b.id for b in client.messages.batches.list(limit=1)]  # the SDK follows the pages
    assert every[:3] == newest
    with pytest.raises(anthropic.BadRequestError):
        client.messages.batches.list(limit=0)


def test_a_batch_in_progress_is_canceled_then_ends(batch_mock: MockServer) -> None:
    client = sdk(batch_mock.url)
    store(batch_mock).delay_s = 3600.0
    try:
        created = client.messages.batches.create(requests=[batch_request("slow")])
    finally:
        store(batch_mock).delay_s = 0.0
    assert client.messages.batches.retrieve(created.id).processing_status == "in_progress"
    with pytest.raises(anthropic.AnthropicError, match="results_url"):
        client.messages.batches.results(created.id)
    with pytest.raises(anthropic.BadRequestError):
        client.messages.batches.delete(created.id)
    canceling = client.messages.batches.cancel(created.id)
    assert canceling.processing_status == "canceling"
    assert canceling.cancel_initiated_at is not None
    store(batch_mock).batches[created.id].ends = 0.0  # as if the cancellation had finished
    ended = client.messages.batches.retrieve(created.id)
    assert (ended.processing_status, ended.request_counts.canceled) == ("ended", 1)
    assert [r.result.type for r in client.messages.batches.results(created.id)] == ["canceled"]
    client.messages.batches.delete(created.id)


@pytest.mark.parametrize(
    ("requests", "expected"),
    [
        ([], "requests: must be a non-empty array"),
        ([batch_request("a"), batch_request("a")], "requests.1.custom_id"),
        ([batch_request("no spaces")], "requests.0.custom_id"),
        ([{"custom_id": "a", "params": {"model": MODEL, "messages": HI}}],
         "requests.0.params.max_tokens"),
        ([batch_request("a", speed="fast")], "requests.0.params"),
    ],
)  # fmt: skip
def test_batch_create_refuses_bad_requests(
    batch_mock: MockServer, requests: list[Any], expected: str
) -> None:
    with pytest.raises(anthropic.BadRequestError) as refused:
        sdk(batch_mock.url).messages.batches.create(requests=requests)
    assert refused.value.body["error"]["message"].startswith(expected)


def test_beta_batches_take_beta_params(batch_mock: MockServer) -> None:
    client = sdk(batch_mock.url)
    created = client.beta.messages.batches.create(
        requests=[batch_request("fast", speed="fast")], betas=["fast-mode-2026-02-01"]
    )
    results = list(client.beta.messages.batches.results(created.id))
    assert [r.result.type for r in results] == ["succeeded"]


def test_batches_are_absent_where_the_profile_has_none(provider_mock: Any) -> None:
    server = provider_mock("baseten")
    answer = httpx.get(f"{server.url}/v1/messages/batches", timeout=10)
    assert answer.status_code == 404


# ------------------------------------------------------------------ the recorder agrees


def test_the_recorder_passes_valid_beta_and_batch_requests(mock_profile: Profile) -> None:
    session = start_session(mock_profile)
    try:
        handle = MockHandle(session)
        client = anthropic.Anthropic(
            api_key=session.key, base_url=session.server.url, max_retries=0
        )
        name, value = BETA_FIELDS["context_management"]
        client.beta.messages.create(
            model=MODEL, max_tokens=8, messages=HI, betas=[name], context_management=value
        )
        created = client.beta.messages.batches.create(
            requests=[batch_request("fast", speed="fast")], betas=["fast-mode-2026-02-01"]
        )
        list(client.messages.batches.results(created.id))
        handle.assert_requests_valid()
        with pytest.raises(anthropic.BadRequestError):
            client.messages.create(
                model=MODEL, max_tokens=8, messages=HI, extra_body={"speed": "x"}
            )
        with pytest.raises(pytest.fail.Exception, match=r"unexpected field 'speed' \[REQ-014\]"):
            handle.assert_requests_valid()
    finally:
        session.server.stop()


def test_the_beta_schemas_are_the_pinned_sdks() -> None:
    from msgconform.contract.betas_sdk import main

    assert main([]) == 0  # betas.sdk.json is what the installed SDK's TypedDicts render
