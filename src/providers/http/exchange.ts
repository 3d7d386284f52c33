/**
 * One HTTP exchange with a provider, the part every provider shares: send through the deployment's pool,
 * classify an error status with the provider's own classifier, hand a JSON answer or an SSE stream to the
 * provider's reader, and turn a connection that breaks while reading into a classified failure. Providers
 * say only what differs: path, headers, body, and how to read their formats.
 */
import type { Readable } from 'node:stream';
import type { z } from 'zod';
import type { UpstreamSignal } from '../attempt-signal.js';
import type { AttemptInput, AttemptResult, StreamItem, UpstreamFailure } from '../types.js';
import { classifyNetworkFailure } from './network-failure.js';
import { readBodyBuffer, readBodyText, sendUpstream, type UpstreamResponse } from './upstream-request.js';

/** What a provider's stream reader needs: the idle budget, and the signal to tell a cancel from a fault. */
export interface StreamReadOptions {
  idleMs: number;
  signal: UpstreamSignal;
}

export interface ExchangeSpec {
  path: string;
  headers: Record<string, string>;
  body: Buffer | string;
  classifyError(status: number, bodyText: string, headers: UpstreamResponse['headers'], nowMs: number): UpstreamFailure;
  readJson(res: UpstreamResponse): Promise<AttemptResult>;
  /** Reads a stream body; `options` carries the attempt's signal, so a cancel is told from a fault. */
  readStream(body: Readable, options: StreamReadOptions): AsyncGenerator<StreamItem, void, undefined>;
  /** The content type of this provider's streams; default `text/event-stream`. */
  streamContentType?: string;
}

export async function exchange(input: AttemptInput, spec: ExchangeSpec): Promise<AttemptResult> {
  const sent = await sendUpstream({ deployment: input.deployment, path: spec.path, headers: spec.headers, body: spec.body, signal: input.signal });
  if (!sent.ok) return { kind: 'failure', failure: sent.failure };
  const res = sent.response;
  input.onHeaders?.();
  try {
    if (res.status >= 400) return { kind: 'failure', failure: spec.classifyError(res.status, await readBodyText(res.body), res.headers, Date.now()) };
    // A provider that answers a stream request with JSON (an error, or no streaming support) is read as JSON.
    if (!input.request.stream || !String(res.headers['content-type'] ?? '').includes(spec.streamContentType ?? 'text/event-stream')) {
      res.bodyIdleMs = input.timeouts.idleMs;
      return await spec.readJson(res);
    }
    return { kind: 'stream', items: spec.readStream(res.body, { idleMs: input.timeouts.idleMs, signal: input.signal }) };
  } catch (err) {
    res.body.destroy();
    return { kind: 'failure', failure: classifyNetworkFailure(err, input.signal, 'body') };
  }
}

/**
 * Reads and validates a JSON answer; invalid JSON or the wrong shape is the provider's fault. The shape is
 * a schema, or a hand-written check (the parsed JSON typed, or undefined) where the schema costs too much.
 */
export async function readJsonAnswer<T>(
  res: UpstreamResponse,
  schema: z.ZodType<T> | ((json: unknown) => T | undefined),
  what: string,
  streamWanted: boolean,
): Promise<{ ok: true; json: T; raw: Buffer } | { ok: false; failure: UpstreamFailure }> {
  const raw = await readBodyBuffer(res.body, res.bodyIdleMs);
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch {
    return { ok: false, failure: { outcome: 'server_error', message: 'the provider answered with invalid JSON', status: res.status } };
  }
  const shaped = typeof schema === 'function' ? schema(json) : validated(schema, json);
  if (shaped === undefined) {
    const note = streamWanted ? ' (a JSON body where a stream was asked for)' : '';
    return { ok: false, failure: { outcome: 'server_error', message: `the provider's answer is not ${what}${note}`, status: res.status } };
  }
  return { ok: true, json: shaped, raw };
}

function validated<T>(schema: z.ZodType<T>, json: unknown): T | undefined {
  const parsed = schema.safeParse(json);
  return parsed.success ? parsed.data : undefined;
}
