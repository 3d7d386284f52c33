import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { LabelTally, TalliedHistogram, talliedCounter } from './label-tally.js';

describe('LabelTally', () => {
  it('renders at scrape exactly what direct incs render', async () => {
    const direct = new Registry();
    const tallied = new Registry();
    const counter = new Counter({ name: 'c_total', help: 'h', labelNames: ['route', 'outcome'] as const, registers: [direct] });
    const tally = talliedCounter({ name: 'c_total', help: 'h', labelNames: ['route', 'outcome'] as const, registers: [tallied] });
    const calls: Array<[number, string, string]> = [[1, 'a', 'ok'], [1, 'a', 'ok'], [3, 'b', 'timeout'], [0, 'c', 'ok'], [2.5, 'a', 'ok']];
    for (const [n, route, outcome] of calls) {
      counter.inc({ route, outcome }, n);
      tally.add(n, route, outcome);
    }
    const rendered = await tallied.metrics();
    expect(rendered).toBe(await direct.metrics());
    expect(rendered).toContain('c_total{route="c",outcome="ok"} 0'); // counted with 0: the series exists
    // Deltas are handed over once: a second scrape, after more counts, adds only those.
    counter.inc({ route: 'b', outcome: 'timeout' }, 1);
    tally.add(1, 'b', 'timeout');
    expect(await tallied.metrics()).toBe(await direct.metrics());
    expect(await tallied.metrics()).toContain('c_total{route="b",outcome="timeout"} 4');
  });

  it('keeps label sets apart that share a prefix of values', () => {
    const tally = new LabelTally(['a', 'b', 'c', 'd'] as const);
    tally.add(1, 'x', 'y', 'z', 'w');
    tally.add(2, 'x', 'y', 'z', 'v');
    tally.add(4, 'x', 'q', 'z', 'w');
    const seen: Array<[Record<string, string>, number]> = [];
    tally.drainInto({ inc: (labels: Record<string, string>, n?: number) => seen.push([labels, n ?? 1]) } as never);
    expect(seen).toEqual([
      [{ a: 'x', b: 'y', c: 'z', d: 'w' }, 1],
      [{ a: 'x', b: 'y', c: 'z', d: 'v' }, 2],
      [{ a: 'x', b: 'q', c: 'z', d: 'w' }, 4],
    ]);
  });

  it('drops what prom-client would refuse, so a bad figure never breaks a scrape nor reaches the router', async () => {
    const registry = new Registry();
    const tally = talliedCounter({ name: 'c_total', help: 'h', labelNames: ['a'] as const, registers: [registry] });
    const histogram = new TalliedHistogram({ name: 'h_seconds', help: 'h', labelNames: ['a'] as const, buckets: [1], registers: [registry] });
    tally.add(1, 'x');
    for (const bad of [Number.NaN, -1, Number.POSITIVE_INFINITY]) tally.add(bad, 'x');
    histogram.observe(Number.NaN, 'x');
    const rendered = await registry.metrics();
    expect(rendered).toContain('c_total{a="x"} 1');
    expect(rendered).not.toContain('h_seconds_count');
    // A missing label value is a bug in the caller, not a figure: it is thrown.
    expect(() => tally.add(1, undefined as unknown as string)).toThrow('label value 1 is missing');
  });
});

describe('TalliedHistogram', () => {
  it("renders what prom-client's own histogram renders for the same observations", async () => {
    const direct = new Registry();
    const tallied = new Registry();
    const buckets = [0.1, 0.5, 1, 5];
    const histogram = new Histogram({ name: 'h_seconds', help: 'h', labelNames: ['route'] as const, buckets, registers: [direct] });
    const tally = new TalliedHistogram({ name: 'h_seconds', help: 'h', labelNames: ['route'] as const, buckets, registers: [tallied] });
    // On a bound, between bounds, above them all, and 0.
    for (const [value, route] of [[0.1, 'a'], [0.3, 'a'], [7, 'a'], [0, 'b'], [1, 'b'], [0.5, 'a']] as const) {
      histogram.observe({ route }, value);
      tally.observe(value, route);
    }
    const rendered = await tallied.metrics();
    expect(rendered).toBe(await direct.metrics());
    expect(rendered).toContain('h_seconds_bucket{le="0.5",route="a"} 3');
    expect(rendered).toContain('h_seconds_bucket{le="+Inf",route="a"} 4');
    expect(rendered).toContain('h_seconds_count{route="b"} 2');
    tallied.resetMetrics();
    expect(await tallied.metrics()).toBe('# HELP h_seconds h\n# TYPE h_seconds histogram\n');
  });
});
