"""The catalogue of named mock faults: each changes one observable thing and names the clauses
it breaks; legal variants (legal=True) break none and a suite must not flag them.

Every module of this package lists its faults in its `FAULTS` (a `hooks.Faults`; most are
declared with `@FAULTS.hook(...)` on their hook function); they are collected here, so a new
module needs no registration. Select one per server (`msgconform mock --fault NAME`,
`MockServer(..., fault=NAME)`) or per request (header `x-msgconform-fault: NAME`, which wins over
the server's)."""

from __future__ import annotations

import importlib
import pkgutil

from msgconform.core.errors import ConfigError
from msgconform.mock.hooks import NO_FAULT, Ctx, ErrorOut, Fault

__all__ = ["FAULTS", "NO_FAULT", "Ctx", "ErrorOut", "Fault", "get"]


def _collect() -> dict[str, Fault]:
    found: dict[str, Fault] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for fault in getattr(module, "FAULTS", ()):
            if fault.name in found:
                raise RuntimeError(f"mock fault {fault.name!r} is defined twice ({info.name})")
            found[fault.name] = fault
    return found


FAULTS: dict[str, Fault] = _collect()


def get(name: str | None) -> Fault:
    if not name:
        return NO_FAULT
    try:
        return FAULTS[name]
    except KeyError:
        raise ConfigError(
            "--fault", f"unknown fault {name!r}", "msgconform mock --list-faults"
        ) from None
