"""The endpoints the generator knows, by the name a fuzz case uses."""

from __future__ import annotations

from msgconform.core.endpoints import COUNT_TOKENS, MESSAGES

ENDPOINTS = {"messages": MESSAGES, "count_tokens": COUNT_TOKENS}
