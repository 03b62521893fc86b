"""`--explore-deep`: negative examples drawn by schemathesis from the profile's OpenAPI document
(the bundled contract with the profile's version and overlay, scoped to its features), for a
slower nightly exploration beside the walk's.

schemathesis' NEGATIVE mode breaks the body, a header or the media type, often several things at
once, so a drawn case is kept only when its body is a JSON object that the contract finds broken
in exactly one place (fuzz/examples.py `one_break`, the walk's own filter) once it carries the
profile's model and max_tokens cap. It is judged like every other example (checks/fuzz.py), so a
served one is graded by the one leniency rule (core/grading.served_level).

Drawing is seeded (hypothesis' `seed`), so `--seed N --explore-deep` draws the same examples
again with the same schemathesis and hypothesis versions (the run record keeps schemathesis').
schemathesis is imported here only: a default run never loads it.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from functools import cache
from typing import Any

import hypothesis
import schemathesis
from schemathesis import GenerationMode

from msgconform.contract.document import Contract
from msgconform.fuzz.examples import Negative, one_break
from msgconform.fuzz.schema import ENDPOINTS
from msgconform.fuzz.scope import scoped_schemas
from msgconform.fuzz.shape import Shape

# About a third of schemathesis' negative cases break only a header or the media type, or break
# the body in several places: draw this many per example wanted.
DRAWS_PER_EXAMPLE = 3
MUTATION = "schemathesis"


@cache
def document(contract: Contract, features: frozenset[str], endpoint: str) -> dict[str, Any]:
    """The profile's OpenAPI document with the component schemas the profile may be sent, and
    no header parameters or security: the probe sends the session's own headers, so a case
    whose only break is a header would be sent as a valid request (a third of all drawn)."""
    doc = copy.deepcopy(contract.openapi)
    schemas: Mapping[str, Any] = scoped_schemas(contract, features, endpoint)
    doc["components"]["schemas"] = copy.deepcopy(dict(schemas))
    doc.pop("security", None)
    for item in doc.get("paths", {}).values():
        for operation in item.values():
            if isinstance(operation, dict):
                operation.pop("parameters", None)
                operation["security"] = []
    return doc


def drawn_bodies(shape: Shape, seed: int, draws: int) -> list[Any]:
    """The bodies of `draws` schemathesis NEGATIVE cases for the shape's endpoint, seeded."""
    schema = schemathesis.openapi.from_dict(document(shape.contract, shape.features, shape.endpoint))
    operation = schema[ENDPOINTS[shape.endpoint]]["POST"]
    strategy = operation.as_strategy(generation_mode=GenerationMode.NEGATIVE)
    bodies: list[Any] = []

    @hypothesis.seed(seed)
    @hypothesis.settings(
        max_examples=draws,
        database=None,
        deadline=None,
        derandomize=False,
        phases=[hypothesis.Phase.generate],
        suppress_health_check=list(hypothesis.HealthCheck),
        verbosity=hypothesis.Verbosity.quiet,
    )
    @hypothesis.given(strategy)
    def collect(case: Any) -> None:
        bodies.append(case.body)

    collect()
    return bodies


def shaped_negative(body: Any, shape: Shape) -> dict[str, Any] | None:
    """The drawn body for the profile (its model, max_tokens at most its cap, no stream on a
    JSON case), or None when it is no JSON object a server could parse."""
    if not isinstance(body, dict):
        return None  # raw bytes or another media type: not a JSON request
    try:
        json.dumps(body, allow_nan=False)
    except (TypeError, ValueError):
        return None  # NaN, Infinity, or something JSON cannot say
    body = dict(body)
    if isinstance(body.get("model"), str):
        body["model"] = shape.profile.model("small")
    tokens, cap = body.get("max_tokens"), shape.profile.limits.max_tokens_cap
    if isinstance(tokens, (int, float)) and not isinstance(tokens, bool) and tokens > cap:
        body["max_tokens"] = cap
    if isinstance(body.get("stream"), bool) and not shape.stream:
        body.pop("stream")
    return body


def deep_negatives(shape: Shape, seed: int, wanted: int) -> tuple[list[Negative], int]:
    """Up to `wanted` schemathesis-drawn examples that each break one thing, and how many
    cases were drawn for them."""
    draws = max(wanted, 1) * DRAWS_PER_EXAMPLE
    kept: list[Negative] = []
    seen: set[str] = set()
    for drawn in drawn_bodies(shape, seed, draws):
        body = shaped_negative(drawn, shape)
        if body is None:
            continue
        key = json.dumps(body, sort_keys=True)
        found = one_break(shape, body) if key not in seen else None
        seen.add(key)
        if found is not None:
            kept.append(Negative(body, found[0], found[1], MUTATION))
            if len(kept) >= wanted:
                break
    return kept, draws
