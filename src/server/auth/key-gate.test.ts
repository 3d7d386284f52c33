import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Grant } from '../../api/request-gate.js';
import { KeelError } from '../../core/errors.js';
import type { RequestRecord } from '../../router/router-types.js';
import { ManualIntervalTimer, SqliteStore } from '../../store/index.js';
import { KeyGate, estimateTokens } from './key-gate.js';
import { KeyManager } from './key-manager.js';
import { KeyRing } from './key-ring.js';
import { SpendLedger } from './spend-ledger.js';
import { MemoryUsageCounters } from './usage-counters.js';

const T0 = Date.UTC(2025, 5, 10, 12, 0, 0);
let now = T0;
let store: SqliteStore;
let ring: KeyRing;
let counters: MemoryUsageCounters;
let ledger: SpendLedger;
let gate: KeyGate;
let keys: KeyManager;
const timer = new ManualIntervalTimer();
const PRICE = { input_per_mtok: 1_000_000, output_per_mtok: 1_000_000 }; // $1 per token: easy sums

beforeEach(async () => {
  now = T0;
  store = new SqliteStore({ path: ':memory:' });
  await store.migrate();
  counters = new MemoryUsageCounters();
  ring = new KeyRing({ store, refreshMs: 1_000, timer: timer.schedule, nowMs: () => now });
  ledger = new SpendLedger({ store, counters, flushMs: 1_000, timer: timer.schedule, nowMs: () => now });
  gate = new KeyGate({ ring, counters, ledger, nowMs: () => now, priceOf: () => PRICE });
  keys = new KeyManager({ store, nowMs: () => now, onChange: (r) => ring.put(r) });
});

afterEach(async () => {
  await store.close();
});

const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });
const body = (model = 'smart', extra: Record<string, unknown> = {}) => ({ model, messages: [{ role: 'user', content: 'hi' }], ...extra });
/** The rate-limit headers a grant adds to an answer's. */
const headersOf = (grant: Grant): Record<string, string> => {
  const headers: Record<string, string> = {};
  grant.writeHeaders(headers);
  return headers;
};

function refused(run: () => unknown): KeelError {
  try {
    run();
  } catch (err) {
    if (err instanceof KeelError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

async function refusedAsync(run: () => unknown): Promise<KeelError> {
  try {
    await run();
  } catch (err) {
    if (err instanceof KeelError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

function finished(requestId: string, tenant: string, usage: { inputTokens: number; outputTokens: number }): RequestRecord {
  const attempt = { requestId, route: 'smart', deployment: 'd1', provider: 'openai' as const, model: 'm', outcome: 'ok' as const, startedAtMs: now, latencyMs: 5, kind: 'first' as const, usage };
  return { requestId, route: 'smart', tenant, priority: 'interactive', clientFormat: 'openai', stream: false, startedAtMs: now, latencyMs: 5, outcome: 'ok', degraded: undefined, deployment: 'd1', attempts: [attempt] };
}

describe('authentication', () => {
  it('runs open while no key exists at all, and closes for good once one does', async () => {
    expect(gate.authenticate({}).tenant).toBeUndefined();
    const { record } = await keys.create({ name: 'app', priority: 'interactive' }, 'test');
    expect(refused(() => gate.authenticate({})).status).toBe(401);
    await keys.revoke(record.id, 'test');
    // Revoking every key must not reopen the gateway.
    expect(refused(() => gate.authenticate({})).status).toBe(401);
  });

  it('accepts a key as a bearer token or x-api-key, and refuses unknown, revoked and expired keys', async () => {
    const { secret, record } = await keys.create({ name: 'app', tenant: 'acme', priority: 'batch', expires_at: new Date(T0 + 60_000).toISOString() }, 'test');
    expect(gate.authenticate(bearer(secret))).toEqual({ keyId: record.id, keyName: 'app', tenant: 'acme', priority: 'batch' });
    expect(gate.authenticate({ 'x-api-key': secret }).tenant).toBe('acme');
    // An SDK's placeholder bearer does not hide a valid x-api-key.
    expect(gate.authenticate({ authorization: 'Bearer unused', 'x-api-key': secret }).tenant).toBe('acme');
    const wrong = refused(() => gate.authenticate(bearer('keel_not-a-real-key')));
    expect(wrong.status).toBe(401);
    expect(wrong.message).not.toContain('not-a-real-key');
    now = T0 + 60_000;
    expect(refused(() => gate.authenticate(bearer(secret))).message).toContain('expired');
    now = T0;
    await keys.revoke('app', 'test');
    expect(refused(() => gate.authenticate(bearer(secret))).message).toContain('revoked');
  });

  it('reads the bearer token in any case and spacing, and never a token with whitespace inside', async () => {
    const { secret } = await keys.create({ name: 'app', tenant: 'acme', priority: 'interactive' }, 'test');
    for (const authorization of [`Bearer ${secret}`, `bearer ${secret}`, `BEARER  ${secret}`, `Bearer\t${secret} `, `Bearer ${secret}\t`]) {
      expect(gate.authenticate({ authorization }).tenant, authorization).toBe('acme');
    }
    for (const authorization of [`Bearer ${secret} x`, `Bearer ${secret.slice(0, 10)}\u00a0${secret.slice(10)}`, `Basic ${secret}`, `Bearer${secret}`, 'Bearer ']) {
      expect(refused(() => gate.authenticate({ authorization })).status, authorization).toBe(401);
    }
  });

  it('rotation gives a new secret at once and retires the old one', async () => {
    const first = await keys.create({ name: 'app', priority: 'interactive' }, 'test');
    expect(gate.authenticate(bearer(first.secret)).keyId).toBe(first.record.id); // now known by its secret
    const second = await keys.rotate('app', 'test');
    expect(second.record.id).toBe(first.record.id);
    expect(refused(() => gate.authenticate(bearer(first.secret))).status).toBe(401);
    expect(gate.authenticate(bearer(second.secret)).keyId).toBe(first.record.id);
    // Another process reading the store sees the same.
    const fresh = new KeyRing({ store, refreshMs: 1_000, timer: timer.schedule, nowMs: () => now });
    await fresh.load();
    expect(fresh.findByHash(first.record.hash)).toBeUndefined();
    expect(fresh.get(first.record.id)?.hash).toBe(second.record.hash);
  });

  it('sees a key rotated by another process, though its secret was known here', async () => {
    const first = await keys.create({ name: 'app', priority: 'interactive' }, 'test');
    const ring = new KeyRing({ store, refreshMs: 1_000, timer: timer.schedule, nowMs: () => now });
    await ring.load();
    expect(ring.findBySecret(first.secret)?.id).toBe(first.record.id);
    expect(ring.findBySecret(first.secret)?.id).toBe(first.record.id); // remembered
    const second = await keys.rotate('app', 'test'); // through the other ring, into the store
    expect(ring.findBySecret(first.secret)?.id).toBe(first.record.id); // not refreshed yet
    await ring.load();
    expect(ring.findBySecret(first.secret)).toBeUndefined();
    expect(ring.findBySecret(second.secret)?.id).toBe(first.record.id);
    expect(ring.findBySecret('keel_made-up')).toBeUndefined();
  });

  it('a header it remembers follows the ring: a key rotated or revoked elsewhere is refused once the ring reloads', async () => {
    const elsewhere = new KeyManager({ store, nowMs: () => now, onChange: () => undefined }); // another process: this ring is not told
    const { secret } = await elsewhere.create({ name: 'app', tenant: 'acme', priority: 'interactive' }, 'test');
    await ring.load();
    expect(gate.authenticate(bearer(secret)).tenant).toBe('acme');
    expect(gate.authenticate(bearer(secret)).tenant).toBe('acme'); // from the header remembered
    // A second spelling of the same key, remembered too; another key's creation makes both stale, and the
    // first one read again proves the key unchanged for both.
    const spelled = { authorization: `bearer  ${secret}` };
    expect(gate.authenticate(spelled).tenant).toBe('acme');
    await elsewhere.create({ name: 'other', tenant: 'beta', priority: 'interactive' }, 'test');
    await ring.load();
    expect(gate.authenticate(bearer(secret)).tenant).toBe('acme');
    expect(gate.authenticate(spelled).tenant).toBe('acme');
    const rotated = await elsewhere.rotate('app', 'test');
    expect(gate.authenticate(bearer(secret)).tenant).toBe('acme'); // not reloaded yet
    await ring.load();
    expect(refused(() => gate.authenticate(bearer(secret))).status).toBe(401);
    expect(refused(() => gate.authenticate(spelled)).status).toBe(401);
    expect(gate.authenticate(bearer(rotated.secret)).tenant).toBe('acme');
    await elsewhere.revoke('app', 'test');
    await ring.load();
    expect(refused(() => gate.authenticate(bearer(rotated.secret))).message).toContain('revoked');
  });

  it('a reload that finds every key as it was keeps the ring as it was; any change is a new generation', async () => {
    const elsewhere = new KeyManager({ store, nowMs: () => now, onChange: () => undefined });
    const { record } = await elsewhere.create({ name: 'app', tenant: 'acme', priority: 'interactive', models: ['smart'] }, 'test');
    await ring.load();
    const generation = ring.generation;
    const held = ring.get(record.id);
    await ring.load(); // fresh objects from the store, equal field by field
    expect(ring.generation).toBe(generation);
    expect(ring.get(record.id)).toBe(held);
    const rotated = await elsewhere.rotate('app', 'test');
    await ring.load();
    expect(ring.generation).toBeGreaterThan(generation);
    expect(ring.get(record.id)?.hash).toBe(rotated.record.hash);
    const next = ring.generation;
    await elsewhere.create({ name: 'second', priority: 'batch' }, 'test');
    await ring.load();
    expect(ring.generation).toBeGreaterThan(next);
  });

  it('audits every change without a secret or a hash', async () => {
    const { secret, record } = await keys.create({ name: 'app', rpm: 5, priority: 'interactive' }, 'admin');
    const rotated = await keys.rotate(record.id, 'admin');
    await keys.revoke(record.id, 'cli:ops');
    const audit = await store.listAudit({ limit: 10 });
    expect(audit.map((a) => [a.actor, a.action, a.target])).toEqual([
      ['cli:ops', 'key.revoke', record.id],
      ['admin', 'key.rotate', record.id],
      ['admin', 'key.create', record.id],
    ]);
    const text = JSON.stringify(audit);
    for (const s of [secret, rotated.secret, record.hash, rotated.record.hash]) expect(text).not.toContain(s);
  });
});

describe('admission', () => {
  it('refuses a model the key may not use, naming it', async () => {
    const { secret } = await keys.create({ name: 'app', models: ['smart'], priority: 'interactive' }, 'test');
    const caller = gate.authenticate(bearer(secret));
    const err = await refusedAsync(() => gate.admit(caller, { json: body('gpt-4.1'), bodyBytes: 50 }));
    expect(err).toMatchObject({ status: 403, param: 'model' });
    expect(err.message).toContain("'gpt-4.1'");
    expect(await gate.admit(caller, { json: body('smart'), bodyBytes: 50 })).toBeDefined();
  });

  it('enforces requests per minute with Retry-After and rate-limit headers', async () => {
    const { secret } = await keys.create({ name: 'app', rpm: 2, priority: 'interactive' }, 'test');
    const caller = gate.authenticate(bearer(secret));
    const first = await gate.admit(caller, { json: body(), bodyBytes: 40 });
    expect(headersOf(first)).toMatchObject({ 'x-ratelimit-limit-requests': '2', 'x-ratelimit-remaining-requests': '1' });
    await gate.admit(caller, { json: body(), bodyBytes: 40 });
    const err = await refusedAsync(() => gate.admit(caller, { json: body(), bodyBytes: 40 }));
    expect(err).toMatchObject({ status: 429, code: 'rate_limited', retryAfterS: 30 });
    expect(err.headers).toMatchObject({ 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '1m0s' });
    expect(err.message).toContain('2 requests per minute');
  });

  it('admits at once when the counters answer at once: no promise on the request path', async () => {
    const { secret } = await keys.create({ name: 'app', rpm: 5, tpm: 1_000, daily_budget_usd: 10, priority: 'interactive' }, 'test');
    const caller = gate.authenticate(bearer(secret));
    const grant = gate.admit(caller, { json: body(), bodyBytes: 40 });
    expect(grant).not.toBeInstanceOf(Promise);
    expect(headersOf(grant as Grant)).toMatchObject({ 'x-ratelimit-remaining-requests': '4', 'x-ratelimit-limit-tokens': '1000' });
    // A refusal is thrown at once too.
    for (let i = 0; i < 4; i++) gate.admit(caller, { json: body(), bodyBytes: 40 });
    expect(refused(() => gate.admit(caller, { json: body(), bodyBytes: 40 }))).toMatchObject({ status: 429, code: 'rate_limited' });
  });

  it('admits and refuses the same when the counters answer with promises (shared counters asking Redis)', async () => {
    const remote = new MemoryUsageCounters();
    const later: MemoryUsageCounters = Object.assign(Object.create(remote) as MemoryUsageCounters, {
      take: async (...args: Parameters<MemoryUsageCounters['take']>) => remote.take(...args),
      spend: async (...args: Parameters<MemoryUsageCounters['spend']>) => remote.spend(...args),
    });
    const g = new KeyGate({ ring, counters: later, ledger, nowMs: () => now, priceOf: () => PRICE });
    const { secret } = await keys.create({ name: 'app', rpm: 1, daily_budget_usd: 10, priority: 'interactive' }, 'test');
    const caller = g.authenticate(bearer(secret));
    const first = g.admit(caller, { json: body(), bodyBytes: 40 });
    expect(first).toBeInstanceOf(Promise);
    expect(headersOf(await first)).toMatchObject({ 'x-ratelimit-remaining-requests': '0' });
    expect(await refusedAsync(() => g.admit(caller, { json: body(), bodyBytes: 40 }))).toMatchObject({ status: 429, code: 'rate_limited' });
    remote.addSpend(g.authenticate(bearer(secret)).keyId!, 10, now);
    expect(await refusedAsync(() => g.admit(caller, { json: body(), bodyBytes: 40 }))).toMatchObject({ code: 'budget_exceeded' });
  });

  it('gives back what an abandoned request reserved', async () => {
    const { secret } = await keys.create({ name: 'app', rpm: 1, priority: 'interactive' }, 'test');
    const caller = gate.authenticate(bearer(secret));
    (await gate.admit(caller, { json: body(), bodyBytes: 40 })).abandon();
    expect(await gate.admit(caller, { json: body(), bodyBytes: 40 })).toBeDefined();
  });

  it("keeps a key's limits and spend across a change to the key while its requests are in flight", async () => {
    const { secret, record } = await keys.create({ name: 'app', rpm: 4, daily_budget_usd: 20, priority: 'interactive' }, 'test');
    const before = gate.authenticate(bearer(secret));
    const [inFlight, first, last] = [await gate.admit(before, { json: body(), bodyBytes: 40 }), await gate.admit(before, { json: body(), bodyBytes: 40 }), await gate.admit(before, { json: body(), bodyBytes: 40 })];
    first.settled(finished('old-1', 'app', { inputTokens: 4, outputTokens: 6 })); // $10 through the old record
    ring.put({ ...record, name: 'app-renamed' }); // a new record: a new caller, with places of its own
    const after = gate.authenticate(bearer(secret));
    expect(after.keyName).toBe('app-renamed');
    const current = await gate.admit(after, { json: body(), bodyBytes: 40 });
    expect(headersOf(current)).toMatchObject({ 'x-ratelimit-remaining-requests': '0' });
    inFlight.abandon(); // the old record's request gives its request back to the one bucket
    expect(await gate.admit(after, { json: body(), bodyBytes: 40 })).toBeDefined();
    current.settled(finished('new', 'app', { inputTokens: 2, outputTokens: 3 })); // $5 through the new one
    last.settled(finished('old-2', 'app', { inputTokens: 2, outputTokens: 3 })); // and $5 more through the old
    await new Promise((r) => setImmediate(r));
    now += 60_000;
    expect(await refusedAsync(() => gate.admit(after, { json: body(), bodyBytes: 40 }))).toMatchObject({ code: 'budget_exceeded' });
  });

  it('estimates tokens for TPM and reconciles them with the real usage', async () => {
    expect(estimateTokens({ max_tokens: 100 }, 400)).toBe(200);
    expect(estimateTokens({ max_completion_tokens: 10 }, 3)).toBe(11);
    const { secret } = await keys.create({ name: 'app', tpm: 1_000, priority: 'interactive' }, 'test');
    const caller = gate.authenticate(bearer(secret));
    const grant = await gate.admit(caller, { json: body('smart', { max_tokens: 700 }), bodyBytes: 400 }); // 800 estimated
    const err = await refusedAsync(() => gate.admit(caller, { json: body('smart', { max_tokens: 700 }), bodyBytes: 400 }));
    expect(err.message).toContain('1000 tokens per minute');
    expect(err.headers?.['x-ratelimit-remaining-tokens']).toBe('200');
    grant.settled(finished('a', 'app', { inputTokens: 20, outputTokens: 30 })); // used 50: 750 back
    await new Promise((r) => setImmediate(r));
    expect(await gate.admit(caller, { json: body('smart', { max_tokens: 700 }), bodyBytes: 400 })).toBeDefined();
  });

  it('does not charge a key for a hedge Keel gave up: only the attempts its caller asked for', async () => {
    const { secret, record } = await keys.create({ name: 'app', daily_budget_usd: 1_000, priority: 'interactive' }, 'test');
    const grant = await gate.admit(gate.authenticate(bearer(secret)), { json: body(), bodyBytes: 40 });
    const request = finished('h', 'app', { inputTokens: 4, outputTokens: 6 }); // $10, the answer
    const lost = { ...request.attempts[0]!, kind: 'hedge' as const, outcome: 'connect_error' as const, cancelled: true, hedgeLost: true, usageEstimated: true, usage: { inputTokens: 40, outputTokens: 0 } };
    grant.settled({ ...request, attempts: [...request.attempts, lost] });
    await new Promise((r) => setImmediate(r));
    expect(await counters.spend(record.id, now)).toEqual({ dayUsd: 10, monthUsd: 10 });
  });

  it('charges spend to the key that admitted the request, whatever id clients gave it, and refuses once a budget is spent', async () => {
    const a = await keys.create({ name: 'a', daily_budget_usd: 10, priority: 'interactive' }, 'test');
    const b = await keys.create({ name: 'b', monthly_budget_usd: 100, priority: 'interactive' }, 'test');
    const callerA = gate.authenticate(bearer(a.secret));
    const callerB = gate.authenticate(bearer(b.secret));
    const grantA = await gate.admit(callerA, { json: body(), bodyBytes: 40 });
    const grantB = await gate.admit(callerB, { json: body(), bodyBytes: 40 });
    grantB.settled(finished('same-id', 'b', { inputTokens: 40, outputTokens: 60 })); // $100 to b
    grantA.settled(finished('same-id', 'a', { inputTokens: 4, outputTokens: 6 })); // $10 to a
    grantA.settled(finished('same-id', 'a', { inputTokens: 4, outputTokens: 6 })); // told twice: charged once
    grantA.abandon(); // and a settled grant gives nothing back
    await new Promise((r) => setImmediate(r));
    expect(await counters.spend(a.record.id, now)).toEqual({ dayUsd: 10, monthUsd: 10 });
    const daily = await refusedAsync(() => gate.admit(callerA, { json: body(), bodyBytes: 40 }));
    expect(daily).toMatchObject({ status: 429, code: 'budget_exceeded' });
    expect(daily.message).toContain('daily budget of $10');
    expect(daily.retryAfterS).toBe(12 * 3600);
    const monthly = await refusedAsync(() => gate.admit(callerB, { json: body(), bodyBytes: 40 }));
    expect(monthly.message).toContain('monthly budget of $100');
    // The next UTC day the daily budget is fresh again.
    now = Date.UTC(2025, 5, 11, 0, 0, 1);
    expect(await gate.admit(callerA, { json: body(), bodyBytes: 40 })).toBeDefined();
  });

  it('records spend in the ledger at once, while the shared counters still wait to send their batch', async () => {
    const a = await keys.create({ name: 'a', daily_budget_usd: 10, priority: 'interactive' }, 'test');
    const waiting = Object.assign(Object.create(counters) as MemoryUsageCounters, { charge: () => new Promise<void>(() => undefined) }); // Redis's batch, never sent
    const g = new KeyGate({ ring, counters: waiting, ledger, nowMs: () => now, priceOf: () => PRICE });
    const grant = await g.admit(g.authenticate(bearer(a.secret)), { json: body(), bodyBytes: 40 });
    grant.settled(finished('w', 'a', { inputTokens: 3, outputTokens: 4 }));
    await ledger.close(); // a stop closes the ledger before the counters
    const entry = (await store.listAudit({ limit: 1 }))[0]!;
    expect(entry).toMatchObject({ action: 'usage.spend', target: a.record.id, details: { usd: 7, requests: 1 } });
  });

  it('persists spend and rebuilds it on start', async () => {
    const a = await keys.create({ name: 'a', daily_budget_usd: 10, priority: 'interactive' }, 'test');
    const caller = gate.authenticate(bearer(a.secret));
    const grant = await gate.admit(caller, { json: body(), bodyBytes: 40 });
    grant.settled(finished('r', 'a', { inputTokens: 3, outputTokens: 4 }));
    await new Promise((r) => setImmediate(r));
    await ledger.close();
    const restarted = new MemoryUsageCounters();
    await new SpendLedger({ store, counters: restarted, flushMs: 1_000, timer: timer.schedule, nowMs: () => now }).rebuild();
    expect(await restarted.spend(a.record.id, now)).toEqual({ dayUsd: 7, monthUsd: 7 });
    const entry = (await store.listAudit({ limit: 1 }))[0]!;
    expect(entry).toMatchObject({ actor: 'keel', action: 'usage.spend', target: a.record.id, details: { day: '2025-06-10', usd: 7, input_tokens: 3, output_tokens: 4, requests: 1 } });
  });
});

describe('config keys', () => {
  it('serve from the config file, and count as configured', async () => {
    const withConfig = new KeyRing({
      store,
      configKeys: [{ name: 'ci', key: 'ci-secret-0123456789', priority: 'batch', tenant: 'ci-tenant' }],
      refreshMs: 1_000,
      timer: timer.schedule,
      nowMs: () => now,
    });
    await withConfig.load();
    const g = new KeyGate({ ring: withConfig, counters, ledger, nowMs: () => now, priceOf: () => undefined });
    expect(g.authenticate({ 'x-api-key': 'ci-secret-0123456789' })).toMatchObject({ tenant: 'ci-tenant', priority: 'batch', keyId: 'config:ci' });
    expect(refused(() => g.authenticate({})).status).toBe(401);
  });
});
