/**
 * The attempt runner on its own, on a manual clock, against the real simulator: what an overdue attempt
 * costs its deployment (once, whoever ends it) and what the deployment's norms learn from.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RuntimeConfig } from '../config/resolve-config.js';
import { chatRequest } from '../core/chat-request.js';
import { ManualClock } from '../core/clock.js';
import { KeelError } from '../core/errors.js';
import { closeAllPools } from '../providers/http/upstream-pool.js';
import { Deadline, TypedEmitter } from '../resilience/index.js';
import { startSimulator, type Simulator } from '../simulator/index.js';
import { simulatedRouterConfig } from '../../test/support/simulated-router-config.js';
import { AttemptNorms } from './attempt-norms.js';
import { AttemptRunner, type DeploymentVerdict } from './attempt-runner.js';
import { newDispatchContext } from './dispatch-context.js';
import { createPolicies } from './policies.js';
import type { AttemptRecord, RouterEvents } from './router-types.js';

let sim: Simulator;
let config: RuntimeConfig;

beforeAll(async () => {
  sim = await startSimulator({ tokenDelayMs: 0 });
  // One attempt per deployment: a retry would wait out a backoff on the manual clock.
  config = simulatedRouterConfig(sim.url, { maxAttemptsPerDeployment: 1 });
});

afterAll(async () => {
  await closeAllPools();
  await sim.close();
});

beforeEach(() => {
  sim.clearFaults();
  sim.resetStats();
});

const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
};

function setup() {
  const clock = new ManualClock(1_000_000);
  const policies = createPolicies(config.resilience, clock, () => 0.5);
  const norms = new AttemptNorms(clock, { minSamples: 3 });
  const events = new TypedEmitter<RouterEvents>();
  const records: AttemptRecord[] = [];
  events.on('attempt', (a) => records.push(a));
  const runner = new AttemptRunner({ policies: () => policies, norms, events, clock, random: () => 0.5 });
  const deployment = config.deployments.get('primary')!;
  const breaker = policies.breakers.get('primary');
  const onResult = vi.spyOn(breaker, 'onResult');
  const client = new AbortController();

  /** The client's body, as it sent it. */
  const rawBodyOf = (stream: boolean): string => JSON.stringify({ model: 'solo', messages: [{ role: 'user', content: 'hi' }], ...(stream ? { stream } : {}) });

  /**
   * Starts one attempt on `primary` (the client can leave through `client`). The client's own bytes come
   * along, so the OpenAI-format request is a same-format pass-through (JSON unless `stream`).
   */
  function run(stream = false): Promise<DeploymentVerdict> {
    const request = chatRequest({ model: 'solo', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }], stream });
    const rawBody = Buffer.from(rawBodyOf(stream));
    const deadline = new Deadline({ budgetMs: 600_000, clock, parentSignal: client.signal, timeoutReason: () => new KeelError('deadline_exceeded', 'late') });
    const d = newDispatchContext({ request, clientFormat: 'openai', rawBody, requestId: 'req_runner', signal: client.signal }, config.routes.get('solo')!, deadline, () => deadline.dispose());
    const limit = policies.limitFor('primary');
    expect(limit.tryAcquire()).toBe(true);
    const admitted = breaker.tryAcquire();
    if (!admitted.allowed) throw new Error('breaker refused');
    return runner.run(d, { deployment, limit, permit: admitted.permit }, 'first');
  }

  /** Teaches the norm that `primary` answers JSON in 100 ms: overdue at 1.1 s, cut at 4.1 s. */
  function learnFastNorm(): void {
    for (let i = 0; i < 3; i++) {
      norms.record('primary', 'json', 'headers', 100);
      norms.record('primary', 'json', 'first_token', 100);
    }
  }

  return { clock, norms, records, run, breaker, onResult, client, learnFastNorm, rawBodyOf };
}

describe('AttemptRunner', () => {
  it('charges an overdue attempt to its deployment at once, and only once when it then times out', async () => {
    const { clock, records, run, onResult, learnFastNorm } = setup();
    learnFastNorm();
    sim.setFault('sim-primary', { type: 'hang' });
    const running = run();
    await vi.waitFor(() => expect(sim.stats().active).toBe(1));
    clock.advance(1_100); // to the overdue mark (2 × p99, at least p99 + 1 s), well before the cut
    await settle();
    expect(onResult).toHaveBeenCalledTimes(1);
    expect(onResult.mock.calls[0]![1]).toBe('timeout');
    expect(records).toEqual([]); // still running: charged, not yet recorded
    clock.advance(3_000); // to the cut (5 × p99, at least p99 + 4 s)
    expect(await running).toEqual({ kind: 'next' });
    expect(onResult).toHaveBeenCalledTimes(1);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ outcome: 'timeout', overdueMs: 1_100 });
  });

  it('records an overdue attempt the client gave up on as a timeout, not a cancellation', async () => {
    const { clock, records, run, onResult, client, learnFastNorm } = setup();
    learnFastNorm();
    sim.setFault('sim-primary', { type: 'hang' });
    const running = run();
    await vi.waitFor(() => expect(sim.stats().active).toBe(1));
    clock.advance(1_100);
    await settle();
    client.abort(new Error('client left'));
    await running;
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ outcome: 'timeout', overdueMs: 1_100 });
    expect(records[0]!.cancelled).toBeUndefined();
    expect(records[0]!.message).toContain('overdue');
    expect(records[0]!.usage).toBeUndefined(); // a provider that said nothing is not billed for
    expect(onResult).toHaveBeenCalledTimes(1);
  });

  it('excuses an attempt the client gave up on before it was overdue, and charges its prompt', async () => {
    const { records, run, onResult, client, learnFastNorm, rawBodyOf } = setup();
    learnFastNorm();
    sim.setFault('sim-primary', { type: 'hang' });
    const running = run();
    await vi.waitFor(() => expect(sim.stats().active).toBe(1));
    client.abort(new Error('client left'));
    expect(await running).toEqual({ kind: 'stop' });
    expect(records[0]).toMatchObject({ cancelled: true, usageEstimated: true, usage: { inputTokens: Math.ceil(rawBodyOf(false).length / 4), outputTokens: 0 } });
    expect(records[0]!.overdueMs).toBeUndefined();
    expect(onResult).not.toHaveBeenCalled();
  });

  it('charges nothing for a request its client left before it went out', async () => {
    const { records, run, client } = setup();
    client.abort(new Error('client left'));
    expect(await run()).toEqual({ kind: 'stop' });
    expect(records[0]).toMatchObject({ cancelled: true });
    expect(records[0]!.usage).toBeUndefined();
  });

  it('estimates the usage of a stream its client left before the provider sent it, and says so', async () => {
    const { records, run, rawBodyOf } = setup();
    // Two tokens, then silence: the usage chunk never comes while the client reads.
    sim.setFault('sim-primary', { type: 'stream_stall', afterTokens: 2 });
    const verdict = await run(true);
    if (verdict.kind !== 'answered' || verdict.result.answer.kind !== 'stream') throw new Error(`expected a stream, got ${verdict.kind}`);
    const items = verdict.result.answer.items;
    let text = '';
    while (text === '') {
      const item = await items.next();
      if (item.done === true) throw new Error('the stream ended before its text');
      if (item.value.kind === 'data') for (const e of item.value.events) if (e.type === 'text_delta') text += e.text;
    }
    expect(text.length).toBeGreaterThan(0);
    await items.return(undefined); // the client leaves
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ cancelled: true, usageEstimated: true, usage: { inputTokens: Math.ceil(rawBodyOf(true).length / 4), outputTokens: Math.ceil(text.length / 4) } });
  });

  it('keeps the provider\'s usage of a stream read to its end, not an estimate', async () => {
    const { records, run } = setup();
    const verdict = await run(true);
    if (verdict.kind !== 'answered' || verdict.result.answer.kind !== 'stream') throw new Error(`expected a stream, got ${verdict.kind}`);
    for await (const _ of verdict.result.answer.items) void _;
    expect(records).toHaveLength(1);
    expect(records[0]!.usage?.outputTokens).toBeGreaterThan(0);
    expect(records[0]!.usageEstimated).toBeUndefined();
  });

  it('learns norms from successful attempts only', async () => {
    const { norms, records, run } = setup();
    sim.setFault('sim-primary', { type: 'error', status: 500 });
    // Two failures: a third would open the breaker.
    for (let i = 0; i < 2; i++) expect(await run()).toEqual({ kind: 'next' });
    expect(records.map((r) => r.outcome)).toEqual(['server_error', 'server_error']);
    expect(norms.toJSON()).toEqual({});
    sim.clearFaults();
    for (let i = 0; i < 3; i++) expect((await run()).kind).toBe('answered');
    // The manual clock did not move: every successful attempt took 0 ms on it.
    expect(norms.p99Ms('primary', 'json', 'first_token')).toBe(0);
    expect(norms.p99Ms('primary', 'json', 'headers')).toBe(0);
    expect(norms.p99Ms('primary', 'stream', 'first_token')).toBeUndefined();
  });
});
