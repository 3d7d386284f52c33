/**
 * The router on its own (no HTTP gateway) against the real simulator on loopback: what it sends where,
 * in which order, and how it records each attempt. Hedging is off except where it is the subject, so the
 * order of attempts is deterministic.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { chatRequest, type ChatRequest, type WireFormat } from '../core/chat-request.js';
import { ManualClock, type Clock } from '../core/clock.js';
import { KeelError } from '../core/errors.js';
import { PROBE_ID_PREFIX } from '../core/request-id.js';
import { closeAllPools } from '../providers/http/upstream-pool.js';
import { startSimulator, type Simulator } from '../simulator/index.js';
import { simulatedRouterConfig, TWIN_MODELS, TWIN_REPLY } from '../../test/support/simulated-router-config.js';
import { streamedText } from '../../test/support/stream-items.js';
import type { StreamItem } from '../providers/index.js';
import { Router, type AttemptRecord, type DispatchInput, type DispatchResult, type RequestRecord } from './router.js';
import { OpenAIProvider } from '../providers/openai/openai-provider.js';
import { decodeOpenAIResponse } from '../providers/openai/decode-openai-response.js';
import { readOpenAIChatResponse } from '../providers/openai/openai-wire-check.js';

let sim: Simulator;
const routers: Router[] = [];

beforeAll(async () => {
  sim = await startSimulator({ tokenDelayMs: 0, models: TWIN_MODELS });
});

afterAll(async () => {
  await closeAllPools();
  await sim.close();
});

beforeEach(() => {
  sim.clearFaults();
  sim.resetStats();
});

afterEach(() => {
  for (const router of routers.splice(0)) router.stop();
});

const quota = {
  type: 'error' as const,
  status: 429,
  body: { error: { message: 'You exceeded your current quota, please check your plan and billing details.', type: 'insufficient_quota', param: null, code: 'insufficient_quota' } },
};

function makeRouter(options: { clock?: Clock; hedgeDelayMs?: number } = {}): { router: Router; attempts: AttemptRecord[] } {
  const config = simulatedRouterConfig(sim.url, options.hedgeDelayMs === undefined ? {} : { hedgeDelayMs: options.hedgeDelayMs });
  const attempts: AttemptRecord[] = [];
  const router = new Router(config, {
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    random: () => 0.5,
    onAttempt: (a) => attempts.push(a),
  });
  routers.push(router);
  return { router, attempts };
}

let nextRequest = 0;
function dispatch(router: Router, model: string, fields: { clientFormat?: WireFormat; rawBody?: Buffer; stream?: boolean } & Pick<DispatchInput, 'tenant' | 'priority' | 'settlement'> = {}): Promise<DispatchResult> {
  const request: ChatRequest = chatRequest({ model, messages: [{ role: 'user', content: [{ type: 'text', text: 'hello there' }] }], stream: fields.stream ?? false });
  const { clientFormat, rawBody, stream: _stream, ...rest } = fields;
  return router.dispatch({
    request,
    clientFormat: clientFormat ?? 'openai',
    ...(rawBody === undefined ? {} : { rawBody }),
    requestId: `req_${nextRequest++}`,
    signal: new AbortController().signal,
    ...rest,
  });
}

const trail = (result: Pick<DispatchResult, 'attempts'>) => result.attempts.map((a) => `${a.kind}:${a.deployment}:${a.outcome}`);

describe('Router.dispatch', () => {
  it('passes a same-format request through with its raw body, unknown fields kept', async () => {
    const { router } = makeRouter();
    const rawBody = Buffer.from(JSON.stringify({ model: 'smart', messages: [{ role: 'user', content: 'hello there' }], keel_test_extra: { kept: true } }));
    const result = await dispatch(router, 'smart', { rawBody });
    result.done();
    expect(result.passthrough).toBe(true);
    expect(result.deployment?.id).toBe('primary');
    const sent = sim.stats().recent[0]?.body as Record<string, unknown>;
    expect(sent['keel_test_extra']).toEqual({ kept: true });
    expect(sent['model']).toBe('sim-primary');
  });

  it('translates a cross-format request instead of passing it through', async () => {
    const { router } = makeRouter();
    const rawBody = Buffer.from(JSON.stringify({ model: 'sim-claude', messages: [{ role: 'user', content: 'hello there' }], keel_test_extra: 1 }));
    const result = await dispatch(router, 'sim-claude', { clientFormat: 'openai', rawBody });
    result.done();
    expect(result.passthrough).toBe(false);
    expect(result.deployment?.id).toBe('claude');
    expect(sim.stats().recent[0]).toMatchObject({ format: 'anthropic' });
    expect(sim.stats().recent[0]?.body).not.toHaveProperty('keel_test_extra');
  });

  it("sends a request naming a deployment's own model to that deployment alone", async () => {
    const { router } = makeRouter();
    const ok = await dispatch(router, 'sim-fallback');
    ok.done();
    expect(ok.route).toBe('sim-fallback');
    expect(trail(ok)).toEqual(['first:fallback:ok']);
    sim.setFault('sim-fallback', { type: 'error', status: 500 });
    const err = await dispatch(router, 'sim-fallback').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KeelError);
    expect(sim.stats().byModel['sim-primary']).toBeUndefined();
  });

  it('answers an unknown model with model_not_found listing the names it knows', async () => {
    const { router } = makeRouter();
    const err = (await dispatch(router, 'gpt-nope').catch((e: unknown) => e)) as KeelError;
    expect(err).toBeInstanceOf(KeelError);
    expect(err.code).toBe('model_not_found');
    expect(err.param).toBe('model');
    for (const name of ['smart', 'solo', 'sim-primary', 'sim-fallback', 'sim-claude']) expect(err.message).toContain(name);
    expect(sim.stats().total).toBe(0);
  });

  it('retries a transient failure, then fails over in plan order, recording why each attempt happened', async () => {
    const { router, attempts } = makeRouter();
    sim.setFault('sim-primary', { type: 'error', status: 500 });
    const result = await dispatch(router, 'smart');
    result.done();
    expect(result.deployment?.id).toBe('fallback');
    expect(trail(result)).toEqual(['first:primary:server_error', 'retry:primary:server_error', 'failover:fallback:ok']);
    expect(attempts.map((a) => a.kind)).toEqual(['first', 'retry', 'failover']);
    expect(sim.stats().byModel).toEqual({ 'sim-primary': 2, 'sim-fallback': 1 });
  });

  it('fails with every attempt listed when no deployment answers', async () => {
    const { router } = makeRouter();
    sim.setFault('sim-primary', { type: 'error', status: 500 });
    sim.setFault('sim-fallback', { type: 'error', status: 503 });
    const err = (await dispatch(router, 'smart').catch((e: unknown) => e)) as KeelError;
    expect(err.code).toBe('all_deployments_failed');
    expect(err.attempts?.map((a) => a.deployment)).toEqual(['primary', 'primary', 'fallback', 'fallback']);
  });

  it('hedges a slow first deployment with the next one and keeps the first answer', async () => {
    const { router } = makeRouter({ hedgeDelayMs: 50 });
    sim.setFault('sim-primary', { type: 'latency', ms: 5_000 });
    const started = Date.now();
    const result = await dispatch(router, 'smart');
    result.done();
    expect(result.deployment?.id).toBe('fallback');
    expect(Date.now() - started).toBeLessThan(4_000);
    const hedgeAttempt = result.attempts.find((a) => a.kind === 'hedge');
    expect(hedgeAttempt).toMatchObject({ deployment: 'fallback', outcome: 'ok' });
  });

  it('records the attempt a hedge beat as given up by Keel, with its prompt estimated as the provider bills it', async () => {
    const { router, attempts } = makeRouter({ hedgeDelayMs: 50 });
    sim.setFault('sim-primary', { type: 'latency', ms: 5_000 });
    const rawBody = Buffer.from(JSON.stringify({ model: 'smart', messages: [{ role: 'user', content: 'hello there' }] }));
    const result = await dispatch(router, 'smart', { rawBody });
    result.done();
    expect(result.deployment?.id).toBe('fallback');
    await vi.waitFor(() => expect(attempts.find((a) => a.deployment === 'primary')).toBeDefined());
    expect(attempts.find((a) => a.deployment === 'primary')).toMatchObject({
      outcome: 'connect_error',
      cancelled: true,
      hedgeLost: true,
      message: 'cancelled: the other attempt of its hedge answered first',
      usageEstimated: true,
      usage: { inputTokens: Math.ceil(rawBody.length / 4), outputTokens: 0 },
    });
    // The answer's own attempt is the provider's count, and no lost hedge.
    const answered = attempts.find((a) => a.deployment === 'fallback')!;
    expect(answered.usageEstimated).toBeUndefined();
    expect(answered.hedgeLost).toBeUndefined();
  });

  it('marks a whole answer that lost its hedge race as the deployment\'s, not the caller\'s', async () => {
    // Both attempts answer in the same tick (the simulator cannot time that): the provider's send is
    // held for each deployment and both are let go together once the hedge has started.
    const answer = (id: string) => Buffer.from(JSON.stringify({ id, object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }], usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 } }));
    const held = new Map<string, () => void>();
    const send = vi.spyOn(OpenAIProvider.prototype, 'send').mockImplementation((input) => {
      const raw = answer(input.deployment.id);
      const result = { kind: 'json' as const, response: decodeOpenAIResponse(readOpenAIChatResponse(JSON.parse(raw.toString('utf8')))!, 1), raw };
      return new Promise((resolve) => held.set(input.deployment.id, () => resolve(result)));
    });
    try {
      const { router } = makeRouter({ hedgeDelayMs: 20 });
      const requests: RequestRecord[] = [];
      const events: AttemptRecord[] = [];
      router.events.on('request', (r) => requests.push(r));
      router.events.on('attempt', (a) => events.push({ ...a }));
      const pending = dispatch(router, 'smart');
      await vi.waitFor(() => expect([...held.keys()]).toEqual(['primary', 'fallback']));
      held.get('fallback')!();
      held.get('primary')!();
      const result = await pending;
      result.done();
      const [record] = requests;
      const winner = record!.attempts.find((a) => a.deployment === result.deployment?.id)!;
      const loser = record!.attempts.find((a) => a.deployment !== result.deployment?.id)!;
      expect(loser).toMatchObject({ outcome: 'ok', hedgeLost: true, message: 'discarded: the other attempt of its hedge answered first', usage: { inputTokens: 5, outputTokens: 1 } });
      expect(winner.hedgeLost).toBeUndefined();
      // What the attempt's listeners (metrics, rollups, health) were told: the same, not a plain answer.
      const told = events.map((a) => [a.deployment, a.outcome, a.hedgeLost === true]);
      expect(told.sort()).toEqual([
        [winner.deployment, 'ok', false],
        [loser.deployment, 'ok', true],
      ].sort());
    } finally {
      send.mockRestore();
    }
  });

  it('trips the breaker on an exhausted quota at once, then tries it only as a last resort', async () => {
    const { router } = makeRouter();
    sim.setFault('sim-primary', quota);
    const first = await dispatch(router, 'smart');
    first.done();
    expect(trail(first)).toEqual(['first:primary:rate_limited', 'failover:fallback:ok']);
    expect(router.policies.breakers.get('primary').state.state).toBe('open');
    // A route with only that deployment still gets one attempt rather than none.
    sim.clearFaults();
    const solo = await dispatch(router, 'solo');
    solo.done();
    expect(trail(solo)).toEqual(['last_resort:primary:ok']);
  });
});

describe('Router.dispatch, streaming', () => {
  async function read(result: DispatchResult): Promise<StreamItem[]> {
    if (result.answer.kind !== 'stream') throw new Error('expected a stream');
    const items: StreamItem[] = [];
    for await (const item of result.answer.items) items.push(item);
    result.done();
    return items;
  }

  it('records a stream attempt when the stream ends, with its time to first token', async () => {
    const { router, attempts } = makeRouter();
    const result = await dispatch(router, 'solo', { stream: true });
    expect(attempts).toEqual([]); // committed, still streaming
    const items = await read(result);
    expect(items.at(-1)).toEqual({ kind: 'end' });
    expect(streamedText(items)).toBe(TWIN_REPLY);
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatchObject({ kind: 'first', deployment: 'primary', outcome: 'ok' });
    expect(attempts[0]!.ttftMs).toBeGreaterThanOrEqual(0);
  });

  it("settles a stream's record when it ends, with the request's tenant and priority, whether or not it could be continued", async () => {
    const { router } = makeRouter();
    // `solo` has nothing to continue a cut stream with; `twins` has: the router keeps different parts of the request.
    for (const model of ['solo', 'twins']) {
      const settled: RequestRecord[] = [];
      const result = await dispatch(router, model, { stream: true, tenant: 'acme', priority: 'batch', settlement: { settled: (r) => settled.push(r) } });
      expect(settled).toEqual([]); // committed, still streaming
      expect(streamedText(await read(result))).toBe(TWIN_REPLY);
      await vi.waitFor(() => expect(settled).toHaveLength(1));
      expect(settled[0]).toMatchObject({ tenant: 'acme', priority: 'batch', stream: true, outcome: 'ok', deployment: 'primary' });
    }
  });

  it('fails over invisibly when a stream breaks before showing any content', async () => {
    const { router } = makeRouter();
    sim.setFault('sim-primary', { type: 'stream_cut', afterTokens: 0 });
    const result = await dispatch(router, 'twins', { stream: true });
    const items = await read(result);
    expect(items.some((i) => i.kind === 'failure' || i.kind === 'resync')).toBe(false);
    expect(streamedText(items)).toBe(TWIN_REPLY);
    expect(trail(result)).toEqual(['first:primary:stream_cut', 'retry:primary:stream_cut', 'failover:twin:ok']);
  });

  it('finishes a stream cut mid-answer with a replay that begins with the same text', async () => {
    const { router } = makeRouter();
    sim.setFault('sim-primary', { type: 'stream_cut', afterTokens: 3 });
    const result = await dispatch(router, 'twins', { stream: true });
    const items = await read(result);
    expect(items.filter((i) => i.kind === 'resync')).toHaveLength(1);
    expect(items.some((i) => i.kind === 'failure')).toBe(false);
    expect(streamedText(items)).toBe(TWIN_REPLY); // every word once: nothing repeated, nothing lost
    expect(trail(result)).toEqual(['first:primary:stream_cut', 'failover:twin:ok']);
  });

  it('never splices a replay that answers differently: the client gets the failure', async () => {
    const { router } = makeRouter();
    sim.setFault('sim-primary', { type: 'stream_cut', afterTokens: 3 });
    const result = await dispatch(router, 'smart', { stream: true }); // the fallback answers in its own words
    const items = await read(result);
    expect(items.some((i) => i.kind === 'resync')).toBe(false);
    expect(items.at(-1)).toMatchObject({ kind: 'failure', failure: { outcome: 'stream_cut' } });
    expect(TWIN_REPLY.startsWith(streamedText(items))).toBe(true);
    expect(result.attempts[0]).toMatchObject({ deployment: 'primary', outcome: 'stream_cut' });
  });
});

describe('recovery probes', () => {
  async function tripPrimary(router: Router): Promise<void> {
    sim.setFault('sim-primary', quota);
    (await dispatch(router, 'smart')).done();
    expect(router.policies.breakers.get('primary').state.state).toBe('open');
    sim.clearFaults();
    sim.resetStats();
  }

  it('closes an open breaker when a probe gets an answer, recorded as a probe', async () => {
    const clock = new ManualClock(Date.now());
    const { router, attempts } = makeRouter({ clock });
    await tripPrimary(router);
    expect(router.recovery.watching()).toEqual(['primary']);
    clock.advance(router.recovery.settings.intervalMs * 2); // past the jittered interval
    await vi.waitFor(() => expect(router.policies.breakers.get('primary').state.state).toBe('closed'), { timeout: 10_000 });
    const probe = attempts.at(-1)!;
    expect(probe).toMatchObject({ kind: 'recovery_probe', deployment: 'primary', outcome: 'ok' });
    expect(probe.requestId.startsWith(PROBE_ID_PREFIX)).toBe(true);
    expect(PROBE_ID_PREFIX).toBe('probe_');
    expect(sim.stats().byModel).toEqual({ 'sim-primary': 1 });
  });

  it('keeps the breaker open when the probe fails', async () => {
    const clock = new ManualClock(Date.now());
    const { router, attempts } = makeRouter({ clock });
    await tripPrimary(router);
    sim.setFault('sim-primary', { type: 'error', status: 500 });
    clock.advance(router.recovery.settings.intervalMs * 2);
    await vi.waitFor(() => expect(attempts.at(-1)?.kind).toBe('recovery_probe'), { timeout: 10_000 });
    expect(attempts.at(-1)?.outcome).toBe('server_error');
    expect(router.policies.breakers.get('primary').state.state).toBe('open');
  });

  it('stops probing when the router stops', async () => {
    const clock = new ManualClock(Date.now());
    const { router } = makeRouter({ clock });
    await tripPrimary(router);
    router.stop();
    expect(router.recovery.watching()).toEqual([]);
    clock.advance(router.recovery.settings.intervalMs * 10);
    await new Promise((r) => setTimeout(r, 200));
    expect(sim.stats().total).toBe(0);
    expect(router.policies.breakers.get('primary').state.state).toBe('open');
  });
});
