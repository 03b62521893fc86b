"""The bundled contract: documents, versions, overlays, SOURCES hashes and the issue wording."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from openapi_spec_validator import validate
from schemathesis.checks import response_schema_conformance

from msgconform.contract.document import Contract, SchemaIssue
from msgconform.contract.sources import refresh_sources, sources_problems
from msgconform.core.errors import ConfigError
from msgconform.core.paths import SCHEMAS

VERSIONS = ["2023-06-01", "2026-10-21"]
COMBOS = [(v, None) for v in VERSIONS] + [("2023-06-01", "baseten"), ("2023-06-01", "cortecs")]
MINIMAL: dict[str, Any] = {
    "model": "m",
    "max_tokens": 16,
    "messages": [{"role": "user", "content": "Hello"}],
}
BASE_SCHEMAS = Contract.load().openapi["components"]["schemas"]


def with_(**fields: Any) -> dict[str, Any]:
    return {**MINIMAL, **fields}


def without(name: str) -> dict[str, Any]:
    return {k: v for k, v in MINIMAL.items() if k != name}


# ------------------------------------------------------------------ documents


@pytest.mark.parametrize(("version", "overlay"), COMBOS)
def test_resolved_document_is_valid_openapi(version: str, overlay: str | None) -> None:
    validate(Contract.load(version, overlay).openapi)


@pytest.mark.parametrize(("version", "overlay"), COMBOS)
def test_schemathesis_loads_the_document(version: str, overlay: str | None) -> None:
    schema = schemathesis.openapi.from_dict(Contract.load(version, overlay).openapi)
    assert schema["/v1/messages"]["POST"].label == "POST /v1/messages"
    assert schema["/v1/models/{model_id}"]["GET"].label == "GET /v1/models/{model_id}"


def sse_app(events: list[dict[str, Any]]) -> Any:
    body = "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events).encode()

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        headers = [(b"content-type", b"text/event-stream")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return app


@pytest.mark.parametrize(("event", "valid"), [({"type": "ping"}, True), ({"type": "pong"}, False)])
def test_schemathesis_checks_each_sse_event_against_the_contract(
    event: dict[str, Any], valid: bool
) -> None:
    schema = schemathesis.openapi.from_dict(Contract.load().openapi)
    schema.app = sse_app([{"type": "message_stop"}, event])
    case = schema["/v1/messages"]["POST"].Case(
        body={**MINIMAL, "stream": True}, headers={"anthropic-version": "2023-06-01"}
    )
    response = case.call()
    if valid:
        case.validate_response(response, checks=[response_schema_conformance])
    else:
        with pytest.raises(BaseExceptionGroup) as caught:
            case.validate_response(response, checks=[response_schema_conformance])
        assert caught.group_contains(Exception, match="SSE event payload violates content schema")


@pytest.mark.parametrize("name", sorted(BASE_SCHEMAS))
def test_component_has_example_and_counter_example(name: str) -> None:
    schema = BASE_SCHEMAS[name]
    assert schema.get("examples"), f"{name} has no examples"
    assert schema.get("x-counter-examples"), f"{name} has no x-counter-examples"


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("name", sorted(BASE_SCHEMAS))
def test_examples_validate_and_counter_examples_do_not(version: str, name: str) -> None:
    contract = Contract.load(version)
    schema = contract.openapi["components"]["schemas"][name]
    for example in schema["examples"]:
        assert contract.component_issues(name, example) == [], example
    for counter in schema["x-counter-examples"]:
        assert contract.component_issues(name, counter), counter


def test_load_is_cached_and_exposes_enums() -> None:
    contract = Contract.load()
    assert Contract.load("2023-06-01", None) is contract
    assert len(contract.stop_reasons) == 7
    assert contract.error_types[400] == "invalid_request_error"
    assert contract.error_types[529] == "overloaded_error"


# ------------------------------------------------------------------ versions


@pytest.mark.parametrize("field", ["temperature", "top_p", "top_k"])
def test_2026_rejects_sampling_parameters_that_2023_accepts(field: str) -> None:
    body = with_(**{field: 1})
    assert Contract.load("2023-06-01").request_issues(body) == []
    issues = Contract.load("2026-10-21").request_issues(body)
    assert issues == [SchemaIssue("(top level)", f"unexpected field '{field}'")]


def test_2026_rejects_a_document_in_an_assistant_turn() -> None:
    doc = {"type": "document", "source": {"type": "url", "url": "https://example.com/a.pdf"}}
    body = with_(
        messages=[{"role": "user", "content": "Hi"}, {"role": "assistant", "content": [doc]}]
    )
    assert Contract.load("2023-06-01").request_issues(body) == []
    assert Contract.load("2026-10-21").request_issues(body)


def test_2026_rejects_citations_on_the_text_of_a_search_result_in_a_user_turn() -> None:
    cite = {"type": "char_location", "cited_text": "sky", "document_index": 0,
            "start_char_index": 0, "end_char_index": 3, "document_title": None}  # fmt: skip
    result = {"type": "search_result", "source": "https://example.com", "title": "Ex",
              "content": [{"type": "text", "text": "Sky.", "citations": [cite]}]}  # fmt: skip
    body = with_(messages=[{"role": "user", "content": [result]}])
    assert Contract.load("2023-06-01").request_issues(body) == []
    assert Contract.load("2026-10-21").request_issues(body)
    result["content"] = [{"type": "text", "text": "Sky."}]
    assert Contract.load("2026-10-21").request_issues(body) == []


def test_a_409_is_a_conflict_error() -> None:
    assert Contract.load().error_types[409] == "conflict_error"


def test_document_header_enum_is_narrowed_to_the_version() -> None:
    params = Contract.load("2026-10-21").openapi["components"]["parameters"]
    assert params["AnthropicVersion"]["schema"]["enum"] == ["2026-10-21"]


# ------------------------------------------------------------------ overlays


@pytest.mark.parametrize(
    ("body", "issue"),
    [
        (
            with_(thinking={"type": "disabled"}),
            SchemaIssue("(top level)", "unexpected field 'thinking'"),
        ),
        (with_(temperature=1.5), SchemaIssue("temperature", "must be <= 1")),
        (without("max_tokens"), SchemaIssue("max_tokens", "is required")),
    ],
)
def test_baseten_rejects_what_its_seed_schema_rejects(body: Any, issue: SchemaIssue) -> None:
    assert Contract.load("2023-06-01", "baseten").request_issues(body) == [issue]


def test_baseten_accepts_a_minimal_request_and_top_k_zero() -> None:
    baseten = Contract.load("2023-06-01", "baseten")
    assert baseten.request_issues(MINIMAL) == []
    assert baseten.request_issues(with_(top_k=0)) == []


def test_baseten_narrows_auth_stop_reasons_and_blocks() -> None:
    baseten = Contract.load("2023-06-01", "baseten")
    assert baseten.openapi["security"] == [{"BearerAuth": []}, {"ApiKeyAuthorization": []}]
    assert baseten.stop_reasons == ("end_turn", "max_tokens", "stop_sequence", "tool_use")
    event = {"type": "content_block_start", "index": 0, "content_block": {"type": "thinking"}}
    assert baseten.event_issues(event) == [
        SchemaIssue("content_block.type", "must be one of text, tool_use")
    ]


def test_cortecs_accepts_routing_fields_and_nulls() -> None:
    routing = {
        "preference": "speed",
        "allowed_providers": ["mistral", "scaleway"],
        "eu_native": True,
        "allow_quantization": None,
        "allow_zero_data_retention": False,
        "enable_model_fallback": None,
    }
    nulls = dict.fromkeys(
        ["system", "metadata", "stream", "stop_sequences", "tool_choice", "top_k"]
    )
    body = {"messages": MINIMAL["messages"], "temperature": 2, **routing, **nulls}
    assert Contract.load("2023-06-01", "cortecs").request_issues(body) == []


@pytest.mark.parametrize(
    ("body", "issue"),
    [
        (
            with_(stop_sequences=list("abcde")),
            SchemaIssue("stop_sequences", "must have at most 4 items"),
        ),
        (with_(temperature=2.5), SchemaIssue("temperature", "must be <= 2")),
        (with_(top_k=5), SchemaIssue("top_k", "must be of type null")),
    ],
)
def test_cortecs_rejects_its_documented_limits(body: Any, issue: SchemaIssue) -> None:
    assert Contract.load("2023-06-01", "cortecs").request_issues(body) == [issue]


def test_unknown_version_overlay_and_pairing_give_config_errors() -> None:
    with pytest.raises(ConfigError, match="unknown version '2024-01-01'"):
        Contract.load("2024-01-01")
    with pytest.raises(ConfigError, match="unknown overlay 'nope'"):
        Contract.load("2023-06-01", "nope")
    with pytest.raises(ConfigError, match=r"cortecs\.yaml: not written for version 2026-10-21"):
        Contract.load("2026-10-21", "cortecs")


# ------------------------------------------------------------------ issues


def test_issue_names_the_deepest_path_and_the_rule() -> None:
    image = {
        "type": "image",
        "source": {"type": "base64", "media_type": "image/bmp", "data": "Qk0="},
    }
    body = with_(messages=[{"role": "user", "content": [{"type": "text", "text": "Hi"}, image]}])
    assert Contract.load().request_issues(body) == [
        SchemaIssue(
            "messages.0.content.1.source.media_type",
            "must be one of image/jpeg, image/png, image/gif, image/webp",
        )
    ]


def test_issue_wording_for_required_unexpected_empty_and_unknown_block() -> None:
    content = [{"type": "text", "text": ""}, {"type": "video"}]
    body = {"model": "m", "messages": [{"role": "user", "content": content}], "foo": 1}
    issues = [str(i) for i in Contract.load().request_issues(body)]
    assert "max_tokens: is required" in issues
    assert "(top level): unexpected field 'foo'" in issues
    assert "messages.0.content.0.text: must not be empty" in issues
    assert any(
        i.startswith("messages.0.content.1.type: must be one of text, image") for i in issues
    )


def test_issues_are_capped() -> None:
    messages = [{"role": "user", "content": [{"type": "text", "text": ""}]}] * 50
    assert 0 < len(Contract.load().request_issues(with_(messages=messages))) <= 5


def test_count_tokens_endpoint_uses_its_own_schema() -> None:
    contract = Contract.load()
    assert contract.request_issues(without("max_tokens"), endpoint="count_tokens") == []
    assert contract.request_issues(MINIMAL, endpoint="count_tokens") == [
        SchemaIssue("(top level)", "unexpected field 'max_tokens'")
    ]


def test_event_issues_pick_the_schema_by_type() -> None:
    contract = Contract.load()
    assert contract.event_issues({"type": "ping"}) == []
    assert contract.event_issues({"type": "content_block_stop"}) == [
        SchemaIssue("index", "is required")
    ]
    [issue] = contract.event_issues({"type": "done"})
    assert issue.path == "type"
    assert issue.message.startswith("unknown event type 'done'")


def test_response_validators() -> None:
    contract = Contract.load()
    assert (
        contract.error_issues({"type": "error", "error": {"type": "api_error", "message": "x"}})
        == []
    )
    assert contract.error_issues(
        {"type": "error", "error": {"type": "NotFoundError", "message": "x"}}
    )
    assert contract.count_tokens_issues({"input_tokens": 3}) == []
    assert contract.models_page_issues({"object": "list", "data": []})
    assert contract.model_info_issues({"id": "m", "object": "model"})


def test_extra_fields_lists_undocumented_response_fields() -> None:
    message = {
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "m",
        "content": [{"type": "text", "text": "Hi", "bold": True}],
        "stop_reason": "end_turn",
        "usage": {"input_tokens": 1, "output_tokens": 1, "foo": 0},
        "vendor": "x",
    }
    contract = Contract.load()
    assert contract.message_issues(message) == []
    assert contract.extra_fields(message) == ["content.0.bold", "usage.foo", "vendor"]
    assert contract.extra_fields({"input_tokens": 1}, component="CountTokensResponse") == []


def test_non_json_values_are_explained_not_raised() -> None:
    assert Contract.load().request_issues(b"{}") == [
        SchemaIssue("(top level)", "must be of type object")
    ]


# ------------------------------------------------------------------ SOURCES.yaml and broken bundles


def test_sources_hashes_match_the_bundled_files() -> None:
    assert sources_problems() == []


@pytest.fixture
def schemas_copy(tmp_path: Path) -> Path:
    root = tmp_path / "schemas"
    shutil.copytree(SCHEMAS, root, ignore=shutil.ignore_patterns("meta", "*.txt"))
    return root


def test_a_hand_edit_is_caught_and_refresh_fixes_it(schemas_copy: Path) -> None:
    overlay = schemas_copy / "overlays" / "baseten.yaml"
    overlay.write_text(overlay.read_text() + "# edited\n")
    [problem] = sources_problems(schemas_copy)
    assert problem.startswith("schemas/overlays/baseten.yaml: sha256 differs from SOURCES.yaml")
    assert refresh_sources(schemas_copy) == ["schemas/overlays/baseten.yaml"]
    assert sources_problems(schemas_copy) == []


@pytest.mark.parametrize(
    ("file", "old", "new", "problem"),
    [
        ("messages.openapi.yaml", "openapi: 3.1.0", "openapi: [3.1.0", "not valid YAML"),
        (
            "messages.openapi.yaml",
            '$ref: "#/components/schemas/Usage"}',
            '$ref: "#/x/Usage"}',
            "'#/x/Usage' points nowhere",
        ),
        (
            "messages.openapi.yaml",
            "top_k: {type: integer,",
            "top_k: {type: intgr,",
            "MessageCreateParams.properties.top_k.type: not a valid JSON Schema",
        ),
        (
            "overlays/baseten.yaml",
            "properties/thinking}",
            "properties/thinkin}",
            "baseten.yaml: patches.1.path: no such location",
        ),
        ("versions.yaml", "op: remove", "op: delete", "versions.yaml: versions.2026-10-21.patches"),
    ],
)
def test_a_broken_bundle_names_the_file_and_problem(
    schemas_copy: Path, file: str, old: str, new: str, problem: str
) -> None:
    path = schemas_copy / file
    assert old in path.read_text()
    path.write_text(path.read_text().replace(old, new, 1))
    overlay = "baseten" if "baseten" in file else None
    version = "2026-10-21" if file == "versions.yaml" else "2023-06-01"
    with pytest.raises(ConfigError) as caught:
        Contract.from_directory(schemas_copy, version, overlay)
    assert problem in caught.value.line()
    assert "\n" not in caught.value.line()
