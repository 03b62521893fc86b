"""A proxy run: the loopback server and its handle on the judging process (proxy/worker.py), which
writes the run record, the cassette and the live summary. The forwarding path only ever calls
`submit` (a queue put)."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import queue
from collections.abc import Callable, Sequence
from multiprocessing.context import ForkServerContext, SpawnContext
from multiprocessing.queues import Queue
from multiprocessing.sharedctypes import Synchronized
from pathlib import Path
from typing import Any

import uvicorn

from msgconform.core.loopback import START_TIMEOUT_S, LoopbackServer
from msgconform.core.profiles import Profile
from msgconform.proxy.forward import Forwarder
from msgconform.proxy.judge import ExchangeJudge
from msgconform.proxy.wire import Seen
from msgconform.proxy.worker import DRAIN_TIMEOUT_S, MAX_CASES, Closing, JudgingJob
from msgconform.transport.client import Deadlines

# What may wait to be judged: past either bound the exchange is forwarded and counted, not judged.
BACKLOG = 1000
BACKLOG_BYTES = 256 * 1024 * 1024
RESULT_TIMEOUT_S = DRAIN_TIMEOUT_S + 60.0  # draining, then writing the views


def judging_context() -> ForkServerContext | SpawnContext:
    """A fresh process for judging, never a fork of this threaded one: a fork server where there
    is one (it imports the judging stack once), else spawn."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(["msgconform.proxy.worker"])
        return ctx
    return multiprocessing.get_context("spawn")


class ProxyRun:
    """The forwarding side of a run: `submit` hands an exchange to the judging process (a queue
    put that never blocks); `close` has it write the record and the views."""

    def __init__(
        self,
        profile: Profile,
        upstream: str,
        *,
        out: Path | None = None,
        record: Path | None = None,
        live: bool = False,
        argv: Sequence[str] = (),
        make_judge: Callable[[Profile], ExchangeJudge] = ExchangeJudge,
        max_cases: int = MAX_CASES,
    ) -> None:
        self.profile, self.upstream = profile, upstream
        job = JudgingJob(
            profile, upstream, os.getpid(), out=out, record=record, live=live, argv=tuple(argv),
            make_judge=make_judge, max_cases=max_cases,
        )  # fmt: skip
        ctx = judging_context()
        self._inbox: Queue[Seen | Closing] = ctx.Queue(BACKLOG)
        self._closing = ctx.Event()
        self._in_flight: Synchronized[int] = ctx.Value("q", 0)
        self._results, child_end = ctx.Pipe(duplex=False)
        self.dropped = 0
        self._process = ctx.Process(
            target=job.run, args=(self._inbox, child_end, self._closing, self._in_flight),
            name="msgconform-proxy-judge", daemon=True,
        )  # fmt: skip
        self._process.start()
        child_end.close()
        self.run_dir: Path | None = None
        self.cassette_path: Path | None = None
        self._summary: list[str] = []
        self._started = self._receive(START_TIMEOUT_S + 30)
        if self._started is None:
            self._process.kill()
            raise RuntimeError("the judging process did not start")
        self.run_dir = Path(self._started["run_dir"])

    # ---- the forwarding side: never blocks -----------------------------------------------

    def submit(self, seen: Seen) -> None:
        if self._in_flight.value + seen.kept_bytes > BACKLOG_BYTES:
            self.dropped += 1
            return
        try:
            self._inbox.put_nowait(seen)
        except queue.Full:
            self.dropped += 1
            return
        with self._in_flight.get_lock():
            self._in_flight.value += seen.kept_bytes

    # ---- the end -------------------------------------------------------------------------

    def close(self, aborted: str | None = None) -> Path:
        """Judge what is still queued (bounded), then write the footer and every view."""
        assert self.run_dir is not None
        if self._process.is_alive():
            self._closing.set()
            with contextlib.suppress(queue.Full):
                self._inbox.put(Closing(self.dropped, aborted), timeout=RESULT_TIMEOUT_S)
            ended = self._receive(RESULT_TIMEOUT_S)
        else:
            ended = None
        self._process.join(5)
        if self._process.is_alive():
            self._process.kill()
        if ended is None:
            self._summary = [f"msgconform proxy: judging stopped early: partial {self.run_dir}"]
            return self.run_dir
        self.run_dir = Path(ended["run_dir"])
        self.cassette_path = Path(ended["cassette"]) if ended["cassette"] else None
        self._summary = list(ended["summary"])
        return self.run_dir

    def _receive(self, timeout: float) -> dict[str, Any] | None:
        try:
            if self._results.poll(timeout):
                message: dict[str, Any] = self._results.recv()
                return message
        except (EOFError, OSError):
            pass
        return None

    def summary_lines(self) -> list[str]:
        return list(self._summary)


class ProxyServer(LoopbackServer):
    """`with ProxyServer(run, deadlines) as proxy:` forwards on `proxy.url`."""

    name = "proxy"

    def __init__(
        self, run: ProxyRun, deadlines: Deadlines, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        super().__init__(host, port)
        self.run = run
        self.forwarder = Forwarder(run.upstream, deadlines, run.submit)

    def config(self) -> uvicorn.Config:
        return uvicorn.Config(
            self.forwarder, log_level="critical", lifespan="on", access_log=False, ws="none",
            timeout_graceful_shutdown=1, server_header=False, date_header=False,
            proxy_headers=False, loop="auto", backlog=2048,
        )  # fmt: skip
