"""What the mock refuses in a request: the bundled contract first, then the profile's own rules.

Each rule answers with the first issue as "path: rule", as the issue asks."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from msgconform.contract import Contract, SchemaIssue
from msgconform.profiles import Profile

IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")
SAMPLING = ("temperature", "top_p", "top_k")
NEW_VERSION = "2026-10-21"
ROLES = ("user", "assistant")
BLOCK_TYPES = frozenset(
    {"text", "image", "document", "tool_use", "tool_result", "thinking", "redacted_thinking",
     "search_result", "server_tool_use", "web_search_tool_result", "container_upload"}
)  # fmt: skip

Validator = Callable[[Any, str], list[SchemaIssue]]


def contract_validator(version: str, overlay: str | None) -> Validator | None:
    """The contract's request validator, or None while contract.py is still the interface stub."""
    try:
        contract = Contract.load(version, overlay)
    except NotImplementedError:
        return None
    return contract.request_issues


def request_issues(
    body: Any, endpoint: str, version: str, profile: Profile, schema: Validator | None
) -> list[SchemaIssue]:
    if schema is not None:
        issues = schema(body, endpoint)
    else:
        issues = fallback_issues(body, endpoint)
    if issues or not isinstance(body, dict):
        return issues
    return profile_issues(body, version, profile)


def profile_issues(body: Mapping[str, Any], version: str, profile: Profile) -> list[SchemaIssue]:
    """Rules a JSON Schema does not carry: version removals, features, prefill."""
    if version == NEW_VERSION:
        for name in SAMPLING:
            if name in body:
                return [SchemaIssue(name, "Extra inputs are not permitted")]
    if "thinking" in body and not profile.has("thinking"):
        return [SchemaIssue("thinking", "Extra inputs are not permitted")]
    messages = body.get("messages") or []
    for i, message in enumerate(messages):
        for j, block in enumerate(_blocks(message)):
            kind = block.get("type")
            if kind in ("image", "document") and not profile.has(f"{kind}s"):
                return [SchemaIssue(f"messages.{i}.content.{j}.type", f"{kind} input is not supported")]
    last = messages[-1] if messages else {}
    allows_prefill = profile.contract.get("allows_prefill", True) and profile.has("prefill")
    if isinstance(last, dict) and last.get("role") == "assistant" and not allows_prefill:
        return [SchemaIssue(f"messages.{len(messages) - 1}.role", "the final message must be from the user")]
    return []


def _blocks(message: Any) -> list[dict[str, Any]]:
    content = message.get("content") if isinstance(message, dict) else None
    return [b for b in content if isinstance(b, dict)] if isinstance(content, list) else []


def fallback_issues(body: Any, endpoint: str) -> list[SchemaIssue]:
    """A small hand-written subset of the contract, used until the bundled schemas load."""
    if not isinstance(body, dict):
        return [SchemaIssue("(body)", "must be an object")]
    required = ("model", "messages") if endpoint == "count_tokens" else ("model", "messages", "max_tokens")
    for name in required:
        if name not in body:
            return [SchemaIssue(name, "Field required")]
    if not isinstance(body["model"], str) or not body["model"]:
        return [SchemaIssue("model", "must be a non-empty string")]
    max_tokens = body.get("max_tokens", 1)
    if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 0:
        return [SchemaIssue("max_tokens", "must be an integer >= 0")]
    return _messages_issues(body["messages"])


def _messages_issues(messages: Any) -> list[SchemaIssue]:
    if not isinstance(messages, list) or not messages:
        return [SchemaIssue("messages", "must be a non-empty array")]
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in ROLES:
            return [SchemaIssue(f"messages.{i}.role", "must be one of " + ", ".join(ROLES))]
        content = message.get("content")
        if isinstance(content, str):
            continue
        if not isinstance(content, list):
            return [SchemaIssue(f"messages.{i}.content", "must be a string or an array of blocks")]
        for j, block in enumerate(content):
            if issue := _block_issue(block, f"messages.{i}.content.{j}"):
                return [issue]
    return []


def _block_issue(block: Any, path: str) -> SchemaIssue | None:
    if not isinstance(block, dict) or block.get("type") not in BLOCK_TYPES:
        return SchemaIssue(f"{path}.type", "must be one of " + ", ".join(sorted(BLOCK_TYPES)))
    kind = block["type"]
    if kind == "text" and (not isinstance(block.get("text"), str) or not block["text"]):
        return SchemaIssue(f"{path}.text", "text content blocks must be non-empty")
    if kind == "image":
        source = block.get("source")
        if not isinstance(source, dict):
            return SchemaIssue(f"{path}.source", "Field required")
        if source.get("type") == "base64" and source.get("media_type") not in IMAGE_TYPES:
            return SchemaIssue(f"{path}.source.media_type", "must be one of " + ", ".join(IMAGE_TYPES))
    if kind == "tool_result" and not isinstance(block.get("tool_use_id"), str):
        return SchemaIssue(f"{path}.tool_use_id", "Field required")
    return None
