"""The beta surface as data: which anthropic-beta names exist (schemas/betas.yaml) and which request
fields each one adds to the contract (their schemas: schemas/betas.sdk.json, from the pinned SDK).

`beta_patches(names)` are set-patches on the built document: only the fields one of whose betas is
named, so a request without the header is judged exactly as before."""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from msgconform.core.datafiles import display, load_validated
from msgconform.core.errors import ConfigError
from msgconform.core.paths import SCHEMAS

BETAS = "betas.yaml"
GENERATED = "betas.sdk.json"


def load_betas(root: Path = SCHEMAS) -> dict[str, Any]:
    data: dict[str, Any] = load_validated(root / BETAS, "betas")
    known = set(data["known"])
    for i, entry in enumerate(data["fields"]):
        if stray := [b for b in entry["betas"] if b not in known]:
            raise ConfigError(f"{display(root / BETAS)}: fields.{i}.betas", f"not known: {stray}")
    return data


def _load_generated(root: Path) -> dict[str, Any]:
    file = root / GENERATED
    if not file.is_file():
        raise ConfigError(
            display(file), "file not found", "python -m msgconform.contract.betas_sdk"
        )
    try:
        data: dict[str, Any] = json.loads(file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ConfigError(display(file), f"invalid JSON: {exc}") from None
    return data


@cache
def _surface(root: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    return load_betas(root), _load_generated(root)


def known_betas(root: Path = SCHEMAS) -> frozenset[str]:
    return frozenset(_surface(root)[0]["known"])


def unknown_beta_reply(root: Path = SCHEMAS) -> dict[str, Any]:
    reply: dict[str, Any] = _surface(root)[0]["unknown_beta"]
    return reply


def contract_betas(names: Iterable[str], root: Path = SCHEMAS) -> frozenset[str]:
    """The named betas that change the contract (the rest change nothing a schema sees), so the
    contracts built stay few however many names clients send."""
    enabling = {b for entry in _surface(root)[0]["fields"] for b in entry["betas"]}
    return frozenset(n for n in names if n in enabling)


def apply_betas(doc: dict[str, Any], names: frozenset[str], root: Path = SCHEMAS) -> None:
    """Adds the fields the named betas introduce (and the components their schemas use)."""
    data, generated = _surface(root)
    chosen = [entry for entry in data["fields"] if names & set(entry["betas"])]
    if not chosen:
        return
    schemas = doc["components"]["schemas"]
    for name, schema in generated["components"].items():
        if name in schemas:
            raise ConfigError(display(root / GENERATED), f"component {name!r} is already defined")
        schemas[name] = schema
    for entry in chosen:
        field = entry["field"]
        if field not in generated["fields"]:
            raise ConfigError(display(root / GENERATED), f"no schema for {field!r}; regenerate")
        for component in entry["in"]:
            target = schemas.get(component, {}).get("properties")
            if not isinstance(target, dict):
                where = f"{display(root / BETAS)}: {field}"
                raise ConfigError(where, f"no component {component!r} with properties")
            target[field.rsplit(".", 1)[-1]] = generated["fields"][field]
