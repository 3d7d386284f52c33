import { describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.js';
import { BreakerRegistry } from './breaker-registry.js';
import type { CircuitStateChangeEvent } from './circuit-breaker.js';

function fail(registry: BreakerRegistry, id: string, times: number): void {
  const breaker = registry.get(id);
  for (let i = 0; i < times; i++) {
    const result = breaker.tryAcquire();
    if (result.allowed) breaker.onResult(result.permit, 'server_error');
  }
}

describe('BreakerRegistry', () => {
  it('creates one breaker per deployment, on first use', () => {
    const registry = new BreakerRegistry({}, new ManualClock());
    expect(registry.get('a')).toBe(registry.get('a'));
    expect(registry.get('a')).not.toBe(registry.get('b'));
    expect(Object.keys(registry.toJSON())).toEqual(['a', 'b']);
  });

  it('applies its options to every breaker', () => {
    const registry = new BreakerRegistry({ consecutiveFailuresToOpen: 2 }, new ManualClock());
    fail(registry, 'a', 2);
    expect(registry.isOpen('a')).toBe(true);
  });

  it('forwards every breaker state change to its listeners', () => {
    const clock = new ManualClock(5_000);
    const registry = new BreakerRegistry({}, clock, () => 0.5);
    const events: CircuitStateChangeEvent[] = [];
    const off = registry.on('stateChange', (event) => events.push(event));
    fail(registry, 'a', 5);
    registry.get('b').forceOpen();
    expect(events).toEqual([
      { deploymentId: 'a', from: 'closed', to: 'open', atMs: 5_000, reason: 'consecutive_failures', untilMs: 35_000 },
      { deploymentId: 'b', from: 'closed', to: 'forced_open', atMs: 5_000, reason: 'forced_open' },
    ]);
    off();
    registry.get('b').forceClose();
    expect(events).toHaveLength(2);
  });

  it('answers isOpen: open and not yet due a probe, or forced', () => {
    const clock = new ManualClock();
    const registry = new BreakerRegistry({}, clock, () => 0.5);
    expect(registry.isOpen('never-seen')).toBe(false);
    fail(registry, 'a', 5);
    expect(registry.isOpen('a')).toBe(true);
    clock.advance(30_000);
    expect(registry.isOpen('a')).toBe(false); // a probe would be admitted
    registry.get('c').forceOpen();
    expect(registry.isOpen('c')).toBe(true);
  });

  it('picks the least recently failed deployment, skipping forced-open ones', () => {
    const clock = new ManualClock();
    const registry = new BreakerRegistry({}, clock, () => 0.5);
    fail(registry, 'a', 5);
    clock.advance(1_000);
    fail(registry, 'b', 5);
    clock.advance(1_000);
    fail(registry, 'c', 5);
    expect(registry.leastRecentlyFailed(['c', 'b', 'a'])).toBe('a');
    registry.get('a').forceOpen();
    expect(registry.leastRecentlyFailed(['c', 'b', 'a'])).toBe('b');
    // A deployment that never failed comes first; ties keep the caller's (priority) order.
    expect(registry.leastRecentlyFailed(['c', 'fresh', 'b', 'fresher'])).toBe('fresh');
    expect(registry.leastRecentlyFailed(['a'])).toBeUndefined();
    expect(registry.leastRecentlyFailed([])).toBeUndefined();
  });

  it('lets the router try an open deployment as a last resort', () => {
    const clock = new ManualClock();
    const registry = new BreakerRegistry({}, clock, () => 0.5);
    fail(registry, 'a', 5);
    fail(registry, 'b', 5);
    const chosen = registry.leastRecentlyFailed(['a', 'b']);
    expect(chosen).toBe('a');
    const breaker = registry.get(chosen ?? '');
    breaker.onResult(breaker.acquireLastResort(), 'ok');
    expect(registry.isOpen('a')).toBe(false);
    expect(registry.isOpen('b')).toBe(true);
  });
});
