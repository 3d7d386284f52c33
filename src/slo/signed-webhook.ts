/**
 * Signed webhook delivery for SLO alerts (minimal: the status box may grow a general one). The signature
 * is HMAC-SHA256 over `<timestamp>.<body>` with a shared secret, sent as
 * `x-keel-signature: t=<unix seconds>,v1=<hex>` — Stripe's scheme: the timestamp inside the MAC lets a
 * receiver reject replays older than a few minutes, and the body is signed byte for byte as sent.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../core/clock.js';

export const SIGNATURE_HEADER = 'x-keel-signature';

export const WEBHOOK_DEFAULTS = {
  // Three tries (1 s, then 2 s apart) ride out a receiver's restart without holding alerts back for long.
  attempts: 3,
  backoffBaseMs: 1_000, // 1 s
  timeoutMs: 10_000, // 10 s: a receiver that takes longer is down for our purposes
  // Five minutes of clock skew or queueing before a receiver should call a delivery a replay.
  toleranceS: 300,
} as const;

export function signPayload(body: string, secret: string, timestampS: number): string {
  const mac = createHmac('sha256', secret).update(`${timestampS}.${body}`).digest('hex');
  return `t=${timestampS},v1=${mac}`;
}

/** For receivers (and tests): true when the header signs this body with this secret, recently enough. */
export function verifySignature(body: string, header: string, secret: string, nowS: number, toleranceS: number = WEBHOOK_DEFAULTS.toleranceS): boolean {
  const parts = new Map(header.split(',').map((p) => p.split('=', 2) as [string, string]));
  const t = Number(parts.get('t'));
  const given = parts.get('v1');
  if (!Number.isInteger(t) || given === undefined || Math.abs(nowS - t) > toleranceS) return false;
  const expected = signPayload(body, secret, t).split('v1=')[1]!;
  return given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected));
}

export interface WebhookTarget {
  url: string;
  secret: string;
}

export type FetchLike = (url: string, init: { method: string; headers: Record<string, string>; body: string; signal?: AbortSignal }) => Promise<{ ok: boolean; status: number }>;

export interface DeliveryResult {
  url: string;
  delivered: boolean;
  attempts: number;
  status?: number;
  error?: string;
}

export class WebhookSender {
  constructor(
    private readonly targets: readonly WebhookTarget[],
    private readonly clock: Clock,
    private readonly fetchFn: FetchLike = globalThis.fetch as unknown as FetchLike,
    private readonly attempts: number = WEBHOOK_DEFAULTS.attempts,
  ) {}

  /** Sends the event to every target; never throws (a receiver being down must not stop alerting). */
  async send(event: unknown): Promise<DeliveryResult[]> {
    const body = JSON.stringify(event);
    return Promise.all(this.targets.map((t) => this.deliver(t, body)));
  }

  private async deliver(target: WebhookTarget, body: string): Promise<DeliveryResult> {
    let last: DeliveryResult = { url: target.url, delivered: false, attempts: 0 };
    for (let attempt = 1; attempt <= this.attempts; attempt++) {
      if (attempt > 1) await this.clock.sleep(WEBHOOK_DEFAULTS.backoffBaseMs * 2 ** (attempt - 2));
      const headers = {
        'content-type': 'application/json',
        'user-agent': 'keel-slo-alerts',
        [SIGNATURE_HEADER]: signPayload(body, target.secret, Math.floor(this.clock.now() / 1000)),
      };
      try {
        const res = await this.fetchFn(target.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(WEBHOOK_DEFAULTS.timeoutMs) });
        last = { url: target.url, delivered: res.ok, attempts: attempt, status: res.status };
        // A 4xx other than 429 will not improve with retries: the receiver rejects the request itself.
        if (res.ok || (res.status >= 400 && res.status < 500 && res.status !== 429)) return last;
      } catch (error) {
        last = { url: target.url, delivered: false, attempts: attempt, error: error instanceof Error ? error.message : String(error) };
      }
    }
    return last;
  }
}
