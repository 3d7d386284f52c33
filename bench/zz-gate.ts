// scratch: the key gate's CPU and allocations per request, in process
import { Session } from 'node:inspector/promises';
import { TypedEmitter } from '../src/resilience/index.js';
import type { RequestRecord, RouterEvents } from '../src/router/router-types.js';
import { ManualIntervalTimer, SqliteStore } from '../src/store/index.js';
import { KeyGate } from '../src/server/auth/key-gate.js';
import { KeyManager } from '../src/server/auth/key-manager.js';
import { KeyRing } from '../src/server/auth/key-ring.js';
import { SpendLedger } from '../src/server/auth/spend-ledger.js';
import { MemoryUsageCounters } from '../src/server/auth/usage-counters.js';

const store = new SqliteStore({ path: ':memory:' });
await store.migrate();
const timer = new ManualIntervalTimer();
const counters = new MemoryUsageCounters();
const ring = new KeyRing({ store, refreshMs: 1_000, timer: timer.schedule, nowMs: () => Date.now() });
const ledger = new SpendLedger({ store, counters, flushMs: 1_000, timer: timer.schedule, nowMs: () => Date.now() });
const gate = new KeyGate({ ring, counters, ledger, nowMs: () => Date.now(), priceOf: () => ({ input_per_mtok: 3, output_per_mtok: 15 }) });
const keys = new KeyManager({ store, nowMs: () => Date.now(), onChange: (r) => ring.put(r) });
const events = new TypedEmitter<RouterEvents>();
gate.attach(events);
const secrets: string[] = [];
for (let i = 0; i < 1000; i++) secrets.push((await keys.create({ name: `k${i}`, rpm: 10_000_000, tpm: 1_000_000_000, daily_budget_usd: 1_000_000, priority: 'interactive' } as never, 'bench')).secret);
const json = { model: 'bench', messages: [{ role: 'user', content: 'hello there' }], max_tokens: 64 };
let n = 0;
function one() {
  const i = n++;
  const headers = { authorization: `Bearer ${secrets[i % 1000]}`, 'content-type': 'application/json' };
  const caller = gate.authenticate(headers);
  const requestId = `req-${i}`;
  const grant = gate.admit(caller, { requestId, json, bodyBytes: 120 });
  if (grant instanceof Promise) throw new Error('async');
  const rec = { requestId, route: 'bench', tenant: caller.tenant, priority: 'interactive', clientFormat: 'openai', stream: false, startedAtMs: Date.now(), latencyMs: 1, outcome: 'ok', degraded: undefined, deployment: 'sim', attempts: [{ requestId, route: 'bench', deployment: 'sim', provider: 'openai', model: 'm', outcome: 'ok', startedAtMs: Date.now(), latencyMs: 1, kind: 'first', usage: { inputTokens: 12, outputTokens: 40 } }] } as unknown as RequestRecord;
  events.emit('request', rec);
  return grant.headers;
}
const N = 200000;
for (let i = 0; i < 50000; i++) one();
let t = process.cpuUsage();
for (let i = 0; i < N; i++) one();
t = process.cpuUsage(t);
console.log('µs/req', ((t.user + t.system) / N).toFixed(2));
if (process.env.HEAP) {
  const s = new Session(); s.connect();
  await s.post('HeapProfiler.startSampling', { samplingInterval: 256, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  for (let i = 0; i < 50000; i++) one();
  const { profile } = await s.post('HeapProfiler.stopSampling');
  const by = new Map<string, number>();
  const walk = (node: any) => { const k = `${node.callFrame.functionName || '(anon)'} ${node.callFrame.url.split('/').slice(-1)[0]}:${node.callFrame.lineNumber}`; by.set(k, (by.get(k) ?? 0) + node.selfSize); for (const c of node.children) walk(c); };
  walk(profile.head);
  for (const [k, v] of [...by].sort((a, b) => b[1] - a[1]).slice(0, 20)) console.log((v / 50000).toFixed(0).padStart(6), 'B', k);
}
await store.close();
