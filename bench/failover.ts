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
  maxRequests: 40, // 5 refused connects open the breaker; retries with backoff make that ~3 requests
  timeLimitMs: 30_000, // each of those requests waits out a backoff of ~0.5 s before failing over
  settledAnswers: 5, // consecutive single-attempt answers from the secondary: the breaker is open
} as const;

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
  try {
    while (settled < OPEN_CHECK.settledAnswers && requests < OPEN_CHECK.maxRequests && Date.now() - startedAt < OPEN_CHECK.timeLimitMs) {
      requests += 1;
      const res = await client.request({ method: 'POST', path: CHAT_PATH, headers: REQUEST_HEADERS, body: requestBody('json') });
      await res.body.text();
      const attempts = Number(res.headers['x-keel-attempts']);
      if (res.statusCode !== 200) throw new Error(`the failover route answered ${res.statusCode} during the breaker warm-up`);
      primaryAttempts += Math.max(0, attempts - 1);
      settled = attempts === 1 && res.headers['x-keel-deployment'] === 'secondary' ? settled + 1 : 0;
    }
  } finally {
    await client.close();
  }
  return { open: settled >= OPEN_CHECK.settledAnswers, requests, primaryAttempts, elapsedMs: Date.now() - startedAt };
}

/** Breaker probes the primary may get in `durationS`: one per shortest possible open period. */
export function probesAllowed(durationS: number): number {
  const b = RESILIENCE_DEFAULTS.circuitBreaker;
  const shortestOpenS = (b.openDurationBaseMs * (1 - b.openDurationJitterRatio)) / 1000;
  return Math.ceil(durationS / shortestOpenS);
}
