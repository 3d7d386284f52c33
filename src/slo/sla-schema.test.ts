import { describe, expect, it } from 'vitest';
import { parseMonth } from './month.js';
import { parseSlaFile, slaFileSchema, slaFor, SlaFileError } from './sla-schema.js';
import { creditFor, measureUptime, type MinuteCount } from './sla-uptime.js';
import { sliCounts } from './sli-series.js';
import { signPayload, verifySignature, WebhookSender } from './signed-webhook.js';

const source = [{ url: 'https://example.com/sla', checked: '2025-07-01' }];

describe('SLA data', () => {
  it('reports every problem with the file, line and path', () => {
    const text = [
      'version: 1',
      'slas:',
      '  - id: acme',
      '    name: Acme',
      '    status: published',
      '    sources: [{ url: "https://example.com/sla", checked: 2025-07-01 }]',
      '    credit_tiers:',
      '      - { below_percent: 99, credit_percent: 25 }',
      '      - { below_percent: 99.9, credit_percent: 10 }',
      '  - id: nope',
      '    name: Nope',
      '    status: none-found',
      '    sources: []',
      '    uptime_target_percent: 99.9',
      'deployments: { gpt: missing }',
    ].join('\n');
    let error: unknown;
    try {
      parseSlaFile(text, 'providers.yaml');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SlaFileError);
    const message = (error as Error).message;
    expect(message).toContain('providers.yaml:3 slas[0].uptime_target_percent: expected the uptime target of a published SLA');
    expect(message).toContain('providers.yaml:9 slas[0].credit_tiers[1].below_percent: expected tiers from the highest threshold down');
    expect(message).toContain('providers.yaml:13 slas[1].sources: expected at least one source');
    expect(message).toContain('providers.yaml:14 slas[1].uptime_target_percent: expected no uptime_target_percent on an entry with status "none-found"');
    expect(message).toContain('providers.yaml:15 deployments.gpt: expected the id of an SLA (one of: acme, nope), got "missing"');
  });

  it('matches deployments by explicit assignment, then provider and base URL', () => {
    const file = slaFileSchema.parse({
      version: 1,
      slas: [
        { id: 'azure', name: 'Azure', status: 'unverified', sources: source, applies_to: { base_url: '\\.openai\\.azure\\.com' } },
        { id: 'openai', name: 'OpenAI', status: 'none-found', sources: source, applies_to: { providers: ['openai'], base_url: 'api\\.openai\\.com' } },
        { id: 'contract', name: 'Our contract', status: 'published', sources: source, uptime_target_percent: 99.5 },
      ],
      deployments: { special: 'contract' },
    });
    expect(slaFor({ id: 'a', provider: 'openai' }, file)?.id).toBe('openai'); // the public URL is implied
    expect(slaFor({ id: 'b', provider: 'openai', base_url: 'https://acme.openai.azure.com/openai/v1' }, file)?.id).toBe('azure');
    expect(slaFor({ id: 'c', provider: 'openai-compatible', base_url: 'http://127.0.0.1:8000/v1' }, file)).toBeUndefined();
    expect(slaFor({ id: 'special', provider: 'openai' }, file)?.id).toBe('contract');
    expect(slaFor({ id: 'a', provider: 'openai' }, file, { a: 'contract' })?.id).toBe('contract');
    expect(() => slaFor({ id: 'a', provider: 'openai' }, file, { a: 'gone' })).toThrow(/not in the SLA data/);
  });
});

describe('uptime methods', () => {
  const month = parseMonth('2025-02'); // 28 days: 40,320 minutes
  const counts = (down: number[]): Map<number, MinuteCount> => new Map(down.map((i) => [month.startMs + i * 60_000, { requests: 10, errors: 10, outcomes: { server_error: 10 } }]));

  it('counts down intervals only in runs of the required length', () => {
    const runs = { method: 'bad-intervals', interval_minutes: 1, error_rate_above: 0.05, min_consecutive_intervals: 5 } as const;
    // A 4-minute run (ignored) and a 6-minute run (counted).
    const result = measureUptime(month, counts([0, 1, 2, 3, 10, 11, 12, 13, 14, 15]), new Set(), runs);
    expect(result.downtimeMinutes).toBe(6);
    expect(result.evidence.map((e) => (e.startMs - month.startMs) / 60_000)).toEqual([10, 11, 12, 13, 14, 15]);
  });

  it('puts an uptime of exactly 99% in the 10% tier, not the 25% one, and withholds credits under the minimum', () => {
    const entry = slaFileSchema.parse({
      version: 1,
      slas: [{ id: 'x', name: 'X', status: 'published', sources: source, uptime_target_percent: 99.9, credit_tiers: [{ below_percent: 99.9, credit_percent: 10 }, { below_percent: 99, credit_percent: 25 }], credit_issued_above_usd: 1 }],
    }).slas[0]!;
    // June: 432 of 43,200 minutes down is exactly 99%, which is not "below 99%".
    const june = parseMonth('2025-06');
    const down = new Map(Array.from({ length: 432 }, (_, i): [number, MinuteCount] => [june.startMs + i * 60_000, { requests: 1, errors: 1, outcomes: { server_error: 1 } }]));
    const result = measureUptime(june, down, new Set(), { method: 'bad-intervals', interval_minutes: 1, error_rate_above: 0.05, min_consecutive_intervals: 1 });
    expect(result.uptimePercent).toBe(99);
    expect(creditFor(entry, result.uptimePercent, 100)).toEqual({ creditPercent: 10, creditUsd: 10 });
    expect(creditFor(entry, 99, 100)).toEqual({ creditPercent: 10, creditUsd: 10 });
    expect(creditFor(entry, 98.99, 100)).toEqual({ creditPercent: 25, creditUsd: 25 });
    expect(creditFor(entry, 99.95, 100)).toEqual({ creditPercent: 0, creditUsd: 0, note: 'target met' });
    expect(creditFor(entry, 98, 4)).toMatchObject({ creditPercent: 25, creditUsd: 0 }); // $1.00 is not "above $1"
  });
});

describe('latency SLI', () => {
  it('counts requests at or under the threshold bucket as good', () => {
    // Buckets: ≤50, ≤100, ≤250, ≤500, ≤1000, ≤2500, ...
    const latencyHistogram = [1, 2, 3, 4, 5, 6, 0, 0, 0, 0, 7];
    expect(sliCounts({ outcomes: {}, latencyHistogram }, { kind: 'latency', thresholdMs: 500 })).toEqual({ good: 10, total: 28 });
    expect(sliCounts({ outcomes: { ok: 90, degraded: 3, all_deployments_failed: 2, invalid_request: 5, rate_limited: 1 }, latencyHistogram }, { kind: 'availability' })).toEqual({ good: 90, total: 96 });
  });
});

describe('signed webhooks', () => {
  it('retries a failing receiver and signs every attempt', async () => {
    const statuses = [503, 500, 204];
    const seen: string[] = [];
    const clock = { now: () => 1_750_000_000_000, sleep: async () => {}, setTimer: () => () => undefined };
    const sender = new WebhookSender([{ url: 'https://r.example', secret: 's3cret' }], clock, async (_url, init) => {
      seen.push(init.headers['x-keel-signature']!);
      return { ok: statuses[0] === 204, status: statuses.shift()! };
    });
    const [result] = await sender.send({ hello: 'world' });
    expect(result).toEqual({ url: 'https://r.example', delivered: true, attempts: 3, status: 204 });
    expect(seen).toHaveLength(3);
    expect(verifySignature('{"hello":"world"}', seen[2]!, 's3cret', 1_750_000_000)).toBe(true);
    // A replay outside the tolerance is refused.
    expect(verifySignature('{"hello":"world"}', signPayload('{"hello":"world"}', 's3cret', 1_750_000_000), 's3cret', 1_750_000_000 + 301)).toBe(false);
  });
});
