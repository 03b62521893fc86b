"""The client scenarios (suites/clients/*.yaml): loading, validation, and the request each sends."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from msgconform.core.datafiles import display, load_validated
from msgconform.core.errors import ConfigError
from msgconform.core.paths import SUITES

SCENARIO_DIR = SUITES / "clients"
DEFAULT_WITHIN_S = 20.0
BASE_REQUEST: dict[str, Any] = {
    "max_tokens": 16,
    "messages": [{"role": "user", "content": "Say hello."}],
}
# Tool sets a scenario names by key, so each file stays short.
TOOLS: dict[str, list[dict[str, Any]]] = {
    "weather": [
        {
            "name": "get_weather",
            "description": "Current weather for a city",
            "input_schema": {
                "type": "object",
                "properties": {"city": {"type": "string"}, "unit": {"type": "string"}},
                "required": ["city"],
            },
        }
    ],
    "clock": [
        {
            "name": "get_time",
            "description": "The current time",
            "input_schema": {"type": "object", "properties": {}},
        }
    ],
}


@dataclass(frozen=True)
class ClientScenario:
    id: str
    area: str
    description: str
    clauses: tuple[str, ...]
    request: dict[str, Any]
    serve: tuple[dict[str, Any], ...]
    expect: dict[str, Any]
    message: dict[str, Any] | None
    auth: str | None
    path: Path

    @property
    def test_id(self) -> str:
        return f"{self.area}/{self.clauses[0]}/{self.id}"

    @property
    def stream(self) -> bool:
        return bool(self.request.get("stream"))

    @property
    def within_s(self) -> float:
        return float(self.expect.get("within_s", DEFAULT_WITHIN_S))

    def body(self, model: str) -> dict[str, Any]:
        """The request the adapter is asked to send (tool set names expanded)."""
        body = {"model": model, **copy.deepcopy(BASE_REQUEST), **copy.deepcopy(self.request)}
        if isinstance(body.get("tools"), str):
            body["tools"] = copy.deepcopy(TOOLS[body["tools"]])
        return body


def load_file(path: Path) -> list[ClientScenario]:
    data = load_validated(path, "client-scenarios")
    area = str(data["area"])
    found = []
    for entry in data["scenarios"]:
        tools = entry.get("request", {}).get("tools")
        if isinstance(tools, str) and tools not in TOOLS:
            raise ConfigError(f"{display(path)}: {entry['id']}", f"unknown tool set {tools!r}")
        found.append(
            ClientScenario(
                id=str(entry["id"]),
                area=area,
                description=str(entry["description"]),
                clauses=tuple(entry["clauses"]),
                request=dict(entry.get("request") or {}),
                serve=tuple(entry["serve"]),
                expect=dict(entry["expect"]),
                message=entry.get("message"),
                auth=entry.get("auth"),
                path=path,
            )
        )
    return found


@cache
def load_all(directory: Path = SCENARIO_DIR) -> tuple[ClientScenario, ...]:
    found: list[ClientScenario] = []
    for path in sorted(directory.glob("*.yaml")):
        found += load_file(path)
    seen: set[str] = set()
    for scenario in found:
        if scenario.id in seen:
            raise ConfigError(display(scenario.path), f"duplicate client scenario id {scenario.id}")
        seen.add(scenario.id)
    return tuple(found)


def select(only: list[str] | None, directory: Path = SCENARIO_DIR) -> list[ClientScenario]:
    """All scenarios, or those whose test ID equals or starts with one of `only`, or whose id is."""
    scenarios = list(load_all(directory))
    if not only:
        return scenarios
    chosen = [s for s in scenarios if any(s.id == o or s.test_id.startswith(o) for o in only)]
    if not chosen:
        raise ConfigError("--only", f"no client scenario matches {', '.join(only)}")
    return chosen
