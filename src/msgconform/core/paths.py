"""Where the bundled data lives: the repository root holds schemas/, providers/ and suites/."""

from __future__ import annotations

import os
from pathlib import Path


def project_root() -> Path:
    # An editable install keeps the data beside the source; MSGCONFORM_HOME lets a copy of the
    # data elsewhere be used without reinstalling.
    env = os.environ.get("MSGCONFORM_HOME")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[3]


ROOT = project_root()
SCHEMAS = ROOT / "schemas"
PROVIDERS = ROOT / "providers"
SUITES = ROOT / "suites"
REPORTS = ROOT / "reports"
META = SCHEMAS / "meta"
