"""Where a profile comes from: a file the user names, their own directories, or the bundled ones.

MSGCONFORM_PROFILE_PATH lists directories (os.pathsep between them) laid out like providers/:
`<dir>/<name>/profile.yaml`, with an optional `expectations.yaml` beside it. They are searched in
order before the bundled providers, so a user's profile may also shadow a bundled one.
"""

from __future__ import annotations

import os
from pathlib import Path

from msgconform.core.paths import PROVIDERS

PATH_ENV = "MSGCONFORM_PROFILE_PATH"
PROFILE_FILE = "profile.yaml"


def search_dirs() -> list[Path]:
    extra = os.environ.get(PATH_ENV, "")
    return [Path(d).expanduser() for d in extra.split(os.pathsep) if d] + [PROVIDERS]


def looks_like_path(token: str) -> bool:
    """`--provider baseten` names a profile; `./mine.yaml` or `dir/profile.yaml` is a file."""
    return "/" in token or os.sep in token or token.endswith((".yaml", ".yml"))


def profile_file(token: str) -> Path:
    """The file for a --profile argument: a profile.yaml, or a directory holding one."""
    path = Path(token).expanduser()
    return path / PROFILE_FILE if path.is_dir() else path


def find(name: str) -> Path | None:
    for directory in search_dirs():
        candidate = directory / name / PROFILE_FILE
        if candidate.is_file():
            return candidate
    return None


def names() -> list[str]:
    found: set[str] = set()
    for directory in search_dirs():
        if directory.is_dir():
            found.update(p.parent.name for p in directory.glob(f"*/{PROFILE_FILE}"))
    return sorted(found)
