"""The generator's view of the contract: the profile's features decide which parts it may draw.

The contract (version + overlay) is already the profile's; suites/fuzz/scope.yaml says which
components and properties belong to which feature, so a profile without images never gets an
image block and no profile gets a server tool unless it declares server_tools.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from functools import cache
from typing import Any

from msgconform.contract.document import REQUEST_SCHEMAS, Contract
from msgconform.core.datafiles import load_yaml
from msgconform.core.errors import ConfigError
from msgconform.core.paths import SUITES

SCOPE_FILE = SUITES / "fuzz" / "scope.yaml"
COMPONENTS = "#/components/schemas/"


@cache
def scope_data() -> dict[str, dict[str, list[str]]]:
    data = load_yaml(SCOPE_FILE)
    features = data.get("features") if isinstance(data, dict) else None
    if not isinstance(features, dict):
        raise ConfigError(str(SCOPE_FILE), "no features mapping")
    return {str(k): dict(v or {}) for k, v in features.items()}


def left_out(features: frozenset[str]) -> dict[str, set[str]]:
    """Components, properties and string-only unions of every feature the profile lacks."""
    out: dict[str, set[str]] = {"components": set(), "properties": set(), "string_only": set()}
    for feature, parts in scope_data().items():
        if feature in features:
            continue
        for key, names in parts.items():
            if key not in out:
                raise ConfigError(f"{SCOPE_FILE.name}: features.{feature}", f"unknown key {key!r}")
            out[key].update(names)
    return out


def _refers_to(schema: Any, names: set[str]) -> bool:
    ref = schema.get("$ref") if isinstance(schema, dict) else None
    return isinstance(ref, str) and ref.startswith(COMPONENTS) and ref[len(COMPONENTS) :] in names


def prune(node: Any, dropped: set[str]) -> Any:
    """A copy without union branches or optional properties that refer to a dropped component."""
    if isinstance(node, list):
        return [prune(item, dropped) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: prune(value, dropped) for key, value in node.items()}
    for key in ("anyOf", "oneOf"):
        if key in out:
            kept = [b for b in out[key] if not _refers_to(b, dropped)]
            out[key] = kept or out[key]
    props = out.get("properties")
    if isinstance(props, dict):
        required = set(out.get("required", []))
        out["properties"] = {
            name: sub
            for name, sub in props.items()
            if name in required or not (_refers_to(sub, dropped) or _array_of(sub, dropped))
        }
    return out


def _array_of(schema: Any, dropped: set[str]) -> bool:
    return isinstance(schema, dict) and _refers_to(schema.get("items"), dropped)


@cache
def scoped_schemas(
    contract: Contract, features: frozenset[str], endpoint: str
) -> Mapping[str, Any]:
    """The contract's component schemas as the generator may draw them for this profile."""
    parts = left_out(features)
    schemas = {
        name: prune(schema, parts["components"])
        for name, schema in contract.openapi["components"]["schemas"].items()
        if name not in parts["components"]
    }
    root = copy.deepcopy(schemas[REQUEST_SCHEMAS[endpoint]])
    for name in parts["properties"]:
        if name not in root.get("required", []):
            root.get("properties", {}).pop(name, None)
    schemas[REQUEST_SCHEMAS[endpoint]] = root
    for name in parts["string_only"]:
        union = schemas.get(name, {}).get("anyOf") or []
        strings = [b for b in union if isinstance(b, dict) and b.get("type") == "string"]
        if strings:
            schemas[name] = strings[0]
    return schemas
