"""`--explore deep`: negative examples drawn by schemathesis from the profile's OpenAPI document
(the bundled contract with the profile's version and overlay, scoped to its features), for a
slower nightly exploration beside the walk's.

schemathesis' NEGATIVE mode breaks the body, a header or the media type, often several things at
once, so a drawn case is kept only when its body is a JSON object that the contract finds broken
in exactly one place (fuzz/examples.py `one_break`, the walk's own filter) once it carries the
profile's model and max_tokens cap. It is judged like every other example (checks/fuzz.py), so a
served one is graded by the one leniency rule (core/grading.served_level).

Drawing is seeded (hypothesis' `seed`, and none of the literals hypothesis would otherwise take
from whatever local modules are loaded), so `--seed N --explore deep` draws the same examples
again in any process with the same schemathesis and hypothesis versions (the run record keeps
schemathesis'). Only the fuzz probe imports this module, and only for `--explore deep`: a
default run never loads schemathesis.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
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

# Measured on the bundled contract (mock profile, seeds 0-4, 25 wanted): 21 to 25 kept of at
# most 250 drawn; the rest are raw bytes (syntax fuzzing), valid once shaped for the profile, or
# break several things. Drawing stops once enough are kept.
DRAWS_PER_EXAMPLE = 10
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


class Enough(Exception):
    """Raised from inside hypothesis' loop once enough examples are kept: drawing is most of
    the cost (about 0.2 s a case on the bundled contract), so the rest are not drawn."""


def draw_until(shape: Shape, seed: int, draws: int, enough: Callable[[Any], bool]) -> int:
    """Hand the bodies of up to `draws` schemathesis NEGATIVE cases for the shape's endpoint,
    seeded, to `enough` until it says so; how many were drawn."""
    schema = schemathesis.openapi.from_dict(
        document(shape.contract, shape.features, shape.endpoint)
    )
    operation = schema[ENDPOINTS[shape.endpoint]]["POST"]
    strategy = operation.as_strategy(generation_mode=GenerationMode.NEGATIVE)
    drawn = 0

    @hypothesis.seed(seed)
    @hypothesis.settings(
        max_examples=draws,
        database=None,
        deadline=None,
        derandomize=False,
        phases=[hypothesis.Phase.generate],
        suppress_health_check=list(hypothesis.HealthCheck),
        verbosity=hypothesis.Verbosity.quiet,
        report_multiple_bugs=False,
    )
    @hypothesis.given(strategy)
    def collect(case: Any) -> None:
        nonlocal drawn
        drawn += 1
        if enough(case.body):
            raise Enough

    with only_hypothesis_constants(), suppress(Enough):
        collect()
    return drawn


@contextmanager
def only_hypothesis_constants() -> Iterator[None]:
    """hypothesis mixes into its draws the literals of every loaded module outside
    site-packages: the checkout's own msgconform, a conftest, whatever was imported first. The
    same seed then draws other examples from a checkout than from an installed wheel, and from
    a pytest run than from `msgconform run` (measured: 2 kept of 40 drawn against 4 of 16). Drawn
    from hypothesis' own constants only, a seed means the same examples wherever it runs.
    (Private hypothesis API, checked for: without it the draw is as before, only less stable.)"""
    try:
        from hypothesis.internal.conjecture import providers
        from hypothesis.internal.constants_ast import Constants
    except ImportError:  # pragma: no cover - a hypothesis without local constants
        yield
        return
    cache: Any = getattr(providers, "CONSTANTS_CACHE", None)
    original = getattr(providers, "_get_local_constants", None)
    if original is None or cache is None:  # pragma: no cover
        yield
        return
    cache.cache.clear()  # it holds the local constants drawn from before
    providers._get_local_constants = Constants
    try:
        yield
    finally:
        providers._get_local_constants = original
        cache.cache.clear()


def shaped_negative(drawn: Any, shape: Shape) -> dict[str, Any] | None:
    """The drawn body for the profile (its model, max_tokens at most its cap, no stream on a
    JSON case), or None when it is no JSON object a server could parse."""
    if not isinstance(drawn, dict):
        return None  # raw bytes (schemathesis' syntax fuzzing) or another media type
    try:
        json.dumps(drawn, allow_nan=False)
    except (TypeError, ValueError):
        return None  # NaN, Infinity, or something JSON cannot say
    body: dict[str, Any] = dict(drawn)
    if isinstance(body.get("model"), str):
        body["model"] = shape.profile.model("small")
    tokens, cap = body.get("max_tokens"), shape.profile.limits.max_tokens_cap
    if isinstance(tokens, (int, float)) and not isinstance(tokens, bool) and tokens > cap:
        body["max_tokens"] = cap
    if isinstance(body.get("stream"), bool) and not shape.stream:
        body.pop("stream")
    return body


def deep_negatives(shape: Shape, seed: int, wanted: int) -> tuple[list[Negative], int]:
    """Up to `wanted` schemathesis-drawn examples that each break one thing, in the order
    drawn, and how many cases were drawn for them."""
    kept: list[Negative] = []
    seen: set[str] = set()

    def keep(drawn: Any) -> bool:
        body = shaped_negative(drawn, shape)
        if body is None:
            return False
        key = json.dumps(body, sort_keys=True)
        # hypothesis runs the case that stopped it once more; a body is kept once.
        found = one_break(shape, body) if key not in seen else None
        seen.add(key)
        if found is not None:
            kept.append(Negative(body, found[0], found[1], MUTATION))
        return len(kept) >= wanted

    draws = draw_until(shape, seed, max(wanted, 1) * DRAWS_PER_EXAMPLE, keep)
    return kept, draws
