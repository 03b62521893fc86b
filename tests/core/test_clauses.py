"""Clause registry: valid, honest quotes, loader errors name the file and the field."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from msgconform.core import clauses
from msgconform.core.datafiles import load_yaml, validate_against_meta
from msgconform.core.errors import ConfigError
from msgconform.core.paths import PROVIDERS, ROOT

SEED_NAME = re.compile(r"^[0-9]{3}_[0-9a-f]{16}\.txt$")
STATED_WORDS = re.compile(r"\b(must|required|always)\b", re.IGNORECASE)
RFC_SHOULD = re.compile(r"\bSHOULD\b")  # an RFC's own keyword states its level
RFC_URL = "https://www.rfc-editor.org/rfc/"

# Copies of the seeds and the facts sheet are bundled, so quotes are checked on every clone.
SOURCES = ROOT / "schemas" / "sources"
SEEDS = SOURCES
FACTS = SOURCES / "messages-api-facts.md"
RFCS = SOURCES / "rfc-excerpts.txt"


def entries() -> list[dict[str, Any]]:
    data: dict[str, Any] = load_yaml(clauses.CLAUSES_FILE)
    return list(data["clauses"])


def ids(items: list[dict[str, Any]]) -> list[str]:
    return [str(entry["id"]) for entry in items]


def squash(text: str) -> str:
    return " ".join(text.split())


def source_text(path: Path) -> str:
    assert path.is_file(), f"bundled source text missing: {path}"
    return squash(path.read_text(encoding="utf-8"))


@pytest.fixture
def fresh_registry() -> Iterator[None]:
    clauses.registry.cache_clear()
    yield
    clauses.registry.cache_clear()


def test_registry_validates_against_meta_schema() -> None:
    validate_against_meta(load_yaml(clauses.CLAUSES_FILE), "clauses", clauses.CLAUSES_FILE)


def test_ids_are_unique_and_numbered_within_their_area() -> None:
    found = ids(entries())
    assert [i for i, n in Counter(found).items() if n > 1] == []
    assert all(re.fullmatch(r"[A-Z]+-[0-9]{3}", i) for i in found)


def test_every_clause_has_a_source_and_a_quote() -> None:
    for entry in entries():
        assert entry["source"]["document"].strip(), entry["id"]
        assert entry["source"]["section"].strip(), entry["id"]
        assert entry["quote"].strip(), entry["id"]
        assert len(entry["quote"]) <= 300, entry["id"]


@pytest.mark.parametrize(
    "entry",
    [e for e in entries() if SEED_NAME.match(e["source"]["document"])],
    ids=lambda e: e["id"],
)
def test_seed_quote_is_verbatim(entry: dict[str, Any]) -> None:
    seed = source_text(SEEDS / entry["source"]["document"])
    assert squash(entry["quote"]) in seed


def is_rfc(entry: dict[str, Any]) -> bool:
    return str(entry["source"]["document"]).startswith(RFC_URL)


@pytest.mark.parametrize(
    "entry",
    [e for e in entries() if not SEED_NAME.match(e["source"]["document"]) and not is_rfc(e)],
    ids=lambda e: e["id"],
)
def test_other_quote_is_verbatim_in_the_facts_sheet(entry: dict[str, Any]) -> None:
    # URLs and SDK paths are not on disk; their quotes are copied from the facts sheet citing them.
    assert squash(entry["quote"]) in source_text(FACTS)


@pytest.mark.parametrize("entry", [e for e in entries() if is_rfc(e)], ids=lambda e: e["id"])
def test_rfc_quote_is_verbatim_in_the_bundled_excerpts(entry: dict[str, Any]) -> None:
    # The excerpt file breaks lines and hyphenates as the RFC text does.
    assert squash(entry["quote"]) in source_text(RFCS)


def test_stated_level_is_backed_by_the_quote() -> None:
    unbacked = [
        e["id"]
        for e in entries()
        if e["level_basis"] == "stated"
        and not STATED_WORDS.search(e["quote"])
        and not (is_rfc(e) and e["level"] == "SHOULD" and RFC_SHOULD.search(e["quote"]))
    ]
    assert unbacked == []


def test_provider_overrides_name_bundled_providers() -> None:
    known = {p.name for p in PROVIDERS.iterdir() if (p / "profile.yaml").is_file()}
    named = {name for e in entries() for name in e.get("provider_overrides", {})}
    assert named <= known


@pytest.mark.usefixtures("fresh_registry")
def test_registry_loads_every_clause() -> None:
    registry = clauses.registry()
    assert list(registry) == ids(entries())
    assert clauses.get("STREAM-003").level == "MUST"
    assert clauses.get("STREAM-003").area == "STREAM"
    assert "STREAM-003 (MUST)" in clauses.get("STREAM-003").cite()


def write_copy(tmp_path: Path, change: Any) -> Path:
    data = load_yaml(clauses.CLAUSES_FILE)
    change(data["clauses"])
    path = tmp_path / "clauses.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def load_bad(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: Any) -> str:
    monkeypatch.setattr(clauses, "CLAUSES_FILE", write_copy(tmp_path, change))
    with pytest.raises(ConfigError) as info:
        clauses.registry()
    line = info.value.line()
    assert "\n" not in line
    return line


@pytest.mark.usefixtures("fresh_registry")
def test_duplicate_id_names_file_and_id(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    line = load_bad(tmp_path, monkeypatch, lambda items: items.append(dict(items[0])))
    assert "clauses.yaml" in line
    assert "AUTH-001" in line
    assert "duplicate" in line


@pytest.mark.usefixtures("fresh_registry")
def test_unknown_field_names_file_and_field(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    line = load_bad(tmp_path, monkeypatch, lambda items: items[2].update(colour="blue"))
    assert "clauses.yaml" in line
    assert "clauses.2" in line
    assert "colour" in line


@pytest.mark.usefixtures("fresh_registry")
def test_overlong_quote_names_the_field(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    line = load_bad(tmp_path, monkeypatch, lambda items: items[0].update(quote="x" * 301))
    assert "clauses.0.quote" in line


@pytest.mark.usefixtures("fresh_registry")
def test_unknown_clause_id_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="NOPE-001"):
        clauses.get("NOPE-001")
