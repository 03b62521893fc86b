"""Cases are data: suites/<area>/cases.yaml, validated against schemas/meta/cases.schema.json."""

from __future__ import annotations

import copy
import fnmatch
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from msgconform.core.datafiles import display, load_validated
from msgconform.core.errors import ConfigError
from msgconform.core.paths import SUITES

# The feature map (suites/features/features.yaml): each feature and mode is a case of its own.
FEATURES_FILE = "features.yaml"
FEATURE_CHECK = "feature_as_declared"


@dataclass(frozen=True)
class Case:
    area: str
    id: str
    description: str
    clauses: tuple[str, ...]
    requires: tuple[str, ...]
    probe: str
    probe_params: Mapping[str, Any]
    stream: bool
    request: Mapping[str, Any] | None
    checks: tuple[tuple[str, Mapping[str, Any]], ...]
    source: Path
    smoke: bool = False
    comment: str = field(default="", compare=False)
    # Invariants this case turns off, each with its reason (it provokes an odd answer on purpose).
    invariants_off: Mapping[str, str] = field(default_factory=dict, compare=False)

    @property
    def test_id(self) -> str:
        return f"{self.area}/{self.clauses[0]}/{self.id}"

    def matches(self, selector: str) -> bool:
        """--only takes an area, a clause ID, a case ID, a test-ID prefix, or a glob."""
        sel = selector.strip("/")
        return (
            sel in (self.area, self.id, self.test_id)
            or sel in self.clauses
            or self.test_id.startswith(sel + "/")
            or fnmatch.fnmatchcase(self.test_id, sel)
        )


def parse_checks(items: Iterable[Any]) -> tuple[tuple[str, Mapping[str, Any]], ...]:
    parsed: list[tuple[str, Mapping[str, Any]]] = []
    for item in items:
        if isinstance(item, str):
            parsed.append((item, {}))
        else:
            ((name, params),) = item.items()
            parsed.append((name, params or {}))
    return tuple(parsed)


def load_area(path: Path) -> list[Case]:
    if path.name == FEATURES_FILE:
        return load_features(path)
    data = load_validated(path, "cases")
    return [
        Case(
            area=data["area"],
            id=entry["id"],
            description=entry["description"],
            clauses=tuple(entry["clauses"]),
            requires=tuple(entry.get("requires", [])),
            probe=entry.get("probe", "send"),
            probe_params=entry.get("probe_params", {}),
            stream=bool(entry.get("stream", False)),
            request=entry.get("request"),
            checks=parse_checks(entry["checks"]),
            source=path,
            smoke=bool(entry.get("smoke", False)),
            comment=entry.get("comment", ""),
            invariants_off=entry.get("invariants_off", {}),
        )
        for entry in data["cases"]
    ]


def load_features(path: Path) -> list[Case]:
    """One case per feature and mode; everything the probe and the check need is in probe_params."""
    data = load_validated(path, "features")
    cases = []
    for entry in data["features"]:
        modes = entry.get("modes", ["json"])
        for mode in modes:
            suffix = "-stream" if mode == "stream" and len(modes) > 1 else ""
            params = {k: v for k, v in entry.items() if k not in ("id", "title", "request")}
            judged = {k: entry[k] for k in ("declared_by", "honoured", "endpoint") if k in entry}
            cases.append(
                Case(
                    area=data["area"],
                    id=entry["id"] + suffix,
                    description=entry["title"] + (" (streamed)" if suffix else ""),
                    clauses=(entry["clause"],),
                    requires=(),
                    probe="feature",
                    probe_params={**params, "feature": entry["id"], "mode": mode},
                    stream=mode == "stream",
                    request=entry["request"],
                    checks=(
                        (
                            FEATURE_CHECK,
                            {
                                **judged,
                                "feature": entry["id"],
                                "mode": mode,
                                "clause": entry["clause"],
                            },
                        ),
                    ),
                    source=path,
                )
            )
    return cases


def load_all(root: Path = SUITES) -> list[Case]:
    cases: list[Case] = []
    seen: dict[str, Path] = {}
    for path in [*sorted(root.glob("*/cases*.yaml")), *sorted(root.glob(f"*/{FEATURES_FILE}"))]:
        for case in load_area(path):
            if case.test_id in seen:
                raise ConfigError(
                    f"{display(path)}: {case.id}",
                    f"test ID {case.test_id} also defined in {display(seen[case.test_id])}",
                )
            seen[case.test_id] = path
            cases.append(case)
    return cases


def select(cases: Iterable[Case], only: Iterable[str]) -> list[Case]:
    selectors = [s for s in only if s]
    if not selectors:
        return list(cases)
    return [c for c in cases if any(c.matches(s) for s in selectors)]


def materialize(
    request: Mapping[str, Any], models: Mapping[str, str], max_tokens_cap: int
) -> dict[str, Any]:
    """Fill the {model} / {model:<role>} placeholder; cap max_tokens so a live run stays cheap."""
    body = copy.deepcopy(dict(request))
    placeholder = body.get("model")
    if isinstance(placeholder, str) and placeholder.startswith("{model"):
        role = placeholder.strip("{}").partition(":")[2] or "default"
        body["model"] = models.get(role) or models["default"]
    tokens = body.get("max_tokens")
    cap = max_tokens_cap + thinking_budget(body)
    if isinstance(tokens, int) and not isinstance(tokens, bool) and tokens > cap:
        body["max_tokens"] = cap
    return body


def thinking_budget(body: Mapping[str, Any]) -> int:
    """Thinking tokens count against max_tokens, so the cap sits above the thinking budget."""
    thinking = body.get("thinking")
    budget = thinking.get("budget_tokens") if isinstance(thinking, dict) else None
    return budget if isinstance(budget, int) and not isinstance(budget, bool) else 0
