"""Part 4: property-based generation: generated-and-checked requests/s against the mock (the fuzz
cases run through the engine in-process, seed fixed), against raw httpx requests/s to that mock."""

from __future__ import annotations

import importlib.util
import time
from dataclasses import replace
from typing import Any

from msgconform.bench.common import KEY, raw_loop_seconds
from msgconform.bench.stats import Figure, Sample
from msgconform.core.profiles import load as load_profile

SEED = 20261123


def available() -> bool:
    return importlib.util.find_spec("msgconform.fuzz.probe") is not None


def measure(repeat: int, quick: bool, log: Any = print) -> list[Figure]:
    import msgconform.fuzz.probe  # noqa: F401  (registers the fuzz probe)
    from msgconform.core.cases import load_all
    from msgconform.core.settings import RunSettings
    from msgconform.mock.server import MockServer
    from msgconform.runner.engine import Engine
    from msgconform.transport.session import Session

    examples = 10 if quick else 50
    cases = [
        replace(c, probe_params={**c.probe_params, "examples": examples})
        for c in load_all()
        if c.area == "fuzz"
    ]
    profile = load_profile("mock")
    rate, raw = Sample(), Sample()
    outcomes: dict[str, str] = {}
    with MockServer(profile, KEY) as server:
        for _ in range(repeat):
            session = Session(profile, KEY, server.url, settings=RunSettings(seed=SEED))
            try:
                started = time.perf_counter()
                results = [Engine(profile, session).run_case(c) for c in cases]
                seconds = time.perf_counter() - started
            finally:
                session.close()
            sent = sum(r.requests for r in results)
            outcomes = {r.case.id: r.outcome for r in results}
            rate.values.append(sent / seconds)
            raw.values.append(sent / raw_loop_seconds(server.url, max(sent, 1)))
            log(f"fuzz: {sent} requests in {seconds:.1f} s; raw {raw.values[-1]:.0f}/s; {outcomes}")
    note = f"{len(cases)} fuzz cases x {examples} examples, seed {SEED}; {outcomes}"
    figure = Figure("fuzz", "generated+checked requests", "req/s", rate, note=note)
    figure.baseline_name, figure.baseline, figure.ratio_kind = "raw httpx", raw, "baseline/value"
    return [figure]
