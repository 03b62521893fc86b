"""The fault catalogue is complete and honest, and each fault changes what the mock sends."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from tests.conftest import MOCK_KEY

from msgconform.core.paths import SCHEMAS
from msgconform.mock.faults import FAULTS

PLAN = set(re.findall(r"^  - id: ([A-Z]+-\d{3})$", (SCHEMAS / "clauses.yaml").read_text(), re.M))
# Faults that wait for the client to give up; they are exercised with a short client deadline.
SLOW = {"hang_before_headers", "hang_mid_stream", "slow_drip", "no_close_after_message_stop"}
REQUEST = {
    "model": "mock-sonnet",
    "max_tokens": 24,
    "system": "Say CANARY",
    "stop_sequences": ["zzz"],
    "messages": [{"role": "user", "content": "hello"}],
}


def test_at_least_thirty_faults_and_the_legal_variants() -> None:
    assert len([f for f in FAULTS.values() if not f.legal]) >= 30
    legal = {n for n, f in FAULTS.items() if f.legal}
    assert {"crlf_line_endings", "sse_comments", "data_before_event", "split_multibyte"} <= legal


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_fault_is_described_and_cites_known_clauses(name: str) -> None:
    fault = FAULTS[name]
    assert fault.name == name
    assert fault.description
    assert "\n" not in fault.description
    assert bool(fault.clauses) != fault.legal
    assert set(fault.clauses) <= PLAN


@pytest.fixture(scope="module")
def client(mock_server) -> Iterator[httpx.Client]:
    headers = {"x-api-key": MOCK_KEY, "anthropic-version": "2023-06-01"}
    with httpx.Client(base_url=mock_server.url, headers=headers, timeout=5) as client:
        yield client


def fetch(client: httpx.Client, fault: str | None, stream: bool, timeout: float = 5.0) -> int:
    """The status, or -1 when the transport fails (which some faults are meant to cause)."""
    headers = {"x-msgconform-fault": fault} if fault else {}
    body = {**REQUEST, "stream": stream}
    try:
        with client.stream(
            "POST", "/v1/messages", json=body, headers=headers, timeout=timeout
        ) as r:
            r.read()
            return r.status_code
    except httpx.HTTPError:
        return -1


@pytest.mark.parametrize("name", sorted(set(FAULTS) - SLOW - {"huge_body"}))
def test_fault_runs_and_the_server_keeps_serving(client: httpx.Client, name: str) -> None:
    fetch(client, name, stream=True)
    fetch(client, name, stream=False)
    assert fetch(client, None, stream=False) == 200


@pytest.mark.parametrize("name", sorted(SLOW))
def test_slow_fault_ends_when_the_client_leaves(client: httpx.Client, name: str) -> None:
    assert fetch(client, name, stream=True, timeout=0.3) in (-1, 200)
    assert fetch(client, None, stream=True) == 200


def test_unknown_fault_header_is_refused(client: httpx.Client) -> None:
    response = client.post("/v1/messages", json=REQUEST, headers={"x-msgconform-fault": "nope"})
    assert response.status_code == 400
    assert "x-msgconform-fault" in response.json()["error"]["message"]
