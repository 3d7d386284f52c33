/**
 * Property-based fuzzing (fast-check) of everything a stranger can send Keel: every client surface
 * in-process (thousands of cases each, behind a virtual-key gate, against the real simulator), the same
 * surfaces over real HTTP with raw sockets (malformed HTTP, huge headers, slow clients), and the config
 * loader. Every input must end as a 2xx or a clean 4xx in the right error format — never a 5xx from Keel
 * itself, an exception, or a socket left hanging. Upstream trouble is ruled out (the simulator is healthy),
 * so any 5xx here is Keel's.
 */
import { connect } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleApiRequest, type HandleOptions } from '../../src/api/handle-request.js';
import { ConfigError, parseConfig } from '../../src/config/load-config.js';
import type { GatewaySecurity } from '../../src/server/auth/gateway-security.js';
import { startKeel, type RunningKeel } from '../../src/server/start-keel.js';
import { silentLogger } from '../support/silent-logger.js';
import { bodies, headerSets, rawHttpRequests, validConfig, configMutations } from '../support/fuzz-arbitraries.js';

const RUNS_IN_PROCESS = Number(process.env['KEEL_FUZZ_RUNS'] ?? 2_000);
const RUNS_HTTP = Math.ceil(RUNS_IN_PROCESS / 10);
const HANG_MS = 5_000;

let keel: RunningKeel;
let security: GatewaySecurity;
let key: string;

beforeAll(async () => {
  keel = await startKeel({
    port: 0,
    logger: silentLogger(),
    env: {},
    config: {
      server: { headers_timeout_ms: 500, request_timeout_ms: 1_000, max_header_bytes: 8 * 1024, max_messages: 50, max_tools: 20 },
      simulator: { token_delay_ms: 0 },
      resilience: { adaptive_throttle: { enabled: false }, admission: { max_concurrent: 1_000 } },
      deployments: [
        { id: 'oa', provider: 'openai', model: 'sim-oa', simulated: true, capabilities: { prefill: true } },
        { id: 'an', provider: 'anthropic', model: 'sim-an', simulated: true },
        { id: 'em', provider: 'openai', model: 'sim-embed', simulated: true, capabilities: { embedding_model: 'text-embedding-3-small' } },
      ],
      routes: { smart: { deployments: ['oa', 'an'] }, claude: { deployments: ['an', 'oa'] }, embed: { deployments: ['em'] } },
    },
  });
  key = (await keel.security.keys.create({ name: 'fuzz', priority: 'interactive' }, 'test')).secret;
  security = keel.security.attach(keel.gateway.router);
}, 30_000);

afterAll(async () => {
  await security?.close();
  await keel?.stop();
});

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`hung: ${what}`)), HANG_MS)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A clean answer: 2xx, or a 4xx whose body is the surface's own error shape. Never a 5xx. */
function expectClean(format: 'openai' | 'anthropic' | 'gemini', status: number, body: string): void {
  expect(status, body.slice(0, 300)).toBeLessThan(500);
  if (status < 400) return;
  const json = JSON.parse(body) as Record<string, any>;
  if (format === 'gemini') {
    expect(json['error']?.code).toBe(status);
    expect(typeof json['error']?.status).toBe('string');
    expect(typeof json['error']?.message).toBe('string');
  } else if (format === 'anthropic') {
    expect(json['type']).toBe('error');
    expect(typeof json['error']?.type).toBe('string');
    expect(typeof json['error']?.message).toBe('string');
  } else {
    expect(typeof json['error']?.message).toBe('string');
    expect(typeof json['error']?.type).toBe('string');
  }
}

async function inProcess(path: string, format: 'openai' | 'anthropic' | 'gemini', body: Buffer, headers: Record<string, string>): Promise<void> {
  const options: HandleOptions = { gate: security.gate, limits: { maxJsonDepth: 64, maxMessages: 50, maxTools: 20 } };
  const handled = await handleApiRequest(
    { method: 'POST', path, headers: { 'content-type': 'application/json', ...headers }, requestId: 'fuzz', signal: new AbortController().signal, trail: {}, readBody: async () => body },
    keel.gateway.router,
    options,
  );
  expect(handled.internal).toBeUndefined();
  const { status, body: answer } = handled.answer;
  let text = '';
  if (typeof answer === 'string' || Buffer.isBuffer(answer)) text = answer.toString();
  else for await (const frame of answer) text += frame;
  expectClean(format, status, text);
}

const authHeaders = (choice: Record<string, string> | 'valid-bearer' | 'valid-x-api-key'): Record<string, string> =>
  choice === 'valid-bearer' ? { authorization: `Bearer ${key}` } : choice === 'valid-x-api-key' ? { 'x-api-key': key } : choice;

describe('fuzz: client surfaces in-process', () => {
  const surfaces = [
    ['/v1/chat/completions', 'openai', 'openai'],
    ['/v1/messages', 'anthropic', 'anthropic'],
    ['/v1/responses', 'openai', 'responses'],
    ['/v1/embeddings', 'openai', 'embeddings'],
    ['/v1/messages/count_tokens', 'anthropic', 'anthropic'],
    ['/v1beta/models/smart:generateContent', 'gemini', 'gemini'],
    ['/v1beta/models/sim-an:streamGenerateContent', 'gemini', 'gemini'],
  ] as const;
  for (const [path, format, api] of surfaces) {
    it(`${path}: every body ends in a 2xx or a clean 4xx in ${format} format`, async () => {
      await fc.assert(
        fc.asyncProperty(bodies(api), headerSets, async (body, auth) => {
          await withTimeout(inProcess(path, format, body, authHeaders(auth)), `${path} ${body.toString('utf8', 0, 200)}`);
        }),
        { numRuns: RUNS_IN_PROCESS, interruptAfterTimeLimit: 60_000 },
      );
    }, 90_000);
  }
});

/** Sends raw bytes on a fresh socket; resolves with what came back once the server closes it. */
function rawExchange(port: number, chunks: readonly Buffer[], gapMs = 0): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`socket left hanging after: ${Buffer.concat(chunks).toString('latin1', 0, 200)}`));
    }, HANG_MS);
    socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
    socket.on('error', () => undefined); // a reset counts as closed
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(received);
    });
    socket.on('connect', async () => {
      for (const chunk of chunks) {
        if (socket.destroyed) return;
        socket.write(chunk);
        if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
      }
    });
  });
}

describe('fuzz: real HTTP', () => {
  const port = () => Number(new URL(keel.url).port);

  it('answers arbitrary requests on raw sockets with a status below 500 and closes the socket', async () => {
    await fc.assert(
      fc.asyncProperty(rawHttpRequests(() => key), async (request) => {
        const reply = await rawExchange(port(), [request]);
        const status = /^HTTP\/1\.1 (\d{3})/.exec(reply)?.[1];
        // Node may drop a connection whose bytes are not HTTP at all; anything it answers is < 500.
        if (status !== undefined) expect(Number(status), reply.slice(0, 300)).toBeLessThan(500);
      }),
      { numRuns: RUNS_HTTP, interruptAfterTimeLimit: 30_000 },
    );
  }, 60_000);

  it('closes the socket of a slowloris client trickling its headers', async () => {
    const started = Date.now();
    const trickle = Array.from({ length: 40 }, (_, i) => Buffer.from(i === 0 ? 'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n' : `x-slow-${i}: y\r\n`));
    const reply = await rawExchange(port(), trickle, 100);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(reply === '' || reply.startsWith('HTTP/1.1 408')).toBe(true);
  });

  it('closes the socket of a client trickling its body', async () => {
    const head = Buffer.from(`POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAuthorization: Bearer ${key}\r\nContent-Length: 100000\r\n\r\n`);
    const started = Date.now();
    const reply = await rawExchange(port(), [head, ...Array.from({ length: 50 }, () => Buffer.from('{"a":1}'))], 100);
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(reply === '' || /^HTTP\/1\.1 (408|4\d\d)/.test(reply)).toBe(true);
  });

  it('refuses a header block over the limit with 431', async () => {
    const res = await rawExchange(port(), [Buffer.from(`GET /v1/models HTTP/1.1\r\nHost: x\r\nx-big: ${'a'.repeat(10_000)}\r\nConnection: close\r\n\r\n`)]);
    expect(res).toMatch(/^HTTP\/1\.1 431/);
  });
});

describe('fuzz: config loader', () => {
  it('accepts or refuses every document with a ConfigError, never anything else', () => {
    fc.assert(
      fc.property(fc.oneof(configMutations(validConfig), fc.anything(), fc.jsonValue()), fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 20 })), (doc, env) => {
        try {
          parseConfig(doc, 'fuzz.yaml', env);
        } catch (err) {
          if (!(err instanceof ConfigError)) throw err;
          expect(err.issues.length).toBeGreaterThan(0);
          for (const issue of err.issues) expect(typeof issue.message).toBe('string');
        }
      }),
      { numRuns: RUNS_IN_PROCESS },
    );
  });
});
