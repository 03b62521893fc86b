"""The reference mock provider: a strict, deterministic Messages API server with named faults.

Entry points: `msgconform.mock.server.MockServer(profile, key, fault=None)` (uvicorn on a loopback
socket), `msgconform.mock.app.build_app(profile, key, fault=None)` (the raw ASGI app) and
`msgconform mock --provider NAME --port N` (see its --help).

It emulates the profile it is given: accepted and rejected auth schemes (x-api-key,
`Authorization: Bearer`, `Authorization: Api-Key`) with the profile's statuses, the versions it
lists (a missing or unknown `anthropic-version` gets 400 unless the profile's
`contract.version_header` says the provider ignores it), the overlay's request contract
(`Contract.request_issues`, first issue answered as "path: rule"; 422 for a missing field where the
profile documents 422), its features (endpoints it lacks answer 404; images, documents, thinking
and prefill only where the profile has them) and its SSE framing (data-only frames and
`data: [DONE]` where the profile says so).

Text rules (what probes can rely on):
- tokens are whitespace-separated words; input_tokens counts the words of every string in system,
  messages and tools (one function for messages, streams and count_tokens);
- if the last user text contains "Repeat after me: X" the reply is X, else DEFAULT_REPLY (50 words,
  with multi-byte characters);
- every UPPERCASE word of 4 letters or more in `system` (string or blocks) is put before the reply,
  so a canary shows that system was honoured;
- a final assistant message is a prefill: if the reply starts with it, the reply is the rest, else
  a space and the whole reply;
- max_tokens cuts the reply after that many words (stop_reason max_tokens, output_tokens ==
  max_tokens); a stop sequence inside the kept words cuts before its first match (stop_reason
  stop_sequence, stop_sequence set); otherwise end_turn;
- tool_choice any/tool: one tool_use block (input built from the tool's input_schema so that it
  validates) and stop_reason tool_use; auto: the same, after a short text block, when the last user
  text names a tool, else text; none: text. A tool_use block costs one token;
- thinking enabled or adaptive (where the profile has thinking): a thinking block with a signature
  comes first (empty text when display is "omitted");
- ids are `msg_01…` and `toolu_01…`, derived from the request body.

Streams: message_start (output_tokens placeholder 1), one ping, per block content_block_start /
deltas (text in pieces of three words; input_json_delta "" then irregular pieces;
thinking_delta then signature_delta) / content_block_stop, message_delta with cumulative usage,
message_stop, then the body ends. Each event is written as soon as it is produced.

Per-request controls: `x-msgconform-fault: NAME` (see `msgconform.mock.faults`) and
`x-msgconform-scenario: NAME[:ARG[:TAG]]` with NAME one of rate_limited (429, retry-after: 1),
overloaded (529, retry-after: 1), stream_error (event: error after the first delta; JSON: 500),
slow_first_byte (ARG seconds, default 1.5), long_stream (ARG words, default 2000, pings every 20
events). For rate_limited/overloaded, ARG=N refuses only the first N requests carrying that exact
header value. Every pause ends within 30 s, and sooner if the client leaves. NAME `client`
(`client:<scenario-id>[:<tag>]`, or the base URL `/_msgconform/clients/<scenario-id>/<token>`)
serves a client-battery scenario of suites/clients/*.yaml, attempt by attempt (see
`msgconform.mock.scenarios_clients`).
"""
