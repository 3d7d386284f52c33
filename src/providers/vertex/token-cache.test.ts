import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/clock.js';
import { TokenCache, type AccessToken } from './token-cache.js';

const HOUR = 3_600_000;
const MINUTE = 60_000;

function fetcher(clock: ManualClock): { fetch: () => Promise<AccessToken>; calls: () => number } {
  let n = 0;
  return {
    fetch: async () => {
      n += 1;
      return { token: `ya29.token-${n}`, expiresAtMs: clock.now() + HOUR };
    },
    calls: () => n,
  };
}

describe('TokenCache', () => {
  it('reuses a token until the refresh margin, then fetches a new one before expiry', async () => {
    const clock = new ManualClock(1_000_000);
    const source = fetcher(clock);
    const cache = new TokenCache(source.fetch, clock, 5 * MINUTE);
    expect(await cache.get()).toBe('ya29.token-1');
    clock.advance(54 * MINUTE);
    expect(await cache.get()).toBe('ya29.token-1');
    clock.advance(1 * MINUTE + 1); // inside the last five minutes: refreshed, not yet expired
    expect(await cache.get()).toBe('ya29.token-2');
    expect(source.calls()).toBe(2);
  });

  it('shares one fetch between concurrent callers', async () => {
    const clock = new ManualClock(0);
    const source = fetcher(clock);
    const cache = new TokenCache(source.fetch, clock);
    const tokens = await Promise.all([cache.get(), cache.get(), cache.get()]);
    expect(tokens).toEqual(['ya29.token-1', 'ya29.token-1', 'ya29.token-1']);
    expect(source.calls()).toBe(1);
  });

  it('does not cache a failure', async () => {
    const clock = new ManualClock(0);
    let fail = true;
    const cache = new TokenCache(async () => {
      if (fail) throw new Error('metadata server unreachable');
      return { token: 'ya29.ok', expiresAtMs: clock.now() + HOUR };
    }, clock);
    await expect(cache.get()).rejects.toThrow('metadata server unreachable');
    fail = false;
    expect(await cache.get()).toBe('ya29.ok');
  });

  it('fetches again when a token arrives already inside its margin', async () => {
    const clock = new ManualClock(0);
    let n = 0;
    const cache = new TokenCache(async () => ({ token: `short-${++n}`, expiresAtMs: clock.now() + MINUTE }), clock, 5 * MINUTE);
    await cache.get();
    await cache.get();
    expect(n).toBe(2);
  });
});
