"""Loading our own YAML/JSON data files with one-line errors that name the file and the field."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from msgconform.core.errors import ConfigError
from msgconform.core.paths import META, ROOT

SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def load_yaml(path: Path) -> Any:
    if not path.is_file():
        raise ConfigError(display(path), "file not found")
    try:
        # libyaml's loader when present: the contract is large and loads on every run.
        return yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{display(path)}:{mark.line + 1}" if mark else display(path)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError(where, f"not valid YAML: {problem}") from None
    except UnicodeDecodeError:
        raise ConfigError(display(path), "not UTF-8 text") from None


@cache
def meta_schema(name: str) -> dict[str, Any]:
    path = META / f"{name}.schema.json"
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


TOP_LEVEL = "(top level)"  # json_path of the document itself


def json_path(parts: Any) -> str:
    text = ".".join(str(p) for p in parts)
    return text or TOP_LEVEL


def validate_against_meta(data: Any, meta: str, path: Path) -> None:
    """Raise ConfigError for the first (deepest, most specific) violation of a meta-schema."""
    schema = meta_schema(meta)
    validator = jsonschema.Draft202012Validator(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(data))
    if error is not None:
        field = json_path(error.absolute_path)
        raise ConfigError(f"{display(path)}: {field}", error.message)


def load_validated(path: Path, meta: str) -> Any:
    data = load_yaml(path)
    validate_against_meta(data, meta, path)
    return data
