"""What the proxy changes on the way through (only what HTTP says a hop must), the answers it gives
when the upstream fails, and how a compressed body is read back for judging."""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from msgconform.core.exchange import Chunk, Exchange

# RFC 9110 § 7.6.1: these describe one connection, not the message; each hop sets its own. Host
# and Content-Length are set again by the HTTP client from the URL and the (unchanged) body.
HOP_BY_HOP = frozenset(
    {
        "connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer",
        "upgrade", "proxy-authenticate", "host", "content-length",
    }
)  # fmt: skip
# A response keeps its Content-Length: the raw bytes are passed on as they are, so it holds.
RESPONSE_HOP_BY_HOP = HOP_BY_HOP - {"content-length"}
RawHeaders = Sequence[tuple[bytes, bytes]]


@dataclass
class Seen:
    """One exchange as the proxy forwarded it: what judging gets once the client has its answer."""

    seq: int
    exchange: Exchange
    started: float = 0.0  # perf_counter when the request arrived
    # Why the proxy answered itself: "connect" or "not_http" (502), "first_byte_timeout" (504),
    # or None.
    upstream_failure: str | None = None
    kept_bytes: int = 0
    # Why the body cannot be judged (a content-encoding judging cannot read), or None.
    undecodable: str | None = None


def forwarded_request_headers(raw: RawHeaders) -> list[tuple[bytes, bytes]]:
    return [(k, v) for k, v in raw if k.lower().decode("latin-1") not in HOP_BY_HOP]


def forwarded_response_headers(raw: RawHeaders) -> list[tuple[bytes, bytes]]:
    return [
        (k.lower(), v) for k, v in raw if k.lower().decode("latin-1") not in RESPONSE_HOP_BY_HOP
    ]


def header_dict(raw: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    """Lower-cased names; a repeated header joined with ", " (RFC 9110 § 5.3)."""
    found: dict[str, str] = {}
    for key, value in raw:
        name, text = key.decode("latin-1").lower(), value.decode("latin-1")
        found[name] = f"{found[name]}, {text}" if name in found else text
    return found


def error_answer(status: int, kind: str, message: str) -> tuple[list[tuple[bytes, bytes]], bytes]:
    """The proxy's own answer, in the Anthropic error envelope, so an SDK raises its usual error."""
    body = json.dumps({"type": "error", "error": {"type": kind, "message": message}}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"x-msgconform-proxy", b"upstream-failure"),
    ]
    return headers, body


def decoded(chunks: list[Chunk], encoding: str) -> list[Chunk] | None:
    """The chunks decompressed (gzip, deflate), keeping their arrival times; None when the
    encoding is one judging cannot read. Judging reads this copy; the client got the raw bytes."""
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return chunks
    if encoding not in ("gzip", "x-gzip", "deflate"):
        return None
    wbits = 16 + zlib.MAX_WBITS if "gzip" in encoding else zlib.MAX_WBITS
    inflater = zlib.decompressobj(wbits)
    try:
        return [Chunk(c.at_s, inflater.decompress(c.data)) for c in chunks]
    except zlib.error:
        return None
