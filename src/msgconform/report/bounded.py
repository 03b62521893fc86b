"""Bounded evidence: what a run record keeps of a large body, so the artifacts stay small.

A body (request, response or SSE transcript) over the case's limit is kept as its size, sha256,
and its first and last few KiB; a curl line whose body is that large rebuilds the body with a
small script instead of embedding it. Passing cases keep summary evidence only (a smaller limit);
failing ones keep up to BODY_LIMIT whole, which is what a provider engineer reads.

Everything here runs after redaction (RunRecorder.case), so a cut or a compressed copy never
holds a key. The HTML applies the same bound on display, so a record written before this
existed (bodies stored whole) still renders to a page a browser opens quickly."""

from __future__ import annotations

import base64
import bz2
import hashlib
import json
import shlex
from typing import Any

KIB = 1024
BODY_LIMIT = 64 * KIB  # a failing case's bodies, whole up to here
EDGE = 4 * KIB  # head and tail kept of a larger one
SUMMARY_LIMIT = 2 * KIB  # a passing case's bodies
SUMMARY_EDGE = 512
EMBED_LIMIT = 16 * KIB  # the largest compressed body a curl line carries
# Outcomes whose evidence is only a summary: nothing about them needs a provider engineer.
SUMMARY_OUTCOMES = frozenset({"PASS", "SKIP"})
REBUILD = (
    "import base64,bz2,sys;sys.stdout.buffer.write(bz2.decompress(base64.b64decode(sys.argv[1])))"
)


def limits_for(outcome: str) -> tuple[int, int]:
    """(limit, edge) in characters for a case with this outcome."""
    if outcome in SUMMARY_OUTCOMES:
        return SUMMARY_LIMIT, SUMMARY_EDGE
    return BODY_LIMIT, EDGE


def summary(text: str, edge: int) -> dict[str, Any]:
    data = text.encode("utf-8", errors="surrogatepass")
    return {
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "head": text[:edge],
        "tail": text[-edge:] if len(text) > edge else "",
    }


def as_text(body: Any) -> str | None:
    if body is None or isinstance(body, str):
        return body
    return json.dumps(body, ensure_ascii=False)


def bound_case(line: dict[str, Any]) -> dict[str, Any]:
    """Bound every body of a (redacted) case line in place; returns the line."""
    limit, edge = limits_for(str(line.get("outcome")))
    for item in line.get("evidence", []):
        bound_item(item, limit, edge)
    return line


def bound_item(item: dict[str, Any], limit: int, edge: int) -> None:
    request, response = item.get("request") or {}, item.get("response") or {}
    text = as_text(request.get("body"))
    if text is not None and len(text) > limit:
        request["body"], request["bounded"] = None, summary(text, edge)
        item["curl"] = rebuilding_curl(str(item.get("curl", "")), text)
    for key in ("body", "transcript"):
        value = response.get(key)
        if isinstance(value, str) and len(value) > limit:
            response[key] = None
            response["bounded"] = {"field": key, **summary(value, edge)}
    if len(str(item.get("curl", ""))) > max(limit, EMBED_LIMIT) + 4 * KIB:
        item["curl"] = rebuilding_curl(str(item["curl"]), text or "")


def rebuilding_curl(curl: str, body: str) -> str:
    """The curl line with its body rebuilt by a script (or named, when it does not compress)."""
    command, flag, _ = curl.partition(" --data-binary ")
    if not flag:
        return clip(curl, BODY_LIMIT)
    data = body.encode("utf-8", errors="surrogatepass")
    packed = base64.b64encode(bz2.compress(data, 9)).decode("ascii")
    if len(packed) <= EMBED_LIMIT:
        script = f"python3 -c {shlex.quote(REBUILD)} {packed}"
        return f"{script} | {command} --data-binary @-"
    digest = hashlib.sha256(data).hexdigest()
    return (
        f"{command} --data-binary @body.bin  "
        f"# body.bin: the {len(data)}-byte request body (sha256 {digest}), not stored whole"
    )


# ---- display (HTML) ------------------------------------------------------------------------


def clip(text: str, limit: int = BODY_LIMIT, edge: int = EDGE) -> str:
    """A long text as its head and tail with what was left out in between (for display)."""
    if len(text) <= limit:
        return text
    return text[:edge] + f"\n… [{len(text) - 2 * edge} characters not shown] …\n" + text[-edge:]


def describe(bounded: dict[str, Any]) -> str:
    """A bounded body as the page shows it."""
    return (
        f"[{bounded['size']} bytes, sha256 {bounded['sha256']}; the first and last "
        f"{len(bounded['head'])} characters]\n{bounded['head']}\n… …\n{bounded['tail']}"
    )


def request_shown(request: dict[str, Any]) -> str:
    if bounded := request.get("bounded"):
        return describe(bounded)
    body = request.get("body")
    pretty = (
        body
        if body is None or isinstance(body, str)
        else json.dumps(body, indent=2, ensure_ascii=False)
    )
    return clip(pretty or "")


def response_shown(response: dict[str, Any]) -> tuple[str, str]:
    """(what it is, the text to show) for a response's body or SSE transcript."""
    if bounded := response.get("bounded"):
        kind = "SSE transcript" if bounded.get("field") == "transcript" else "body"
        return kind, describe(bounded)
    if response.get("transcript") is not None:
        return "SSE transcript", clip(str(response["transcript"]))
    return "body", clip(str(response.get("body") or "(none)"))
