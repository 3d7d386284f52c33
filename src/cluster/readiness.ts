/**
 * Readiness, for `GET /readyz`: may this replica receive traffic now? `/healthz` says the process is
 * alive (restart it if not); readiness says whether to route to it, and a load balancer or Kubernetes
 * stops sending requests to a replica that is not ready without restarting it.
 *
 * A replica is ready when its config is loaded, it is not draining, and every *required* dependency
 * answers a cheap probe within a timeout. Optional dependencies are probed and reported, but do not make
 * the replica unready. Which ones to require is a trade-off: a dependency shared by every replica (the
 * PostgreSQL store, Redis) that fails makes *every* replica unready at once, which empties the Service;
 * Redis is therefore optional by default (Keel falls back to local state), the store required.
 */

export interface ReadinessCheck {
  name: string;
  ok: boolean;
  /** What was seen: `ok in 3 ms`, the error, `timed out after 1000 ms`. */
  detail: string;
  /** Whether a failure of this check makes the replica unready. */
  required: boolean;
}

export interface Readiness {
  ready: boolean;
  checks: ReadinessCheck[];
}

export interface DependencyProbe {
  /** A cheap round trip (`SELECT 1`, `PING`); resolves when the dependency answered. */
  probe: () => Promise<unknown>;
  required?: boolean;
}

export interface ReadinessOptions {
  /** Why the config could not be loaded; absent when it was. */
  configError?: string;
  /** Keel is shutting down: not ready, so traffic moves away while in-flight requests finish. */
  draining?: boolean;
  /** The store (required unless said otherwise). */
  store: DependencyProbe;
  /** Redis, when configured (optional unless said otherwise). */
  redis?: DependencyProbe;
  /** Longest wait for each probe. */
  timeoutMs?: number;
}

export const READINESS_DEFAULTS = {
  // Kubernetes' probe timeout defaults to 1 s: answer within it, whatever a dependency does.
  timeoutMs: 800,
} as const;

export async function checkReadiness(options: ReadinessOptions): Promise<Readiness> {
  const timeoutMs = options.timeoutMs ?? READINESS_DEFAULTS.timeoutMs;
  const checks: ReadinessCheck[] = [
    { name: 'config', ok: options.configError === undefined, detail: options.configError ?? 'loaded', required: true },
    { name: 'accepting', ok: options.draining !== true, detail: options.draining === true ? 'draining: shutting down' : 'accepting requests', required: true },
  ];
  const probes: Promise<ReadinessCheck>[] = [probeCheck('store', options.store, true, timeoutMs)];
  if (options.redis !== undefined) probes.push(probeCheck('redis', options.redis, false, timeoutMs));
  checks.push(...(await Promise.all(probes)));
  return { ready: checks.every((c) => c.ok || !c.required), checks };
}

/** The HTTP answer for `/readyz`: 200 or 503, with every check in the body either way. */
export function readinessAnswer(readiness: Readiness): { status: 200 | 503; headers: Record<string, string>; body: string } {
  return {
    status: readiness.ready ? 200 : 503,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
    body: JSON.stringify({ status: readiness.ready ? 'ready' : 'not_ready', checks: readiness.checks }),
  };
}

async function probeCheck(name: string, dependency: DependencyProbe, requiredByDefault: boolean, timeoutMs: number): Promise<ReadinessCheck> {
  const required = dependency.required ?? requiredByDefault;
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    // The probe cannot be cancelled; a late answer is ignored (and a late failure swallowed below).
    const probe = Promise.resolve().then(dependency.probe);
    probe.catch(() => undefined);
    const outcome = await Promise.race([probe.then(() => 'ok' as const), timedOut]);
    if (outcome === 'timeout') return { name, ok: false, detail: `timed out after ${timeoutMs} ms`, required };
    return { name, ok: true, detail: `ok in ${Math.round(performance.now() - started)} ms`, required };
  } catch (err) {
    return { name, ok: false, detail: err instanceof Error ? err.message : String(err), required };
  } finally {
    clearTimeout(timer);
  }
}
