import { describe, expect, it } from 'vitest';
import { judgeJson, judgeStreamEvent } from './answer-reader.js';

describe('judgeJson', () => {
  it('accepts a well-formed answer in the client format', () => {
    expect(judgeJson('openai', 200, JSON.stringify({ choices: [{ message: { content: 'hi' } }] }))).toEqual({ kind: 'ok' });
    expect(judgeJson('anthropic', 200, JSON.stringify({ type: 'message', content: [{ type: 'text', text: 'hi' }] }))).toEqual({ kind: 'ok' });
  });

  it('names a clean error by what the SDK would see', () => {
    expect(judgeJson('openai', 503, JSON.stringify({ error: { message: 'down', type: 'server_error', code: 'all_deployments_failed' } }))).toEqual({ kind: 'error', errorType: '503 all_deployments_failed' });
    expect(judgeJson('anthropic', 529, JSON.stringify({ type: 'error', error: { type: 'overloaded_error', message: 'busy' } }))).toEqual({ kind: 'error', errorType: '529 overloaded_error' });
  });

  it('calls an answer without a body in the right shape lost', () => {
    expect(judgeJson('openai', 502, '<html>bad gateway</html>').kind).toBe('lost');
    expect(judgeJson('anthropic', 503, JSON.stringify({ error: { message: 'openai-shaped' } })).kind).toBe('lost');
    expect(judgeJson('openai', 200, '{"choices": [').kind).toBe('lost');
    expect(judgeJson('anthropic', 200, JSON.stringify({ choices: [{ message: { content: 'x' } }] })).kind).toBe('lost');
  });
});

describe('judgeStreamEvent', () => {
  it('reads content, terminators and in-stream errors in both formats', () => {
    expect(judgeStreamEvent('openai', JSON.stringify({ choices: [{ delta: { content: 'Hel' } }] }))).toBe('content');
    expect(judgeStreamEvent('openai', JSON.stringify({ choices: [{ delta: { role: 'assistant' } }] }))).toBe('other');
    expect(judgeStreamEvent('openai', '[DONE]')).toBe('done');
    expect(judgeStreamEvent('openai', JSON.stringify({ error: { message: 'cut', type: 'server_error', code: 'stream_interrupted' } }))).toEqual({ error: 'stream stream_interrupted' });
    expect(judgeStreamEvent('anthropic', JSON.stringify({ type: 'content_block_delta', delta: { type: 'text_delta', text: 'Hel' } }))).toBe('content');
    expect(judgeStreamEvent('anthropic', JSON.stringify({ type: 'message_stop' }))).toBe('done');
    expect(judgeStreamEvent('anthropic', JSON.stringify({ type: 'error', error: { type: 'overloaded_error', message: 'x' } }))).toEqual({ error: 'stream overloaded_error' });
  });

  it('flags what no client could parse', () => {
    expect(judgeStreamEvent('openai', '{"choices": [')).toEqual({ malformed: 'an event that is not JSON' });
    expect(judgeStreamEvent('anthropic', JSON.stringify({ nope: true }))).toEqual({ malformed: 'an event without a type' });
  });
});
