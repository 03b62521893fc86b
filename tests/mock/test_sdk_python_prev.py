"""The previous major of the official Python SDK (1.x: x-api-key, anthropic-version 2023-06-01)
works against the mock unmodified. `make test` installs it side by side into .sdk-prev/."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.conftest import MOCK_KEY

from msgconform.core.paths import ROOT
from msgconform.mock.server import MockServer

SDK_PREV = ROOT / ".sdk-prev"
SCRIPT = Path(__file__).parents[1] / "sdk_prev" / "scenarios.py"


@pytest.mark.skipif(
    not (SDK_PREV / "anthropic").is_dir(), reason="anthropic 1.x not installed (make sdk-prev)"
)
def test_previous_sdk_major_works_unmodified(mock_server: MockServer) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANTHROPIC_")}
    env["PYTHONPATH"] = str(SDK_PREV)
    done = subprocess.run(
        [sys.executable, str(SCRIPT), mock_server.url, MOCK_KEY],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout)
    assert seen["version"].startswith("1.")
    assert seen["text"] == "hello there"
    assert seen["stop_reason"] == "end_turn"
    assert seen["stream_stop_reason"] == "max_tokens"
    assert seen["tool_stop_reason"] == "tool_use"
    assert isinstance(seen["tool_input"]["city"], str)
    assert seen["input_tokens"] > 0
    assert seen["error"] == "BadRequestError"
