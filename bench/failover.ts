/**
 * The failover scenario's special parts: a dead primary (a simulator that stopped listening, so every
 * connect is refused, as with a provider whose endpoint is down), the three-deployment route, and the
 * warm-up that trips the primary's breaker before anything is measured. Afterwards the primary should see
 * breaker probes only: at most one per open period, and the shortest open period is the breaker's base
 * duration less its jitter.
 */
import { Client } from 'undici';
import { startSimulator, type Simulator } from '../src/simulator/index.js';
import { RESILIENCE_DEFAULTS } from '../src/resilience/defaults.js';
import type { KeelBenchConfig } from './keel-process.js';
import { CHAT_PATH, requestBody, REQUEST_HEADERS, UPSTREAM_MODEL } from './requests.js';

export const BENCH_API_KEY = 'sk-bench-not-a-real-key'; // realistic: Keel adds an Authorization header

const OPEN_CHECK = {
  // 5 refused connects open the breaker. Once the throttle sheds calls to the primary, the k-th request
  // reaches it with odds of about 1 in k, so the fifth failure may take a few hundred requests (~1 ms each).
  maxRequests: 5_000,
  timeLimitMs: 30_000, // each of those requests waits out a backoff of ~0.5 s before failing over
  // Consecutive single-attempt answers from the secondary. Alone they do not show the breaker open: the
  // adaptive throttle sheds most calls to a deployment that accepts none, so the primary is skipped long
  // before its fifth consecutive failure opens the breaker, and the last few failures would then land in
  // the first measured cell. So the warm-up also reads the breaker's state from /metrics.
  settledAnswers: 5,
} as const;

/** The primary's breaker state as Keel's Prometheus gauge reports it (2 open, 3 forced open). */
async function primaryBreakerOpen(client: Client): Promise<boolean> {
  const res = await client.request({ method: 'GET', path: '/metrics' });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`GET /metrics answered ${res.statusCode} during the breaker warm-up`);
  const state = /^keel_circuit_breaker_state\{deployment="primary"\} (\d+)$/m.exec(text)?.[1];
  return state === '2' || state === '3';
}

export interface DeadPrimary {
  /** Base URL of the provider API that refuses connections. */
  baseUrl: string;
  /** Requests its simulator received: 0, since a refused connect never reaches it (Keel's headers count the attempts). */
  requestsSeen(): number;
  close(): Promise<void>;
}

export async function startDeadPrimary(): Promise<DeadPrimary> {
  const sim: Simulator = await startSimulator({ host: '127.0.0.1' });
  await sim.stopListening(); // the port stays known; connecting to it is refused
  return { baseUrl: `${sim.url}/v1`, requestsSeen: () => sim.stats().total, close: () => sim.close() };
}

export function singleConfig(simUrl: string): KeelBenchConfig {
  return {
    deployments: [{ id: 'sim', provider: 'openai', model: UPSTREAM_MODEL, base_url: `${simUrl}/v1`, api_key: BENCH_API_KEY }],
    routes: { bench: { deployments: ['sim'] } },
  };
}

export function failoverConfig(simUrl: string, deadPrimary: DeadPrimary): KeelBenchConfig {
  return {
    deployments: [
      { id: 'primary', provider: 'openai', model: UPSTREAM_MODEL, base_url: deadPrimary.baseUrl, api_key: BENCH_API_KEY },
      { id: 'secondary', provider: 'openai', model: UPSTREAM_MODEL, base_url: `${simUrl}/v1`, api_key: BENCH_API_KEY },
      { id: 'tertiary', provider: 'openai', model: UPSTREAM_MODEL, base_url: `${simUrl}/v1`, api_key: BENCH_API_KEY },
    ],
    routes: { bench: { deployments: ['primary', 'secondary', 'tertiary'] } },
  };
}

export interface BreakerWarmup {
  open: boolean;
  requests: number;
  /** Attempts that went to the dead primary during the warm-up. */
  primaryAttempts: number;
  elapsedMs: number;
}

/** Sends requests one by one until the primary's breaker is open (Keel stops trying it). */
export async function openPrimaryBreaker(keelOrigin: string): Promise<BreakerWarmup> {
  const client = new Client(keelOrigin);
  const startedAt = Date.now();
  let requests = 0;
  let primaryAttempts = 0;
  let settled = 0;
  let open = false;
  try {
    while (!open && requests < OPEN_CHECK.maxRequests && Date.now() - startedAt < OPEN_CHECK.timeLimitMs) {
      requests += 1;
      const res = await client.request({ method: 'POST', path: CHAT_PATH, headers: REQUEST_HEADERS, body: requestBody('json') });
      await res.body.text();
      const attempts = Number(res.headers['x-keel-attempts']);
      if (res.statusCode !== 200) throw new Error(`the failover route answered ${res.statusCode} during the breaker warm-up`);
      primaryAttempts += Math.max(0, attempts - 1);
      settled = attempts === 1 && res.headers['x-keel-deployment'] === 'secondary' ? settled + 1 : 0;
      if (settled >= OPEN_CHECK.settledAnswers) open = await primaryBreakerOpen(client);
    }
  } finally {
    await client.close();
  }
  return { open, requests, primaryAttempts, elapsedMs: Date.now() - startedAt };
}

/** Breaker probes the primary may get in `durationS`: one per shortest possible open period. */
export function probesAllowed(durationS: number): number {
  const b = RESILIENCE_DEFAULTS.circuitBreaker;
  const shortestOpenS = (b.openDurationBaseMs * (1 - b.openDurationJitterRatio)) / 1000;
  return Math.ceil(durationS / shortestOpenS);
}
