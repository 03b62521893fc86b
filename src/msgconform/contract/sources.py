"""SOURCES.yaml: where each bundled contract file came from, and its sha256 (so a hand edit without
a refresh is caught). `python -m msgconform.contract.sources [--refresh-sources]`."""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from msgconform.contract.document import BASE_DOCUMENT, Contract
from msgconform.core.datafiles import load_validated, load_yaml
from msgconform.core.errors import ConfigError
from msgconform.core.paths import SCHEMAS

SOURCES = "SOURCES.yaml"


def bundled_files(root: Path = SCHEMAS) -> list[Path]:
    overlays = sorted((root / "overlays").glob("*.yaml"))
    betas = [root / "betas.yaml", root / "betas.sdk.json"]
    return [root / BASE_DOCUMENT, root / "versions.yaml", *betas, *overlays]


def _listed_name(path: Path, root: Path) -> str:
    return f"schemas/{path.relative_to(root).as_posix()}"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def sources_problems(root: Path = SCHEMAS) -> list[str]:
    """One line per bundled file whose SOURCES.yaml entry is missing or has a stale sha256."""
    data = load_validated(root / SOURCES, "sources")
    recorded = {doc["file"]: doc["sha256"] for doc in data["documents"]}
    problems = []
    for path in bundled_files(root):
        name = _listed_name(path, root)
        if name not in recorded:
            problems.append(f"{name}: not listed in {SOURCES}")
        elif recorded.pop(name) != _sha256(path):
            problems.append(f"{name}: sha256 differs from {SOURCES} (edited without a refresh?)")
    problems.extend(f"{name}: listed in {SOURCES} but missing" for name in recorded)
    return problems


def refresh_sources(root: Path = SCHEMAS) -> list[str]:
    """Rewrite the sha256 of every listed file in place; returns the files whose hash changed."""
    file = root / SOURCES
    text = file.read_text(encoding="utf-8")
    changed = []
    for path in bundled_files(root):
        name = _listed_name(path, root)
        pattern = re.compile(rf"(file: {re.escape(name)}\n\s+sha256: )([0-9a-f]{{64}})")
        match = pattern.search(text)
        digest = _sha256(path)
        if match and match.group(2) != digest:
            text = text[: match.start(2)] + digest + text[match.end(2) :]
            changed.append(name)
    file.write_text(text, encoding="utf-8")
    return changed


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m msgconform.contract.sources")
    parser.add_argument(
        "--refresh-sources", action="store_true", help="rewrite SOURCES.yaml hashes"
    )
    args = parser.parse_args(argv)
    try:
        if args.refresh_sources:
            changed = refresh_sources()
            print("\n".join(f"refreshed {name}" for name in changed) or "SOURCES.yaml up to date")
        problems = sources_problems()
        for version in load_yaml(SCHEMAS / "versions.yaml")["versions"]:
            Contract.load(version, None)
    except ConfigError as exc:
        print(exc.line(), file=sys.stderr)
        return 2
    print("\n".join(problems) or "contract OK", file=sys.stderr if problems else sys.stdout)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
