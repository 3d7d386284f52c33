/**
 * Sends one HTTP request to a deployment through its pool and returns the response once the headers are
 * in, or a classified failure. The time-to-first-token budget bounds the wait for headers; the caller's
 * signal (client gone, deadline, the attempt's clock) aborts everything.
 */
import type { UpstreamSignal } from '../attempt-signal.js';
import type { Readable } from 'node:stream';
import type { Deployment } from '../../config/resolve-config.js';
import { readAll } from '../../core/read-all.js';
import { secrets } from '../../core/secrets.js';
import type { UpstreamFailure } from '../types.js';
import { StreamTimeoutError, classifyNetworkFailure } from './network-failure.js';
import { upstreamOf } from './upstream-pool.js';

export interface UpstreamResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Readable;
  /** The longest silence allowed while reading a whole (non-streamed) body. */
  bodyIdleMs?: number;
}

export interface UpstreamRequestOptions {
  deployment: Deployment;
  /** Path under the deployment's base URL, with its query string (`/chat/completions`). */
  path: string;
  headers: Record<string, string>;
  body: Buffer | string;
  /** Aborts on client disconnect, deadline, or the attempt's clock (which times headers and first token). */
  signal: UpstreamSignal;
}

const MAX_ERROR_BODY_BYTES = 64 * 1024; // enough for any provider error; more is not an error body

export async function sendUpstream(options: UpstreamRequestOptions): Promise<{ ok: true; response: UpstreamResponse } | { ok: false; failure: UpstreamFailure }> {
  try {
    const upstream = upstreamOf(options.deployment);
    const res = await upstream.pool.request({
      method: 'POST',
      path: upstream.basePath + options.path,
      headers: withDeploymentHeaders(options.deployment.headers, options.headers),
      body: options.body,
      signal: options.signal,
      headersTimeout: 0,
      bodyTimeout: 0,
    });
    return { ok: true, response: { status: res.statusCode, headers: res.headers, body: res.body } };
  } catch (err) {
    return { ok: false, failure: classifyNetworkFailure(err, options.signal, 'connect') };
  }
}

/**
 * A request's headers: the deployment's configured ones, under the provider's own. Most deployments
 * configure none, and then the provider's object goes as it is (undici only reads it), not copied.
 */
function withDeploymentHeaders(configured: Record<string, string>, own: Record<string, string>): Record<string, string> {
  for (const _ in configured) return { ...configured, ...own };
  return own;
}

/** Reads a (small) response body; an error body larger than the cap is cut, not buffered whole. */
export async function readBodyText(body: Readable, maxBytes = MAX_ERROR_BODY_BYTES): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buf = chunk as Buffer;
    size += buf.length;
    chunks.push(buf);
    if (size >= maxBytes) {
      body.destroy();
      break;
    }
  }
  return Buffer.concat(chunks).subarray(0, maxBytes).toString('utf8');
}

/**
 * Reads a whole answer body. With `idleMs`, a body that stalls mid-way (headers sent, then silence) fails
 * with a timeout after that long instead of holding the request until its deadline.
 */
export async function readBodyBuffer(body: Readable, idleMs?: number): Promise<Buffer> {
  if (idleMs === undefined) return readAll(body);
  const timer = setTimeout(() => body.destroy(new StreamTimeoutError('idle', idleMs)), Math.max(1, idleMs));
  try {
    return await readAll(body, { onChunk: () => void timer.refresh() });
  } finally {
    clearTimeout(timer);
  }
}

/** Upstream error text relayed to clients and logs must never carry a key, ours or a provider's echo. */
export function safeMessage(text: string, maxLength = 500): string {
  const redacted = secrets.redact(text).replace(/\b(sk|key|AIza)[-_A-Za-z0-9]{16,}\b/g, '[REDACTED]');
  return redacted.length > maxLength ? `${redacted.slice(0, maxLength)}…` : redacted;
}
