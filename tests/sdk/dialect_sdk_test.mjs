// tests/sdk/dialect_sdk_test.mjs — the official Anthropic, OpenAI (Responses) and Google GenAI
// SDKs, unchanged, against QuotaGuard (started by dialects.sh in front of qg-fake-provider).
import assert from "node:assert/strict";
import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { GoogleGenAI, ApiError } from "@google/genai";

const url = process.env.QG_URL;
const apiKey = process.env.QG_API_KEY;
let failures = 0;
async function check(name, fn) {
  try {
    await fn();
    console.log(`ok ${name}`);
  } catch (e) {
    failures++;
    console.error(`FAIL ${name}: ${e && e.stack ? e.stack : e}`);
  }
}

const anthropic = new Anthropic({ apiKey, baseURL: url, maxRetries: 0 });
await check("anthropic messages.create", async () => {
  const m = await anthropic.messages.create({ model: "claude-fake", max_tokens: 64, messages: [{ role: "user", content: "hello" }] });
  assert.match(m.content[0].text, /tok tok/);
  assert.ok(m.usage.output_tokens > 0);
});
await check("anthropic messages.stream", async () => {
  const stream = anthropic.messages.stream({ model: "claude-fake", max_tokens: 64, messages: [{ role: "user", content: "hello" }] });
  let text = "";
  stream.on("text", (t) => { text += t; });
  const final = await stream.finalMessage();
  assert.match(text, /tok tok/);
  assert.equal(final.usage.output_tokens, 6);
});
await check("anthropic beta count_tokens", async () => {
  const r = await anthropic.messages.countTokens({ model: "claude-fake", messages: [{ role: "user", content: "hello there" }] });
  assert.ok(r.input_tokens > 0);
});
await check("anthropic all spent -> RateLimitError", async () => {
  await assert.rejects(
    anthropic.messages.create({ model: "exhausted-claude", max_tokens: 8, messages: [{ role: "user", content: "hi" }] }),
    (e) => e instanceof Anthropic.RateLimitError && e.status === 429);
});

const openai = new OpenAI({ apiKey, baseURL: `${url}/v1`, maxRetries: 0 });
await check("openai responses.create", async () => {
  const r = await openai.responses.create({ model: "gpt-fake", input: "hello" });
  assert.match(r.output_text, /tok tok/);
  const again = await openai.responses.retrieve(r.id);
  assert.equal(again.id, r.id);
  const next = await openai.responses.create({ model: "gpt-fake", input: "more", previous_response_id: r.id });
  assert.match(next.output_text, /tok tok/);
});
await check("openai responses.create stream", async () => {
  const stream = await openai.responses.create({ model: "gpt-fake", input: "hello", stream: true });
  let text = "", completed = null;
  for await (const ev of stream) {
    if (ev.type === "response.output_text.delta") text += ev.delta;
    if (ev.type === "response.completed") completed = ev.response;
  }
  assert.match(text, /tok tok/);
  assert.equal(completed.usage.output_tokens, 6);
});
await check("openai responses all spent -> RateLimitError", async () => {
  await assert.rejects(openai.responses.create({ model: "exhausted-gpt", input: "hi" }),
    (e) => e instanceof OpenAI.RateLimitError && e.status === 429);
});

const genai = new GoogleGenAI({ apiKey, httpOptions: { baseUrl: url } });
await check("genai generateContent", async () => {
  const r = await genai.models.generateContent({ model: "gemini-fake", contents: "hello" });
  assert.match(r.text, /tok tok/);
  assert.equal(r.usageMetadata.candidatesTokenCount, 6);
});
await check("genai generateContentStream", async () => {
  let text = "";
  for await (const chunk of await genai.models.generateContentStream({ model: "gemini-fake", contents: "hello" })) text += chunk.text ?? "";
  assert.match(text, /tok tok/);
});
await check("genai countTokens", async () => {
  const r = await genai.models.countTokens({ model: "gemini-fake", contents: "hello there" });
  assert.ok(r.totalTokens > 0);
});
await check("genai all spent -> ApiError 429", async () => {
  await assert.rejects(genai.models.generateContent({ model: "exhausted-gemini", contents: "hi" }),
    (e) => e instanceof ApiError && e.status === 429);
});

if (failures) process.exit(1);
