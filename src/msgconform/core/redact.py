"""Keeping keys out of everything msgconform writes: headers by name, the key's value anywhere."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import quote

from msgconform.core.exchange import REDACTED, SECRET_HEADERS

# Shorter values (a model name, "none", a test's "sk-x") would blank out ordinary words.
MIN_SECRET_LEN = 8


def variants(secret: str) -> set[str]:
    """The ways a key shows up in text: as is, JSON-escaped (a body echoing it) and URL-encoded."""
    return {secret, json.dumps(secret)[1:-1], quote(secret, safe="")}


class Redactor:
    def __init__(self, secrets: Iterable[str], secret_headers: Iterable[str] = ()) -> None:
        found: set[str] = set()
        for secret in secrets:
            if secret and len(secret) >= MIN_SECRET_LEN:
                found |= variants(secret)
        # Longest first, so a key that contains another secret is replaced whole.
        self._secrets = sorted(found, key=len, reverse=True)
        self._bytes = [s.encode("utf-8") for s in self._secrets]
        self._names = SECRET_HEADERS | {n.lower() for n in secret_headers}

    def text(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text

    def raw(self, data: bytes) -> bytes:
        for secret in self._bytes:
            data = data.replace(secret, REDACTED.encode())
        return data

    def header_value(self, name: str, value: str) -> str:
        if name.lower() not in self._names:
            return self.text(value)
        # Keep the scheme word ("Bearer", "Api-Key"): which scheme was sent is evidence.
        scheme, sep, _ = value.partition(" ")
        return f"{scheme} {REDACTED}" if sep else REDACTED

    def headers(self, headers: Mapping[str, Any]) -> dict[str, Any]:
        return {
            self.text(str(k)): self.header_value(str(k), v) if isinstance(v, str) else self.value(v)
            for k, v in headers.items()
        }

    def value(self, obj: Any) -> Any:
        """A deep copy of `obj` with every secret replaced; header-like dicts by name too."""
        if isinstance(obj, str):
            return self.text(obj)
        if isinstance(obj, bytes | bytearray):
            return self.raw(bytes(obj))
        if isinstance(obj, Mapping):
            return {self.value(k): self._item(k, v) for k, v in obj.items()}
        if isinstance(obj, list | tuple):
            return [self.value(v) for v in obj]
        return obj

    def _item(self, key: Any, value: Any) -> Any:
        if isinstance(key, str) and isinstance(value, str):
            return self.header_value(key, value)
        return self.value(value)
