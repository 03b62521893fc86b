"""The judging process: takes what the forwarder saw off a queue, judges it, and writes the run
record, the cassette and the live summary. It is a process of its own at the lowest CPU priority,
so neither its CPU time nor the GIL ever stands between an upstream byte and the client; when
traffic is heavy it falls behind and catches up when the traffic pauses.

Everything it writes is bounded, so a proxy left running for days stays small: the record keeps
the first MAX_CASES exchanges and, after them, each exchange that shows a new finding; the
cassette stops at MAX_CASSETTE_BYTES; every body in the record is bounded (report/bounded.py)."""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from multiprocessing.queues import Queue
from multiprocessing.sharedctypes import Synchronized
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any, TextIO

from msgconform.core.exchange import Exchange
from msgconform.core.paths import REPORTS
from msgconform.core.profiles import Profile
from msgconform.core.redact import Redactor
from msgconform.proxy.judge import CLIENT_CHECK, ExchangeCase, ExchangeJudge, Verdict, secrets_of
from msgconform.proxy.wire import HOP_BY_HOP, Seen
from msgconform.report import findings
from msgconform.report.evidence import case_record
from msgconform.report.record import RunRecorder, compute_hashes
from msgconform.report.write import publish
from msgconform.transport.cassette import RecordingClient

PROXY_REPORTS = REPORTS / "proxy"
DRAIN_TIMEOUT_S = 30.0  # judging what is still queued when the proxy stops, at most
STATUS_EVERY_S = 1.0
MAX_CASES = 10_000
MAX_CASSETTE_BYTES = 256 * 1024 * 1024
POLL_S = 1.0  # how often an idle worker checks that the proxy is still there
LOWEST_PRIORITY = 19


@dataclass(frozen=True)
class Closing:
    """The last message on the queue: how many exchanges the forwarder could not queue."""

    dropped: int = 0
    aborted: str | None = None


class Tally:
    """What the live summary shows: exchanges judged so far and the findings among them. Keeps
    the failed case lines the record keeps (at most `keep`), and counts the rest."""

    def __init__(self, keep: int = MAX_CASES) -> None:
        self.exchanges = 0
        self.upstream_errors = 0
        self.keep = keep
        self.lines: list[dict[str, Any]] = []  # {id, outcome, failures} of cases that failed
        self.keys: set[tuple[str, str, str]] = set()

    def add(self, line: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Count a case line; return its failures that start a new finding."""
        self.exchanges += 1
        self.upstream_errors += line["outcome"] == "ERROR"
        new = []
        for failure in line["failures"]:
            key = (failure["clause"], failure["check"], str(failure.get("symptom")))
            if key not in self.keys:
                self.keys.add(key)
                new.append(failure)
        if line["failures"] and (new or len(self.lines) < self.keep):
            self.lines.append({k: line[k] for k in ("id", "outcome", "failures")})
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


@dataclass(frozen=True)
class JudgingJob:
    """What the judging process is started with (pickled to it: plain data and a judge factory)."""

    profile: Profile
    upstream: str
    parent_pid: int
    out: Path | None = None
    record: Path | None = None
    live: bool = False
    argv: tuple[str, ...] = ()
    make_judge: Callable[[Profile], ExchangeJudge] = ExchangeJudge
    max_cases: int = MAX_CASES
    max_cassette_bytes: int = MAX_CASSETTE_BYTES

    def run(
        self, inbox: Queue[Seen | Closing], outbox: Connection, closing: Event,
        in_flight: Synchronized[int],
    ) -> None:  # fmt: skip
        # Ctrl-C reaches every process of the terminal's group: the proxy decides when we stop.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        lower_priority()
        judging = Judging(self)
        outbox.send({"run_dir": str(judging.recorder.run_dir)})
        end = judging.serve(inbox, closing, in_flight)
        outbox.send(judging.close(end))


def lower_priority() -> None:
    """Run only on CPU time nothing else wants: SCHED_IDLE (Linux), else the lowest nice value.
    Where neither exists or is allowed, judge at the usual priority."""
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, 0, LOWEST_PRIORITY)
    with contextlib.suppress(AttributeError, OSError):
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))


@dataclass
class Backlog:
    """Exchanges forwarded but not judged: not queued (the queue was full) or not judged in time."""

    dropped: int = 0
    unjudged: int = 0
    unwritten: int = 0  # judged and counted, not written: the record was at its cap

    def reason(self) -> str | None:
        missed = self.dropped + self.unjudged
        return f"{missed} forwarded exchanges were not judged (see the summary)" if missed else None


class Judging:
    """Judges what the forwarder saw, in arrival order."""

    def __init__(self, job: JudgingJob) -> None:
        self.job = job
        self.profile = job.profile
        self.judge = job.make_judge(job.profile)
        self.keys = KeyRing(job.profile.auth.extra_secret_headers)
        self.tally = Tally(job.max_cases)
        self.backlog = Backlog()
        self.status: TextIO | None = None
        if job.live:
            import sys

            self.status = sys.stderr
        self._last_status = 0.0
        self.recorder = RunRecorder(
            job.out or PROXY_REPORTS, job.profile.name, self.header(), self.keys.redactor
        )
        self.written = 0
        self._answered = _Answered(job.upstream)
        self.cassette = self.open_cassette(job.record) if job.record else None
        self.cassette_full = False

    def header(self) -> dict[str, Any]:
        return {
            **compute_hashes(),
            "provider": self.profile.name,
            "profile": self.profile.redacted(),
            "model": None,
            "strict": False,
            "target": self.job.upstream,
            "run_kind": "proxy",
            "argv": list(self.job.argv),
        }

    def open_cassette(self, record: Path) -> RecordingClient:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        path = record / f"{self.profile.name}-{stamp}.jsonl" if record.suffix == "" else record
        meta = {"proxy": True, "upstream": self.job.upstream}
        return RecordingClient(
            self._answered, path, self.keys.redactor, provider=self.profile.name, meta=meta
        )

    # ---- the loop ------------------------------------------------------------------------

    def serve(
        self, inbox: Queue[Seen | Closing], closing: Event, in_flight: Synchronized[int]
    ) -> Closing:
        closing_since: float | None = None
        while True:
            try:
                item = inbox.get(timeout=POLL_S)
            except queue.Empty:
                if not alive(self.job.parent_pid):
                    return Closing(aborted="the proxy process went away")
                continue
            if isinstance(item, Closing):
                return item
            with in_flight.get_lock():
                in_flight.value -= item.kept_bytes
            if closing.is_set():
                closing_since = closing_since or time.monotonic()
                if time.monotonic() - closing_since > DRAIN_TIMEOUT_S:
                    self.backlog.unjudged += 1
                    continue
            self.guarded_take(item)

    def guarded_take(self, seen: Seen) -> None:
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
        new = self.tally.add(line)
        if self.written < self.job.max_cases or new:
            self.written += 1
            self.recorder.case(line)
            if self.cassette is not None:
                self.keep_in_cassette(seen, redactor)
        else:
            self.backlog.unwritten += 1
        for failure in new:
            self.note(f"msgconform proxy: new finding [{failure['clause']}] {failure['check']}: "
                      f"{failure['actual'].splitlines()[0][:120]} ({line['id']})")  # fmt: skip
        self.show_status()

    def keep_in_cassette(self, seen: Seen, redactor: Redactor) -> None:
        assert self.cassette is not None
        if self.cassette_full:
            return
        exchange = seen.exchange
        self._answered.exchange = exchange
        self.cassette.redactor = redactor
        path = exchange.url[len(self.job.upstream.rstrip("/")) :]
        # Matched on what was forwarded: the hop's own headers (host, length) would never match.
        headers = {k: v for k, v in exchange.request_headers.items() if k not in HOP_BY_HOP}
        self.cassette.send(
            exchange.label, exchange.method, path,
            headers=headers, raw_body=exchange.raw_request_body,
        )  # fmt: skip
        if self.cassette.path.stat().st_size >= self.job.max_cassette_bytes:
            self.cassette_full = True
            self.note(f"msgconform proxy: cassette full ({self.job.max_cassette_bytes} bytes); "
                      "later exchanges are judged, not recorded")  # fmt: skip

    # ---- the terminal --------------------------------------------------------------------

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

    def close(self, end: Closing) -> dict[str, Any]:
        """Write the footer and every view; return what the proxy prints."""
        self.backlog.dropped = end.dropped
        if self.cassette is not None:
            self.cassette.close()
        aborted = end.aborted or self.backlog.reason()
        run_dir = self.recorder.finish(aborted is not None, aborted)
        publish(run_dir)
        self.show_status(force=True)
        if self.status is not None and self.status.isatty():
            self.status.write("\n")
        return {
            "run_dir": str(run_dir),
            "cassette": str(self.cassette.path) if self.cassette is not None else None,
            "summary": self.summary_lines(run_dir),
        }

    def summary_lines(self, run_dir: Path) -> list[str]:
        lines = [self.tally.line()]
        lines += findings.summary_lines(self.tally.findings(), prefix="msgconform proxy: ")
        lines += self.backlog_lines()
        lines.append(f"msgconform proxy: report {run_dir}/report.html")
        if self.cassette is not None:
            lines.append(f"msgconform proxy: cassette {self.cassette.path}")
        return lines

    def backlog_lines(self) -> list[str]:
        b, lines = self.backlog, []
        if b.dropped:
            lines.append(f"msgconform proxy: {b.dropped} exchanges forwarded, not judged "
                         "(judging fell behind and its queue was full)")  # fmt: skip
        if b.unjudged:
            lines.append(f"msgconform proxy: {b.unjudged} exchanges not judged "
                         f"(still queued {DRAIN_TIMEOUT_S:g}s after stopping)")  # fmt: skip
        if b.unwritten:
            lines.append(f"msgconform proxy: {b.unwritten} passing or known-finding exchanges "
                         f"judged, not written (the record keeps {self.job.max_cases} and every "
                         "new finding)")  # fmt: skip
        return lines


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, not ours to signal
        return True
    return True


def crashed(seen: Seen, exc: Exception) -> Verdict:
    exchange = seen.exchange
    case = ExchangeCase(
        f"provider/ERR-001/{seen.seq:05d}-not-judged", "provider",
        f"not judged: {exchange.method} {exchange.url}", ("ERR-001",),
    )  # fmt: skip
    reason = f"judging crashed: {type(exc).__name__}: {exc}"
    return Verdict(case, "ERROR", exchange.elapsed_s, reason, [], {exchange.label: exchange})
