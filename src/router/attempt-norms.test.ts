import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.js';
import { AttemptNorms } from './attempt-norms.js';

const CONFIGURED = { ttftMs: 30_000, idleMs: 30_000 };

function learned(samples: number[], mode: 'stream' | 'json' = 'stream', clock = new ManualClock(1_000_000)): AttemptNorms {
  const norms = new AttemptNorms(clock);
  for (const ms of samples) norms.record('d1', mode, 'first_token', ms);
  return norms;
}

/** The p99 as a sort finds it: the sample at ceil(0.99 n) in ascending order. */
function sortedP99(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)]!;
}

describe('AttemptNorms', () => {
  it('finds the p99 of the fresh samples that a sort would, whatever their order, repeats, age or count (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 5_000 }), { minLength: 20, maxLength: 1_500 }), fc.nat(), (samples, split) => {
        const clock = new ManualClock(1_000_000);
        const norms = new AttemptNorms(clock, { maxSamples: 1_000 });
        // The first part is recorded 11 minutes ago: past the 10-minute TTL, so only the rest counts.
        const old = samples.length > 40 ? split % (samples.length - 20) : 0;
        samples.forEach((ms, i) => {
          if (i === old) clock.advance(660_000);
          norms.record('d1', 'json', 'headers', ms);
        });
        const kept = samples.slice(old).slice(-1_000);
        expect(norms.p99Ms('d1', 'json', 'headers')).toBe(sortedP99(kept));
      }),
      { numRuns: 300 },
    );
  });

  it('leaves the configured timeouts in charge until a deployment has enough samples', () => {
    const limits = learned(Array(19).fill(100)).limitsFor('d1', 'stream', CONFIGURED);
    expect(limits).toEqual({ headersOverdueMs: undefined, firstTokenOverdueMs: undefined, firstTokenLimitMs: 30_000, idleLimitMs: 30_000 });
  });

  it('calls a fast deployment overdue a second past its p99 and cuts it four seconds past', () => {
    const limits = learned(Array.from({ length: 100 }, (_, i) => 100 + i)).limitsFor('d1', 'stream', CONFIGURED);
    // p99 of 100..199 is 198
    expect(limits.firstTokenOverdueMs).toBe(1_198);
    expect(limits.firstTokenLimitMs).toBe(4_198);
  });

  it("judges a slow deployment by its own norm: a 40 s thinker is not cut at a fast model's limit", () => {
    const limits = learned(Array(50).fill(40_000)).limitsFor('d1', 'stream', { ttftMs: 300_000, idleMs: 30_000 });
    expect(limits.firstTokenOverdueMs).toBe(80_000);
    expect(limits.firstTokenLimitMs).toBe(200_000);
  });

  it('never goes above the configured timeout', () => {
    const limits = learned(Array(50).fill(20_000)).limitsFor('d1', 'stream', CONFIGURED);
    expect(limits.firstTokenOverdueMs).toBe(30_000);
    expect(limits.firstTokenLimitMs).toBe(30_000);
  });

  it('keeps streamed and JSON answers apart, and deployments apart', () => {
    const norms = learned(Array(30).fill(2_000), 'json');
    expect(norms.limitsFor('d1', 'stream', CONFIGURED).firstTokenOverdueMs).toBeUndefined();
    expect(norms.limitsFor('d2', 'json', CONFIGURED).firstTokenOverdueMs).toBeUndefined();
    expect(norms.limitsFor('d1', 'json', CONFIGURED).firstTokenOverdueMs).toBe(4_000);
  });

  it('derives the stream idle limit from the longest normal gaps', () => {
    const norms = new AttemptNorms(new ManualClock());
    for (let i = 0; i < 30; i++) norms.record('d1', 'stream', 'gap', 50);
    expect(norms.limitsFor('d1', 'stream', CONFIGURED).idleLimitMs).toBe(1_050);
  });

  it('forgets samples older than ten minutes, so the configured values rule again after a quiet spell', () => {
    const clock = new ManualClock(0);
    const norms = learned(Array(30).fill(100), 'stream', clock);
    expect(norms.limitsFor('d1', 'stream', CONFIGURED).firstTokenOverdueMs).toBe(1_100);
    clock.advance(600_001);
    expect(norms.limitsFor('d1', 'stream', CONFIGURED).firstTokenOverdueMs).toBeUndefined();
  });

  it('follows a deployment that got slower as its recent samples change', () => {
    const norms = learned(Array(200).fill(100));
    for (let i = 0; i < 200; i++) norms.record('d1', 'stream', 'first_token', 1_000);
    expect(norms.limitsFor('d1', 'stream', CONFIGURED).firstTokenOverdueMs).toBe(2_000);
  });
});
