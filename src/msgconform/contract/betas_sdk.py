"""Writes schemas/betas.sdk.json: the JSON Schema of each beta field in schemas/betas.yaml, taken
from the pinned official Python SDK's TypedDicts (pydantic renders them), so the beta surface is
the SDK's own and not retyped by hand. A maintainer's tool: it needs `anthropic` and `pydantic`.

    python -m msgconform.contract.betas_sdk [--write]    (without --write: exit 1 when stale)
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import typing
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from msgconform.contract.betas import GENERATED, load_betas
from msgconform.core.paths import SCHEMAS

# Words pydantic adds that a request contract does not need (titles, prose).
_DROPPED = ("title", "description")


def field_type(spec: str) -> Any:
    """`module:TypedDict.key` -> the key's annotation."""
    module_name, _, rest = spec.partition(":")
    owner, _, key = rest.partition(".")
    owner_type = getattr(importlib.import_module(module_name), owner)
    return typing.get_type_hints(owner_type, include_extras=True)[key]


def _closed(node: Any) -> Any:
    """Requests are strict: an object with properties refuses others unless the SDK allows them
    (extra_items=object renders as additionalProperties: true and is kept)."""
    if isinstance(node, list):
        return [_closed(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {k: _closed(v) for k, v in node.items() if k not in _DROPPED}
    if "$ref" in out:
        out["$ref"] = out["$ref"].replace("#/$defs/", "#/components/schemas/")
    if out.get("type") == "object" and "properties" in out:
        out.setdefault("additionalProperties", False)
    return out


def generate(root: Path = SCHEMAS) -> dict[str, Any]:
    from pydantic import TypeAdapter  # a maintainer's dependency, only here

    data = load_betas(root)
    fields: dict[str, Any] = {}
    components: dict[str, Any] = {}
    for entry in data["fields"]:
        schema = TypeAdapter(field_type(entry["sdk"])).json_schema()
        for name, definition in schema.pop("$defs", {}).items():
            components[name] = _closed(definition)
        fields[entry["field"]] = _closed(schema)
    version = importlib.import_module("anthropic").__version__
    return {
        "sdk": f"anthropic {version}",
        "fields": fields,
        "components": dict(sorted(components.items())),
    }


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=1, sort_keys=False, ensure_ascii=False) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m msgconform.contract.betas_sdk")
    parser.add_argument("--write", action="store_true", help=f"rewrite schemas/{GENERATED}")
    args = parser.parse_args(argv)
    text = render(generate())
    target = SCHEMAS / GENERATED
    if args.write:
        target.write_text(text, encoding="utf-8")
        print(f"wrote {target}")
        return 0
    current = target.read_text(encoding="utf-8") if target.is_file() else ""
    if current != text:
        print(
            f"schemas/{GENERATED} differs from the installed SDK; run with --write", file=sys.stderr
        )
        return 1
    print(f"schemas/{GENERATED} matches the installed SDK")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
