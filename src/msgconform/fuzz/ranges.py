"""One request with a number just outside its documented range, read from the profile's contract
(upstream temperature is 0-1, Cortecs' overlay says 0-2): `probe_params: {mode: range, field:
temperature, side: above}`. Where the contract has no bound on that side, `value` is sent.

`bound` and `beyond` are also the negative examples' (fuzz/examples.py `_out_of_range`), so a
fixed range case and a generated one read a bound the same way: the value at an exclusive bound
is outside the range, the value at an inclusive one is inside it."""

from __future__ import annotations

from typing import Any, NamedTuple

from msgconform.checks.base import ProbeResult
from msgconform.contract.document import REQUEST_SCHEMAS, Contract
from msgconform.core.cases import Case
from msgconform.core.errors import ConfigError
from msgconform.fuzz.schema import ENDPOINTS
from msgconform.transport.session import Session

STEP = 0.5
SIDES = {"above": "maximum", "below": "minimum"}
EXCLUSIVE = {"above": "exclusiveMaximum", "below": "exclusiveMinimum"}


class Bound(NamedTuple):
    edge: Any
    exclusive: bool


def bound_of(schema: Any, side: str) -> Bound | None:
    """One side's bound of a number's schema (an exclusive bound wins where both are given)."""
    if not isinstance(schema, dict):
        return None
    if EXCLUSIVE[side] in schema:
        return Bound(schema[EXCLUSIVE[side]], True)
    return Bound(schema[SIDES[side]], False) if SIDES[side] in schema else None


def bound(contract: Contract, field: str, side: str, endpoint: str = "messages") -> Bound | None:
    """The contract's bound on one side of a top-level field, and whether it is exclusive."""
    schema = contract.openapi["components"]["schemas"][REQUEST_SCHEMAS[endpoint]]
    return bound_of(schema.get("properties", {}).get(field), side)


def beyond(found: Bound, side: str, step: Any = STEP) -> Any:
    """The nearest value the bound excludes: an exclusive bound itself (Baseten's top_p > 0),
    else a step past an inclusive one (the contract reads seed 004's > and < as inclusive)."""
    if found.exclusive:
        return found.edge
    return found.edge + step if side == "above" else found.edge - step


def outside(contract: Contract, case: Case) -> Any:
    params = case.probe_params
    field, side = params.get("field"), params.get("side")
    if not isinstance(field, str) or side not in SIDES:
        raise ConfigError(f"{case.test_id}: probe_params", "range needs field and side above|below")
    found = bound(contract, field, side)
    if found is None:
        if "value" not in params:
            raise ConfigError(f"{case.test_id}: probe_params", f"no {SIDES[side]} for {field}")
        return params["value"]
    return beyond(found, side)


def range_probe(session: Session, case: Case, body: dict[str, Any]) -> ProbeResult:
    contract = session.contract(case.probe_params.get("version"))
    sent = {**body, str(case.probe_params["field"]): outside(contract, case)}
    exchange = session.send(
        "main",
        ENDPOINTS["messages"],
        sent,
        headers=session.headers(version=case.probe_params.get("version")),
        retry=False,
    )
    return ProbeResult({"main": exchange})
