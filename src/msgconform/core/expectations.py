"""Known deviations, as in web-platform-tests: per provider (providers/<p>/expectations.yaml) and
per client (suites/clients/expectations/<policy>.yaml), keyed by test ID, prefix or glob."""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from msgconform.core.datafiles import load_validated
from msgconform.core.paths import PROVIDERS


@dataclass(frozen=True)
class Expectation:
    key: str
    expected: tuple[str, ...]
    reason: str
    issue: str | None


def load(provider: str, home: Path | None = None) -> dict[str, Expectation]:
    """From beside the profile (`home`), else from the bundled providers/<provider>/."""
    return load_file((home or PROVIDERS / provider) / "expectations.yaml")


def load_file(path: Path) -> dict[str, Expectation]:
    """An absent file lists no deviations."""
    if not path.is_file():
        return {}
    data: Mapping[str, Any] = load_validated(path, "expectations") or {}
    return {key: parse(key, value) for key, value in data.items()}


def parse(key: str, value: Mapping[str, Any]) -> Expectation:
    expected = value["expected"]
    outcomes = (expected,) if isinstance(expected, str) else tuple(expected)
    return Expectation(key, outcomes, value["reason"], value.get("issue"))


def lookup(expectations: Mapping[str, Expectation], test_id: str) -> Expectation | None:
    """The most specific entry wins: the test ID, then clause and area prefixes, then globs."""
    if test_id in expectations:
        return expectations[test_id]
    parts = test_id.split("/")
    for depth in range(len(parts) - 1, 0, -1):
        prefix = "/".join(parts[:depth])
        if prefix in expectations:
            return expectations[prefix]
    for key, value in expectations.items():
        if any(ch in key for ch in "*?[") and fnmatch.fnmatchcase(test_id, key):
            return value
    return None


def apply(raw: str, reason: str | None, known: Expectation | None) -> tuple[str, str | None]:
    """A listed deviation makes its outcome XFAIL; a pass where a failure was listed is XPASS."""
    if known is None:
        return raw, reason
    if raw != "PASS" and raw in known.expected:
        return "XFAIL", known.reason
    if raw == "PASS" and "PASS" not in known.expected:
        return "XPASS", f"expected {'/'.join(known.expected)}: {known.reason}"
    return raw, reason
