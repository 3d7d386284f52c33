/**
 * The gray-failure faults in every wire format, streamed and not: a connection accepted and never
 * answered (`hang`), a connection destroyed (`reset`), a first token that comes late (`slow_first_token`),
 * a 200 whose body never comes (`body_hang`), and a `mix` drawing one of them per request. Each is checked
 * from the client's side, and the simulator's stats must count every attempt, the hanging ones included,
 * because end-to-end tests read attempt counts from them. Waits are bounded by the simulator's own
 * state (`active`), and timings are asserted as lower bounds only.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSimulator } from './simulator-server.js';
import type { Simulator, WireFormat } from './types.js';

let sim: Simulator;
beforeAll(async () => {
  sim = await startSimulator({ seed: 5 });
});
beforeEach(() => {
  sim.clearFaults();
  sim.resetStats();
});
afterAll(() => sim.close());

const FORMATS: WireFormat[] = ['openai', 'anthropic', 'gemini'];
const CASES = FORMATS.flatMap((format) => [{ format, stream: false }, { format, stream: true }]);
const PROMPT = 'one two three four five';

/** The format's generate request: path, headers and body, streamed or not. */
function send(format: WireFormat, stream: boolean, signal?: AbortSignal, model = 'm1'): Promise<Response> {
  const messages = [{ role: 'user', content: PROMPT }];
  const init = (path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> =>
    fetch(sim.url + path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
      ...(signal === undefined ? {} : { signal }),
    });
  if (format === 'openai') return init('/v1/chat/completions', { model, stream, messages });
  if (format === 'anthropic') {
    return init('/v1/messages', { model, max_tokens: 50, stream, messages }, { 'anthropic-version': '2023-06-01' });
  }
  const path = stream ? `/v1beta/models/${model}:streamGenerateContent?alt=sse` : `/v1beta/models/${model}:generateContent`;
  return init(path, { contents: [{ role: 'user', parts: [{ text: PROMPT }] }] });
}

/** Text of the first answer token in a body of the format: how a client knows the answer has begun. */
const FIRST_TOKEN: Record<WireFormat, RegExp> = {
  openai: /"content":"Hello/,
  anthropic: /"text":"Hello/,
  gemini: /"text":"Hello/,
};

/** Reads a body until `pattern` appears; resolves with the time it did (performance.now()). */
async function timeOf(res: Response, pattern: RegExp): Promise<number> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`the body ended without ${String(pattern)}`);
    text += decoder.decode(value, { stream: true });
    if (pattern.test(text)) {
      const at = performance.now();
      await reader.cancel();
      return at;
    }
  }
}

async function waitFor(predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Whether a promise has settled by now (after letting pending I/O callbacks run once). */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(() => (done = true), () => (done = true));
  await new Promise((resolve) => setTimeout(resolve, 50));
  return done;
}

const label = (c: { format: WireFormat; stream: boolean }): string => `${c.format} ${c.stream ? 'stream' : 'JSON'}`;

describe('hang: the connection is accepted and nothing is ever sent', () => {
  it.each(CASES.map((c) => [label(c), c] as const))('%s', async (_name, { format, stream }) => {
    sim.setFault('m1', { type: 'hang' });
    const controller = new AbortController();
    const pending = send(format, stream, controller.signal);
    // Counted as an attempt while it hangs: a test can read it before the client gives up.
    await waitFor(() => sim.stats().active === 1);
    expect(sim.stats()).toMatchObject({ total: 1, byModel: { m1: 1 }, faultsByModel: { m1: { hang: 1 } } });
    expect(await settled(pending)).toBe(false); // not even the status line
    controller.abort();
    await expect(pending).rejects.toThrow();
    await waitFor(() => sim.stats().active === 0);
  });
});

describe('reset: the socket is destroyed before any byte of the answer', () => {
  it.each(CASES.map((c) => [label(c), c] as const))('%s', async (_name, { format, stream }) => {
    sim.setFault('m1', { type: 'reset' });
    const error = await send(format, stream).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError); // fetch's network error: no status, no headers
    expect(sim.stats()).toMatchObject({ total: 1, byModel: { m1: 1 }, faultsApplied: { reset: 1 } });
  });
});

describe('slow_first_token', () => {
  const DELAY_MS = 300;

  it.each(FORMATS)('%s JSON: the whole answer (headers included) comes late, and complete', async (format) => {
    sim.setFault('m1', { type: 'slow_first_token', ms: DELAY_MS });
    const started = performance.now();
    const res = await send(format, false);
    expect(performance.now() - started).toBeGreaterThanOrEqual(DELAY_MS - 20);
    expect(res.status).toBe(200);
    expect(JSON.stringify(await res.json())).toContain('Hello from m1');
  });

  it.each(FORMATS)('%s stream: the headers come at once and the first token late', async (format) => {
    // Longer than the JSON case, so "the headers came well before the token" holds on a loaded machine.
    const delayMs = 2 * DELAY_MS;
    sim.setFault('m1', { type: 'slow_first_token', ms: delayMs });
    const started = performance.now();
    const res = await send(format, true);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const headersAt = performance.now();
    const firstTokenAt = await timeOf(res, FIRST_TOKEN[format]);
    expect(firstTokenAt - started).toBeGreaterThanOrEqual(delayMs - 20);
    // A client can tell "slow to start" (a status line, then a wait) from "hung" (nothing at all).
    expect(firstTokenAt - headersAt).toBeGreaterThanOrEqual(delayMs / 3);
  });
});

describe('body_hang: a 200 whose body never comes', () => {
  it.each(CASES.map((c) => [label(c), c] as const))('%s', async (_name, { format, stream }) => {
    sim.setFault('m1', { type: 'body_hang' });
    const controller = new AbortController();
    const res = await send(format, stream, controller.signal);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain(stream ? 'text/event-stream' : 'application/json');
    const reader = res.body!.getReader();
    const firstRead = reader.read();
    expect(await settled(firstRead)).toBe(false); // not one byte of the body
    expect(sim.stats()).toMatchObject({ active: 1, byModel: { m1: 1 }, faultsApplied: { body_hang: 1 } });
    controller.abort();
    await expect(firstRead).rejects.toThrow();
    await waitFor(() => sim.stats().active === 0);
  });

  it.each(CASES.map((c) => [label(c), c] as const))('%s with ms: the silence ends and the whole answer follows', async (_name, { format, stream }) => {
    sim.setFault('m1', { type: 'body_hang', ms: 200 });
    const started = performance.now();
    const res = await send(format, stream);
    const text = await res.text();
    expect(performance.now() - started).toBeGreaterThanOrEqual(180);
    expect(text).toMatch(FIRST_TOKEN[format]);
    if (!stream) expect(JSON.stringify(JSON.parse(text))).toContain('Hello from m1');
  });
});

describe('mix: one fault drawn per request', () => {
  it('installs through the control API, hits its share of requests and counts each drawn fault per model', async () => {
    const fault = { type: 'mix', rate: 0.5, faults: [{ type: 'reset' }, { type: 'error', status: 529, kind: 'overloaded' }] };
    const set = await fetch(`${sim.url}/_sim/faults`, { method: 'POST', body: JSON.stringify({ model: 'm1', fault }) });
    expect(set.status).toBe(200);
    expect(await set.json()).toMatchObject({ faults: { m1: fault } });
    const outcomes: string[] = [];
    for (let i = 0; i < 60; i += 1) {
      const result = await send('anthropic', i % 2 === 0).then(async (res) => {
        await res.arrayBuffer();
        return String(res.status);
      }, () => 'reset');
      outcomes.push(result);
    }
    const count = (o: string): number => outcomes.filter((x) => x === o).length;
    expect(count('reset')).toBeGreaterThan(5);
    expect(count('529')).toBeGreaterThan(5);
    expect(count('200')).toBeGreaterThan(15);
    const stats = sim.stats();
    expect(stats.byModel).toEqual({ m1: 60 });
    expect(stats.faultsByModel).toEqual({ m1: { reset: count('reset'), error: count('529') } });
    expect(stats.faultsApplied).toEqual({ reset: count('reset'), error: count('529') });
  });

  it('refuses a malformed mix through the control API, naming the bad choice', async () => {
    const res = await fetch(`${sim.url}/_sim/faults`, {
      method: 'POST',
      body: JSON.stringify({ model: 'm1', fault: { type: 'mix', faults: [{ type: 'hang' }, { type: 'stream_cut' }] } }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain('fault.faults[1].afterTokens');
  });
});
