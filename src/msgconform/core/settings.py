"""A run's settings: built once from its options, handed to the engine and (through the session)
to the probes. Nothing travels through the environment."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from msgconform.core.limits import RunLimits


@dataclass(frozen=True)
class RunSettings:
    # `--seed N` reproduces generated requests; `--explore` draws a fresh one for the run (see
    # `from_options`). None: each fuzz case derives its seed from the suite and contract hashes.
    seed: int | None = None
    explore: bool = False
    # `--explore deep`: the negative fuzz cases also send schemathesis' negative examples
    # (fuzz/deep.py), seeded like the rest, so `--seed N --explore deep` draws them again.
    deep: bool = False
    strict: bool = False
    # The effective limits (None outside a run: the profile's own apply).
    limits: RunLimits | None = None
    out: Path | None = None
    no_report: bool = False
    mock_fault: str | None = None
    against_mock: bool = False
    record: Path | None = None
    replay: Path | None = None
    progress: bool = False
    argv: tuple[str, ...] = ()

    @classmethod
    def from_options(
        cls, options: Mapping[str, Any], limits: RunLimits, argv: tuple[str, ...] = ()
    ) -> RunSettings:
        """From the option table's values by dest (runner/options.py)."""
        seed = options.get("seed")
        level = options.get("explore")  # None, "fresh" or "deep" (runner/options.py)
        explore = bool(level)
        if seed is None and explore:
            seed = random.randrange(2**32)  # printed in the header: `--seed` replays it
        return cls(
            seed=seed,
            explore=explore,
            deep=level == "deep",
            strict=bool(options.get("conformance_strict")),
            limits=limits,
            out=path_of(options.get("out")),
            no_report=bool(options.get("no_report")),
            mock_fault=options.get("mock_fault"),
            against_mock=bool(options.get("against_mock")),
            record=path_of(options.get("record")),
            replay=path_of(options.get("replay")),
            progress=bool(options.get("progress")),
            argv=argv,
        )


def path_of(value: str | None) -> Path | None:
    return Path(value) if value else None
