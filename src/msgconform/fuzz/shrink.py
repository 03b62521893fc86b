"""Greedy shrinking of a failing example: drop keys and array items while the failure holds.

The caller's `keep` decides what "still the same failure" means; it re-checks the candidate
locally first (a negative example must still break the same thing, a positive one must still be
valid), so shrinking can never turn a negative example into a valid one that is judged as one.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from typing import Any

Keep = Callable[[Any], bool]


def size(body: Any) -> int:
    return len(json.dumps(body, ensure_ascii=False, default=str))


def _containers(node: Any, where: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """Every dict and list in the body, outermost first (the biggest cuts are tried first)."""
    if isinstance(node, (dict, list)):
        yield where, node
        items = node.items() if isinstance(node, dict) else enumerate(node)
        for key, value in items:
            yield from _containers(value, (*where, key))


def _without(body: Any, where: tuple[Any, ...], key: Any) -> Any:
    out = copy.deepcopy(body)
    node = out
    for part in where:
        node = node[part]
    del node[key]
    return out


def candidates(body: Any) -> Iterator[Any]:
    for where, node in list(_containers(body)):
        keys = list(node) if isinstance(node, dict) else list(range(len(node)))
        for key in reversed(keys):  # later items first: earlier ones carry the context
            yield _without(body, where, key)


def shrink(body: Any, keep: Keep, attempts: int) -> Any:
    """The smallest example found that `keep` accepts, within `attempts` calls to keep."""
    current, calls = body, 0
    improved = True
    while improved and calls < attempts:
        improved = False
        for candidate in candidates(current):
            if size(candidate) >= size(current):
                continue
            calls += 1
            if keep(candidate):
                current, improved = candidate, True
                break
            if calls >= attempts:
                break
    return current
