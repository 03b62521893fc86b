"""Run under the previous SDK major (PYTHONPATH=.sdk-prev): anthropic 1.x sends x-api-key and
anthropic-version 2023-06-01, the pair most compatible clients in the field still send.

Usage: python scenarios.py BASE_URL KEY; prints one JSON object with what each scenario saw."""

from __future__ import annotations

import json
import sys

import anthropic

MODEL = "mock-sonnet"
HELLO = [{"role": "user", "content": "Repeat after me: hello there"}]
TOOL = {
    "name": "get_weather",
    "description": "Weather for a city",
    "input_schema": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
}


def main(base_url: str, key: str) -> dict[str, object]:
    client = anthropic.Anthropic(api_key=key, base_url=base_url, max_retries=0)
    created = client.messages.create(model=MODEL, max_tokens=16, messages=HELLO)
    hi = [{"role": "user", "content": "hi"}]
    with client.messages.stream(model=MODEL, max_tokens=6, messages=hi) as stream:
        final = stream.get_final_message()
    tool = client.messages.create(
        model=MODEL, max_tokens=64, messages=HELLO, tools=[TOOL], tool_choice={"type": "any"}
    )
    counted = client.messages.count_tokens(model=MODEL, messages=HELLO)
    try:
        client.messages.create(
            model=MODEL, max_tokens=16, messages=[{"role": "user", "content": ""}]
        )
        error = "no error"
    except anthropic.BadRequestError as exc:
        error = type(exc).__name__
    return {
        "version": anthropic.__version__,
        "text": created.content[0].text,
        "stop_reason": created.stop_reason,
        "stream_stop_reason": final.stop_reason,
        "tool_stop_reason": tool.stop_reason,
        "tool_input": tool.content[-1].input,
        "input_tokens": counted.input_tokens,
        "error": error,
    }


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2])))
