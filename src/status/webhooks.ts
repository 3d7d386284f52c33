/**
 * Webhooks on incident changes: each change is POSTed as JSON to every configured endpoint that wants
 * it, signed so the receiver can trust it and refuse replays: `x-keel-signature: sha256=<hex>` is an
 * HMAC-SHA256, with the endpoint's secret, over `<x-keel-timestamp>.<raw body>` (Stripe's scheme: the
 * timestamp is inside the signature, so an old message cannot be replayed with a fresh timestamp).
 * Deliveries run in the background: `send` returns at once, so the detector is never blocked. A failed
 * delivery (network error, timeout, 408, 429, 5xx) is retried with bounded exponential backoff on the
 * injected clock, with the same delivery id so receivers can deduplicate; any other 4xx gives up at once.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import type { Incident, IncidentUpdate } from '../store/store.js';

export type WebhookEventName = 'incident.opened' | 'incident.updated' | 'incident.resolved';

export interface WebhookEndpoint {
  url: string;
  /** Shared with the receiver; signs every delivery. */
  secret: string;
  /** Which events it wants; all when absent. */
  events?: readonly WebhookEventName[];
}

export const WEBHOOK_DEFAULTS = {
  // Six tries spread over ~1 min at most (1 s, 2 s, 4 s, 8 s, 16 s): a receiver restarting is covered,
  // a receiver that is gone for good does not keep Keel busy for hours.
  maxAttempts: 6,
  backoffBaseMs: 1_000, // 1 s
  backoffCapMs: 60_000, // 1 min
  // A receiver that has not answered in 10 s is treated as failed (the delivery is retried).
  timeoutMs: 10_000,
  // Deliveries waiting or in flight; past this, new ones are dropped (and reported) to bound memory.
  maxPending: 1_000,
  // What receivers should accept as "fresh" when verifying (see verifyWebhookSignature).
  toleranceMs: 5 * 60_000, // 5 min
} as const;

export type WebhookSettings = { -readonly [K in keyof typeof WEBHOOK_DEFAULTS]: number };

export interface DeliveryReport {
  deliveryId: string;
  url: string;
  event: WebhookEventName;
  attempt: number;
  status?: number;
  error?: string;
  outcome: 'delivered' | 'retrying' | 'gave_up';
  retryInMs?: number;
}

export interface WebhookDispatcherOptions {
  endpoints: readonly WebhookEndpoint[];
  clock: Clock;
  settings?: Partial<WebhookSettings>;
  /** For the backoff's jitter; Math.random by default. */
  random?: () => number;
  /** Every attempt's result (for logs and metrics). */
  onDelivery?: (report: DeliveryReport) => void;
  /** Dropped deliveries and listener bugs. */
  onError?: (error: unknown) => void;
}

export interface IncidentEventSource {
  on(name: 'incidentOpened' | 'incidentUpdated' | 'incidentResolved', listener: (event: { incident: Incident; update: IncidentUpdate }) => void): () => void;
}

/** `sha256=<hex>` over `<timestamp>.<body>`. */
export function signWebhook(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex')}`;
}

/** For receivers (and tests): the signature matches and the timestamp is within tolerance of now. */
export function verifyWebhookSignature(input: { secret: string; body: string; timestamp: string | undefined; signature: string | undefined; nowMs: number; toleranceMs?: number }): boolean {
  if (input.timestamp === undefined || input.signature === undefined || !/^\d{1,12}$/.test(input.timestamp)) return false;
  if (Math.abs(input.nowMs - Number(input.timestamp) * 1_000) > (input.toleranceMs ?? WEBHOOK_DEFAULTS.toleranceMs)) return false;
  const expected = Buffer.from(signWebhook(input.secret, input.timestamp, input.body));
  const given = Buffer.from(input.signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

const EVENT_OF = { incidentOpened: 'incident.opened', incidentUpdated: 'incident.updated', incidentResolved: 'incident.resolved' } as const;

export class WebhookDispatcher {
  readonly settings: WebhookSettings;
  private readonly pending = new Set<Promise<void>>();
  private readonly closing = new AbortController();

  constructor(private readonly options: WebhookDispatcherOptions) {
    this.settings = { ...WEBHOOK_DEFAULTS, ...options.settings };
  }

  /** Sends the detector's incident events; returns the function that unsubscribes. */
  attach(events: IncidentEventSource): () => void {
    const offs = (Object.keys(EVENT_OF) as (keyof typeof EVENT_OF)[]).map((name) => events.on(name, (e) => this.send(EVENT_OF[name], e.incident, e.update)));
    return () => offs.forEach((off) => off());
  }

  /** Queues a delivery to every interested endpoint and returns at once. */
  send(event: WebhookEventName, incident: Incident, update?: IncidentUpdate): void {
    if (this.closing.signal.aborted) return;
    const createdAt = new Date(this.options.clock.now()).toISOString();
    for (const endpoint of this.options.endpoints) {
      if (endpoint.events !== undefined && !endpoint.events.includes(event)) continue;
      if (this.pending.size >= this.settings.maxPending) {
        this.options.onError?.(new Error(`webhook queue full (${this.settings.maxPending}); dropped ${event} for ${incident.id}`));
        continue;
      }
      const deliveryId = `whd_${randomBytes(8).toString('hex')}`;
      const body = JSON.stringify({ id: deliveryId, event, created_at: createdAt, incident, ...(update === undefined ? {} : { update }) });
      const delivery = this.deliver(endpoint, event, deliveryId, body).catch((error: unknown) => this.options.onError?.(error));
      this.pending.add(delivery);
      void delivery.finally(() => this.pending.delete(delivery));
    }
  }

  /** Resolves when every delivery queued so far has been delivered or given up. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  /** Abandons retries waiting on the clock (shutdown); deliveries in flight finish or time out. */
  close(): void {
    this.closing.abort();
  }

  private async deliver(endpoint: WebhookEndpoint, event: WebhookEventName, deliveryId: string, body: string): Promise<void> {
    const s = this.settings;
    for (let attempt = 1; ; attempt++) {
      const result = await this.post(endpoint, event, deliveryId, body);
      const base = { deliveryId, url: endpoint.url, event, attempt, ...result };
      if (result.status !== undefined && result.status >= 200 && result.status < 300) {
        this.report({ ...base, outcome: 'delivered' });
        return;
      }
      const retryable = result.status === undefined || result.status >= 500 || result.status === 408 || result.status === 429;
      if (!retryable || attempt >= s.maxAttempts || this.closing.signal.aborted) {
        this.report({ ...base, outcome: 'gave_up' });
        return;
      }
      // Equal jitter: between half and all of the exponential step, so retries never collapse to zero.
      const stepMs = Math.min(s.backoffCapMs, s.backoffBaseMs * 2 ** (attempt - 1));
      const retryInMs = Math.round(stepMs * (0.5 + (this.options.random ?? Math.random)() / 2));
      this.report({ ...base, outcome: 'retrying', retryInMs });
      try {
        await this.options.clock.sleep(retryInMs, this.closing.signal);
      } catch {
        return;
      }
    }
  }

  private async post(endpoint: WebhookEndpoint, event: WebhookEventName, deliveryId: string, body: string): Promise<{ status?: number; error?: string }> {
    // Signed at each attempt: a retry minutes later still carries a fresh, verifiable timestamp.
    const timestamp = String(Math.floor(this.options.clock.now() / 1_000));
    try {
      const response = await fetch(endpoint.url, {
        method: 'POST',
        redirect: 'manual',
        signal: AbortSignal.timeout(this.settings.timeoutMs),
        headers: {
          'content-type': 'application/json',
          'user-agent': 'keel-webhooks',
          'x-keel-event': event,
          'x-keel-delivery': deliveryId,
          'x-keel-timestamp': timestamp,
          'x-keel-signature': signWebhook(endpoint.secret, timestamp, body),
        },
        body,
      });
      await response.body?.cancel();
      return { status: response.status };
    } catch (error) {
      return { error: (error as Error).name === 'TimeoutError' ? 'timed out' : ((error as Error).message ?? 'request failed') };
    }
  }

  private report(report: DeliveryReport): void {
    try {
      this.options.onDelivery?.(report);
    } catch (error) {
      this.options.onError?.(error);
    }
  }
}
