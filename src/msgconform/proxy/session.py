"""A proxy run: the loopback server and its handle on the judging process (proxy/worker.py), which
writes the run record, the cassette and the live summary. The forwarding path only ever calls
`submit` (a queue put)."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import queue
import socket
import threading
import time
from collections.abc import Callable, Sequence
from multiprocessing.context import ForkServerContext, SpawnContext
from multiprocessing.queues import Queue
from multiprocessing.sharedctypes import Synchronized
from pathlib import Path
from typing import Any

import uvicorn

from msgconform.core.profiles import Profile
from msgconform.proxy.forward import Forwarder
from msgconform.proxy.judge import ExchangeJudge
from msgconform.proxy.wire import Seen
from msgconform.proxy.worker import DRAIN_TIMEOUT_S, MAX_CASES, Closing, JudgingJob
from msgconform.transport.client import Deadlines

START_TIMEOUT_S = 10.0
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


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:
        pass  # the command owns SIGINT and SIGTERM: it writes the reports, then stops us


class ProxyServer:
    """`with ProxyServer(run, upstream, deadlines) as proxy:` forwards on `proxy.url`."""

    def __init__(
        self, run: ProxyRun, deadlines: Deadlines, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.run = run
        self.forwarder = Forwarder(run.upstream, deadlines, run.submit)
        self.host, self.port = host, port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> ProxyServer:
        # IPPROTO_TCP, so asyncio sets TCP_NODELAY on accepted sockets (see mock/server.py).
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError:
            sock.close()
            raise
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.forwarder, log_level="critical", lifespan="on", access_log=False, ws="none",
            timeout_graceful_shutdown=1, server_header=False, date_header=False,
            proxy_headers=False, loop="auto", backlog=2048,
        )  # fmt: skip
        self._server, self._sock = _Server(config), sock
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name="msgconform-proxy"
        )
        self._thread.daemon = True
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the proxy did not start on {self.url}")
            time.sleep(0.002)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(5)
        if self._sock is not None:
            self._sock.close()
        self._server = self._thread = self._sock = None

    def __enter__(self) -> ProxyServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
