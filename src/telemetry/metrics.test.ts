/**
 * Metrics against a real Keel and the simulator: the rendered text must parse as Prometheus text
 * exposition format under a strict validator written here (so a malformed label or a broken histogram
 * fails the test, not the scrape), and the numbers must match what the router actually did.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKeel, type RunningKeel } from '../server/start-keel.js';
import { createLogger } from './logger.js';
import { createMetrics, type Metrics } from './metrics.js';
import type { RequestRecord } from '../router/router-types.js';
import { Writable } from 'node:stream';

const SECRET = 'sk-test-SECRET-1234567890';

// ---- A strict parser for the text exposition format (version 0.0.4) ----
type Labels = Record<string, string>;
interface Sample { name: string; labels: Labels; value: number }
interface Family { type: string; help: string | undefined; samples: Sample[] }

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const SUFFIXES: Record<string, string[]> = { histogram: ['_bucket', '_sum', '_count'], summary: ['', '_sum', '_count'] };

/** As Prometheus reads values (Go's ParseFloat): `NaN` and `Inf` in any case; prom-client writes `Nan`. */
function parseNumber(text: string): number {
  if (/^\+?inf(inity)?$/i.test(text)) return Infinity;
  if (/^-inf(inity)?$/i.test(text)) return -Infinity;
  if (/^nan$/i.test(text)) return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`bad number '${text}'`);
  return Number(text);
}

/** `{a="x",b="y\"z"}` from position `i` (at the brace): the labels and the position after `}`. */
function parseLabels(line: string, i: number): { labels: Labels; end: number } {
  const labels: Labels = {};
  i += 1;
  while (line[i] !== '}') {
    const eq = line.indexOf('=', i);
    const name = line.slice(i, eq);
    if (eq < 0 || !LABEL_NAME.test(name) || name in labels || line[eq + 1] !== '"') throw new Error(`bad label at ${i}: ${line}`);
    let value = '';
    for (i = eq + 2; line[i] !== '"'; i++) {
      if (i >= line.length) throw new Error(`unterminated label value: ${line}`);
      if (line[i] === '\\') {
        const next = line[++i];
        if (next === 'n') value += '\n';
        else if (next === '\\' || next === '"') value += next;
        else throw new Error(`bad escape \\${next}: ${line}`);
      } else value += line[i];
    }
    labels[name] = value;
    i += 1;
    if (line[i] === ',') i += 1;
    else if (line[i] !== '}') throw new Error(`expected , or } at ${i}: ${line}`);
  }
  return { labels, end: i + 1 };
}

function familyOf(name: string, families: Map<string, Family>): string {
  for (const [family, { type }] of families) {
    if ((SUFFIXES[type] ?? ['']).some((suffix) => name === family + suffix)) return family;
  }
  throw new Error(`sample ${name} has no # TYPE before it`);
}

export function parsePrometheusText(text: string): Map<string, Family> {
  if (!text.endsWith('\n')) throw new Error('the exposition must end with a newline');
  const families = new Map<string, Family>();
  const seen = new Set<string>();
  const helps = new Map<string, string>();
  let current: string | undefined;
  for (const line of text.slice(0, -1).split('\n')) {
    if (line === '') continue;
    const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    if (meta !== null) {
      const [, kind, name, rest] = meta as unknown as [string, string, string, string];
      if (!METRIC_NAME.test(name)) throw new Error(`bad metric name ${name}`);
      if (kind === 'HELP') {
        if (helps.has(name)) throw new Error(`second HELP for ${name}`);
        if (/\\[^\\n]/.test(rest.replace(/\\\\/g, ''))) throw new Error(`bad escape in HELP of ${name}`);
        helps.set(name, rest);
      } else {
        if (!TYPES.has(rest)) throw new Error(`bad type ${rest} for ${name}`);
        if (families.has(name)) throw new Error(`second TYPE for ${name}`);
        families.set(name, { type: rest, help: helps.get(name), samples: [] });
        current = name;
      }
      continue;
    }
    if (line.startsWith('#')) continue;
    const nameEnd = line.search(/[{ ]/);
    const name = line.slice(0, nameEnd);
    if (!METRIC_NAME.test(name)) throw new Error(`bad sample name: ${line}`);
    const { labels, end } = line[nameEnd] === '{' ? parseLabels(line, nameEnd) : { labels: {}, end: nameEnd };
    const rest = line.slice(end).split(' ');
    if (rest[0] !== '' || rest.length < 2 || rest.length > 3) throw new Error(`bad sample: ${line}`);
    const value = parseNumber(rest[1]!);
    const family = familyOf(name, families);
    if (family !== current) throw new Error(`sample ${name} is not grouped with its family ${family}`);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (seen.has(key)) throw new Error(`duplicate series ${key}`);
    seen.add(key);
    families.get(family)!.samples.push({ name, labels, value });
  }
  for (const [name, family] of families) validateFamily(name, family);
  return families;
}

function validateFamily(name: string, family: Family): void {
  if (family.type === 'counter') for (const s of family.samples) if (!(s.value >= 0)) throw new Error(`counter ${s.name} is ${s.value}`);
  if (family.type !== 'histogram') return;
  const series = new Map<string, { buckets: [number, number][]; sum?: number; count?: number }>();
  for (const s of family.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    const entry = series.get(key) ?? { buckets: [] };
    series.set(key, entry);
    if (s.name === `${name}_bucket`) {
      if (le === undefined) throw new Error(`${s.name} without le`);
      entry.buckets.push([parseNumber(le), s.value]);
    } else if (le !== undefined) throw new Error(`${s.name} with le`);
    else if (s.name === `${name}_sum`) entry.sum = s.value;
    else entry.count = s.value;
  }
  for (const [key, { buckets, sum, count }] of series) {
    if (sum === undefined || count === undefined) throw new Error(`${name}${key} lacks _sum or _count`);
    for (let i = 1; i < buckets.length; i++) {
      if (!(buckets[i]![0] > buckets[i - 1]![0])) throw new Error(`${name}${key}: le not increasing`);
      if (buckets[i]![1] < buckets[i - 1]![1]) throw new Error(`${name}${key}: bucket counts decrease`);
    }
    const last = buckets.at(-1);
    if (last?.[0] !== Infinity || last[1] !== count) throw new Error(`${name}${key}: +Inf bucket missing or not equal to _count`);
  }
}

/** The value of one series, matched on every label given (and no others). */
function valueOf(families: Map<string, Family>, name: string, labels: Labels = {}): number | undefined {
  for (const family of families.values()) {
    const sample = family.samples.find((s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === JSON.stringify(Object.entries(labels).sort()));
    if (sample !== undefined) return sample.value;
  }
  return undefined;
}

describe('the Prometheus text validator', () => {
  it('accepts well-formed text with escaped label values', () => {
    const families = parsePrometheusText('# HELP a_total A.\n# TYPE a_total counter\na_total{x="q\\"\\\\\\n"} 3\n');
    expect(families.get('a_total')!.samples[0]!.labels).toEqual({ x: 'q"\\\n' });
  });
  it.each([
    ['an untyped sample', 'a 1\n'],
    ['an unescaped quote', '# TYPE a gauge\na{x="""} 1\n'],
    ['a bad escape', '# TYPE a gauge\na{x="\\t"} 1\n'],
    ['a duplicate series', '# TYPE a gauge\na 1\na 2\n'],
    ['a missing newline', '# TYPE a gauge\na 1'],
    ['a broken histogram', '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n'],
    ['+Inf unequal to _count', '# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 1\n'],
  ])('rejects %s', (_why, text) => {
    expect(() => parsePrometheusText(text)).toThrow();
  });
});

describe('createMetrics on a real Keel', () => {
  let keel: RunningKeel;
  let metrics: Metrics;

  beforeAll(async () => {
    keel = await startKeel({
      port: 0,
      logger: createLogger('silent', new Writable({ write: (_c, _e, done) => done() })),
      config: {
        simulator: { token_delay_ms: 0 },
        // Exact attempt counts: no random local shedding by the adaptive throttle.
        resilience: { adaptive_throttle: { enabled: false } },
        deployments: [
          { id: 'primary', provider: 'openai', model: 'sim-primary', simulated: true, api_key: SECRET },
          { id: 'fallback', provider: 'openai-compatible', model: 'sim-fallback', simulated: true },
        ],
        routes: { smart: { deployments: ['primary', 'fallback'], retry: { backoff_base_ms: 5, backoff_cap_ms: 20 } } },
      },
    });
    metrics = createMetrics(keel.gateway.router, { deployments: keel.config.deployments.keys() });
  });
  afterAll(async () => {
    metrics.close();
    await keel.stop();
  });

  const chat = async (model: string, stream = false): Promise<Response> => {
    const res = await fetch(`${keel.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model, stream, messages: [{ role: 'user', content: 'hello' }] }),
    });
    await res.text();
    return res;
  };

  it('counts requests, attempts, retries, failovers and tokens, and renders valid exposition text', async () => {
    expect((await chat('smart')).status).toBe(200);
    keel.simulator!.setFault('sim-primary', { type: 'error', status: 503 });
    expect((await chat('smart')).status).toBe(200);
    expect((await chat('smart', true)).status).toBe(200);
    expect((await chat('no-such-model')).status).toBe(404); // refused before the router: not a request
    keel.simulator!.clearFaults();

    const text = await metrics.render();
    const families = parsePrometheusText(text);
    expect(metrics.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    const v = (name: string, labels?: Labels) => valueOf(families, name, labels);

    expect(v('keel_requests_total', { route: 'smart', outcome: 'ok', client_format: 'openai', stream: 'false' })).toBe(2);
    expect(v('keel_requests_total', { route: 'smart', outcome: 'ok', client_format: 'openai', stream: 'true' })).toBe(1);
    expect(v('keel_request_duration_seconds_count', { route: 'smart' })).toBe(3);
    expect(v('keel_time_to_first_token_seconds_count', { route: 'smart' })).toBe(1);
    expect(v('keel_attempts_total', { deployment: 'primary', provider: 'openai', outcome: 'ok', kind: 'first' })).toBe(1);
    // Two failed-over requests, each: a first try and one retry on the primary, then the fallback.
    expect(v('keel_attempts_total', { deployment: 'primary', provider: 'openai', outcome: 'overloaded', kind: 'first' })).toBe(2);
    expect(v('keel_attempts_total', { deployment: 'primary', provider: 'openai', outcome: 'overloaded', kind: 'retry' })).toBe(2);
    expect(v('keel_attempts_total', { deployment: 'fallback', provider: 'openai-compatible', outcome: 'ok', kind: 'failover' })).toBe(2);
    expect(v('keel_retries_total', { deployment: 'primary' })).toBe(2);
    expect(v('keel_failovers_total', { route: 'smart', deployment: 'fallback' })).toBe(2);
    expect(v('keel_attempt_duration_seconds_count', { deployment: 'primary' })).toBe(5);
    expect(v('keel_tokens_total', { deployment: 'fallback', direction: 'input' })).toBeGreaterThan(0);
    expect(v('keel_tokens_total', { deployment: 'fallback', direction: 'output' })).toBeGreaterThan(0);
    expect(v('keel_in_flight_requests')).toBe(0);
    expect(v('keel_queued_requests')).toBe(0);
    expect(v('keel_deployment_concurrency_limit', { deployment: 'fallback' })).toBeGreaterThan(0);
    expect(v('keel_circuit_breaker_state', { deployment: 'primary' })).toBe(0);
    expect(v('keel_process_cpu_user_seconds_total')).toBeGreaterThanOrEqual(0);
    // Every metric has help; no label value carries a request id, a key or free text.
    for (const [name, family] of families) expect(family.help, name).toBeTruthy();
    expect(text).not.toContain(SECRET);
    expect(text).not.toMatch(/req_[0-9a-f]/);
  });

  it('reports a forced-open breaker and its transition, read afresh after a policy reset', async () => {
    keel.gateway.router.policies.breakers.get('primary').forceOpen();
    let families = parsePrometheusText(await metrics.render());
    expect(valueOf(families, 'keel_circuit_breaker_state', { deployment: 'primary' })).toBe(3);
    expect(valueOf(families, 'keel_circuit_breaker_state', { deployment: 'fallback' })).toBe(0);
    expect(valueOf(families, 'keel_circuit_breaker_transitions_total', { deployment: 'primary', from: 'closed', to: 'forced_open' })).toBe(1);

    keel.gateway.router.resetPolicies();
    families = parsePrometheusText(await metrics.render());
    expect(valueOf(families, 'keel_circuit_breaker_state', { deployment: 'primary' })).toBe(0);
    expect((await chat('smart')).status).toBe(200);
    families = parsePrometheusText(await metrics.render());
    expect(valueOf(families, 'keel_attempts_total', { deployment: 'primary', provider: 'openai', outcome: 'ok', kind: 'first' })).toBe(2);
  });

  it('counts shed requests by priority and degraded answers by kind', async () => {
    const base: RequestRecord = {
      requestId: 'req_x', route: 'smart', tenant: 'acme', priority: 'batch', clientFormat: 'anthropic', stream: false,
      startedAtMs: 0, latencyMs: 3, outcome: 'rate_limited', degraded: undefined, deployment: undefined, attempts: [],
    };
    keel.gateway.router.events.emit('request', base);
    keel.gateway.router.events.emit('request', { ...base, outcome: 'ok', degraded: 'static' });
    const families = parsePrometheusText(await metrics.render());
    expect(valueOf(families, 'keel_shed_requests_total', { priority: 'batch' })).toBe(1);
    expect(valueOf(families, 'keel_degraded_responses_total', { route: 'smart', kind: 'static' })).toBe(1);
  });

  it('stops counting and forgets its metrics when closed', async () => {
    const other = createMetrics(keel.gateway.router, { defaultMetrics: false });
    other.close();
    expect((await chat('smart')).status).toBe(200);
    expect((await other.render()).trim()).toBe('');
  });
});
