"""Input counts compare with cache reads and writes included (prompt caching splits them)."""

from __future__ import annotations

from msgconform.core.usage import shown_input, total_input


def test_cache_split_counts_agree() -> None:
    a = {"input_tokens": 9, "cache_read_input_tokens": 16}
    b = {"input_tokens": 1, "cache_read_input_tokens": 24, "cache_creation_input_tokens": None}
    assert total_input(a) == total_input(b) == 25
    assert (shown_input(a), shown_input(b)) == ("9+16", "1+24")


def test_cache_writes_count_and_a_missing_input_is_unread() -> None:
    assert total_input({"input_tokens": 3, "cache_creation_input_tokens": 4}) == 7
    assert total_input({"cache_read_input_tokens": 4}) is None
