"""What the mock refuses in a request: the bundled contract first, then the profile's own rules.

The app answers with the first issue as "path: rule"."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from msgconform.contract.document import Contract, SchemaIssue
from msgconform.core.profiles import Profile
from msgconform.mock.rules import rule_issues

SAMPLING = ("temperature", "top_p", "top_k")
NEW_VERSION = "2026-10-21"
# Request block types the contract knows; a fault lets the others through.
BLOCK_TYPES = frozenset(
    {"text", "image", "document", "tool_use", "tool_result", "thinking", "redacted_thinking",
     "search_result", "server_tool_use", "web_search_tool_result", "container_upload"}
)  # fmt: skip

Validator = Callable[[Any, str], list[SchemaIssue]]


def contract_validator(
    version: str, overlay: str | None, betas: frozenset[str] = frozenset()
) -> Validator:
    """The contract's request validator, built once per version and beta set (never per
    request): the schema first, then the cross-field rules by the mock's own code
    (mock/rules.py)."""
    contract = Contract.load(version, overlay, betas)

    def validate(body: Any, endpoint: str) -> list[SchemaIssue]:
        return contract.request_issues(body, endpoint) or rule_issues(contract, body, endpoint)

    return validate


def request_issues(
    body: Any, endpoint: str, version: str, profile: Profile, schema: Validator
) -> list[SchemaIssue]:
    issues = schema(body, endpoint)
    if issues or not isinstance(body, dict):
        return issues
    return profile_issues(body, version, profile)


def thinking_enabled(config: Any) -> bool:
    """null and {"type": "disabled"} ask for no thinking, so a profile without it accepts them."""
    return isinstance(config, dict) and config.get("type") not in (None, "disabled")


def profile_issues(body: Mapping[str, Any], version: str, profile: Profile) -> list[SchemaIssue]:
    """Rules a JSON Schema does not carry: version removals, features, prefill."""
    if version == NEW_VERSION:
        for name in SAMPLING:
            if name in body:
                return [SchemaIssue(name, "Extra inputs are not permitted")]
    if thinking_enabled(body.get("thinking")) and not profile.has("thinking"):
        return [SchemaIssue("thinking", "Extra inputs are not permitted")]
    messages = body.get("messages") or []
    for i, message in enumerate(messages):
        for j, block in enumerate(_blocks(message)):
            kind = block.get("type")
            if kind in ("image", "document") and not profile.has(f"{kind}s"):
                return [
                    SchemaIssue(f"messages.{i}.content.{j}.type", f"{kind} input is not supported")
                ]
    last = messages[-1] if messages else {}
    allows_prefill = profile.contract.allows_prefill and profile.has("prefill")
    if isinstance(last, dict) and last.get("role") == "assistant" and not allows_prefill:
        return [
            SchemaIssue(
                f"messages.{len(messages) - 1}.role", "the final message must be from the user"
            )
        ]
    return []


def _blocks(message: Any) -> list[dict[str, Any]]:
    content = message.get("content") if isinstance(message, dict) else None
    return [b for b in content if isinstance(b, dict)] if isinstance(content, list) else []
