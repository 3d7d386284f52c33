/**
 * End to end: a keyed request's grant rides with it to the router, which settles it when the request
 * ends, so what the request really used reaches the key's budget — for a JSON answer, for a stream once
 * it is read to its end, for the prompt of a request its client left, and for embeddings (their input
 * tokens) — while a request refused before the router gives back what it took. Answers carry the key's
 * rate-limit headers, errors after admission too.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKeel, type RunningKeel } from '../start-keel.js';
import { silentLogger } from '../../../test/support/silent-logger.js';

let keel: RunningKeel;
// A dollar per thousand tokens: any answer spends more than the budget below.
const PRICE = { input_per_mtok: 1_000, output_per_mtok: 1_000 };
const BUDGET_USD = 0.000_001;
const SECRETS = { left: 'sk-keel-spend-left-0123456789', json: 'sk-keel-spend-json-0123456789', stream: 'sk-keel-spend-stream-0123456789', open: 'sk-keel-spend-open-0123456789', embed: 'sk-keel-spend-embed-0123456789' };

beforeAll(async () => {
  keel = await startKeel({
    port: 0,
    logger: silentLogger(),
    env: { KEEL_TEST_LEFT: SECRETS.left, KEEL_TEST_JSON: SECRETS.json, KEEL_TEST_STREAM: SECRETS.stream, KEEL_TEST_OPEN: SECRETS.open, KEEL_TEST_EMBED: SECRETS.embed },
    config: {
      simulator: { token_delay_ms: 0 },
      deployments: [
        { id: 'a', provider: 'openai', model: 'sim-a', simulated: true, price: PRICE },
        { id: 'h', provider: 'openai', model: 'sim-hang', simulated: true, price: PRICE },
        { id: 'e', provider: 'openai', model: 'sim-embed', simulated: true, price: PRICE, capabilities: { embedding_model: 'text-embedding-3-small' } },
      ],
      routes: { slow: { deployments: ['h'] }, smart: { deployments: ['a'] }, embed: { deployments: ['e'] } },
      keys: [
        { name: 'left', key: '${KEEL_TEST_LEFT}', daily_budget_usd: BUDGET_USD },
        { name: 'json', key: '${KEEL_TEST_JSON}', daily_budget_usd: BUDGET_USD },
        { name: 'stream', key: '${KEEL_TEST_STREAM}', daily_budget_usd: BUDGET_USD },
        { name: 'open', key: '${KEEL_TEST_OPEN}', rpm: 1 },
        { name: 'embed', key: '${KEEL_TEST_EMBED}', daily_budget_usd: BUDGET_USD },
      ],
    },
  });
});

afterAll(async () => {
  await keel.stop();
});

const client = (secret: string): OpenAI => new OpenAI({ apiKey: secret, baseURL: `${keel.url}/v1`, maxRetries: 0 });
const ask = { model: 'smart', messages: [{ role: 'user' as const, content: 'hello' }] };

async function refusal(run: () => Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
  try {
    await run();
  } catch (err) {
    if (err instanceof OpenAI.APIError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

/**
 * Waits until the key's budget is spent. Polled with a model Keel does not serve: refused for the spent
 * budget (429) once charged, a 404 that spends nothing until then.
 */
async function budgetSpent(keyed: OpenAI): Promise<void> {
  await expect.poll(async () => (await refusal(() => keyed.chat.completions.create({ ...ask, model: 'no-such-model' }))).status).toBe(429);
}

describe("a key's spend, from real requests", () => {
  it('is charged when a JSON answer ends: the next request finds the daily budget spent', async () => {
    const keyed = client(SECRETS.json);
    expect((await keyed.chat.completions.create(ask)).choices[0]!.message.content).toBeTruthy();
    const err = await refusal(() => keyed.chat.completions.create(ask));
    expect(err.status).toBe(429);
    expect(err.message).toContain("daily budget of $0.000001 for key 'json' is exhausted");
  });

  it('is charged when a stream is read to its end, though its client never asked for the usage', async () => {
    const keyed = client(SECRETS.stream);
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of await keyed.chat.completions.create({ ...ask, stream: true })) chunks.push(chunk);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBeTruthy();
    // Keel asked the provider for the usage on the client's behalf, and kept that chunk (no choices) from it.
    expect(chunks.every((c) => c.choices.length > 0 && c.usage == null)).toBe(true);
    // The stream's record is settled as its last bytes go out.
    await budgetSpent(keyed);
  });

  it('is charged the prompt of a JSON request its client left before the answer', async () => {
    const keyed = client(SECRETS.left);
    const sim = keel.simulator!;
    sim.setFault('sim-hang', { type: 'hang' });
    const leaving = new AbortController();
    const asked = keyed.chat.completions.create({ ...ask, model: 'slow' }, { signal: leaving.signal });
    await expect.poll(() => sim.stats().active).toBe(1); // the provider has the prompt
    leaving.abort();
    await expect(asked).rejects.toThrow(/abort/i);
    // The provider read the prompt and bills it: an estimate is charged, though no usage ever came.
    await budgetSpent(keyed);
    sim.clearFaults();
  });

  it('is charged for embeddings: the input tokens the answer reports', async () => {
    const keyed = client(SECRETS.embed);
    expect((await keyed.embeddings.create({ model: 'embed', input: 'hello world' })).usage.prompt_tokens).toBeGreaterThan(0);
    const err = await refusal(() => keyed.embeddings.create({ model: 'embed', input: 'hello world' }));
    expect(err.status).toBe(429);
    expect(err.message).toContain("daily budget of $0.000001 for key 'embed' is exhausted");
  });

  it('gives back what a request refused before the router took: its one request per minute', async () => {
    const keyed = client(SECRETS.open);
    const err = await refusal(() => keyed.chat.completions.create({ ...ask, model: 'no-such-model' }));
    expect(err.status).toBe(404);
    // An error answer after admission carries the key's rate-limit headers too, as the take left them.
    expect([err.headers?.get('x-ratelimit-limit-requests'), err.headers?.get('x-ratelimit-remaining-requests')]).toEqual(['1', '0']);
    const { data, response } = await keyed.chat.completions.create(ask).withResponse();
    expect(data.choices[0]!.message.content).toBeTruthy();
    expect([response.headers.get('x-ratelimit-limit-requests'), response.headers.get('x-ratelimit-remaining-requests')]).toEqual(['1', '0']);
    expect(response.headers.get('x-ratelimit-reset-requests')).toMatch(/^\d+(ms|(\.\d)?s|m\d+s)$/);
    // That answer was the minute's one request.
    const limited = await refusal(() => keyed.chat.completions.create(ask));
    expect(limited.status).toBe(429);
    expect(limited.message).toContain('1 requests per minute');
  });
});
