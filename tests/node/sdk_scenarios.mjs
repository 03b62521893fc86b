// Drives the official TypeScript SDK against a running msgconform mock.
// Usage: MOCK_URL=http://127.0.0.1:PORT MOCK_KEY=sk-... node sdk_scenarios.mjs
// Prints one line per scenario ("ok NAME" or "FAIL NAME: why") and exits 1 if any failed.
import Anthropic from "@anthropic-ai/sdk";

const baseURL = process.env.MOCK_URL;
const apiKey = process.env.MOCK_KEY;
const model = "mock-sonnet";
const hello = [{ role: "user", content: "Repeat after me: hello there" }];
const tool = {
  name: "get_weather",
  input_schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
};
const client = new Anthropic({ apiKey, baseURL, maxRetries: 0 });

function check(condition, why) {
  if (!condition) throw new Error(why);
}

async function expectError(kind, call) {
  try {
    await call();
  } catch (err) {
    check(err instanceof kind, `expected ${kind.name}, got ${err?.constructor?.name}: ${err?.message}`);
    check(err.requestID, "no request id on the error");
    return;
  }
  throw new Error(`expected ${kind.name}, the call succeeded`);
}

const scenarios = {
  async create() {
    const m = await client.messages.create({ model, max_tokens: 16, messages: hello });
    check(m.content[0].text === "hello there" && m.stop_reason === "end_turn", JSON.stringify(m));
  },
  async stream_final_message() {
    const stream = client.messages.stream({ model, max_tokens: 6, messages: [{ role: "user", content: "hi" }] });
    const final = await stream.finalMessage();
    check(final.stop_reason === "max_tokens" && final.usage.output_tokens === 6, JSON.stringify(final));
  },
  async tool_round_trip() {
    const first = await client.messages.create({ model, max_tokens: 64, messages: hello, tools: [tool], tool_choice: { type: "any" } });
    const call = first.content[0];
    check(first.stop_reason === "tool_use" && typeof call.input.city === "string", JSON.stringify(first));
    const result = { type: "tool_result", tool_use_id: call.id, content: "sunny" };
    const messages = [...hello, { role: "assistant", content: first.content }, { role: "user", content: [result] }];
    const second = await client.messages.create({ model, max_tokens: 64, messages, tools: [tool] });
    check(second.stop_reason === "end_turn", JSON.stringify(second));
  },
  async count_tokens() {
    const counted = await client.messages.countTokens({ model, messages: hello });
    const made = await client.messages.create({ model, max_tokens: 4, messages: hello });
    check(counted.input_tokens === made.usage.input_tokens, `${counted.input_tokens} != ${made.usage.input_tokens}`);
  },
  async typed_errors() {
    const empty = [{ role: "user", content: [{ type: "text", text: "" }] }];
    await expectError(Anthropic.BadRequestError, () => client.messages.create({ model, max_tokens: 4, messages: empty }));
    const wrong = new Anthropic({ apiKey: "sk-wrong", baseURL, maxRetries: 0 });
    await expectError(Anthropic.AuthenticationError, () => wrong.messages.create({ model, max_tokens: 4, messages: hello }));
    await expectError(Anthropic.NotFoundError, () => client.models.retrieve("no-such-model"));
    const limited = { headers: { "x-msgconform-scenario": "rate_limited" } };
    await expectError(Anthropic.RateLimitError, () => client.messages.create({ model, max_tokens: 4, messages: hello }, limited));
  },
  async retry_after() {
    const tag = `node-${process.pid}`;
    for (const scenario of ["rate_limited", "overloaded"]) {
      const options = { maxRetries: 1, headers: { "x-msgconform-scenario": `${scenario}:1:${tag}` } };
      const m = await client.messages.create({ model, max_tokens: 4, messages: hello }, options);
      check(m.stop_reason === "end_turn", `${scenario}: ${JSON.stringify(m)}`);
    }
  },
};

let failed = 0;
for (const [name, run] of Object.entries(scenarios)) {
  try {
    await run();
    console.log(`ok ${name}`);
  } catch (err) {
    failed += 1;
    console.log(`FAIL ${name}: ${err.message}`);
  }
}
process.exit(failed ? 1 : 0);
