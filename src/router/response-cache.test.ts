import { describe, expect, it } from 'vitest';
import type { ChatRequest } from '../core/chat-request.js';
import type { ChatResponse } from '../core/chat-response.js';
import { ResponseCache, cacheKey } from './response-cache.js';

const answer = (text: string): ChatResponse => ({ id: text, model: 'm', created: 0, content: [{ type: 'text', text }], finishReason: 'stop', usage: { inputTokens: 1, outputTokens: 1 } });
const request = (text: string, extra: Partial<ChatRequest> = {}): ChatRequest => ({
  model: 'smart',
  system: [],
  messages: [{ role: 'user', content: [{ type: 'text', text }] }],
  tools: [],
  stop: [],
  sampling: { temperature: 0.5 },
  stream: false,
  streamUsage: false,
  extensions: {},
  untranslatable: [],
  ...extra,
});

describe('ResponseCache', () => {
  it('expires entries after their TTL and evicts the least recently used past its size', () => {
    const cache = new ResponseCache(2);
    cache.set('a', answer('a'), 1000, 0);
    cache.set('b', answer('b'), 1000, 0);
    expect(cache.get('a', 500)?.id).toBe('a'); // a is now the most recently used
    cache.set('c', answer('c'), 1000, 0);
    expect(cache.get('b', 500)).toBeUndefined();
    expect(cache.get('a', 999)?.id).toBe('a');
    expect(cache.get('a', 1000)).toBeUndefined();
    expect(cache.size).toBe(1);
  });
});

describe('cacheKey', () => {
  it('matches the same question whether streamed or not, and separates tenants, routes and prompts', () => {
    const key = cacheKey('t1', 'smart', request('hi'));
    expect(cacheKey('t1', 'smart', request('hi', { stream: true, streamUsage: true }))).toBe(key);
    expect(cacheKey('t2', 'smart', request('hi'))).not.toBe(key);
    expect(cacheKey('t1', 'other', request('hi'))).not.toBe(key);
    expect(cacheKey('t1', 'smart', request('hello'))).not.toBe(key);
    expect(cacheKey('t1', 'smart', request('hi', { sampling: { temperature: 0.9 } }))).not.toBe(key);
  });
});
