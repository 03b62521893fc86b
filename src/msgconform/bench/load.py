"""Part 2: mock throughput under wrk (keep-alive, Lua POST body) at 1, 16 and 64 connections,
against the fixed-body ceiling on the same uvicorn stack and, at 16 connections, the third-party
peer (aimock on Node.js, when it is installed); the mock's memory; 200 concurrent streams.

Every cell runs the servers back to back (mock, ceiling, peer), so the noise of a shared machine
hits them alike; the servers' CPU per request is recorded too, which that noise disturbs less.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from msgconform.bench import peer
from msgconform.bench.common import HEADERS, body, free_port
from msgconform.bench.servers import (
    KINDS,
    LoadUnavailable,
    Server,
    capture,
    ceiling_argv,
    mock_argv,
    request_files,
    serving,
    wrk,
)
from msgconform.bench.stats import Figure, Sample

__all__ = ["LoadUnavailable", "measure"]

CONNECTIONS = (1, 16, 64)
PEER_CONNECTIONS = 16
WHO = ("mock", "ceiling", "peer")
TARGET_SHARE = {"json": 0.5, "stream": 0.6}  # of the ceiling, at 16 connections
CONCURRENT = 200
WARMUP_S = 2


async def concurrent_streams(url: str, count: int) -> tuple[int, list[str]]:
    """`count` streams opened at once on `count` connections; an error is anything but a
    200 stream that ends with message_stop after 12 events."""
    limits = httpx.Limits(max_connections=count, max_keepalive_connections=count)
    content = body(True)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as client:

        async def one() -> str | None:
            try:
                answer = await client.post("/v1/messages", content=content, headers=HEADERS)
            except httpx.HTTPError as exc:
                return f"{type(exc).__name__}: {exc}"
            text = answer.text
            if answer.status_code != 200 or not text.rstrip().endswith('{"type":"message_stop"}'):
                return f"status {answer.status_code}, {text.count(chr(10) * 2)} events"
            return None

        found = await asyncio.gather(*(one() for _ in range(count)))
    problems = [p for p in found if p is not None]
    return len(problems), problems[:3]


def _samples() -> dict[str, Sample]:
    return {who: Sample() for who in WHO}


@dataclass
class Point:
    """One (kind, connections) cell: rate, latencies and CPU per request of each server."""

    kind: str
    connections: int
    rate: dict[str, Sample] = field(default_factory=_samples)
    p50: dict[str, Sample] = field(default_factory=_samples)
    p99: dict[str, Sample] = field(default_factory=_samples)
    cpu: dict[str, Sample] = field(default_factory=_samples)
    errors: int = 0


def record(point: Point, who: str, result: dict[str, Any]) -> None:
    point.rate[who].values.append(result["rate"])
    point.p50[who].values.append(result["p50_us"] / 1000)
    point.p99[who].values.append(result["p99_us"] / 1000)
    if "cpu_us" in result:
        point.cpu[who].values.append(result["cpu_us"])
    if who == "mock":
        point.errors += result["errors"]


@dataclass
class PeerRun:
    """The peer as it ran: its server, the events of its stream, its chunk size; or why not."""

    server: Server | None
    events: int = 0
    chunk: int = 0
    version: str = ""
    reason: str = ""


def start_peer(stack: ExitStack, json_answer: bytes, events: int, tmp: Path) -> PeerRun:
    reason = peer.missing()
    if reason:
        return PeerRun(None, reason=reason)
    text = peer.reply_text(json_answer)
    chunk = peer.chunk_size(text, events)
    port = free_port()
    argv = peer.argv(port, peer.write_fixture(tmp / "peer", text), chunk)
    try:
        server = stack.enter_context(serving(peer.NAME, argv, port))
    except LoadUnavailable as exc:
        return PeerRun(None, reason=str(exc))
    return PeerRun(server, peer.stream_events(server.url), chunk, peer.version())


def measure(repeat: int, quick: bool, log: Any = print) -> list[Figure]:
    if not shutil.which("wrk"):
        raise LoadUnavailable("wrk is not installed (Debian: apt-get install -y wrk)")
    seconds = 1 if quick else 3
    with tempfile.TemporaryDirectory(prefix="msgconform-bench-") as name, ExitStack() as stack:
        tmp = Path(name)
        mock_port, ceiling_port = free_port(), free_port()
        mock = stack.enter_context(serving("mock", mock_argv(mock_port), mock_port))
        json_file, sse_file, events = capture(mock.url, tmp)
        argv = ceiling_argv(ceiling_port, json_file, sse_file)
        ceiling = stack.enter_context(serving("ceiling", argv, ceiling_port))
        run = start_peer(stack, json_file.read_bytes(), events, tmp)
        log(f"peer: {run.reason or f'{peer.NAME} {run.version}, {run.events} events a stream'}")
        servers = {"mock": mock, "ceiling": ceiling}
        if run.server is not None:
            servers["peer"] = run.server
        idle_mb = mock.rss_mb()
        points = sweep(servers, request_files(tmp), repeat, seconds, log)
        loaded_mb, peak_mb = mock.rss_mb(), mock.rss_mb("VmHWM")
        stream_errors = Sample()
        details: list[str] = []
        for _ in range(repeat):
            errors, details = asyncio.run(concurrent_streams(mock.url, CONCURRENT))
            stream_errors.values.append(errors)
        log(f"{CONCURRENT} concurrent streams: {stream_errors.values} errors {details}")
    memory = {"idle_mb": idle_mb, "after_load_mb": loaded_mb, "peak_mb": peak_mb}
    out = figures(points, events, memory, stream_errors, details)
    return out + peer_figures(points, events, run)


def sweep(
    servers: dict[str, Server], files: dict[str, Path], repeat: int, seconds: int, log: Any
) -> list[Point]:
    points = [Point(kind, n) for kind in KINDS for n in CONNECTIONS]
    for server in servers.values():  # Node's JIT and Python's caches warm before anything counts
        for kind in KINDS:
            wrk(server, files[kind], PEER_CONNECTIONS, WARMUP_S)
    for rep in range(repeat):
        for point in points:  # back to back, so noise hits every server alike
            said = []
            for who, server in servers.items():
                if who == "peer" and point.connections != PEER_CONNECTIONS:
                    continue
                record(point, who, wrk(server, files[point.kind], point.connections, seconds))
                said.append(f"{who} {point.rate[who].values[-1]:.0f}/s")
            log(f"load {rep + 1}/{repeat} {point.kind} c={point.connections}: {', '.join(said)}")
    return points


def figures(
    points: list[Point], events: int, memory: dict[str, Any], streams: Sample, details: list[str]
) -> list[Figure]:
    out = [point_figure(p, events) for p in points]
    rss = Sample([v for v in (memory["after_load_mb"],) if v is not None])
    note = f"idle {memory['idle_mb']} MB, peak (VmHWM) {memory['peak_mb']} MB"
    out.append(Figure("mock-load", "mock RSS after load", "MB", rss, note=note, extra=memory))
    said = "; ".join(details) or "every stream 200 and ended by message_stop"
    name = f"{CONCURRENT} concurrent streams: errors"
    conc = Figure("mock-load", name, "errors", streams, note=said)
    out.append(conc.judge(lambda f: max(f.value.values) == 0, "0 errors"))
    return out


def point_figure(p: Point, events: int) -> Figure:
    unit = "req/s" if p.kind == "json" else f"streams/s ({events} events)"
    note = (
        f"p50 {p.p50['mock'].median:.1f} ms (ceiling {p.p50['ceiling'].median:.1f}), "
        f"p99 {p.p99['mock'].median:.1f} ms (ceiling {p.p99['ceiling'].median:.1f}); "
        f"CPU {p.cpu['mock'].median:.0f} µs a request (ceiling {p.cpu['ceiling'].median:.0f}); "
        f"{p.errors} errors"
    )
    figure = Figure(
        "mock-load", f"mock {p.kind} c={p.connections}", unit, p.rate["mock"], note=note
    )
    figure.baseline_name, figure.baseline = f"fixed-body ceiling {p.kind}", p.rate["ceiling"]
    figure.ratio_kind = "value/baseline"
    figure.extra = {
        f"{who}_{what}": getattr(p, what)[who].as_dict()
        for who in WHO
        for what in ("p50", "p99", "cpu")
        if getattr(p, what)[who].values
    }
    figure.extra["mock_errors"] = p.errors
    if p.connections == 16:
        share, errors = TARGET_SHARE[p.kind], p.errors
        figure.judge(
            lambda f: (f.ratio or 0) >= share and errors == 0, f">= {share:.0%} of ceiling"
        )
    return figure


def peer_figures(points: list[Point], events: int, run: PeerRun) -> list[Figure]:
    """Ours against the peer at 16 connections: rates (ratio ours/theirs, target 1.0), events/s,
    and CPU per request (ratio ours/theirs, lower is better)."""
    name = peer.NAME
    if run.server is None:
        return [Figure("mock-load", f"mock vs {name}: not measured", "", Sample(), note=run.reason)]
    at = {p.kind: p for p in points if p.connections == PEER_CONNECTIONS}
    about = {"package": peer.PACKAGE, "version": run.version, "chunk_size": run.chunk}
    equal = "equal" if run.events == events else "UNEQUAL"
    note = (
        f"{peer.PACKAGE} {run.version} on Node.js replays a fixture and checks nothing; the mock "
        f"validates every request; {equal} events a stream: mock {events}, {name} {run.events}"
    )
    out = []
    for kind in KINDS:
        p = at[kind]
        unit = "req/s" if kind == "json" else f"streams/s ({events} vs {run.events} events)"
        paired = paired_ratios(p.rate["mock"], p.rate["peer"])
        extra = {**about, "events": run.events, "paired_ratio": paired.as_dict()}
        rate = Figure(
            "mock-load", f"mock vs {name} {kind} c=16", unit, p.rate["mock"], f"{name} {kind}",
            p.rate["peer"], "value/baseline", note=f"{note}; {spread_of(paired)}", extra=extra,
        )  # fmt: skip
        out.append(rate.judge(lambda f: (f.ratio or 0) >= 1.0, f">= 1.0x {name}"))
        shares = {who: core_share(p.rate[who], p.cpu[who]) for who in ("mock", "peer")}
        cpu = Figure(
            "mock-load", f"server CPU a {kind} request c=16", "µs", p.cpu["mock"],
            f"{name} {kind}", p.cpu["peer"], "value/baseline",
            note="user+system CPU of the server process over the wrk run, per request; share "
            f"of a core it got: mock {shares['mock']:.0%}, {name} {shares['peer']:.0%}",
            extra={"core_share": shares},
        )  # fmt: skip
        out.append(cpu.judge(lambda f: (f.ratio or 99) <= 1.0, f"<= 1.0x {name}'s"))
    streams = at["stream"]
    ours = Sample([r * events for r in streams.rate["mock"].values])
    theirs = Sample([r * run.events for r in streams.rate["peer"].values])
    paired = paired_ratios(ours, theirs)
    flow = Figure(
        "mock-load", f"mock vs {name} events c=16", "events/s", ours, f"{name} events", theirs,
        "value/baseline", note=f"{note}; {spread_of(paired)}",
        extra={"paired_ratio": paired.as_dict()},
    )  # fmt: skip
    out.append(flow.judge(lambda f: (f.ratio or 0) >= 1.0, f">= 1.0x {name}"))
    return out


def paired_ratios(ours: Sample, theirs: Sample) -> Sample:
    """Ours over theirs run by run: each pair ran back to back, under about the same noise."""
    return Sample([a / b for a, b in zip(ours.values, theirs.values, strict=False) if b])


def spread_of(paired: Sample) -> str:
    if not paired.values:
        return "no paired runs"
    low, high = min(paired.values), max(paired.values)
    return f"run-by-run ratio median {paired.median:.2f} [{low:.2f}..{high:.2f}]"


def core_share(rate: Sample, cpu_us: Sample) -> float:
    """The median share of one core the server used while loaded: requests/s x CPU s a request.
    Where it is below 1, other work on the machine held the rest."""
    shares = Sample([r * c / 1e6 for r, c in zip(rate.values, cpu_us.values, strict=False)])
    return round(shares.median, 3) if shares.values else float("nan")
