"""Where the bundled data lives: schemas/, providers/ and suites/.

In the repository they sit at the top level; a wheel carries them as package data under
`msgconform/_data/` (pyproject.toml maps them there at build time without moving them).
`MSGCONFORM_HOME` points at another copy and wins over both.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

PACKAGED = "_data"


def checkout_root() -> Path:
    """The repository root when running from a checkout or an editable install."""
    return Path(__file__).resolve().parents[3]


def packaged_root() -> Path | None:
    """The data inside an installed wheel, or None when the package carries none (editable)."""
    data = resources.files("msgconform").joinpath(PACKAGED)
    # Every module reads the data as files, so a zipped install (no real directory) is unsupported.
    return data if isinstance(data, Path) and data.is_dir() else None


def project_root() -> Path:
    env = os.environ.get("MSGCONFORM_HOME")
    if env:
        return Path(env)
    return packaged_root() or checkout_root()


def reports_root(root: Path) -> Path:
    """Reports go beside the data, except inside an installed package: there, under the cwd."""
    return Path("reports") if root == packaged_root() else root / "reports"


ROOT = project_root()
SCHEMAS = ROOT / "schemas"
PROVIDERS = ROOT / "providers"
SUITES = ROOT / "suites"
REPORTS = reports_root(ROOT)
META = SCHEMAS / "meta"
