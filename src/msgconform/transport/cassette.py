"""Cassettes: a run's exchanges written to JSON Lines (`--record`), answered from it (`--replay`).

The format is described in docs/nightly.md ("The cassette format"): a header line, then one line per
exchange with the request (headers redacted, the caller's headers reduced for matching) and the
response body byte-exact as base64 chunks with their arrival times. Redaction replaces a secret with
`[REDACTED]`, which changes that chunk's byte count; such a chunk carries `"redacted": true`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, Unpack

from msgconform import __version__
from msgconform.core.datafiles import display
from msgconform.core.errors import ConfigError, TransportError
from msgconform.core.exchange import REDACTED, SECRET_HEADERS, Chunk, Exchange
from msgconform.core.redact import Redactor
from msgconform.transport.client import Budget, Deadlines, SendOptions, StreamWatch, encode_body

FORMAT = 1
RAW_KEPT_BYTES = 64 * 1024
MatchKey = tuple[str, str, str, str, str]


class ExchangeSender(Protocol):
    """What a Session needs from its client: HttpClient, RecordingClient and ReplayClient."""

    base_url: str

    def send(
        self, label: str, method: str, path: str, *, headers: Mapping[str, str],
        json_body: Any = None, raw_body: bytes | None = None,
        watch: Callable[[], StreamWatch] | None = None, retry: bool = True,
        deadlines: Deadlines | None = None,
    ) -> Exchange: ...  # fmt: skip

    def close(self) -> None: ...


def match_key(
    label: str,
    method: str,
    path: str,
    body: str,
    headers: Mapping[str, str],
    secret_names: Iterable[str] = (),
) -> MatchKey:
    """Auth values are left out (they differ between nights and machines); which scheme was used
    stays in, so the missing-key, Bearer and x-api-key probes of one body keep their own answers."""
    shown = json.dumps(reduced_headers(headers, secret_names), sort_keys=True)
    return (method.upper(), path, label, body, shown)


def body_identity(json_body: Any, raw_sha256: str | None) -> str:
    """Canonical JSON, or the digest of a body sent as bytes."""
    if json_body is not None:
        return json.dumps(json_body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "" if raw_sha256 is None else f"raw-sha256:{raw_sha256}"


def sha256(data: bytes | None) -> str | None:
    return None if data is None else hashlib.sha256(data).hexdigest()


def reduced_headers(headers: Mapping[str, str], secret_names: Iterable[str]) -> dict[str, str]:
    secret = SECRET_HEADERS | {n.lower() for n in secret_names}
    return {name.lower(): _scheme(value) if name.lower() in secret else value
            for name, value in headers.items()}  # fmt: skip


def _scheme(value: str) -> str:
    """An auth value as its scheme: "Bearer <key>" gives "Bearer *", a bare key "*".

    Idempotent, so headers stored reduced in a cassette reduce to themselves on load."""
    scheme, sep, _ = value.partition(" ")
    return f"{scheme} *" if sep else "*"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# ---- recording ---------------------------------------------------------------------------------


class RecordingClient:
    """Sends through `inner` and appends each exchange, redacted, to the cassette at `path`."""

    def __init__(
        self,
        inner: Any,
        path: Path,
        redactor: Redactor,
        *,
        provider: str = "",
        meta: Mapping[str, Any] | None = None,
    ) -> None:
        self.inner = inner
        self.path = path
        self.redactor = redactor
        self.base_url: str = inner.base_url
        self.budget: Budget | None = getattr(inner, "budget", None)
        self._lock = threading.Lock()
        self._seq = 0
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = path.open("w", encoding="utf-8")
        self._write(self._header(provider, meta or {}))

    def _header(self, provider: str, meta: Mapping[str, Any]) -> dict[str, Any]:
        # `meta` carries what a replay must repeat to send the same requests (the seed, --only).
        return {
            "kind": "cassette",
            "format": FORMAT,
            "msgconform": __version__,
            "provider": provider,
            "base_url": self.redactor.text(self.base_url),
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "meta": self.redactor.value(dict(meta)),
        }

    def _write(self, record: Mapping[str, Any]) -> None:
        # ASCII-only lines: a raw U+2028 or U+0085 in a body would split the line for readers that
        # use str.splitlines().
        self._file.write(json.dumps(record, separators=(",", ":")) + "\n")
        self._file.flush()

    def send(self, label: str, method: str, path: str, **options: Unpack[SendOptions]) -> Exchange:
        exchange: Exchange = self.inner.send(label, method, path, **options)
        headers, json_body = options["headers"], options.get("json_body")
        raw_body = options.get("raw_body")
        request = self._request(exchange, path, json_body, raw_body)
        request["match_headers"] = self._match_headers(headers)
        response = self._response(exchange)
        with self._lock:
            self._seq += 1
            line = {"kind": "exchange", "seq": self._seq, "request": request, "response": response}
            self._write(line)
        return exchange

    def _request(
        self, exchange: Exchange, path: str, json_body: Any, raw_body: bytes | None
    ) -> dict[str, Any]:
        request: dict[str, Any] = {
            "label": exchange.label,
            "method": exchange.method,
            "path": path,
            "headers": self.redactor.headers(exchange.request_headers),
        }
        if json_body is not None:
            request["json"] = self.redactor.value(json_body)
        elif raw_body is not None:
            raw = self.redactor.raw(raw_body)
            # Oversize probes send tens of megabytes: the digest is enough to match them.
            request["raw_sha256"] = sha256(raw)
            request["raw_len"] = len(raw)
            if len(raw) <= RAW_KEPT_BYTES:
                request["raw_b64"] = b64(raw)
        return request

    def _match_headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        """The caller's headers (not the client's defaults), auth values reduced to their scheme."""
        names = [n for n in headers if self.redactor.header_value(n, "a b") == f"a {REDACTED}"]
        # Values are reduced before redaction by value: by name would turn "Bearer" into a
        # "[REDACTED]" that no replayed "Bearer <key>" reduces to.
        reduced = reduced_headers(headers, names)
        return {name: self.redactor.text(value) for name, value in reduced.items()}

    def _response(self, exchange: Exchange) -> dict[str, Any]:
        return {
            "status": exchange.status,
            "headers": self.redactor.headers(exchange.response_headers),
            "chunks": self._chunks(exchange.chunks),
            "truncated": exchange.truncated,
            "ended": exchange.ended,
            "error": self.redactor.text(exchange.error) if exchange.error else None,
            "elapsed_s": exchange.elapsed_s,
            "retries": exchange.retries,
        } | ({"reconnected": exchange.reconnected} if exchange.reconnected else {})

    def _chunks(self, chunks: list[Chunk]) -> list[dict[str, Any]]:
        cleaned = [self.redactor.raw(c.data) for c in chunks]
        joined = b"".join(cleaned)
        if self.redactor.raw(joined) != joined:
            # A secret straddles two reads: merge them so it cannot survive split in half.
            last = chunks[-1].at_s
            return [{"at_s": last, "b64": b64(self.redactor.raw(joined)), "redacted": True}]
        out: list[dict[str, Any]] = []
        for chunk, data in zip(chunks, cleaned, strict=True):
            entry: dict[str, Any] = {"at_s": chunk.at_s, "b64": b64(data)}
            if data != chunk.data:
                entry["redacted"] = True
            out.append(entry)
        return out

    def close(self) -> None:
        with self._lock:
            if not self._file.closed:
                self._file.close()
        self.inner.close()


# ---- loading -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recorded:
    """One recorded exchange, decoded; `exchange()` gives a fresh copy each time it is replayed."""

    line: int
    key: MatchKey
    request: dict[str, Any]
    response: dict[str, Any]
    chunks: tuple[Chunk, ...]

    def exchange(self, base_url: str, json_body: Any, raw_body: bytes | None) -> Exchange:
        req, resp = self.request, self.response
        return Exchange(
            label=req["label"],
            method=req["method"],
            url=base_url + req["path"],
            request_headers=dict(req["headers"]),
            request_body=json_body,
            raw_request_body=raw_body,
            status=resp["status"],
            response_headers=dict(resp["headers"]),
            chunks=[Chunk(c.at_s, c.data) for c in self.chunks],
            truncated=bool(resp.get("truncated", False)),
            ended=resp["ended"],
            error=resp.get("error"),
            elapsed_s=float(resp.get("elapsed_s", 0.0)),
            retries=int(resp.get("retries", 0)),
            reconnected=resp.get("reconnected"),
        )


@dataclass(frozen=True)
class Cassette:
    path: Path
    header: dict[str, Any]
    entries: tuple[Recorded, ...]

    @property
    def base_url(self) -> str:
        return str(self.header.get("base_url") or "")


def load_cassette(path: Path) -> Cassette:
    """Read and check a cassette; any problem is one ConfigError naming the file and line."""
    try:
        lines = path.read_text(encoding="utf-8").split("\n")
    except FileNotFoundError:
        raise ConfigError(display(path), "no such cassette", "a file written by --record") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(display(path), f"cannot read cassette: {exc}") from None
    records = [(n, _parse(path, n, text)) for n, text in enumerate(lines, 1) if text.strip()]
    if not records or records[0][1].get("kind") != "cassette":
        raise ConfigError(f"{display(path)}:1", "no cassette header", '{"kind": "cassette", …}')
    header = records[0][1]
    if header.get("format") != FORMAT:
        found = f"cassette format {header.get('format')!r}"
        raise ConfigError(f"{display(path)}:1", found, f"format {FORMAT}")
    entries = tuple(_entry(path, n, record) for n, record in records[1:])
    return Cassette(path, header, entries)


def _parse(path: Path, number: int, text: str) -> dict[str, Any]:
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{display(path)}:{number}", f"not valid JSON ({exc.msg})") from None
    if not isinstance(record, dict):
        raise ConfigError(f"{display(path)}:{number}", "not a JSON object")
    return record


def _entry(path: Path, number: int, record: dict[str, Any]) -> Recorded:
    where = f"{display(path)}:{number}"
    try:
        req, resp = record["request"], record["response"]
        matched = req.get("match_headers", {})
        if not isinstance(matched, dict):
            raise TypeError("match_headers must be an object")
        # Stored already reduced, so no header counts as secret a second time.
        body = body_identity(req.get("json"), req.get("raw_sha256"))
        key = match_key(req["label"], req["method"], req["path"], body, matched)
        chunks = tuple(
            Chunk(float(c["at_s"]), base64.b64decode(c["b64"], validate=True))
            for c in resp["chunks"]
        )
        # Checked here, so a bad cassette fails on load with its line number, not mid-replay.
        missing = [n for n in ("status", "ended") if n not in resp]
        if missing:
            raise KeyError(missing[0])
        if not isinstance(req["headers"], dict) or not isinstance(resp["headers"], dict):
            raise TypeError("headers must be objects")
    except KeyError as exc:
        raise ConfigError(where, f"exchange without {exc.args[0]!r}") from None
    except (TypeError, ValueError, binascii.Error, AttributeError) as exc:
        raise ConfigError(where, f"malformed exchange ({exc})") from None
    return Recorded(number, key, req, resp, chunks)


# ---- replaying ---------------------------------------------------------------------------------


class ReplayClient:
    """Answers each request from a cassette, in recording order per (method, path, label, body)."""

    def __init__(
        self,
        path: Path,
        *,
        timing: bool = False,
        budget: Budget | None = None,
        secret_headers: Iterable[str] = (),
    ) -> None:
        self.cassette = load_cassette(path)
        self.secret_headers = tuple(secret_headers)
        self.base_url = self.cassette.base_url
        self.timing = timing
        self.budget = budget
        self._lock = threading.Lock()
        self._queues: dict[MatchKey, deque[Recorded]] = defaultdict(deque)
        for entry in self.cassette.entries:
            self._queues[entry.key].append(entry)
        self._served: dict[MatchKey, int] = defaultdict(int)

    def send(self, label: str, method: str, path: str, **options: Unpack[SendOptions]) -> Exchange:
        # A recorded answer has no deadline to shorten and no retry to make: both are ignored.
        headers, json_body = options["headers"], options.get("json_body")
        raw_body, watch = options.get("raw_body"), options.get("watch")
        if self.budget is not None:
            self.budget.take_request()  # the same budget stops a replayed run at the same place
        if raw_body is None and json_body is not None:
            raw_body = encode_body(json_body)
        body = body_identity(json_body, sha256(raw_body))
        key = match_key(label, method, path, body, headers, self.secret_headers)
        recorded = self._next(key)
        exchange = recorded.exchange(self.base_url, json_body, raw_body)
        self._play(exchange, watch() if watch else None)
        return exchange

    def _next(self, key: MatchKey) -> Recorded:
        with self._lock:
            queue = self._queues.get(key)
            if queue:
                self._served[key] += 1
                return queue.popleft()
            served = self._served[key]
        method, path, label, _, _ = key
        name = self.cassette.path.name
        if served:
            raise TransportError(
                f"replay: {method} {path} [{label}] was recorded {served} time(s) in {name};"
                f" this is call {served + 1}"
            )
        raise TransportError(
            f"replay: {method} {path} [{label}] with these headers and body is not in {name}"
        )

    def _play(self, exchange: Exchange, watch: StreamWatch | None) -> None:
        start = time.monotonic()
        for chunk in exchange.chunks:
            if self.timing and (wait := chunk.at_s - (time.monotonic() - start)) > 0:
                time.sleep(wait)
            if watch is not None:
                watch.feed(chunk.data)

    def close(self) -> None:
        """Nothing to release; present so a Session can close any client alike."""
