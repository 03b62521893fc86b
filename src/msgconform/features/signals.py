"""How "honoured" is seen. Each signal answers True (seen honoured), False (seen NOT honoured) or
None (cannot tell from this answer). False needs deterministic evidence: a protocol field, a
count or a block type, never the wording a live model chose."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from msgconform.core.exchange import Exchange
from msgconform.core.usage import total_input

Seen = tuple[bool | None, str]
# (the answer: a Message, a count_tokens body or a models page; the request; every exchange;
# the signal's parameters)
Signal = Callable[
    [Mapping[str, Any], Mapping[str, Any], Mapping[str, Exchange], Mapping[str, Any]], Seen
]
SIGNALS: dict[str, Signal] = {}
COMPLETE = ("end_turn", "stop_sequence", "tool_use")


def signal(name: str) -> Callable[[Signal], Signal]:
    def register(func: Signal) -> Signal:
        SIGNALS[name] = func
        return func

    return register


def text_of(message: Mapping[str, Any]) -> str:
    blocks = message.get("content") or []
    return "".join(
        str(b.get("text") or "") for b in blocks if isinstance(b, dict) and b.get("type") == "text"
    )


def blocks_of(message: Mapping[str, Any], kind: str) -> list[dict[str, Any]]:
    blocks = message.get("content") or []
    return [b for b in blocks if isinstance(b, dict) and b.get("type") == kind]


def usage_of(answer: Mapping[str, Any], key: str) -> int | None:
    """A usage count of a Message, or count_tokens' top-level input_tokens."""
    usage = answer.get("usage")
    value = usage.get(key) if isinstance(usage, dict) else answer.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def input_of(answer: Mapping[str, Any]) -> int | None:
    """The input a request counted, cache reads and writes included (count_tokens: top level)."""
    usage = answer.get("usage")
    return total_input(usage if isinstance(usage, dict) else answer)


@signal("none")
def not_visible(answer: Any, request: Any, exchanges: Any, params: Any) -> Seen:
    return None, "honouring is not visible in the answer"


@signal("more_input_tokens")
def more_input_tokens(
    answer: Mapping[str, Any],
    request: Any,
    exchanges: Mapping[str, Exchange],
    params: Any,
) -> Seen:
    """The feature's request counts more input tokens than the same request without it."""
    baseline = exchanges.get("baseline")
    data = baseline.json() if baseline is not None and baseline.status == 200 else None
    base = input_of(data) if isinstance(data, dict) else None
    counted = input_of(answer)
    if not base or not counted:  # absent or zero: the counts say nothing either way
        return None, "no input_tokens to compare with the baseline request"
    if counted > base:
        return True, f"input_tokens {counted} > {base} without it"
    return False, f"input_tokens {counted}, not more than the {base} of the request without it"


@signal("max_tokens_cut")
def max_tokens_cut(answer: Mapping[str, Any], request: Mapping[str, Any], *_: Any) -> Seen:
    limit = request.get("max_tokens")
    used = usage_of(answer, "output_tokens")
    stop = answer.get("stop_reason")
    if stop == "max_tokens":  # a miscounted usage is the usage area's finding, not this one's
        return True, f"stop_reason max_tokens at max_tokens {limit}"
    if isinstance(limit, int) and used is not None and used > limit:
        return False, f"output_tokens {used} > max_tokens {limit} and stop_reason {stop}"
    return None, f"the reply ended ({stop}) within max_tokens"


@signal("stop_sequence")
def stop_sequence(answer: Mapping[str, Any], request: Any, exchanges: Any, params: Any) -> Seen:
    wanted = str(params.get("sequence"))
    if answer.get("stop_reason") == "stop_sequence" and answer.get("stop_sequence") == wanted:
        return True, f"stop_reason stop_sequence, stop_sequence {wanted!r}"
    text = text_of(answer)
    if wanted in text and text.split(wanted, 1)[1].strip():
        return False, f"the text goes on past {wanted!r} (stop_reason {answer.get('stop_reason')})"
    if wanted in text:  # stopped at it, but says otherwise: STOP-005's finding, not "ignored"
        return None, f"the text ends at {wanted!r} (stop_reason {answer.get('stop_reason')})"
    return None, f"the model did not produce {wanted!r}"


@signal("tool_use")
def tool_use(answer: Mapping[str, Any], request: Any, exchanges: Any, params: Any) -> Seen:
    """A forced tool_choice gives tool_use blocks (of the named tool, at most `at_most`)."""
    uses = blocks_of(answer, "tool_use")
    stop = answer.get("stop_reason")
    if not uses:
        if stop in COMPLETE:
            return False, f"no tool_use block although tool_choice forces one (stop_reason {stop})"
        return None, f"cut before a tool call (stop_reason {stop})"
    names = [str(u.get("name")) for u in uses]
    if (name := params.get("name")) and any(n != name for n in names):
        return False, f"called {', '.join(names)}, not the named {name}"
    if (most := params.get("at_most")) and len(uses) > int(most):
        return False, f"{len(uses)} tool calls although parallel calls are disabled"
    return True, f"tool_use {', '.join(names)} (stop_reason {stop})"


@signal("no_tool_use")
def no_tool_use(answer: Mapping[str, Any], *_: Any) -> Seen:
    uses = blocks_of(answer, "tool_use")
    if uses:
        return False, f"a tool_use block ({uses[0].get('name')}) although tool_choice is none"
    return True, f"no tool_use block (stop_reason {answer.get('stop_reason')})"


@signal("block_type")
def block_type(answer: Mapping[str, Any], request: Any, exchanges: Any, params: Any) -> Seen:
    kind = str(params.get("type"))
    stop = answer.get("stop_reason")
    if blocks_of(answer, kind) or (kind == "thinking" and blocks_of(answer, "redacted_thinking")):
        return True, f"a {kind} block came back"
    if stop in COMPLETE:
        return False, f"a complete reply (stop_reason {stop}) without a {kind} block"
    return None, f"cut (stop_reason {stop}) before a {kind} block"


@signal("sse")
def sse(*_: Any) -> Seen:
    return True, "an event stream from message_start to message_stop"


@signal("models_page")
def models_page(answer: Mapping[str, Any], *_: Any) -> Seen:
    data = answer.get("data")
    if isinstance(data, list) and data:
        return True, f"{len(data)} models listed"
    return None, "an empty list of models"


@signal("header")
def header(answer: Any, request: Any, exchanges: Mapping[str, Exchange], params: Any) -> Seen:
    name = str(params.get("name")).lower()
    headers = exchanges["feature"].response_headers
    value = headers.get(name) or headers.get(f"x-{name}")  # the x- spelling is common too
    return (True, f"{name}: {value}") if value else (False, f"no {name} header")
