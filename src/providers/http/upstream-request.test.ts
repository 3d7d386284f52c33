import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secrets } from '../../core/secrets.js';
import { closedPort, startLoopbackServer, type LoopbackServer } from '../../../test/support/loopback-server.js';
import { testDeployment } from '../../../test/support/test-deployment.js';
import { AttemptSignal } from '../attempt-signal.js';
import { StreamTimeoutError } from './network-failure.js';
import { closeAllPools } from './upstream-pool.js';
import { readBodyBuffer, readBodyText, safeMessage, sendUpstream } from './upstream-request.js';

let server: LoopbackServer;

beforeAll(async () => {
  server = await startLoopbackServer();
});

afterAll(async () => {
  await closeAllPools();
  await server.close();
});

describe('sendUpstream', () => {
  it("posts under the base URL's path with the deployment's headers and the request's own", async () => {
    let seen: { url?: string | undefined; headers?: Record<string, unknown>; body?: string } = {};
    server.answer((res, req, body) => {
      seen = { url: req.url, headers: req.headers, body: body.toString() };
      res.end('ok');
    });
    const deployment = testDeployment({ id: 'send-path', provider: 'openai', model: 'm', baseUrl: `${server.url}/v1/`, headers: { 'x-tenant': 't1' } });
    const sent = await sendUpstream({ deployment, path: '/chat/completions?x=1', headers: { authorization: 'Bearer k' }, body: '{"a":1}', signal: new AbortController().signal });
    expect(sent.ok).toBe(true);
    if (sent.ok) expect(await readBodyText(sent.response.body)).toBe('ok');
    expect(seen.url).toBe('/v1/chat/completions?x=1');
    expect(seen.headers).toMatchObject({ 'x-tenant': 't1', authorization: 'Bearer k' });
    expect(seen.body).toBe('{"a":1}');
  });

  it("is cut by an attempt's AttemptSignal while waiting for headers, and mid-body, with the signal's reason", async () => {
    server.answer(() => undefined); // never answers
    const deployment = testDeployment({ id: 'send-cut', provider: 'openai', model: 'm', baseUrl: server.url });
    const waiting = new AttemptSignal();
    const sending = sendUpstream({ deployment, path: '/x', headers: {}, body: '{}', signal: waiting });
    setTimeout(() => waiting.abort(new StreamTimeoutError('first_token', 50)), 50);
    expect(await sending).toEqual({ ok: false, failure: { outcome: 'timeout', message: 'no first token within 50 ms' } });

    server.answer((res) => res.write('{"partial":'));
    const reading = new AttemptSignal();
    const sent = await sendUpstream({ deployment, path: '/x', headers: {}, body: '{}', signal: reading });
    if (!sent.ok) throw new Error('expected headers');
    const body = readBodyBuffer(sent.response.body, 10_000);
    reading.abort();
    await expect(body).rejects.toMatchObject({ name: 'AbortError' });
    expect(reading.listenerCount('abort')).toBe(0); // undici let go of the signal
  });

  it('is a connect error when the connection is refused', async () => {
    const deployment = testDeployment({ id: 'send-refused', provider: 'openai', model: 'm', baseUrl: `http://127.0.0.1:${await closedPort()}` });
    const sent = await sendUpstream({ deployment, path: '/x', headers: {}, body: '', signal: new AbortController().signal });
    expect(sent).toEqual({ ok: false, failure: { outcome: 'connect_error', message: 'connection refused' } });
  });
});

describe('readBodyBuffer', () => {
  it('reads a whole body', async () => {
    const body = new PassThrough();
    body.write('ab');
    body.end('cd');
    expect((await readBodyBuffer(body, 1_000)).toString()).toBe('abcd');
  });

  it('fails with an idle timeout when the body stalls mid-way', async () => {
    const body = new PassThrough();
    body.write('{"partial":');
    await expect(readBodyBuffer(body, 100)).rejects.toBeInstanceOf(StreamTimeoutError);
    expect(body.destroyed).toBe(true);
  });

  it('waits as long as it takes without an idle budget', async () => {
    const body = new PassThrough();
    const reading = readBodyBuffer(body);
    setTimeout(() => body.end('late'), 200);
    expect((await reading).toString()).toBe('late');
  });
});

describe('readBodyText', () => {
  it('cuts an oversized error body at the cap and stops reading it', async () => {
    const body = new PassThrough();
    body.write('x'.repeat(30));
    body.write('y'.repeat(30)); // never ended: a body past the cap is not waited for
    expect(await readBodyText(body, 40)).toBe('x'.repeat(30) + 'y'.repeat(10));
    expect(body.destroyed).toBe(true);
  });
});

describe('safeMessage', () => {
  it('redacts key-shaped tokens a provider echoes back', () => {
    const text = safeMessage('Incorrect API key provided: sk-proj-abcdefghijklmnop1234. Also AIzaSyA1234567890abcdefghij and key_0123456789abcdef0.');
    expect(text).not.toMatch(/sk-proj-abc|AIzaSy|key_0123/);
    expect(text.match(/\[REDACTED\]/g)).toHaveLength(3);
    expect(text).toContain('Incorrect API key provided:');
  });

  it('redacts a registered secret whatever its shape', () => {
    secrets.add('hunter2-is-our-key');
    expect(safeMessage('upstream said: hunter2-is-our-key is wrong')).toBe('upstream said: [REDACTED] is wrong');
  });

  it('keeps short ordinary words and cuts long text', () => {
    expect(safeMessage('skip the keynote')).toBe('skip the keynote');
    expect(safeMessage('a'.repeat(600), 10)).toBe(`${'a'.repeat(10)}…`);
  });
});
