"""The bundled contract for one profile: upstream OpenAPI + API version data + provider overlay.

`Contract.load(version, overlay)` builds the document once (base file, then the version's patches
from versions.yaml, then the overlay's patches) and validates instances against its components:
jsonschema-rs answers "valid?" fast, and only a failure is explained with jsonschema.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import jsonschema_rs

from msgconform.contract.betas import apply_betas, contract_betas
from msgconform.contract.explain import SchemaIssue as SchemaIssue
from msgconform.contract.explain import explain, one_of
from msgconform.core.datafiles import TOP_LEVEL, display, json_path, load_validated, load_yaml
from msgconform.core.errors import ConfigError
from msgconform.core.paths import SCHEMAS

BASE_DOCUMENT = "messages.openapi.yaml"
SCHEMA_URI = "https://json-schema.org/draft/2020-12/schema"
EVENT_SCHEMAS = {
    "message_start": "MessageStartEvent",
    "content_block_start": "ContentBlockStartEvent",
    "content_block_delta": "ContentBlockDeltaEvent",
    "content_block_stop": "ContentBlockStopEvent",
    "message_delta": "MessageDeltaEvent",
    "message_stop": "MessageStopEvent",
    "ping": "PingEvent",
    "error": "ErrorEvent",
}
REQUEST_SCHEMAS = {"messages": "MessageCreateParams", "count_tokens": "CountTokensParams"}


# ------------------------------------------------------------------ building the document


def _pointer(path: str) -> list[str]:
    return [p.replace("~1", "/").replace("~0", "~") for p in path.split("/")[1:]]


def _apply(doc: dict[str, Any], patch: Mapping[str, Any], where: str) -> None:
    *parents, last = _pointer(patch["path"])
    node: Any = doc
    for part in parents:
        if not isinstance(node, dict) or part not in node:
            raise ConfigError(where, f"no such location {patch['path']}")
        node = node[part]
    op = patch["op"]
    if not isinstance(node, dict) or (op != "set" and last not in node):
        raise ConfigError(where, f"no such location {patch['path']}")
    if op == "set":
        node[last] = copy.deepcopy(patch["value"])
    elif op == "remove":
        del node[last]
    elif op == "merge":
        node[last] = {**node[last], **copy.deepcopy(patch["value"])}
    else:  # nullable: upstream rejects null where providers like Cortecs accept it
        node[last] = {"anyOf": [node[last], {"type": "null"}]}


def _apply_all(doc: dict[str, Any], patches: Sequence[Mapping[str, Any]], file: Path) -> None:
    for i, patch in enumerate(patches):
        _apply(doc, patch, f"{display(file)}: patches.{i}.path")
    _check_document(doc, file)


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def _check_document(doc: Any, file: Path) -> None:
    """A broken document names its file and the first problem, never a traceback later."""
    where = display(file)
    schemas = doc.get("components", {}).get("schemas") if isinstance(doc, dict) else None
    if not isinstance(schemas, dict) or not schemas:
        raise ConfigError(where, "no components.schemas", "an OpenAPI 3.1 document")
    for ref in _refs(doc):
        target: Any = doc if ref.startswith("#/") else None
        for part in _pointer(ref[1:]):
            target = target.get(part) if isinstance(target, dict) else None
        if target is None:
            raise ConfigError(where, f"$ref {ref!r} points nowhere")
    meta = jsonschema.Draft202012Validator(jsonschema.Draft202012Validator.META_SCHEMA)
    for name, schema in schemas.items():
        if _meta_valid_fast(schema):
            continue
        error = jsonschema.exceptions.best_match(meta.iter_errors(schema))
        if error is not None:
            field = json_path(["components", "schemas", name, *error.absolute_path])
            raise ConfigError(f"{where}: {field}", f"not a valid JSON Schema: {error.message}")


def _meta_valid_fast(schema: Any) -> bool:
    """jsonschema-rs answers "valid?" in microseconds; jsonschema only explains a failure."""
    try:
        return bool(jsonschema_rs.meta.is_valid({"$schema": SCHEMA_URI, **schema}))
    except Exception:  # any doubt: let the explaining validator decide
        return False


def build_document(
    version: str, overlay: str | None, root: Path = SCHEMAS, betas: frozenset[str] = frozenset()
) -> dict[str, Any]:
    base_file = root / BASE_DOCUMENT
    doc = load_yaml(base_file)
    _check_document(doc, base_file)
    versions_file = root / "versions.yaml"
    versions = load_validated(versions_file, "versions")
    if version not in versions["versions"]:
        known = ", ".join(versions["versions"])
        raise ConfigError(display(versions_file), f"unknown version {version!r}", known)
    _apply_all(doc, versions["versions"][version]["patches"], versions_file)
    if betas:
        # Before the overlay: a provider's narrowing still has the last word.
        apply_betas(doc, betas, root)
        _check_document(doc, root / "betas.sdk.json")
    if overlay is not None:
        _apply_overlay(doc, version, overlay, root)
    result: dict[str, Any] = doc
    return result


def _apply_overlay(doc: dict[str, Any], version: str, overlay: str, root: Path) -> None:
    file = root / "overlays" / f"{overlay}.yaml"
    if not file.is_file():
        known = ", ".join(sorted(p.stem for p in (root / "overlays").glob("*.yaml")))
        raise ConfigError(display(file), f"unknown overlay {overlay!r}", known)
    data = load_validated(file, "overlay")
    if version not in data["versions"]:
        raise ConfigError(
            display(file), f"not written for version {version}", str(data["versions"])
        )
    _apply_all(doc, data["patches"], file)


# ------------------------------------------------------------------ the contract


class _Validators:
    """One compiled validator per component, built on first use and kept."""

    def __init__(self, schemas: dict[str, Any]) -> None:
        self.schemas = schemas
        self._fast: dict[str, Any] = {}
        self._slow: dict[str, jsonschema.Draft202012Validator] = {}

    def _root(self, name: str) -> dict[str, Any]:
        if name not in self.schemas:
            raise KeyError(f"no component schema {name!r}")
        ref = f"#/components/schemas/{name}"
        return {"$schema": SCHEMA_URI, "$ref": ref, "components": {"schemas": self.schemas}}

    def issues(self, name: str, instance: Any) -> list[SchemaIssue]:
        fast = self._fast.get(name)
        if fast is None:
            fast = jsonschema_rs.validator_for(self._root(name), validate_formats=False)
            self._fast[name] = fast
        try:
            if fast.is_valid(instance):
                return []
        except (ValueError, TypeError, OverflowError):
            pass  # not plain JSON (bytes, a set, a huge int): let jsonschema say what is wrong
        slow = self._slow.get(name)
        if slow is None:
            slow = self._slow[name] = jsonschema.Draft202012Validator(self._root(name))
        return explain(slow.iter_errors(instance))

    def fast_issues(self, name: str, instance: Any) -> list[SchemaIssue] | None:
        """jsonschema-rs' own errors, unexplained (None: not plain JSON, ask `issues`)."""
        if name not in self._fast:
            self.issues(name, None)  # builds and keeps the compiled validator
        try:
            errors = list(self._fast[name].iter_errors(instance))
        except (ValueError, TypeError, OverflowError):
            return None
        return [SchemaIssue(json_path(e.instance_path), e.message) for e in errors]


class Contract:
    version: str
    overlay: str | None
    betas: frozenset[str]
    openapi: dict[str, Any]
    stop_reasons: tuple[str, ...]
    error_types: dict[int, str]

    def __init__(
        self,
        version: str,
        overlay: str | None,
        document: dict[str, Any],
        betas: frozenset[str] = frozenset(),
    ) -> None:
        self.version = version
        self.overlay = overlay
        self.betas = betas
        self.openapi = document
        schemas = document["components"]["schemas"]
        self.stop_reasons = tuple(schemas["StopReason"]["enum"])
        statuses = schemas["ErrorType"].get("x-status-codes", {})
        self.error_types = {int(code): str(kind) for code, kind in statuses.items()}
        self._validators = _Validators(schemas)

    @classmethod
    def load(
        cls,
        version: str = "2023-06-01",
        overlay: str | None = None,
        betas: frozenset[str] = frozenset(),
    ) -> Contract:
        """`betas`: anthropic-beta names whose fields the request schemas take (betas.yaml)."""
        return _load(version, overlay, contract_betas(betas))

    @classmethod
    def from_directory(cls, root: Path, version: str, overlay: str | None = None) -> Contract:
        """A contract from another schemas/ directory (uncached), e.g. a test's broken copy."""
        return cls(version, overlay, build_document(version, overlay, root))

    def component_issues(self, component: str, body: Any) -> list[SchemaIssue]:
        return self._validators.issues(component, body)

    def request_issues(self, body: Any, endpoint: str = "messages") -> list[SchemaIssue]:
        if endpoint not in REQUEST_SCHEMAS:
            raise ValueError(
                f"unknown endpoint {endpoint!r}; expected one of {list(REQUEST_SCHEMAS)}"
            )
        return self.component_issues(REQUEST_SCHEMAS[endpoint], body)

    def request_issues_fast(self, body: Any, endpoint: str = "messages") -> list[SchemaIssue]:
        """Every schema error of a request, fast and terse (the fuzz generator's hot path)."""
        found = self._validators.fast_issues(REQUEST_SCHEMAS[endpoint], body)
        return self.request_issues(body, endpoint) if found is None else found

    def message_issues(self, body: Any) -> list[SchemaIssue]:
        return self.component_issues("Message", body)

    def event_issues(self, event: Any) -> list[SchemaIssue]:
        if not isinstance(event, dict):
            return [SchemaIssue(TOP_LEVEL, "must be of type object")]
        kind = event.get("type")
        if kind not in EVENT_SCHEMAS:
            what = "is required" if kind is None else f"unknown event type {kind!r}"
            return [SchemaIssue("type", f"{what}: must be one of {one_of(list(EVENT_SCHEMAS))}")]
        return self.component_issues(EVENT_SCHEMAS[kind], event)

    def error_issues(self, body: Any) -> list[SchemaIssue]:
        return self.component_issues("ErrorResponse", body)

    def count_tokens_issues(self, body: Any) -> list[SchemaIssue]:
        return self.component_issues("CountTokensResponse", body)

    def models_page_issues(self, body: Any) -> list[SchemaIssue]:
        return self.component_issues("ModelsPage", body)

    def model_info_issues(self, body: Any) -> list[SchemaIssue]:
        return self.component_issues("ModelInfo", body)

    def extra_fields(self, body: Any, component: str = "Message") -> list[str]:
        """Dotted paths of fields the schema does not document (responses tolerate them)."""
        found: list[str] = []
        self._extras(self._validators.schemas[component], body, [], found)
        return found

    def _deref(self, schema: Any) -> Any:
        while isinstance(schema, dict) and "$ref" in schema:
            schema = self._validators.schemas[schema["$ref"].rsplit("/", 1)[-1]]
        return schema

    def _extras(self, schema: Any, instance: Any, path: list[Any], found: list[str]) -> None:
        schema = self._deref(schema)
        if not isinstance(schema, dict):
            return
        union = schema.get("oneOf") or schema.get("anyOf")
        if union:
            branch = _pick_branch([self._deref(s) for s in union], instance)
            if branch is not None:
                self._extras(branch, instance, path, found)
        props = schema.get("properties")
        if isinstance(instance, dict) and isinstance(props, dict):
            for key, value in instance.items():
                if key in props:
                    self._extras(props[key], value, [*path, key], found)
                elif json_path([*path, key]) not in found:
                    found.append(json_path([*path, key]))
        elif isinstance(instance, list) and "items" in schema:
            for i, item in enumerate(instance):
                self._extras(schema["items"], item, [*path, i], found)


JSON_TYPES = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}


def _pick_branch(branches: list[Any], instance: Any) -> Any:
    kind = JSON_TYPES.get(type(instance), "number")
    for branch in branches:
        if not isinstance(branch, dict):
            continue
        tag = branch.get("properties", {}).get("type", {})
        if isinstance(instance, dict) and "const" in tag:
            if tag["const"] == instance.get("type"):
                return branch
            continue
        declared = branch.get("type")
        declared = declared if isinstance(declared, list) else [declared]
        if kind in declared or (kind == "object" and "properties" in branch):
            return branch
    return None


@cache
def _load(version: str, overlay: str | None, betas: frozenset[str]) -> Contract:
    return Contract(version, overlay, build_document(version, overlay, betas=betas), betas)
