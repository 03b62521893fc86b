"""The official TypeScript SDK works against the mock unmodified (tests/node/sdk_scenarios.mjs)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from tests.conftest import MOCK_KEY

from msgconform.mock.server import MockServer

NODE_DIR = Path(__file__).parents[1] / "node"
SCENARIOS = (
    "create",
    "stream_final_message",
    "tool_round_trip",
    "count_tokens",
    "typed_errors",
    "retry_after",
)


@pytest.mark.node
@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_typescript_sdk_scenarios(mock_server: MockServer) -> None:
    if not (NODE_DIR / "node_modules" / "@anthropic-ai" / "sdk").is_dir():
        pytest.fail("the TypeScript SDK is not installed: run `make node-sdk`")
    env = {**os.environ, "MOCK_URL": mock_server.url, "MOCK_KEY": MOCK_KEY}
    done = subprocess.run(
        ["node", "sdk_scenarios.mjs"],
        cwd=NODE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    lines = done.stdout.splitlines()
    assert [line for line in lines if not line.startswith("ok ")] == [], done.stderr
    assert lines == [f"ok {name}" for name in SCENARIOS]
