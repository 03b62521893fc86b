"""The catalogue of named mock faults: each changes one observable thing and names the clauses
it breaks; legal variants (legal=True) break none and a suite must not flag them.

Select one per server (`msgconform mock --fault NAME`, `MockServer(..., fault=NAME)`) or per
request (header `x-msgconform-fault: NAME`, which wins over the server's)."""

from __future__ import annotations

from msgconform.core.errors import ConfigError
from msgconform.mock import (
    faults_features,
    faults_hang,
    faults_http,
    faults_invariants,
    faults_request,
    faults_rules,
    faults_stream,
    faults_wire,
)
from msgconform.mock.hooks import NO_FAULT, Ctx, ErrorOut, Fault

__all__ = ["FAULTS", "NO_FAULT", "Ctx", "ErrorOut", "Fault", "get"]

FAULTS: dict[str, Fault] = {
    f.name: f
    for module in (
        faults_stream,
        faults_wire,
        faults_http,
        faults_request,
        faults_features,
        faults_rules,
        faults_invariants,
        faults_hang,
    )
    for f in module.FAULTS
}


def get(name: str | None) -> Fault:
    if not name:
        return NO_FAULT
    try:
        return FAULTS[name]
    except KeyError:
        raise ConfigError(
            "--fault", f"unknown fault {name!r}", "msgconform mock --list-faults"
        ) from None
