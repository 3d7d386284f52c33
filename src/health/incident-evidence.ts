/**
 * Evidence for incident updates, per deployment, gathered since the last time it was taken: attempts by
 * outcome, a few redacted example errors, and where the routes sent requests after this deployment
 * failed (from the `request` events' attempt lists). Also names the cause of an outage from the outcomes:
 * the status page says "overloaded" or "rate limited" rather than "errors".
 */
import { isProviderFault, type Outcome } from '../core/outcome.js';
import { isProbeRequestId } from './probe-id.js';
import { redactMessage } from './redact-message.js';

export type CauseCategory = 'rate_limiting' | 'overload' | 'server_errors' | 'timeouts' | 'connection_failures' | 'interrupted_streams';

const CAUSE_OF: Partial<Record<Outcome, CauseCategory>> = {
  rate_limited: 'rate_limiting',
  overloaded: 'overload',
  server_error: 'server_errors',
  timeout: 'timeouts',
  connect_error: 'connection_failures',
  stream_cut: 'interrupted_streams',
};

export const CAUSE_TEXT: Record<CauseCategory, string> = {
  rate_limiting: 'the provider is rate limiting Keel (429)',
  overload: 'the provider reports overload or capacity constraints',
  server_errors: 'the provider is returning server errors (5xx)',
  timeouts: 'the provider is not answering in time (timeouts)',
  connection_failures: 'connections to the provider fail (refused, reset or unreachable)',
  interrupted_streams: 'the provider cuts streams before they finish',
};

export interface ExampleError {
  at: number;
  route: string;
  outcome: Outcome;
  status?: number;
  message?: string;
}

export interface FailoverTally {
  route: string;
  /** The deployment that answered instead; `null` when nothing did, `degraded` for a stand-in answer. */
  to: string | null;
  requests: number;
}

export interface Evidence {
  fromMs: number;
  toMs: number;
  attempts: number;
  faults: number;
  probes: number;
  outcomes: Record<string, number>;
  examples: ExampleError[];
  failovers: FailoverTally[];
}

export interface EvidenceAttempt {
  requestId: string;
  route: string;
  deployment: string;
  outcome: Outcome;
  startedAtMs: number;
  latencyMs: number;
  status?: number | undefined;
  message?: string | undefined;
  cancelled?: boolean | undefined;
}

export interface EvidenceRequest {
  requestId: string;
  route: string;
  outcome: string;
  degraded?: string | undefined;
  deployment?: string | undefined;
  attempts: readonly Pick<EvidenceAttempt, 'deployment' | 'outcome' | 'cancelled'>[];
}

interface Accumulator {
  fromMs: number;
  attempts: number;
  faults: number;
  probes: number;
  outcomes: Record<string, number>;
  examples: ExampleError[];
  failovers: Map<string, FailoverTally>;
}

export class EvidenceLog {
  private readonly byDeployment = new Map<string, Accumulator>();

  constructor(private readonly limits: { maxExamples: number; maxExampleChars: number }) {}

  recordAttempt(a: EvidenceAttempt): void {
    if (a.cancelled === true) return;
    const acc = this.acc(a.deployment, a.startedAtMs);
    acc.attempts++;
    acc.outcomes[a.outcome] = (acc.outcomes[a.outcome] ?? 0) + 1;
    if (isProbeRequestId(a.requestId)) acc.probes++;
    if (!isProviderFault(a.outcome)) return;
    acc.faults++;
    const example: ExampleError = { at: a.startedAtMs + a.latencyMs, route: a.route, outcome: a.outcome };
    if (a.status !== undefined) example.status = a.status;
    if (a.message !== undefined) example.message = redactMessage(a.message, this.limits.maxExampleChars);
    // The newest examples: the freshest picture of what is going wrong.
    acc.examples.push(example);
    if (acc.examples.length > this.limits.maxExamples) acc.examples.shift();
  }

  recordRequest(r: EvidenceRequest, atMs: number): void {
    if (isProbeRequestId(r.requestId)) return;
    // Most requests had no failed attempt: they build nothing here.
    let failed: Set<string> | undefined;
    for (const a of r.attempts) if (a.cancelled !== true && isProviderFault(a.outcome)) (failed ??= new Set()).add(a.deployment);
    if (failed === undefined) return;
    const to = r.degraded !== undefined ? 'degraded' : r.outcome === 'ok' ? (r.deployment ?? null) : null;
    for (const deployment of failed) {
      if (to === deployment) continue; // a retry on the same deployment worked: no failover to report
      const acc = this.acc(deployment, atMs);
      const key = `${r.route}\u0000${to ?? ''}`;
      const tally = acc.failovers.get(key) ?? { route: r.route, to, requests: 0 };
      tally.requests++;
      acc.failovers.set(key, tally);
    }
  }

  /** The evidence since the last take (or reset), and starts afresh. */
  take(deployment: string, nowMs: number): Evidence {
    const evidence = this.peek(deployment, nowMs);
    this.reset(deployment, nowMs);
    return evidence;
  }

  peek(deployment: string, nowMs: number): Evidence {
    const acc = this.byDeployment.get(deployment);
    if (acc === undefined) return { fromMs: nowMs, toMs: nowMs, attempts: 0, faults: 0, probes: 0, outcomes: {}, examples: [], failovers: [] };
    const failovers = [...acc.failovers.values()].sort((a, b) => b.requests - a.requests).map((f) => ({ ...f }));
    return { fromMs: acc.fromMs, toMs: nowMs, attempts: acc.attempts, faults: acc.faults, probes: acc.probes, outcomes: { ...acc.outcomes }, examples: [...acc.examples], failovers };
  }

  reset(deployment: string, nowMs: number): void {
    this.byDeployment.set(deployment, emptyAccumulator(nowMs));
  }

  private acc(deployment: string, atMs: number): Accumulator {
    let acc = this.byDeployment.get(deployment);
    if (acc === undefined) {
      acc = emptyAccumulator(atMs);
      this.byDeployment.set(deployment, acc);
    }
    return acc;
  }
}

function emptyAccumulator(fromMs: number): Accumulator {
  return { fromMs, attempts: 0, faults: 0, probes: 0, outcomes: {}, examples: [], failovers: new Map() };
}

/** The cause most of the faults share, when one clearly dominates. */
export function dominantCause(outcomes: Record<string, number>, minShare: number, minFaults: number): CauseCategory | undefined {
  const byCause = new Map<CauseCategory, number>();
  let faults = 0;
  for (const [outcome, n] of Object.entries(outcomes)) {
    const cause = CAUSE_OF[outcome as Outcome];
    if (cause === undefined) continue;
    faults += n;
    byCause.set(cause, (byCause.get(cause) ?? 0) + n);
  }
  if (faults < minFaults) return undefined;
  const [top, n] = [...byCause].sort((a, b) => b[1] - a[1])[0] ?? [];
  return top !== undefined && n !== undefined && n / faults >= minShare ? top : undefined;
}
