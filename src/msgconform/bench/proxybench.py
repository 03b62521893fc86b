"""Part 5: what `msgconform proxy` adds. The mock and the proxy each run as a process (as a user
runs them); this process drives 16 concurrent clients straight at the mock, then through the
proxy, and compares the medians: the time of a JSON request, and of a 12-event stream divided by
its events (target: under 1 ms added per event)."""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from typing import Any

import httpx

from msgconform.bench.common import HEADERS, KEY, body, free_port
from msgconform.bench.servers import serving
from msgconform.bench.stats import Figure, Sample

CONCURRENCY = 16
EVENTS = 12  # "Hi" with max_tokens 16 streams as 12 events from the mock (bench/common.py)


async def timed(client: httpx.AsyncClient, stream: bool) -> float:
    started = time.perf_counter()
    async with client.stream("POST", "/v1/messages", content=body(stream), headers=HEADERS) as r:
        async for _ in r.aiter_raw():
            pass
        r.raise_for_status()
    return time.perf_counter() - started


async def medians(url: str, requests: int, stream: bool) -> float:
    """The median time of `requests` requests, CONCURRENCY at a time on keep-alive connections."""
    limits = httpx.Limits(max_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as client:
        await asyncio.gather(*(timed(client, stream) for _ in range(CONCURRENCY)))  # warm up
        times: list[float] = []

        async def worker(count: int) -> None:
            times.extend([await timed(client, stream) for _ in range(count)])

        await asyncio.gather(*(worker(requests // CONCURRENCY) for _ in range(CONCURRENCY)))
    return statistics.median(times)


def measure(repeat: int, quick: bool, log: Any = print) -> list[Figure]:
    requests = 160 if quick else 800
    mock_port, proxy_port = free_port(), free_port()
    mock_url = f"http://127.0.0.1:{mock_port}"
    per_request, per_event = Sample(), Sample()
    direct_json, direct_stream = Sample(), Sample()
    mock_argv = [sys.executable, "-m", "msgconform", "mock", "--port", str(mock_port),
                 "--key", KEY]  # fmt: skip
    with tempfile.TemporaryDirectory() as out, serving("mock", mock_argv, mock_port):
        proxy_argv = [sys.executable, "-m", "msgconform", "proxy", "--provider", "mock",
                      "--upstream", mock_url, "--port", str(proxy_port), "--out", out]  # fmt: skip
        with serving("proxy", proxy_argv, proxy_port) as proxy:
            for _ in range(repeat):
                times = {
                    (url, stream): asyncio.run(medians(url, requests, stream))
                    for url in (mock_url, proxy.url)
                    for stream in (False, True)
                }
                direct_json.values.append(times[mock_url, False] * 1000)
                direct_stream.values.append(times[mock_url, True] * 1000 / EVENTS)
                per_request.values.append((times[proxy.url, False] - times[mock_url, False]) * 1000)
                added = times[proxy.url, True] - times[mock_url, True]
                per_event.values.append(added * 1000 / EVENTS)
                log(f"proxy: added {per_request.values[-1]:.2f} ms a request, "
                    f"{per_event.values[-1]:.3f} ms an event")  # fmt: skip
    note = (
        f"{CONCURRENCY} concurrent clients, {requests} requests a kind; mock and proxy share core 0"
    )
    return [
        Figure("proxy", "proxy: added latency, JSON request", "ms", per_request,
               "the request straight to the mock", direct_json, note=note),
        Figure("proxy", "proxy: added latency per stream event", "ms", per_event,
               "a stream event straight from the mock", direct_stream, note=note,
               ).judge(lambda f: f.value.median < 1.0, "< 1 ms"),
    ]  # fmt: skip
