"""The redactor: header names, key values anywhere, and the short-secret guard."""

from __future__ import annotations

import json

from msgconform.core.redact import Redactor

KEY = "sk-test-0123456789abcdef"


def test_secret_headers_keep_the_scheme_word() -> None:
    r = Redactor([KEY], secret_headers=["X-Baseten-Key"])
    out = r.headers(
        {
            "Authorization": f"Bearer {KEY}",
            "x-api-key": KEY,
            "proxy-authorization": "Basic abc",
            "api-key": "short",
            "x-baseten-key": "Api-Key whatever",
            "anthropic-version": "2023-06-01",
        }
    )
    assert out == {
        "Authorization": "Bearer [REDACTED]",
        "x-api-key": "[REDACTED]",
        "proxy-authorization": "Basic [REDACTED]",
        "api-key": "[REDACTED]",
        "x-baseten-key": "Api-Key [REDACTED]",
        "anthropic-version": "2023-06-01",
    }


def test_key_value_in_other_headers_is_replaced() -> None:
    out = Redactor([KEY]).headers({"x-echo": f"got {KEY}"})
    assert out == {"x-echo": "got [REDACTED]"}


def test_text_replaces_every_occurrence() -> None:
    assert Redactor([KEY]).text(f"{KEY} and {KEY}") == "[REDACTED] and [REDACTED]"


def test_value_is_deep_over_keys_strings_and_bytes() -> None:
    data = {KEY: [f"a{KEY}b", {"nested": KEY.encode()}], "n": 3, "none": None}
    out = Redactor([KEY]).value(data)
    assert out == {"[REDACTED]": ["a[REDACTED]b", {"nested": b"[REDACTED]"}], "n": 3, "none": None}
    assert KEY in data  # the input is left alone


def test_json_escaped_and_url_encoded_forms_are_caught() -> None:
    key = 'sk-"quoted"/+key'
    r = Redactor([key])
    assert key not in r.text(json.dumps({"echo": key}))
    assert "sk-%22quoted%22%2F%2Bkey" not in r.text("?key=sk-%22quoted%22%2F%2Bkey")


def test_short_secrets_are_ignored() -> None:
    assert Redactor(["abc", ""]).text("abc model") == "abc model"


def test_longer_secret_wins_over_its_prefix() -> None:
    r = Redactor(["sk-test-0123", "sk-test-0123-more"])
    assert r.text("sk-test-0123-more") == "[REDACTED]"
