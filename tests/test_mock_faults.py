"""The fault catalogue is complete and honest, and each fault changes what the mock sends."""

from __future__ import annotations

import re

import httpx
import pytest

from msgconform.mock.faults import FAULTS
from msgconform.paths import SCHEMAS

PLAN = set(re.findall(r"^([A-Z]+-\d{3}) ", (SCHEMAS / "CLAUSE_PLAN.txt").read_text(), re.M))
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
    assert fault.description and "\n" not in fault.description
    assert bool(fault.clauses) != fault.legal
    assert set(fault.clauses) <= PLAN


def fetch(url: str, fault: str | None, stream: bool, timeout: float = 5.0) -> tuple[int, bytes]:
    headers = {"x-api-key": "sk-mock-test-0123456789abcdef", "anthropic-version": "2023-06-01"}
    if fault:
        headers["x-msgconform-fault"] = fault
    body = {**REQUEST, "stream": stream}
    try:
        with httpx.stream(
            "POST", url + "/v1/messages", json=body, headers=headers, timeout=timeout
        ) as r:
            return r.status_code, b"".join(r.iter_raw())
    except httpx.HTTPError:
        return -1, b""


@pytest.mark.parametrize("name", sorted(set(FAULTS) - SLOW - {"huge_body"}))
def test_fault_runs_and_the_server_keeps_serving(mock_server, name: str) -> None:
    fetch(mock_server.url, name, stream=True)
    fetch(mock_server.url, name, stream=False)
    assert fetch(mock_server.url, None, stream=False)[0] == 200


@pytest.mark.parametrize("name", sorted(SLOW))
def test_slow_fault_ends_when_the_client_leaves(mock_server, name: str) -> None:
    status, _ = fetch(mock_server.url, name, stream=True, timeout=0.3)
    assert status in (-1, 200)
    assert fetch(mock_server.url, None, stream=True)[0] == 200


def test_unknown_fault_header_is_refused(mock_server) -> None:
    status, body = fetch(mock_server.url, "no_such_fault", stream=False)
    assert status == 400
    assert b"x-msgconform-fault" in body
