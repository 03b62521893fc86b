"""The nightly matrix: provider × model, from the live profiles (`python -m
msgconform.commands.matrix` prints it as JSON for GitHub Actions' `fromJSON`)."""

from __future__ import annotations

import json
import re
import sys
from typing import Any
from urllib.parse import urlsplit

from msgconform.core import profiles
from msgconform.core.datafiles import load_validated
from msgconform.core.paths import PROVIDERS


def slug(model: str) -> str:
    """A model name as an artifact name allows it (no slashes, colons or spaces)."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", model).strip("-") or "model"


def self_hosted(base_url: str | None) -> bool:
    host = urlsplit(base_url or "").hostname or ""
    return host in ("127.0.0.1", "localhost", "::1")


def legs() -> list[dict[str, Any]]:
    """One leg per hosted provider and model in its profile's model_list (else its default).
    A self-hosted server's profile (base_url on loopback) has nothing for a CI runner to reach."""
    found: list[dict[str, Any]] = []
    for name in profiles.available():
        # The profile's data, not a Profile: a leg needs no base URL or key on this machine.
        data = load_validated(PROVIDERS / name / "profile.yaml", "profile")
        if data["target"]["kind"] != "live" or self_hosted(data["target"].get("base_url")):
            continue
        key_env = data["auth"]["key_env"]
        models = data.get("model_list") or [data["models"]["default"]]
        found += [
            {"provider": name, "model": m, "slug": slug(m), "key_env": key_env} for m in models
        ]
    return found


def main() -> int:
    print(json.dumps({"include": legs()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
