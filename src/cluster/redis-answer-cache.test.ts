/**
 * The Redis answer cache against a real Redis: an answer one replica remembered is served by another until
 * its TTL, and a replica cut off from Redis falls back to what it remembered itself. Without a reachable
 * Redis the file fails, naming how to get one.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_REDIS_URL, requireService } from '../../test/support/test-services.js';
import type { ChatResponse } from '../core/chat-response.js';
import { RedisAnswerCache } from './redis-answer-cache.js';
import { closeSharedRedis, openSharedRedis } from './redis-connection.js';

await requireService('redis');

const prefix = `keel-test-${randomBytes(4).toString('hex')}`;
const a = openSharedRedis(TEST_REDIS_URL, { name: 'answer-cache-test-a' });
const b = openSharedRedis(TEST_REDIS_URL, { name: 'answer-cache-test-b' });
const answer: ChatResponse = { id: 'r1', model: 'm', created: 1, content: [{ type: 'text', text: 'cached words' }], finishReason: 'stop', usage: { inputTokens: 1, outputTokens: 2 } };

const ready = (client: typeof a): Promise<void> => (client.status === 'ready' ? Promise.resolve() : new Promise((r) => client.once('ready', () => r())));

beforeAll(async () => {
  await Promise.all([ready(a), ready(b)]);
});

afterAll(async () => {
  const keys = await a.keys(`${prefix}:answers:*`);
  if (keys.length > 0) await a.del(...keys);
  await closeSharedRedis(a);
  await closeSharedRedis(b);
});

describe('RedisAnswerCache', () => {
  it('serves on one replica what another remembered, until the TTL', async () => {
    const one = new RedisAnswerCache(a, { prefix });
    const two = new RedisAnswerCache(b, { prefix });
    one.set('k1', answer, 300, Date.now());
    await new Promise((r) => setTimeout(r, 50));
    expect(await two.get('k1', Date.now())).toEqual(answer);
    expect(two.stats.hits).toBe(1);
    await new Promise((r) => setTimeout(r, 400));
    expect(await two.get('k1', Date.now())).toBeUndefined();
  });

  it('falls back to what this replica remembered when Redis is unreachable', async () => {
    const dead = openSharedRedis('redis://127.0.0.1:1', { name: 'answer-cache-dead', commandTimeoutMs: 100 });
    dead.on('error', () => undefined);
    const cache = new RedisAnswerCache(dead, { prefix });
    cache.set('k2', answer, 60_000, Date.now());
    expect(await cache.get('k2', Date.now())).toEqual(answer);
    expect(cache.stats.failures).toBeGreaterThan(0);
    dead.disconnect();
  });
});
