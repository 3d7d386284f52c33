import { describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.js';
import { OUTCOMES } from '../core/outcome.js';
import { AdaptiveThrottle, isThrottleAccept, type ThrottleRejectedEvent } from './adaptive-throttle.js';

const never = (): number => 0.999_999;
const always = (): number => 0;

describe('AdaptiveThrottle', () => {
  it('never rejects while the backend accepts', () => {
    const throttle = new AdaptiveThrottle({}, new ManualClock());
    for (let i = 0; i < 100; i++) throttle.record('a', true);
    expect(throttle.rejectProbability('a')).toBe(0);
    expect(throttle.shouldReject('a', always)).toBe(false);
  });

  it('follows max(0, (requests − K·accepts) / (requests + 1))', () => {
    const throttle = new AdaptiveThrottle({}, new ManualClock());
    // 10 requests, 5 accepted: 10 − 2·5 = 0 → no rejection; K = 2 tolerates half being refused.
    for (let i = 0; i < 5; i++) throttle.record('a', true);
    for (let i = 0; i < 5; i++) throttle.record('a', false);
    expect(throttle.rejectProbability('a')).toBe(0);
    // 20 requests, 5 accepted: (20 − 10) / 21.
    for (let i = 0; i < 10; i++) throttle.record('a', false);
    expect(throttle.rejectProbability('a')).toBeCloseTo(10 / 21, 12);
    // 100 requests, none accepted: 100 / 101.
    const dead = new AdaptiveThrottle({}, new ManualClock());
    for (let i = 0; i < 100; i++) dead.record('b', false);
    expect(dead.rejectProbability('b')).toBeCloseTo(100 / 101, 12);
  });

  it('honours a custom K', () => {
    const throttle = new AdaptiveThrottle({ k: 1.5 }, new ManualClock());
    for (let i = 0; i < 4; i++) throttle.record('a', true);
    for (let i = 0; i < 6; i++) throttle.record('a', false);
    expect(throttle.rejectProbability('a')).toBeCloseTo((10 - 6) / 11, 12);
  });

  it('rejects by comparing the random draw with the probability', () => {
    const throttle = new AdaptiveThrottle({}, new ManualClock());
    for (let i = 0; i < 9; i++) throttle.record('a', false); // p = 9/10
    expect(throttle.shouldReject('a', () => 0.89)).toBe(true);
    const p = throttle.rejectProbability('a'); // the rejection counted: 10/11
    expect(p).toBeCloseTo(10 / 11, 12);
    expect(throttle.shouldReject('a', () => p)).toBe(false);
  });

  it('counts local rejections as requests, so the probability holds while the backend refuses', () => {
    const throttle = new AdaptiveThrottle({}, new ManualClock());
    for (let i = 0; i < 10; i++) throttle.record('a', false);
    const before = throttle.rejectProbability('a');
    for (let i = 0; i < 10; i++) expect(throttle.shouldReject('a', always)).toBe(true);
    expect(throttle.rejectProbability('a')).toBeGreaterThan(before);
    expect(throttle.rejectProbability('a')).toBeCloseTo(20 / 21, 12);
  });

  it('forgets history older than the window (2 min)', () => {
    const clock = new ManualClock();
    const throttle = new AdaptiveThrottle({}, clock);
    for (let i = 0; i < 50; i++) throttle.record('a', false);
    clock.advance(60_000);
    for (let i = 0; i < 50; i++) throttle.record('a', true);
    expect(throttle.rejectProbability('a')).toBe(0);
    clock.advance(59_999);
    expect(throttle.rejectProbability('a')).toBe(0);
    const dead = new AdaptiveThrottle({}, clock);
    for (let i = 0; i < 50; i++) dead.record('b', false);
    clock.advance(119_000);
    expect(dead.rejectProbability('b')).toBeCloseTo(50 / 51, 12);
    clock.advance(1_000);
    expect(dead.rejectProbability('b')).toBe(0);
    expect(dead.shouldReject('b', always)).toBe(false);
  });

  it('keeps deployments apart', () => {
    const throttle = new AdaptiveThrottle({}, new ManualClock());
    for (let i = 0; i < 50; i++) throttle.record('a', false);
    expect(throttle.rejectProbability('b')).toBe(0);
    expect(throttle.shouldReject('a', never)).toBe(false);
  });

  it('emits rejected events', () => {
    const throttle = new AdaptiveThrottle({}, new ManualClock(7));
    const events: ThrottleRejectedEvent[] = [];
    throttle.on('rejected', (event) => events.push(event));
    for (let i = 0; i < 3; i++) throttle.record('a', false);
    throttle.shouldReject('a', always);
    expect(events).toEqual([{ deploymentId: 'a', atMs: 7, rejectProbability: 3 / 4 }]);
  });

  it('treats provider faults as not accepted and everything else as accepted', () => {
    const refused = OUTCOMES.filter((outcome) => !isThrottleAccept(outcome));
    expect(refused.sort()).toEqual(['connect_error', 'overloaded', 'rate_limited', 'server_error', 'stream_cut', 'timeout']);
    const throttle = new AdaptiveThrottle({}, new ManualClock());
    throttle.recordOutcome('a', 'bad_request');
    throttle.recordOutcome('a', 'overloaded');
    expect(throttle.toJSON()).toEqual({
      a: { window: { buckets: [{ startMs: 0, counts: { requests: 2, accepts: 1 } }] } },
    });
  });
});

describe('AdaptiveThrottle.reset', () => {
  it('forgets a deployment so a recovered one is not starved by its own rejections', () => {
    const throttle = new AdaptiveThrottle();
    for (let i = 0; i < 50; i++) throttle.record('a', false);
    expect(throttle.rejectProbability('a')).toBeGreaterThan(0.9);
    throttle.reset('a');
    expect(throttle.rejectProbability('a')).toBe(0);
  });
});
