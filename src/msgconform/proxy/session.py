"""A proxy run: the loopback server, the judging worker fed by a queue, the run record, the
cassette and the live summary. The forwarding path only ever calls `submit` (a queue put)."""

from __future__ import annotations

import queue
import socket
import threading
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import uvicorn

from msgconform.core.exchange import Exchange
from msgconform.core.paths import REPORTS
from msgconform.core.profiles import Profile
from msgconform.core.redact import Redactor
from msgconform.proxy.forward import Forwarder
from msgconform.proxy.judge import CLIENT_CHECK, ExchangeCase, ExchangeJudge, Verdict, secrets_of
from msgconform.proxy.wire import HOP_BY_HOP, Seen
from msgconform.report import findings
from msgconform.report.evidence import case_record
from msgconform.report.record import RunRecorder, compute_hashes
from msgconform.report.write import publish
from msgconform.transport.cassette import RecordingClient
from msgconform.transport.client import Deadlines

PROXY_REPORTS = REPORTS / "proxy"
START_TIMEOUT_S = 10.0
DRAIN_TIMEOUT_S = 30.0
STATUS_EVERY_S = 1.0


class Tally:
    """What the live summary shows: exchanges judged so far and the findings among them."""

    def __init__(self) -> None:
        self.exchanges = 0
        self.upstream_errors = 0
        self.lines: list[dict[str, Any]] = []  # {id, outcome, failures} of cases that failed
        self.keys: set[tuple[str, str, str]] = set()

    def add(self, line: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Count a case line; return its failures that start a new finding."""
        self.exchanges += 1
        self.upstream_errors += line["outcome"] == "ERROR"
        new = []
        if line["failures"]:
            self.lines.append({k: line[k] for k in ("id", "outcome", "failures")})
        for failure in line["failures"]:
            key = (failure["clause"], failure["check"], str(failure.get("symptom")))
            if key not in self.keys:
                self.keys.add(key)
                new.append(failure)
        return new

    def findings(self) -> list[findings.Finding]:
        return findings.collect(self.lines)

    def line(self) -> str:
        found = self.findings()
        client = sum(f.check == CLIENT_CHECK for f in found)
        return (
            f"msgconform proxy: {self.exchanges} exchanges · {len(found) - client} provider "
            f"findings · {client} client findings · {self.upstream_errors} upstream errors"
        )


class KeyRing:
    """The keys clients sent through the proxy: never written anywhere, whatever the header."""

    def __init__(self, secret_headers: Sequence[str]) -> None:
        self.secret_headers = tuple(secret_headers)
        self.keys: set[str] = set()
        self.redactor = Redactor([], self.secret_headers)

    def learn(self, headers: Mapping[str, str]) -> Redactor:
        found = set(secrets_of(headers)) - self.keys
        if found:
            self.keys |= found
            self.redactor = Redactor(sorted(self.keys), self.secret_headers)
        return self.redactor


class _Answered:
    """The RecordingClient's inner client: the exchange already happened, it just hands it over."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.exchange: Exchange | None = None

    def send(self, *args: Any, **kwargs: Any) -> Exchange:
        assert self.exchange is not None
        return self.exchange

    def close(self) -> None:
        pass


class ProxyRun:
    """Judges what the forwarder saw, in arrival order, on one worker thread."""

    def __init__(
        self,
        profile: Profile,
        upstream: str,
        *,
        out: Path | None = None,
        record: Path | None = None,
        status: TextIO | None = None,
        argv: Sequence[str] = (),
        judge: ExchangeJudge | None = None,
    ) -> None:
        self.profile, self.upstream = profile, upstream
        self.judge = judge or ExchangeJudge(profile)
        self.keys = KeyRing(profile.auth.extra_secret_headers)
        self.tally = Tally()
        self.status = status
        self._queue: queue.SimpleQueue[Seen | None] = queue.SimpleQueue()
        self._last_status = 0.0
        self.recorder = RunRecorder(
            out or PROXY_REPORTS, profile.name, self.header(argv), self.keys.redactor
        )
        self._answered = _Answered(upstream)
        self.cassette = self.open_cassette(record) if record else None
        self._worker = threading.Thread(target=self.work, name="msgconform-proxy-judge")
        self._worker.daemon = True
        self._worker.start()
        self.run_dir: Path | None = None

    def header(self, argv: Sequence[str]) -> dict[str, Any]:
        return {
            **compute_hashes(),
            "provider": self.profile.name,
            "profile": self.profile.redacted(),
            "model": None,
            "strict": False,
            "target": self.upstream,
            "run_kind": "proxy",
            "argv": list(argv),
        }

    def open_cassette(self, record: Path) -> RecordingClient:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        path = record / f"{self.profile.name}-{stamp}.jsonl" if record.suffix == "" else record
        meta = {"proxy": True, "upstream": self.upstream}
        recording = RecordingClient(
            self._answered, path, self.keys.redactor, provider=self.profile.name, meta=meta
        )
        return recording

    # ---- the forwarding side: never blocks -----------------------------------------------

    def submit(self, seen: Seen) -> None:
        self._queue.put(seen)

    # ---- the worker ----------------------------------------------------------------------

    def work(self) -> None:
        while (seen := self._queue.get()) is not None:
            try:
                self.take(seen)
            except Exception as exc:  # a judging bug costs this exchange's verdict, nothing more
                self.note(f"msgconform proxy: judging {seen.exchange.label} failed: {exc!r}")

    def take(self, seen: Seen) -> None:
        redactor = self.keys.learn(seen.exchange.request_headers)
        self.recorder.redactor = redactor
        try:
            verdict = self.judge.verdict(seen)
        except Exception as exc:  # a harness bug: ERROR for this exchange, never the client's
            verdict = crashed(seen, exc)
        line = redactor.value(case_record(verdict))
        self.recorder.case(line)
        if self.cassette is not None:
            self.keep_in_cassette(seen, redactor)
        for failure in self.tally.add(line):
            self.note(f"msgconform proxy: new finding [{failure['clause']}] {failure['check']}: "
                      f"{failure['actual'].splitlines()[0][:120]} ({line['id']})")  # fmt: skip
        self.show_status()

    def keep_in_cassette(self, seen: Seen, redactor: Redactor) -> None:
        assert self.cassette is not None
        exchange = seen.exchange
        self._answered.exchange = exchange
        self.cassette.redactor = redactor
        path = exchange.url[len(self.upstream.rstrip("/")) :]
        # Matched on what was forwarded: the hop's own headers (host, length) would never match.
        headers = {k: v for k, v in exchange.request_headers.items() if k not in HOP_BY_HOP}
        self.cassette.send(
            exchange.label, exchange.method, path,
            headers=headers, raw_body=exchange.raw_request_body,
        )  # fmt: skip

    def note(self, text: str) -> None:
        if self.status is not None:
            tty = self.status.isatty()
            self.status.write(("\r\x1b[K" if tty else "") + text + "\n")
            self.status.flush()

    def show_status(self, force: bool = False) -> None:
        if self.status is None:
            return
        now = time.monotonic()
        tty = self.status.isatty()
        if not (force or tty or now - self._last_status >= STATUS_EVERY_S):
            return
        self._last_status = now
        self.status.write(("\r\x1b[K" + self.tally.line()) if tty else self.tally.line() + "\n")
        self.status.flush()

    # ---- the end -------------------------------------------------------------------------

    def close(self, aborted: str | None = None) -> Path:
        """Judge what is still queued (bounded), then write the footer and every view."""
        self._queue.put(None)
        self._worker.join(DRAIN_TIMEOUT_S)
        if self._worker.is_alive():
            aborted = aborted or f"judging still busy after {DRAIN_TIMEOUT_S:g}s"
        if self.cassette is not None:
            self.cassette.close()
        self.run_dir = self.recorder.finish(aborted is not None, aborted)
        publish(self.run_dir)
        self.show_status(force=True)
        if self.status is not None and self.status.isatty():
            self.status.write("\n")
        return self.run_dir

    def summary_lines(self) -> list[str]:
        lines = [self.tally.line()]
        lines += findings.summary_lines(self.tally.findings(), prefix="msgconform proxy: ")
        if self.run_dir is not None:
            lines.append(f"msgconform proxy: report {self.run_dir}/report.html")
        if self.cassette is not None:
            lines.append(f"msgconform proxy: cassette {self.cassette.path}")
        return lines


def crashed(seen: Seen, exc: Exception) -> Verdict:
    exchange = seen.exchange
    case = ExchangeCase(
        f"provider/ERR-001/{seen.seq:05d}-not-judged", "provider",
        f"not judged: {exchange.method} {exchange.url}", ("ERR-001",),
    )  # fmt: skip
    reason = f"judging crashed: {type(exc).__name__}: {exc}"
    return Verdict(case, "ERROR", exchange.elapsed_s, reason, [], {exchange.label: exchange})


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
