"""The adapters shipped with msgconform, by the name `--adapter NAME` takes.

Each drives one client library through the adapter protocol (see httpx_example.py, the one to
copy). The Python ones run under this interpreter; `python-sdk-1` puts the previous SDK major,
installed side by side by `make sdk-prev`, first on its path; `typescript-sdk` runs under Node.js
with the SDK `make node-sdk` installs in tests/node/node_modules (elsewhere: MSGCONFORM_SDK_PREV,
MSGCONFORM_NODE_MODULES).
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

from msgconform.core.paths import ROOT

HERE = Path(__file__).parent
# Where `make sdk-prev` and `make node-sdk` install the SDKs in a checkout; the variables point an
# installed msgconform at copies elsewhere.
SDK_PREV = Path(os.environ.get("MSGCONFORM_SDK_PREV") or ROOT / ".sdk-prev")
NODE_DIR = Path(os.environ.get("MSGCONFORM_NODE_MODULES") or ROOT / "tests" / "node")


@dataclass(frozen=True)
class Shipped:
    name: str
    argv: tuple[str, ...]
    policy: str
    env: dict[str, str] = field(default_factory=dict)
    needs: tuple[Path, ...] = ()
    setup: str = ""

    def missing(self) -> str | None:
        """Why this adapter cannot run here, or None."""
        if not self.argv[0]:
            return f"{self.name}: Node.js (node) not found on PATH"
        for path in self.needs:
            if not path.exists():
                return f"{self.name}: {path} is missing; run `{self.setup}`"
        return None


def shipped() -> dict[str, Shipped]:
    python = sys.executable
    node = shutil.which("node") or ""
    return {
        "python-sdk": Shipped("python-sdk", (python, str(HERE / "python_sdk.py")), "python-sdk"),
        "python-sdk-1": Shipped(
            "python-sdk-1",
            (python, str(HERE / "python_sdk.py")),
            "python-sdk-1",
            {"PYTHONPATH": str(SDK_PREV)},
            (SDK_PREV / "anthropic",),
            "make sdk-prev",
        ),
        "typescript-sdk": Shipped(
            "typescript-sdk",
            (node, str(HERE / "typescript_sdk.mjs")),
            "typescript-sdk",
            {"MSGCONFORM_NODE_MODULES": str(NODE_DIR)},
            (NODE_DIR / "node_modules" / "@anthropic-ai" / "sdk",),
            "make node-sdk",
        ),
        "httpx": Shipped("httpx", (python, str(HERE / "httpx_example.py")), "httpx-example"),
    }
