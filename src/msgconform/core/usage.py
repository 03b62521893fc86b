"""The input a request counted, whichever way a server splits it. With prompt caching,
input_tokens is only the part after the last cache breakpoint: a server that reads 16 tokens from
its cache reports 9 + 16 where another reports 1 + 24, and both counted 25."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

INPUT_PARTS = ("input_tokens", "cache_read_input_tokens", "cache_creation_input_tokens")


def count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def total_input(usage: Mapping[str, Any]) -> int | None:
    """input_tokens plus the cache reads and writes; None without an integer input_tokens."""
    base = count(usage.get("input_tokens"))
    if base is None:
        return None
    return base + sum(count(usage.get(name)) or 0 for name in INPUT_PARTS[1:])


def shown_input(usage: Mapping[str, Any]) -> str:
    """How the total was made, e.g. "9+16" (input + cache reads), for a verdict's Actual."""
    parts = [count(usage.get(name)) for name in INPUT_PARTS]
    return "+".join(str(p) for p in parts if p) or str(usage.get("input_tokens"))
