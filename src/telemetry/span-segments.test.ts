/**
 * The fixed parts of spans, kept per combination of facts: a part found again must be the one those facts
 * would build, whichever fact changed (a part kept for one outcome, deployment or kind and served for
 * another would export wrong attributes), and the parts kept stay bounded however many combinations pass.
 */
import { describe, expect, it } from 'vitest';
import type { AttemptRecord, RequestRecord } from '../router/router-types.js';
import { SpanSegments } from './span-segments.js';

const attempt: AttemptRecord = {
  requestId: 'r1',
  route: 'smart',
  deployment: 'primary',
  provider: 'openai',
  model: 'gpt-x',
  outcome: 'ok',
  startedAtMs: 1_000,
  latencyMs: 20,
  kind: 'first',
  status: 200,
  usage: { inputTokens: 3, outputTokens: 7 },
};

const request: RequestRecord = {
  requestId: 'r1',
  route: 'smart',
  tenant: undefined,
  priority: 'interactive',
  clientFormat: 'openai',
  stream: false,
  startedAtMs: 1_000,
  latencyMs: 25,
  outcome: 'ok',
  degraded: undefined,
  deployment: 'primary',
  attempts: [attempt],
};

const fallback: AttemptRecord = { ...attempt, deployment: 'fallback', provider: 'anthropic', model: 'claude-x', kind: 'failover' };

/** Each request differs from `request` in one fact, with the attempt that answered it. */
const requests: Array<[string, RequestRecord, AttemptRecord | undefined]> = [
  ['route', { ...request, route: 'cheap' }, attempt],
  ['stream', { ...request, stream: true }, attempt],
  ['outcome', { ...request, outcome: 'all_deployments_failed', deployment: undefined }, undefined],
  ['client format', { ...request, clientFormat: 'anthropic' }, attempt],
  ['priority', { ...request, priority: 'batch' }, attempt],
  ['attempts', { ...request, attempts: [{ ...attempt, outcome: 'overloaded' }, attempt] }, attempt],
  ['degraded', { ...request, degraded: 'cache', deployment: undefined }, undefined],
  ['answering deployment', { ...request, deployment: 'fallback' }, fallback],
];

const attempts: Array<[string, AttemptRecord]> = [
  ['model', { ...attempt, model: 'gpt-y' }],
  ['provider', { ...attempt, provider: 'azure-openai' }],
  ['deployment', { ...attempt, deployment: 'secondary' }],
  ['kind', { ...attempt, kind: 'hedge' }],
  ['outcome', { ...attempt, outcome: 'overloaded', status: 529 }],
  ['status', { ...attempt, status: 201 }],
  ['cancelled', { ...attempt, cancelled: true }],
];

describe('span segments', () => {
  it('serve each request the part its own facts build, whichever fact differs', () => {
    const segments = new SpanSegments();
    for (const [fact, record, answered] of requests) {
      segments.request(request, attempt); // the usual combination, kept first
      const part = segments.request(record, answered);
      const fresh = new SpanSegments().request(record, answered);
      expect(part.name, fact).toBe(fresh.name);
      expect(part.segment.attributes, fact).toEqual(fresh.segment.attributes);
      expect(segments.request(record, answered), fact).toBe(part); // found again, not built again
    }
    expect(Object.fromEntries(segments.request(request, attempt).segment.attributes)).toMatchObject({
      'keel.route': 'smart',
      'keel.outcome': 'ok',
      'keel.deployment': 'primary',
      'gen_ai.provider.name': 'openai',
      'gen_ai.response.model': 'gpt-x',
      'keel.attempts': 1,
    });
    const failed = segments.request(requests[2]![1], undefined).segment.attributes;
    expect(Object.fromEntries(failed)).toMatchObject({ 'keel.outcome': 'all_deployments_failed', 'error.type': 'all_deployments_failed' });
    expect(failed.map(([key]) => key)).not.toContain('gen_ai.response.model');
  });

  it('serve each attempt the part its own facts build, whichever fact differs', () => {
    const segments = new SpanSegments();
    for (const [fact, record] of attempts) {
      segments.attempt(attempt);
      const part = segments.attempt(record);
      const fresh = new SpanSegments().attempt(record);
      expect(part.name, fact).toBe(fresh.name);
      expect(part.segment.attributes, fact).toEqual(fresh.segment.attributes);
    }
    const overloaded = Object.fromEntries(segments.attempt(attempts[4]![1]).segment.attributes);
    expect(overloaded).toMatchObject({ 'keel.attempt.outcome': 'overloaded', 'error.type': 'overloaded', 'http.response.status_code': 529 });
    expect(overloaded['gen_ai.response.model']).toBeUndefined();
  });

  it('keep a bounded number of parts, the newest', () => {
    const segments = new SpanSegments();
    const parts = Array.from({ length: 100 }, (_, i) => segments.request({ ...request, route: `route-${i}` }, attempt));
    expect(segments.request({ ...request, route: 'route-99' }, attempt)).toBe(parts[99]); // still kept
    expect(segments.request({ ...request, route: 'route-0' }, attempt)).not.toBe(parts[0]); // long replaced, built again
    expect(segments.request({ ...request, route: 'route-0' }, attempt).name).toBe('chat route-0');
  });
});
