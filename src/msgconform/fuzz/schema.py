"""The contract as the fuzzer sees it: request schemas bounded for fast generation, and a fast
"does this body conform?" for every example before it is sent.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from functools import cache
from typing import Any

import jsonschema_rs
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.schemas import APIOperation

from msgconform.contract.document import REQUEST_SCHEMAS, Contract
from msgconform.core.endpoints import COUNT_TOKENS, MESSAGES

# The fuzz view bounds arrays and free strings so an example is hundreds of bytes, not tens of
# kilobytes: generation gets ~10x faster and live runs stay cheap. Bounds only narrow the
# positive space; negatives are re-judged against the unbounded contract (see `fuzz.prepare`).
MAX_ITEMS = 3
MAX_LENGTH = 40
ENDPOINTS = {"messages": MESSAGES, "count_tokens": COUNT_TOKENS}
COMPONENTS = "#/components/schemas/"
BOUNDED = "Fuzz_"
# oneOf becomes anyOf: drawing a oneOf branch filters it against every other branch (slow), and
# the unions here are tagged by `type`, so the branches rarely overlap; the real contract still
# judges every example before it is sent.
ANY_OF = {"oneOf": "anyOf"}


def bounded(node: Any, prefix: str) -> Any:
    """A copy of a schema with arrays and unconstrained strings capped, refs renamed."""
    if isinstance(node, list):
        return [bounded(item, prefix) for item in node]
    if not isinstance(node, dict):
        return node
    out = {ANY_OF.get(key, key): bounded(value, prefix) for key, value in node.items()}
    ref = out.get("$ref")
    if isinstance(ref, str) and ref.startswith(COMPONENTS):
        out["$ref"] = COMPONENTS + prefix + ref[len(COMPONENTS) :]
    if out.get("type") == "array" or "items" in out:
        out["maxItems"] = min(int(out.get("maxItems", MAX_ITEMS)), MAX_ITEMS)
    if out.get("type") == "string" and not {"enum", "const", "pattern", "format"} & set(out):
        cap = min(int(out.get("maxLength", MAX_LENGTH)), MAX_LENGTH)
        out["maxLength"] = max(cap, int(out.get("minLength", 0)))
    return out


def reachable(schemas: Mapping[str, Any], name: str) -> set[str]:
    found: set[str] = set()
    todo = [name]
    while todo:
        current = todo.pop()
        if current in found:
            continue
        found.add(current)
        text = json.dumps(schemas[current])
        todo.extend(re.findall(r'"#/components/schemas/([^"]+)"', text))
    return found


def fuzz_document(openapi: Mapping[str, Any]) -> dict[str, Any]:
    """The contract with each request body pointing at a bounded copy of its schema.

    Header parameters go: the probe sends the profile's own headers, and the auth and header
    areas test them. Responses keep the real schemas for schemathesis' response checks."""
    document = copy.deepcopy(dict(openapi))
    schemas = document["components"]["schemas"]
    for endpoint, path in ENDPOINTS.items():
        root = REQUEST_SCHEMAS[endpoint]
        for name in reachable(schemas, root):
            schemas[BOUNDED + name] = bounded(schemas[name], BOUNDED)
        operation = document["paths"][path]["post"]
        operation.pop("parameters", None)
        media = operation["requestBody"]["content"]["application/json"]
        media["schema"] = {"$ref": COMPONENTS + BOUNDED + root}
    return document


@cache
def operation(contract: Contract, endpoint: str) -> APIOperation[Any, Any, Any, Any]:
    # No headers, auth or base URL in this config: the constants pool would copy a configured
    # credential into generated bodies. Auth is added per request in `send_example`.
    schema = schemathesis.openapi.from_dict(
        fuzz_document(contract.openapi), config=SchemathesisConfig()
    )
    schema.config.generation.update(with_security_parameters=False)
    return schema[ENDPOINTS[endpoint]]["POST"]


@cache
def _fast_validator(contract: Contract, component: str) -> Any:
    root = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$ref": COMPONENTS + component,
        "components": contract.openapi["components"],
    }
    return jsonschema_rs.validator_for(root, validate_formats=False)


def conforms(contract: Contract, body: Any, endpoint: str) -> bool:
    """Valid or not, without the explanation (Contract.request_issues explains, slowly)."""
    try:
        return bool(_fast_validator(contract, REQUEST_SCHEMAS[endpoint]).is_valid(body))
    except (ValueError, TypeError, OverflowError):
        return not contract.request_issues(body, endpoint)
