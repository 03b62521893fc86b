"""One request with a number just outside its documented range, read from the profile's contract
(upstream temperature is 0-1, Cortecs' overlay says 0-2): `probe_params: {mode: range, field:
temperature, side: above}`. Where the contract has no bound on that side, `value` is sent."""

from __future__ import annotations

from typing import Any

from msgconform.contract.document import REQUEST_SCHEMAS, Contract
from msgconform.core.cases import Case
from msgconform.core.errors import ConfigError
from msgconform.core.exchange import Exchange
from msgconform.fuzz.schema import ENDPOINTS
from msgconform.transport.session import Session

STEP = 0.5
SIDES = {"above": "maximum", "below": "minimum"}
EXCLUSIVE = {"above": "exclusiveMaximum", "below": "exclusiveMinimum"}


def bound(contract: Contract, field: str, side: str) -> tuple[Any, bool] | None:
    """The contract's bound on one side of a field, and whether it is exclusive."""
    schema = contract.openapi["components"]["schemas"][REQUEST_SCHEMAS["messages"]]
    sub = schema.get("properties", {}).get(field)
    if not isinstance(sub, dict):
        return None
    if EXCLUSIVE[side] in sub:
        return sub[EXCLUSIVE[side]], True
    return (sub[SIDES[side]], False) if SIDES[side] in sub else None


def outside(contract: Contract, case: Case) -> Any:
    """The nearest value the bound excludes: an exclusive bound itself (Baseten's top_p > 0),
    else a step past an inclusive one (the contract reads seed 004's > and < as inclusive)."""
    params = case.probe_params
    field, side = params.get("field"), params.get("side")
    if not isinstance(field, str) or side not in SIDES:
        raise ConfigError(f"{case.test_id}: probe_params", "range needs field and side above|below")
    found = bound(contract, field, side)
    if found is None:
        if "value" not in params:
            raise ConfigError(f"{case.test_id}: probe_params", f"no {SIDES[side]} for {field}")
        return params["value"]
    edge, exclusive = found
    if exclusive:
        return edge
    return edge + STEP if side == "above" else edge - STEP


def range_probe(session: Session, case: Case, body: dict[str, Any]) -> dict[str, Exchange]:
    contract = session.contract(case.probe_params.get("version"))
    sent = {**body, str(case.probe_params["field"]): outside(contract, case)}
    exchange = session.send(
        "main",
        ENDPOINTS["messages"],
        sent,
        headers=session.headers(version=case.probe_params.get("version")),
        retry=False,
    )
    return {"main": exchange}
