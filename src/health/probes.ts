/**
 * Active probes: for a deployment whose live traffic is too thin to judge, or whose breaker is open, a
 * tiny synthetic request (`max_tokens: 1`) goes through the router like any other (so breakers, retries
 * and events all apply) at most once per `intervalMs`. Probes carry a `probe_` request id, so health
 * flags them and the rollups can store them apart from client traffic; the request targets the
 * deployment alone (its own model name, or its id when the model name is shared or shadowed by a route).
 * A daily cost cap per deployment, estimated from its price and the tokens, stops probing when reached.
 * Off unless started; a failed probe is just evidence, never an error.
 */
import type { Clock } from '../core/clock.js';
import { chatRequest } from '../core/chat-request.js';
import type { Usage } from '../core/chat-response.js';
import type { DispatchInput, DispatchResult } from '../router/router-types.js';
import { everyOnClock } from './clock-interval.js';
import { PROBE_DEFAULTS } from './health-defaults.js';
import type { HealthWindows } from './health-windows.js';
import { newProbeRequestId } from './probe-id.js';

export type ProbeSettings = { -readonly [K in keyof typeof PROBE_DEFAULTS]: (typeof PROBE_DEFAULTS)[K] extends boolean ? boolean : number };

/** What probes need of the router: resolve a model name to its deployments, and dispatch. */
export interface ProbeRouter {
  resolve(model: string): { targets: readonly { deployment: { id: string } }[] };
  dispatch(input: DispatchInput): Promise<DispatchResult>;
}

export interface ProbedDeployment {
  id: string;
  model: string;
  /** USD per million tokens; without one a probe costs nothing as far as the cap knows. */
  price?: { input_per_mtok: number; output_per_mtok: number } | undefined;
}

export interface ProbeResult {
  deployment: string;
  atMs: number;
  /** `sent`: answered or failed, see `ok`; `cost_cap`: today's cap reached; `unroutable`: no name targets it alone. */
  kind: 'sent' | 'cost_cap' | 'unroutable';
  ok: boolean;
  requestId?: string;
  costUsd: number;
  error?: string;
}

export interface ProbeSchedulerOptions {
  router: ProbeRouter;
  health: Pick<HealthWindows, 'evaluateDeployment'>;
  deployments: Iterable<ProbedDeployment>;
  clock: Clock;
  settings?: Partial<ProbeSettings>;
  onProbe?: (result: ProbeResult) => void;
  onError?: (error: unknown) => void;
}

const DAY_MS = 86_400_000;

export class ProbeScheduler {
  readonly settings: ProbeSettings;
  private readonly deployments = new Map<string, ProbedDeployment>();
  private readonly lastProbeAtMs = new Map<string, number>();
  private readonly inFlight = new Set<string>();
  private readonly spent = new Map<string, { day: number; usd: number }>();
  private readonly abort = new AbortController();
  private stopLoop: (() => void) | undefined;

  constructor(private readonly options: ProbeSchedulerOptions) {
    this.settings = { ...PROBE_DEFAULTS, ...options.settings };
    for (const d of options.deployments) this.deployments.set(d.id, d);
  }

  /** Checks every `checkEveryMs` for deployments due a probe. */
  start(): void {
    this.stopLoop ??= everyOnClock(this.options.clock, this.settings.checkEveryMs, () => {
      this.runDue().catch((error: unknown) => this.options.onError?.(error));
    });
  }

  /** Stops the loop and aborts probes in flight. */
  stop(): void {
    this.stopLoop?.();
    this.stopLoop = undefined;
    this.abort.abort();
  }

  /** Probes, concurrently, every deployment that needs one and has not had one for `intervalMs`. */
  async runDue(): Promise<ProbeResult[]> {
    const now = this.options.clock.now();
    const due = [...this.deployments.keys()].filter((id) => {
      if (this.inFlight.has(id)) return false;
      const last = this.lastProbeAtMs.get(id);
      return (last === undefined || now - last >= this.settings.intervalMs) && this.options.health.evaluateDeployment(id, now).needsProbe;
    });
    return Promise.all(due.map((id) => this.probe(id)));
  }

  /** USD spent on probes of a deployment today (UTC). */
  spentTodayUsd(id: string): number {
    const entry = this.spent.get(id);
    return entry !== undefined && entry.day === Math.floor(this.options.clock.now() / DAY_MS) ? entry.usd : 0;
  }

  /** One probe now, whatever health says (an operator's "check it now"). */
  async probe(id: string): Promise<ProbeResult> {
    const deployment = this.deployments.get(id);
    const atMs = this.options.clock.now();
    this.lastProbeAtMs.set(id, atMs);
    const name = deployment === undefined ? undefined : this.targetName(deployment);
    if (deployment === undefined || name === undefined) return this.report({ deployment: id, atMs, kind: 'unroutable', ok: false, costUsd: 0 });
    const estimate = this.cost(deployment, { inputTokens: this.settings.estimatedInputTokens, outputTokens: this.settings.maxTokens });
    if (this.spentTodayUsd(id) + estimate > this.settings.dailyCostCapUsd) return this.report({ deployment: id, atMs, kind: 'cost_cap', ok: false, costUsd: 0 });

    const requestId = newProbeRequestId(id);
    this.inFlight.add(id);
    let result: ProbeResult;
    try {
      const answer = await this.options.router.dispatch({
        request: chatRequest({ model: name, messages: [{ role: 'user', content: [{ type: 'text', text: 'ping' }] }], maxTokens: this.settings.maxTokens }),
        clientFormat: 'openai',
        requestId,
        signal: this.abort.signal,
        timeoutMs: this.settings.timeoutMs,
        // Shed first when Keel is overloaded: a probe must never take a client's place.
        priority: 'batch',
      });
      const usage = await usageOf(answer);
      const tried = Math.max(1, answer.attempts.length);
      const costUsd = usage === undefined ? estimate * tried : this.cost(deployment, usage) + estimate * (tried - 1);
      result = { deployment: id, atMs, kind: 'sent', ok: answer.deployment?.id === id, requestId, costUsd };
    } catch (error) {
      // A failed probe may still have been billed for its input: count the estimate per attempt.
      const attempts = (error as { attempts?: unknown[] }).attempts?.length ?? 1;
      result = { deployment: id, atMs, kind: 'sent', ok: false, requestId, costUsd: estimate * Math.max(1, attempts), error: (error as Error).message };
    } finally {
      this.inFlight.delete(id);
    }
    this.addSpent(id, result.costUsd);
    return this.report(result);
  }

  /** The name that routes to this deployment alone: its model name, else its id. */
  private targetName(deployment: ProbedDeployment): string | undefined {
    for (const name of [deployment.model, deployment.id]) {
      try {
        const targets = this.options.router.resolve(name).targets;
        if (targets.length === 1 && targets[0]!.deployment.id === deployment.id) return name;
      } catch {
        // Not a known name: try the next.
      }
    }
    return undefined;
  }

  private cost(deployment: ProbedDeployment, usage: Pick<Usage, 'inputTokens' | 'outputTokens'>): number {
    const price = deployment.price;
    return price === undefined ? 0 : (usage.inputTokens * price.input_per_mtok + usage.outputTokens * price.output_per_mtok) / 1_000_000;
  }

  private addSpent(id: string, usd: number): void {
    const day = Math.floor(this.options.clock.now() / DAY_MS);
    const entry = this.spent.get(id);
    this.spent.set(id, { day, usd: (entry?.day === day ? entry.usd : 0) + usd });
  }

  private report(result: ProbeResult): ProbeResult {
    try {
      this.options.onProbe?.(result);
    } catch (error) {
      this.options.onError?.(error);
    }
    return result;
  }
}

/** The answer's usage (a stream is drained for it); always releases the dispatch. */
async function usageOf(result: DispatchResult): Promise<Usage | undefined> {
  try {
    if (result.answer.kind === 'json') return result.answer.response.usage;
    let usage: Usage | undefined;
    for await (const item of result.answer.items) {
      if (item.kind !== 'data') continue;
      for (const event of item.events) if (event.type === 'usage') usage = event.usage;
    }
    return usage;
  } finally {
    result.done();
  }
}
