"""Known deviations of a client (suites/clients/expectations/<policy>.yaml), read and applied as a
provider's are (core/expectations.py); each entry needs a reason with its evidence."""

from __future__ import annotations

from pathlib import Path

from msgconform.core.expectations import Expectation, load_file
from msgconform.core.paths import SUITES

EXPECTATIONS_DIR = SUITES / "clients" / "expectations"


def path_for(policy: str) -> Path:
    return EXPECTATIONS_DIR / f"{policy}.yaml"


def load(policy: str) -> dict[str, Expectation]:
    return load_file(path_for(policy))
