"""Turning jsonschema's errors into short SchemaIssues: one path and one rule each.

Inside a union (oneOf/anyOf) only the branch the instance meant is reported, deepest field first,
so "messages.0.content.1.source.media_type: must be one of ..." rather than every branch's noise.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, cast

from jsonschema.exceptions import ValidationError, relevance

from msgconform.core.datafiles import json_path

MAX_ISSUES = 5


@dataclass(frozen=True)
class SchemaIssue:
    path: str  # dotted JSON path into the instance, e.g. "messages.0.content.1.source.media_type"
    message: (
        str  # the rule broken, e.g. "must be one of image/jpeg, image/png, image/gif, image/webp"
    )

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def _words(value: Any) -> str:
    return (
        "null" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
    )


def one_of(values: Sequence[Any]) -> str:
    return ", ".join(_words(v) for v in values)


LIMITS = {
    "minimum": "must be >= {}",
    "maximum": "must be <= {}",
    "exclusiveMinimum": "must be > {}",
    "exclusiveMaximum": "must be < {}",
    "maxLength": "must be at most {} characters long",
    "minItems": "must have at least {} items",
    "maxItems": "must have at most {} items",
    "pattern": "must match the pattern {}",
}


def _message(error: ValidationError) -> str:
    rule, value = error.validator, cast(Any, error.validator_value)
    if rule == "enum":
        return f"must be one of {one_of(value)}"
    if rule == "const":
        return f"must be {_words(value)}"
    if rule == "type":
        kinds = value if isinstance(value, list) else [value]
        return "must be of type " + " or ".join(kinds)
    if rule in ("minLength", "minItems") and value == 1:
        return "must not be empty"
    if rule == "minLength":
        return f"must be at least {value} characters long"
    if rule == "not":
        return "is not allowed here"
    if isinstance(rule, str) and rule in LIMITS:
        return LIMITS[rule].format(value)
    return error.message


def _issues_for(error: ValidationError) -> list[SchemaIssue]:
    path = list(error.absolute_path)
    if error.validator == "required":
        match = re.match(r"^'(.*)' is a required property$", error.message)
        name = match.group(1) if match else str(error.validator_value)
        return [SchemaIssue(json_path([*path, name]), "is required")]
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = set(error.schema.get("properties", {})) if isinstance(error.schema, dict) else set()
        extras = sorted(k for k in error.instance if k not in known)
        return [SchemaIssue(json_path(path), f"unexpected field '{k}'") for k in extras]
    return [SchemaIssue(json_path(path), _message(error))]


def _mismatched(branch: list[ValidationError]) -> bool:
    """A union branch the instance was never meant for: its own `type` or its JSON type differs."""
    for error in branch:
        if not error.relative_path and error.validator == "type":
            return True
        if list(error.relative_path) == ["type"] and error.validator in ("const", "enum"):
            return True
    return False


def _leaves(error: ValidationError) -> list[ValidationError | SchemaIssue]:
    """The errors worth showing: inside a union, only those of the branch the instance meant."""
    if error.validator not in ("oneOf", "anyOf") or not error.context:
        return [error]
    branches: dict[int, list[ValidationError]] = {}
    for sub in error.context:
        branches.setdefault(int(sub.relative_schema_path[0]), []).append(sub)
    live = [b for b in branches.values() if not _mismatched(b)]
    if live:
        best = min(live, key=lambda b: min(_depth_first(e) for e in b))
        return [leaf for sub in sorted(best, key=_depth_first) for leaf in _leaves(sub)]
    path = list(error.absolute_path)
    types = _branch_types(error)
    if isinstance(error.instance, dict) and "type" in error.instance and types:
        return [SchemaIssue(json_path([*path, "type"]), f"must be one of {one_of(types)}")]
    kinds = [
        t
        for sub in error.context
        if sub.validator == "type" and not sub.relative_path
        for t in (
            sub.validator_value if isinstance(sub.validator_value, list) else [sub.validator_value]
        )
    ]
    if kinds:
        return [
            SchemaIssue(json_path(path), "must be of type " + " or ".join(dict.fromkeys(kinds)))
        ]
    return [SchemaIssue(json_path(path), "matches none of the allowed shapes")]


def _branch_types(error: ValidationError) -> list[Any]:
    tags = [e for e in error.context or [] if e.validator == "const"]
    return list(dict.fromkeys(e.validator_value for e in tags if list(e.relative_path) == ["type"]))


def _depth_first(error: ValidationError) -> tuple[int, Any]:
    # Deeper errors name the field that is wrong; relevance() breaks ties the jsonschema way.
    return (-len(error.absolute_path), relevance(error))


def explain(errors: Iterator[ValidationError], limit: int = MAX_ISSUES) -> list[SchemaIssue]:
    issues: list[SchemaIssue] = []
    for error in sorted(errors, key=_depth_first):
        for leaf in _leaves(error):
            found = [leaf] if isinstance(leaf, SchemaIssue) else _issues_for(leaf)
            issues.extend(i for i in found if i not in issues)
        if len(issues) >= limit:
            break
    return issues[:limit]
