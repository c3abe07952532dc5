// tests/sdk/openai_sdk_test.mjs — QuotaGuard through the official OpenAI Node SDK.
//
// Needs QG_BASE_URL (e.g. http://127.0.0.1:8318/v1) and QG_API_KEY (a server.api_keys entry);
// QuotaGuard must proxy to accounts that serve QG_MODEL (default gpt-4o-mini) and
// QG_EMBED_MODEL (default text-embedding-3-small). Run by tests/sdk/run.sh. Exit 0 = all pass.
import OpenAI from 'openai';
import assert from 'node:assert/strict';

const baseURL = process.env.QG_BASE_URL;
const apiKey = process.env.QG_API_KEY;
const model = process.env.QG_MODEL || 'gpt-4o-mini';
const embedModel = process.env.QG_EMBED_MODEL || 'text-embedding-3-small';
if (!baseURL || !apiKey) {
  console.error('QG_BASE_URL and QG_API_KEY are required');
  process.exit(2);
}
const client = new OpenAI({ baseURL, apiKey, maxRetries: 0, timeout: 20000 });

const tests = [];
const test = (name, fn) => tests.push({ name, fn });

test('chat.completions.create (plain)', async () => {
  const { data, response } = await client.chat.completions
    .create({ model, messages: [{ role: 'user', content: 'Say hello' }], max_tokens: 8 })
    .withResponse();
  assert.equal(data.object, 'chat.completion');
  assert.ok(data.choices[0].message.content.length > 0);
  assert.ok(data.usage.completion_tokens > 0);
  assert.ok(response.headers.get('x-quotaguard-account'), 'x-quotaguard-account header');
  assert.ok(response.headers.get('x-quotaguard-reservation'), 'x-quotaguard-reservation header');
});

test('chat.completions.create (stream, iterate chunks)', async () => {
  const stream = await client.chat.completions.create({
    model, stream: true, messages: [{ role: 'user', content: 'Stream please' }], max_tokens: 8,
  });
  let text = '';
  let chunks = 0;
  for await (const chunk of stream) {
    chunks++;
    assert.equal(chunk.object, 'chat.completion.chunk');
    // QuotaGuard asks upstream for usage but hides that chunk from clients that did not ask.
    assert.ok(chunk.choices.length > 0, 'no usage-only chunk when include_usage was not asked');
    text += chunk.choices[0].delta?.content ?? '';
  }
  assert.ok(chunks >= 2, `got ${chunks} chunks`);
  assert.ok(text.length > 0);
});

test('chat.completions.create (stream with include_usage)', async () => {
  const stream = await client.chat.completions.create({
    model, stream: true, stream_options: { include_usage: true },
    messages: [{ role: 'user', content: 'Usage please' }], max_tokens: 8,
  });
  let usage = null;
  for await (const chunk of stream) if (chunk.usage) usage = chunk.usage;
  assert.ok(usage && usage.completion_tokens > 0, 'usage chunk delivered');
});

test('embeddings.create', async () => {
  const res = await client.embeddings.create({ model: embedModel, input: 'embed me' });
  assert.equal(res.object, 'list');
  assert.ok(res.data[0].embedding.length > 0);
  assert.ok(Math.abs(res.data[0].embedding[0] - 0.1) < 1e-6, 'embedding decoded');
});

test('models.list', async () => {
  const ids = [];
  for await (const m of client.models.list()) ids.push(m.id);
  assert.ok(ids.includes(model), `models.list has ${model}: ${ids.join(',')}`);
});

test('typed error: wrong API key -> AuthenticationError', async () => {
  const bad = new OpenAI({ baseURL, apiKey: 'wrong-key', maxRetries: 0 });
  await assert.rejects(
    bad.chat.completions.create({ model, messages: [{ role: 'user', content: 'x' }] }),
    (err) => err instanceof OpenAI.AuthenticationError && err.status === 401 && err.code === 'invalid_api_key',
  );
});

test('typed error: invalid request -> BadRequestError', async () => {
  await assert.rejects(
    client.chat.completions.create({ model: '', messages: [] }),
    (err) => err instanceof OpenAI.BadRequestError && err.status === 400 && err.param === 'model',
  );
});

if (process.env.QG_EXHAUSTED_MODEL) {
  test('typed error: no quota -> RateLimitError quota_exhausted', async () => {
    await assert.rejects(
      client.chat.completions.create({ model: process.env.QG_EXHAUSTED_MODEL, messages: [{ role: 'user', content: 'x' }] }),
      (err) => err instanceof OpenAI.RateLimitError && err.status === 429 && err.code === 'quota_exhausted' &&
        Number(err.headers?.get?.('retry-after') ?? err.headers?.['retry-after']) >= 1,
    );
  });
}

let failed = 0;
for (const { name, fn } of tests) {
  try {
    await fn();
    console.log(`ok   ${name}`);
  } catch (err) {
    failed++;
    console.log(`FAIL ${name}: ${err?.stack || err}`);
  }
}
console.log(`${tests.length - failed}/${tests.length} passed`);
process.exit(failed ? 1 : 0);
