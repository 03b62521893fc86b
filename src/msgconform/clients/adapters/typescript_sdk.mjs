// Adapter for the official TypeScript SDK (@anthropic-ai/sdk) under Node.js; protocol in
// httpx_example.py. MSGCONFORM_NODE_MODULES names the directory whose node_modules holds the SDK
// (`make node-sdk` installs it in tests/node). It calls the SDK as its documentation shows:
// messages.create() for a message, messages.stream() + finalMessage() for a stream.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import path from "node:path";
import readline from "node:readline";
import { pathToFileURL } from "node:url";

const home = process.env.MSGCONFORM_NODE_MODULES || process.cwd();
const require = createRequire(path.join(home, "package.json"));
const sdkPath = require.resolve("@anthropic-ai/sdk");
const sdk = await import(pathToFileURL(sdkPath).href);
const Anthropic = sdk.Anthropic ?? sdk.default?.Anthropic ?? sdk.default;
const version = JSON.parse(readFileSync(path.join(path.dirname(sdkPath), "package.json"), "utf8")).version;

function makeClient(env) {
  const options = { baseURL: env.MSGCONFORM_BASE_URL, apiKey: null, authToken: null };
  if (env.MSGCONFORM_AUTH === "bearer") {
    options.authToken = env.MSGCONFORM_API_KEY;
  } else {
    // 1.x sends an apiKey as Bearer; x-api-key is a default header with Authorization omitted.
    options.defaultHeaders = { "x-api-key": env.MSGCONFORM_API_KEY, Authorization: null };
  }
  return new Anthropic(options);
}

function errorOf(err) {
  const message = `${err?.constructor?.name}: ${err?.message}`.slice(0, 400);
  if (err instanceof Anthropic.APIConnectionTimeoutError) return { type: "timeout", status: null, message };
  if (err instanceof Anthropic.APIConnectionError) return { type: "connection_error", status: null, message };
  if (err instanceof Anthropic.APIError) {
    const type = err.type ?? err.error?.error?.type ?? null;
    return { type, status: err.status ?? null, message };
  }
  return { type: "client_error", status: null, message };
}

async function once(env, request) {
  const client = makeClient(env);
  const { stream, ...params } = request;
  const events = [];
  if (!stream) {
    try {
      return { message: await client.messages.create(params) };
    } catch (err) {
      return { error: errorOf(err) };
    }
  }
  const running = client.messages.stream(params);
  try {
    for await (const event of running) events.push(event.type);
    return { message: await running.finalMessage(), events };
  } catch (err) {
    let partial = null;
    try {
      partial = running.currentMessage ?? null;
    } catch {
      partial = null;
    }
    return { error: errorOf(err), partial, events };
  }
}

function answer(result) {
  result.client = { name: "anthropic-typescript", version };
  return JSON.stringify(result);
}

if (process.env.MSGCONFORM_PROTOCOL === "lines") {
  process.stdout.write(JSON.stringify({ ready: true }) + "\n");
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line.trim()) continue;
    const item = JSON.parse(line);
    process.stdout.write(answer(await once({ ...process.env, ...item.env }, item.request)) + "\n");
  }
} else {
  let input = "";
  for await (const chunk of process.stdin) input += chunk;
  console.log(answer(await once(process.env, JSON.parse(input))));
}
