/**
 * The Bedrock provider against the real simulator on a loopback port, which verifies every SigV4
 * signature: translated and passed-through requests (the body edited in place), JSON and event-stream
 * answers, exceptions inside the stream, and errors classified by their Bedrock type. Credentials come
 * from the environment through AWS's own provider chain, as in production.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChatRequest } from '../../core/chat-request.js';
import { chatRequest } from '../../core/chat-request.js';
import type { AttemptResult } from '../types.js';
import { resetAwsCredentialChains } from './aws-credentials.js';
import { BedrockProvider } from './bedrock-provider.js';
import { streamedText, streamItems } from '../../../test/support/stream-items.js';
import { simulatorForTests } from '../../../test/support/simulator-for-tests.js';
import { testDeployment } from '../../../test/support/test-deployment.js';

const KEYS = { accessKeyId: 'AKIDBEDROCKTEST00000', secretAccessKey: 'bedrock-test-secret-0123456789abcdefgh' };
const MODEL = 'anthropic.claude-sonnet-4-5-20250929-v1:0';
const TIMEOUTS = { idleMs: 20_000 };

const sim = simulatorForTests({ aws: KEYS, models: [{ name: MODEL, reply: 'Hi from Bedrock' }, { name: 'tiny', contextWindow: 5 }] });
const provider = new BedrockProvider();
const saved = { id: process.env['AWS_ACCESS_KEY_ID'], secret: process.env['AWS_SECRET_ACCESS_KEY'] };

function useKeys(secretAccessKey: string): void {
  process.env['AWS_ACCESS_KEY_ID'] = KEYS.accessKeyId;
  process.env['AWS_SECRET_ACCESS_KEY'] = secretAccessKey;
  resetAwsCredentialChains();
}

beforeEach(() => useKeys(KEYS.secretAccessKey));
afterEach(() => {
  for (const [name, value] of [['AWS_ACCESS_KEY_ID', saved.id], ['AWS_SECRET_ACCESS_KEY', saved.secret]] as const) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  resetAwsCredentialChains();
});

const chat = (text: string, fields: Partial<ChatRequest> = {}): ChatRequest =>
  chatRequest({ model: 'claude', messages: [{ role: 'user', content: [{ type: 'text', text }] }], ...fields });

async function send(request: ChatRequest, options: { model?: string; passthroughBody?: Buffer } = {}): Promise<AttemptResult> {
  return provider.send({
    deployment: testDeployment({ id: 'bedrock-west', provider: 'bedrock', model: options.model ?? MODEL, baseUrl: sim().url, region: 'us-west-2' }),
    request,
    ...(options.passthroughBody === undefined ? {} : { passthroughBody: options.passthroughBody }),
    timeouts: TIMEOUTS,
    signal: new AbortController().signal,
    requestId: 'req_test',
  });
}

const items = streamItems;

const text = streamedText;

describe('BedrockProvider', () => {
  it('translates a request, signs it and decodes the JSON answer', async () => {
    const result = await send(chat('hello'));
    expect(result).toMatchObject({ kind: 'json', response: { content: [{ type: 'text', text: 'Hi from Bedrock' }], finishReason: 'stop' } });
    const seen = sim().stats().recent.at(-1)!;
    expect(seen.path).toBe(`/model/${encodeURIComponent(MODEL)}/invoke`);
    expect(seen.body).toMatchObject({ anthropic_version: 'bedrock-2023-05-31' });
    expect(seen.body).not.toHaveProperty('model');
    expect(seen.headers['authorization']).toMatch(/Credential=AKIDBEDROCKTEST00000\/\d{8}\/us-west-2\/bedrock\/aws4_request/);
  });

  it('passes an Anthropic body through with only model and stream swapped for anthropic_version', async () => {
    const raw = Buffer.from('{"model":"claude","max_tokens":20,"stream":true,"x_vendor_field":{"keep":1},"messages":[{"role":"user","content":"hi"}]}');
    const all = await items(await send(chat('hi', { stream: true }), { passthroughBody: raw }));
    expect(all.at(-1)).toEqual({ kind: 'end' });
    expect(text(all)).toBe('Hi from Bedrock');
    // Re-framed as Anthropic SSE for a same-format client.
    expect(all.find((i) => i.kind === 'data')).toMatchObject({ raw: expect.stringMatching(/^event: message_start\ndata: /) as string });
    const seen = sim().stats().recent.at(-1)!;
    expect(seen.path).toBe(`/model/${encodeURIComponent(MODEL)}/invoke-with-response-stream`);
    expect(seen.body).toEqual({ anthropic_version: 'bedrock-2023-05-31', max_tokens: 20, x_vendor_field: { keep: 1 }, messages: [{ role: 'user', content: 'hi' }] });
  });

  it('classifies a throttle, a context-length refusal and a wrong secret', async () => {
    sim().setFault(MODEL, { type: 'error', status: 429, times: 1 });
    expect(await send(chat('x'))).toMatchObject({ kind: 'failure', failure: { outcome: 'rate_limited', status: 429, providerCode: 'ThrottlingException' } });
    expect(await send(chat('a long prompt that does not fit'), { model: 'tiny' })).toMatchObject({ kind: 'failure', failure: { outcome: 'context_length', providerCode: 'ValidationException' } });
    useKeys('a-wrong-secret-0000000000000000000000');
    const denied = await send(chat('x'));
    expect(denied).toMatchObject({ kind: 'failure', failure: { outcome: 'auth', status: 403, providerCode: 'InvalidSignatureException' } });
    expect(JSON.stringify(denied)).not.toContain('a-wrong-secret');
  });

  it('refuses an image URL by name before any traffic', async () => {
    const request = chatRequest({ model: 'claude', messages: [{ role: 'user', content: [{ type: 'image', source: { kind: 'url', url: 'https://example.com/cat.png' } }] }] });
    expect(await send(request)).toMatchObject({ kind: 'failure', failure: { outcome: 'bad_request', message: 'image URLs are not supported by Bedrock deployment bedrock-west' } });
    expect(sim().stats().total).toBe(0);
  });

  it('ends a stream with the failure an exception message carries', async () => {
    sim().setFault(MODEL, { type: 'in_stream_error', afterTokens: 1 });
    const all = await items(await send(chat('hello there', { stream: true })));
    expect(all.at(-1)).toMatchObject({ kind: 'failure', failure: { outcome: 'overloaded', providerCode: 'ServiceUnavailableException' } });
  });

  it('drops a message whose CRC fails and still finishes; a cut stream is stream_cut', async () => {
    sim().setFault(MODEL, { type: 'malformed_chunk', afterTokens: 1, times: 1 });
    const all = await items(await send(chat('hello there', { stream: true })));
    expect(all.at(-1)).toEqual({ kind: 'end' });
    expect(text(all)).toBe('Hi from Bedrock');
    sim().setFault(MODEL, { type: 'stream_cut', afterTokens: 1, times: 1 });
    expect((await items(await send(chat('hello there', { stream: true })))).at(-1)).toMatchObject({ kind: 'failure', failure: { outcome: 'stream_cut' } });
  });

  it('says clearly when no credentials can be found', async () => {
    delete process.env['AWS_ACCESS_KEY_ID'];
    delete process.env['AWS_SECRET_ACCESS_KEY'];
    process.env['AWS_SHARED_CREDENTIALS_FILE'] = '/nonexistent/keel-test-credentials';
    process.env['AWS_CONFIG_FILE'] = '/nonexistent/keel-test-config';
    process.env['AWS_EC2_METADATA_DISABLED'] = 'true';
    resetAwsCredentialChains();
    try {
      const result = await send(chat('x'));
      expect(result).toMatchObject({ kind: 'failure', failure: { outcome: 'auth', message: expect.stringContaining('deployment bedrock-west: no AWS credentials') as string } });
    } finally {
      delete process.env['AWS_SHARED_CREDENTIALS_FILE'];
      delete process.env['AWS_CONFIG_FILE'];
      delete process.env['AWS_EC2_METADATA_DISABLED'];
    }
  });
});
